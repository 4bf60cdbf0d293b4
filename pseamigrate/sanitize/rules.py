"""Pure rules that turn one value of a given kind (target/sensitivity.py) into its test value.

Every rule is keyed (HMAC-SHA256 under the pseudonym key) and deterministic: the same key and
value always give the same result, so an e-mail becomes the same fake e-mail in every tenant
(account merging still lines up) and two runs give byte-identical tables. Placeholder text keeps
the length and the script of what it replaces (Arabic stays Arabic, for right-to-left testing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import unicodedata
from pathlib import PurePosixPath
from typing import Any

ALPHABETS = {
    "LATIN SMALL": "abcdefghijklmnopqrstuvwxyz",
    "LATIN CAPITAL": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ARABIC": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "CYRILLIC SMALL": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "CYRILLIC CAPITAL": "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЫЭЮЯ",
}
DIGITS = "0123456789"


class Rules:
    """The rules under one key, with each tenant's date offset."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, *parts: object) -> str:
        """Return the keyed HMAC-SHA256 (hex) of the parts."""
        message = "\x1f".join(str(p) for p in parts).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def days(self, tenant: object) -> int:
        """Return a tenant's date shift: 30 to 395 days, back or forward, never 0."""
        value = int(self.digest("date-shift", tenant)[:8], 16)
        size = 30 + value % 366
        return size if value & 1 << 31 else -size

    def apply(self, kind: str, value: Any, tenant: object, length: int | None = None) -> Any:
        """Return the test value of one value of `kind` (None stays None)."""
        if value is None or kind in ("public",):
            return value
        rule = getattr(self, f"_{kind}")
        result = rule(value, tenant)
        if isinstance(result, str) and length is not None:
            result = result[:length]
        return result

    def _personal(self, value: Any, tenant: object) -> str:
        return f"p-{self.digest('personal', value)[:12]}"

    def _email(self, value: Any, tenant: object) -> str:
        normalised = str(value).strip().lower()
        return f"u{self.digest('email', normalised)[:16]}@example.invalid"

    def _password(self, value: Any, tenant: object) -> str:
        # Not a phpass or bcrypt hash: no password can ever match it.
        return f"!sanitized!{self.digest('password', value)[:32]}"

    def _date(self, value: Any, tenant: object) -> Any:
        if isinstance(value, dt.date | dt.datetime):
            return value + dt.timedelta(days=self.days(tenant))
        try:  # an ISO date or date-time as text (a transformed row before it is written)
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return self.placeholder(str(value))  # not a date: hide it as text
        shifted = moment + dt.timedelta(days=self.days(tenant))
        if len(str(value)) <= len("YYYY-MM-DD"):
            return shifted.date().isoformat()
        return shifted.isoformat(sep=" ")

    def _sensitive(self, value: Any, tenant: object) -> str:
        return self.placeholder(str(value))

    def _json(self, value: Any, tenant: object) -> Any:
        if isinstance(value, str):
            return self.placeholder(value)
        if isinstance(value, dict):
            return {k: self._json(v, tenant) for k, v in value.items()}
        if isinstance(value, list):
            return [self._json(v, tenant) for v in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.number(value)  # access times, GPS coordinates: personal too (#30)
        return value  # true, false, null: structure, not data

    def number(self, value: int | float) -> int | float:
        """Return a keyed number of the same type and shape: each digit drawn from the keyed
        stream, sign, decimal point and exponent kept (33.3152 → 71.0489)."""
        text = repr(value)
        if not any(c.isdigit() for c in text):  # inf, nan
            return value
        mantissa, e, exponent = text.partition("e")
        chooser = random.Random(self.digest("number", text))
        drawn = "".join(chooser.choice(DIGITS) if c.isdigit() else c for c in mantissa)
        if drawn == mantissa:  # every digit drew itself: shift the last one
            at = max(i for i, c in enumerate(drawn) if c.isdigit())
            drawn = drawn[:at] + _next(drawn[at]) + drawn[at + 1 :]
        result = drawn + e + exponent
        return int(result) if isinstance(value, int) else float(result)

    def _filename(self, value: Any, tenant: object) -> str:
        suffix = PurePosixPath(str(value)).suffix[:16]
        return f"file-{self.digest('file', value)[:12]}{suffix}"

    def _uri(self, value: Any, tenant: object) -> str:
        text = str(value)
        scheme, sep, rest = text.partition("://")
        path = PurePosixPath(rest if sep else text)
        name = self._filename(path.name, tenant)
        parent = "" if str(path.parent) in (".", "") else f"{path.parent}/"
        return f"{scheme}{sep}{parent}{name}"

    def _digest(self, value: Any, tenant: object) -> str:
        return self.digest("digest", value)

    def placeholder(self, text: str) -> str:
        """Return text of the same length and scripts, drawn from the keyed stream."""
        chooser = random.Random(self.digest("text", text))
        out = [_swap(char, chooser) for char in text]
        result = "".join(out)
        if result == text and text:  # a one-letter text may draw itself: shift it once
            result = "".join(_next(char) for char in text)
        return result


def _swap(char: str, chooser: random.Random) -> str:
    if char.isdigit():
        return chooser.choice(DIGITS)
    if char.isalpha():
        name = unicodedata.name(char, "")
        for prefix, alphabet in ALPHABETS.items():
            if name.startswith(prefix):
                return chooser.choice(alphabet)
        return "x"
    if unicodedata.category(char).startswith("S"):  # symbols and emoji
        return "*"
    return char  # spaces, punctuation, line breaks keep the text's shape


def _next(char: str) -> str:
    for alphabet in (*ALPHABETS.values(), DIGITS):
        if char in alphabet:
            return alphabet[(alphabet.index(char) + 1) % len(alphabet)]
    return "x" if char != "x" else "y"


PLACEHOLDERS: dict[str, bytes] = {
    ".txt": b"placeholder text\n",
    ".pdf": b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    ".png": bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    ),
    ".jpg": bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912"
        "130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b0800"
        "01000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100"
        "003f00d2cf20ffd9"
    ),
}


def placeholder_file(name: str) -> bytes:
    """Return small placeholder content of the same type as `name` (by its extension)."""
    suffix = PurePosixPath(name).suffix.lower()
    suffix = ".jpg" if suffix == ".jpeg" else suffix
    return PLACEHOLDERS.get(suffix, b"placeholder\n")
