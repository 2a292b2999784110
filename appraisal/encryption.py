"""Secrets encrypted at rest (a robot's webhook URL and signing secret): Fernet tokens
(AES-128-CBC + HMAC-SHA256, `cryptography`) under a list of keys, the first of which
encrypts while all of them decrypt, so keys can be rotated without a moment when stored
secrets cannot be read.

The keys come from ENCRYPTION_KEYS (comma-separated Fernet keys, `appraisal secrets new-key`
makes one). When it is unset, one key is derived from SECRET_KEY with HKDF-SHA256: nothing
to set up, but the secrets are then tied to SECRET_KEY. To change SECRET_KEY (or to move to
keys of your own), first print the key derived from the current one
(`appraisal secrets derived-key`), set ENCRYPTION_KEYS to "<new key>,<that derived key>",
run `appraisal secrets rotate` (every secret re-encrypted with the new key), and drop the
old key from the list afterwards.

The functions here are pure: they take the keys as arguments (`keys_from_config` reads
them from the app's configuration), so no request or app context is needed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The HKDF context of the key derived from SECRET_KEY (another use would use another info).
DERIVATION_INFO = b"appraisal:encryption-at-rest:v1"

Keys = tuple[bytes, ...]


class DecryptionFailed(ValueError):
    """A token none of the keys opens: a key was dropped too early, or the data was altered."""


@lru_cache(maxsize=8)
def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from SECRET_KEY (used when ENCRYPTION_KEYS is unset)."""
    raw = HKDF(algorithm=SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=8)
def parse_keys(text: str) -> Keys:
    """ENCRYPTION_KEYS' comma-separated Fernet keys; a malformed one is refused by position
    (never echoed: it is a secret)."""
    keys = tuple(part.strip().encode("ascii") for part in text.split(",") if part.strip())
    if not keys:
        raise ValueError("ENCRYPTION_KEYS holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; `appraisal secrets new-key` makes one)"
            ) from None
    return keys


def keys_from_config(config: Mapping[str, Any]) -> Keys:
    """The keys of an app's configuration: ENCRYPTION_KEYS, else one derived from SECRET_KEY."""
    if config.get("ENCRYPTION_KEYS"):
        return parse_keys(config["ENCRYPTION_KEYS"])
    return (derived_key(config["SECRET_KEY"]),)


def new_key() -> str:
    """A fresh random Fernet key, for ENCRYPTION_KEYS."""
    return Fernet.generate_key().decode("ascii")


@lru_cache(maxsize=8)
def _cipher(keys: Keys) -> MultiFernet:
    if not keys:
        raise ValueError("no encryption key")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str, keys: Sequence[bytes]) -> str:
    """`text` encrypted with the first key (a fresh token each time: nonce and timestamp)."""
    return _cipher(tuple(keys)).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, keys: Sequence[bytes]) -> str:
    """The text of a token made by `encrypt` under any of `keys`."""
    try:
        return _cipher(tuple(keys)).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise DecryptionFailed("no encryption key opens this secret") from None


def rotate(token: str, keys: Sequence[bytes]) -> str:
    """The same secret re-encrypted with the first key (after a new key was put first)."""
    try:
        return _cipher(tuple(keys)).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise DecryptionFailed("no encryption key opens this secret") from None
