"""Key material on disk: owner-only files, MariaDB key files, and the OpenSSL file format.

MariaDB's `file_key_management` reads lines `id;64-hex-digits`, optionally encrypted the way
`openssl enc -aes-256-cbc -md sha1 -pass file:KEY` does it: `Salted__` + 8-byte salt, then
AES-256-CBC with key and IV from EVP_BytesToKey(SHA-1, one round). We write that format in Python
so the passphrase never reaches a command line. Key bytes are never returned to callers that
print: messages say `<generated: N keys>`.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pseamigrate.encryption.base import Check, Outcome
from pseamigrate.errors import PseamigrateError
from pseamigrate.paths import move_into_place, private_folder, sync_folder
from pseamigrate.servers import LocalServer

SALT_HEADER = b"Salted__"
KEY_BYTES = 32
# Key 1 protects redo and the system tablespace, key 2 temporary files (docs/encryption.md).
INITIAL_KEY_IDS = (1, 2)


class KeyFileError(PseamigrateError):
    """A key file cannot be read, decrypted or parsed (the message never shows key bytes)."""


def write_secret(path: Path, data: bytes) -> None:
    """Write `data` to `path` readable and writable by the owner only (0600), atomically."""
    private_folder(path.parent)
    partial = path.with_name(path.name + ".partial")
    # A leftover (a killed run) or a planted `.partial` is removed, never written through: a
    # symlink there would otherwise receive the secret (#30). O_EXCL|O_NOFOLLOW then refuse
    # anything that appears in between.
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    move_into_place(partial, path)


def write_new_secret(path: Path, data: bytes) -> Path:
    """Write `data` to a new file `path` (0600); refuse to replace an existing one."""
    partial = path.with_name(path.name + ".partial")
    write_secret(partial, data)
    try:
        os.link(partial, path)  # atomic and fails when `path` exists: never overwrites
    except FileExistsError:
        raise PseamigrateError(f"{path} already exists; not replaced") from None
    finally:
        partial.unlink()
        sync_folder(path.parent)  # the new name (and the partial's removal) reach the disk
    return path


def generate_keys(ids: tuple[int, ...] = INITIAL_KEY_IDS) -> dict[int, bytes]:
    """Return fresh random 256-bit keys for the given key ids."""
    return {key_id: secrets.token_bytes(KEY_BYTES) for key_id in ids}


def generate_passphrase() -> bytes:
    """Return a random passphrase for encrypting a key file (hex, no newline)."""
    return secrets.token_hex(32).encode()


def key_lines(keys: dict[int, bytes]) -> bytes:
    """Render keys in file_key_management's plain format (`id;hex` per line)."""
    return b"".join(f"{key_id};{key.hex()}\n".encode() for key_id, key in sorted(keys.items()))


def parse_key_lines(data: bytes, where: str) -> dict[int, bytes]:
    """Parse `id;hex` lines; errors name the line number, never its content."""
    keys: dict[int, bytes] = {}
    for number, line in enumerate(data.decode("ascii", "replace").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            key_id, hexkey = line.split(";", 1)
            keys[int(key_id)] = bytes.fromhex(hexkey.strip())
        except ValueError:
            raise KeyFileError(f"{where}: line {number} is not 'id;hex'") from None
    return keys


def _evp_bytes_to_key(passphrase: bytes, salt: bytes) -> tuple[bytes, bytes]:
    # OpenSSL's EVP_BytesToKey with SHA-1 and one iteration (`openssl enc -md sha1`).
    derived, block = b"", b""
    while len(derived) < KEY_BYTES + 16:
        block = hashlib.sha1(block + passphrase + salt).digest()
        derived += block
    return derived[:KEY_BYTES], derived[KEY_BYTES : KEY_BYTES + 16]


def openssl_encrypt(plain: bytes, passphrase: bytes) -> bytes:
    """Encrypt like `openssl enc -aes-256-cbc -md sha1 -pass file:…` (readable by MariaDB)."""
    salt = secrets.token_bytes(8)
    key, iv = _evp_bytes_to_key(passphrase, salt)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return SALT_HEADER + salt + encryptor.update(padded) + encryptor.finalize()


def openssl_decrypt(blob: bytes, passphrase: bytes, where: str) -> bytes:
    """Decrypt what `openssl_encrypt` (or openssl enc -md sha1) wrote."""
    if not blob.startswith(SALT_HEADER) or len(blob) < 32:
        raise KeyFileError(f"{where}: not an OpenSSL 'Salted__' file")
    key, iv = _evp_bytes_to_key(passphrase, blob[8:16])
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(blob[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise KeyFileError(f"{where}: cannot decrypt (wrong file key?)") from None


def read_key_file(key_file: Path, file_key: Path | None) -> dict[int, bytes]:
    """Read a MariaDB key file, decrypting it with the passphrase in `file_key` if given."""
    data = key_file.read_bytes()
    if file_key is not None:
        data = openssl_decrypt(data, file_key.read_bytes().strip(), str(key_file))
    return parse_key_lines(data, str(key_file))


def write_key_file(key_file: Path, keys: dict[int, bytes], file_key: Path | None) -> None:
    """Write a MariaDB key file (0600), encrypted with the passphrase in `file_key` if given."""
    data = key_lines(keys)
    if file_key is not None:
        data = openssl_encrypt(data, file_key.read_bytes().strip())
    write_secret(key_file, data)


def add_key(key_file: Path, file_key: Path | None) -> int:
    """Append a new random key with the next id and return the id; existing keys stay."""
    keys = read_key_file(key_file, file_key)
    new_id = max(keys, default=0) + 1
    keys[new_id] = secrets.token_bytes(KEY_BYTES)
    write_key_file(key_file, keys, file_key)
    return new_id


def file_mode_check(name: str, path: str, cis: str) -> Check:
    """Check that a key file on this host is owner-only (no group or other permission bits)."""
    try:
        info = os.lstat(path)
    except OSError:
        return Check(name, Outcome.WARN, f"{path} is not on this host: check its mode there", cis)
    mode = stat.S_IMODE(info.st_mode)
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    detail = f"{path} owner {owner} mode {mode:04o}"
    if mode & 0o077:
        return Check(name, Outcome.FAIL, f"{detail}: readable by group/others (want 0600)", cis)
    return Check(name, Outcome.PASS, detail, cis)


def server_account(server: LocalServer) -> tuple[int, int] | None:
    """Return (uid, gid) of the account the server runs as: my.cnf `user`, else the datadir's."""
    user = server.options.get("user")
    if user:
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise PseamigrateError(f"my.cnf names user {user!r}, which does not exist") from None
        return entry.pw_uid, entry.pw_gid
    if server.datadir.exists():
        info = server.datadir.stat()
        return info.st_uid, info.st_gid
    return None


def chown_to(path: Path, account: tuple[int, int] | None) -> None:
    """Give `path` to the server's account (key files must be readable by it alone)."""
    if account is None:
        return
    info = path.lstat()
    if (info.st_uid, info.st_gid) == account:
        return
    try:
        os.chown(path, *account, follow_symlinks=False)
    except PermissionError:
        raise PseamigrateError(
            f"cannot give {path} to the server's account (uid {account[0]}): run setup as root "
            "or as that account"
        ) from None
