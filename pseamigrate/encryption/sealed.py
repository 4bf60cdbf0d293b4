"""Files sealed at rest: streaming AES-256-GCM with a per-file data key wrapped by a master key.

Intake forms and photos of handwritten complaints are copied into the target's file store
(issue #30, S4). Each one is written as a *sealed* file:

    header (151 bytes)
      magic        8   b"PMSEAL\\x00\\x01" (format version 1)
      key_id       4   the master key (id in the files key file) that wraps the data key
      chunk_size   4   plaintext bytes per chunk (the last chunk is shorter, possibly empty)
      prefix       7   random; with the chunk index and the final flag, each chunk's nonce
      wrap_nonce  12   AES-GCM(master key) of the data key, AAD = magic, key_id, path
      wrapped     48
      meta_nonce  12   AES-GCM(data key) of the plaintext's sha256 and size, AAD = fixed, path
      meta        56
    chunks: AES-GCM(data key, nonce = prefix ‖ index (4) ‖ final (1)), AAD = magic, prefix,
            index (8), final flag (1); every chunk is chunk_size + 16 bytes but the last.

So a truncated file (the final chunk missing), reordered or altered chunks, a file swapped
for another file's (the path is in the AAD of the key wrap), and bytes appended after the
final chunk are all detected. The plaintext's sha256 is sealed in the header, so a re-run
can tell an unchanged file by opening 151 bytes instead of decrypting the file, and the
digest is no help to anyone without the master key. Rotating the master key rewraps the data
key only: the header changes, the chunks stay (see `rewrap`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pseamigrate.errors import VerificationMismatch
from pseamigrate.paths import move_into_place

MAGIC = b"PMSEAL\x00\x01"
KEY_BYTES = 32
TAG = 16
CHUNK = 1 << 16
_FIXED = struct.Struct(">8sII7s")  # magic, key_id, chunk_size, prefix
_META = struct.Struct(">32sQ")  # sha256, size
HEADER_SIZE = _FIXED.size + 12 + KEY_BYTES + TAG + 12 + _META.size + TAG  # 151


class TamperedFile(VerificationMismatch):
    """A sealed file fails authentication: altered, truncated, swapped or the wrong key."""


@dataclass(frozen=True)
class Opened:
    """What a sealed file's header says once opened: the plaintext's sha256 and size."""

    sha256: str
    size: int
    key_id: int
    data_key: bytes
    prefix: bytes
    chunk_size: int


def sealed_size(size: int) -> int:
    """Return the size of the sealed file of `size` plaintext bytes."""
    return HEADER_SIZE + size + TAG * (size // CHUNK + 1)


def is_sealed(path: Path) -> bool:
    """Tell whether a file starts with the sealed-file magic (says nothing of its integrity)."""
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _wrap_aad(key_id: int, name: str) -> bytes:
    return MAGIC + struct.pack(">I", key_id) + name.encode("utf-8")


def _meta_aad(prefix: bytes, name: str) -> bytes:
    return MAGIC + prefix + name.encode("utf-8")


def _chunk_nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", index, int(final))


def _chunk_aad(prefix: bytes, index: int, final: bool) -> bytes:
    return MAGIC + prefix + struct.pack(">QB", index, int(final))


def _header(
    keys: dict[int, bytes], key_id: int, name: str, data_key: bytes, prefix: bytes, meta: bytes
) -> bytes:
    """Build the header: the fixed part, the wrapped data key, the sealed sha256 and size."""
    fixed = _FIXED.pack(MAGIC, key_id, CHUNK, prefix)
    wrap_nonce, meta_nonce = secrets.token_bytes(12), secrets.token_bytes(12)
    wrapped = AESGCM(keys[key_id]).encrypt(wrap_nonce, data_key, _wrap_aad(key_id, name))
    sealed_meta = AESGCM(data_key).encrypt(meta_nonce, meta, _meta_aad(prefix, name))
    return fixed + wrap_nonce + wrapped + meta_nonce + sealed_meta


def open_header(header: bytes, keys: dict[int, bytes], name: str) -> Opened:
    """Unwrap a header's data key and open its sha256 and size; raise `TamperedFile` if
    any of it fails authentication (`name` is the file's path in its store)."""
    if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
        raise TamperedFile(f"{name}: not a sealed file")
    magic, key_id, chunk_size, prefix = _FIXED.unpack_from(header)
    at = _FIXED.size
    wrap_nonce, wrapped = header[at : at + 12], header[at + 12 : at + 12 + KEY_BYTES + TAG]
    at += 12 + KEY_BYTES + TAG
    meta_nonce, meta = header[at : at + 12], header[at + 12 : HEADER_SIZE]
    if key_id not in keys:
        raise TamperedFile(f"{name}: sealed with master key {key_id}, not in the files key file")
    try:
        data_key = AESGCM(keys[key_id]).decrypt(wrap_nonce, wrapped, _wrap_aad(key_id, name))
        digest, size = _META.unpack(
            AESGCM(data_key).decrypt(meta_nonce, meta, _meta_aad(prefix, name))
        )
    except InvalidTag:
        raise TamperedFile(f"{name}: header fails authentication (altered or moved)") from None
    return Opened(digest.hex(), size, key_id, data_key, prefix, chunk_size)


def read_header(path: Path, keys: dict[int, bytes], name: str) -> Opened:
    """Open the header of the sealed file at `path` (151 bytes read, nothing decrypted)."""
    with open(path, "rb") as handle:
        return open_header(handle.read(HEADER_SIZE), keys, name)


def seal(
    reading: BinaryIO, writing: BinaryIO, keys: dict[int, bytes], name: str
) -> tuple[int, str]:
    """Seal everything `reading` yields into `writing` (seekable, positioned at 0) under the
    newest master key; return the plaintext's size and sha256."""
    key_id = max(keys)
    data_key, prefix = secrets.token_bytes(KEY_BYTES), secrets.token_bytes(7)
    # The real header holds the digest, so it comes last; the placeholder starts with the magic
    # so that a file being written is never counted as plaintext by the store's check.
    writing.write(MAGIC + bytes(HEADER_SIZE - len(MAGIC)))
    cipher, digest, size, index = AESGCM(data_key), hashlib.sha256(), 0, 0
    chunk = read_full(reading, CHUNK)
    while True:
        following = read_full(reading, CHUNK) if len(chunk) == CHUNK else b""
        final = len(chunk) < CHUNK
        digest.update(chunk)
        size += len(chunk)
        nonce = _chunk_nonce(prefix, index, final)
        writing.write(cipher.encrypt(nonce, chunk, _chunk_aad(prefix, index, final)))
        if final:
            break
        chunk, index = following, index + 1
    meta = _META.pack(digest.digest(), size)
    writing.seek(0)
    writing.write(_header(keys, key_id, name, data_key, prefix, meta))
    return size, digest.hexdigest()


def unseal(reading: BinaryIO, keys: dict[int, bytes], name: str) -> Iterator[bytes]:
    """Yield the plaintext of a sealed file, chunk by chunk, each authenticated before it is
    yielded; raise `TamperedFile` on any failure, a missing final chunk or trailing bytes.

    The plaintext's sha256 and size are checked against the header at the end: a caller that
    writes what it is given must discard the output when this raises."""
    opened = open_header(reading.read(HEADER_SIZE), keys, name)
    cipher, digest, size, index = AESGCM(opened.data_key), hashlib.sha256(), 0, 0
    block_size = opened.chunk_size + TAG
    while True:
        block = read_full(reading, block_size)
        final = len(block) < block_size
        if not block:
            raise TamperedFile(f"{name}: truncated (the final chunk is missing)")
        nonce = _chunk_nonce(opened.prefix, index, final)
        try:
            plain = cipher.decrypt(nonce, block, _chunk_aad(opened.prefix, index, final))
        except InvalidTag:
            raise TamperedFile(f"{name}: chunk {index} fails authentication") from None
        digest.update(plain)
        size += len(plain)
        yield plain
        if final:
            break
        index += 1
    if reading.read(1):
        raise TamperedFile(f"{name}: bytes after the final chunk")
    if (digest.hexdigest(), size) != (opened.sha256, opened.size):
        raise TamperedFile(f"{name}: the plaintext differs from the sha256 in its header")


def plaintext_sha256(path: Path, keys: dict[int, bytes], name: str) -> tuple[int, str]:
    """Decrypt a sealed file without keeping it; return its plaintext size and sha256."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for plain in unseal(handle, keys, name):
            digest.update(plain)
            size += len(plain)
    return size, digest.hexdigest()


def rewrap(path: Path, keys: dict[int, bytes], name: str, partial: Path) -> int:
    """Rewrap a sealed file's data key under the newest master key (chunks copied as they are);
    write through `partial` and rename; return the key id it was sealed with before."""
    with open(path, "rb") as handle:
        header = handle.read(HEADER_SIZE)
        opened = open_header(header, keys, name)
        key_id = max(keys)
        if opened.key_id == key_id:
            return key_id
        meta = _META.pack(bytes.fromhex(opened.sha256), opened.size)
        fresh = _header(keys, key_id, name, opened.data_key, opened.prefix, meta)
        with private_file(partial) as writing:
            writing.write(fresh)
            while block := handle.read(1 << 20):
                writing.write(block)
    move_into_place(partial, path)
    return opened.key_id


@contextlib.contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """Open a new file owner-only (0600) for writing, never through a link; fsync on success."""
    flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    with os.fdopen(os.open(path, flags, 0o600), "w+b") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def read_full(reading: BinaryIO, size: int) -> bytes:
    """Read `size` bytes, fewer only at the end (a stream such as SFTP may return less)."""
    data = reading.read(size)
    while data and len(data) < size and (more := reading.read(size - len(data))):
        data += more
    return data
