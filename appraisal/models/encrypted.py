"""Columns encrypted at rest (a field visit's coordinates: where a person was is sensitive
personal information under PIPL art. 28). The value is a Fernet token in a text column
(`appraisal.encryption`); the code reads and writes plain values, so a geofence check or an
export needs no change and never sees a token.

The keys travel with the engine (`db.make_engine(url, keys)` sets them, or a function reading
the app's configuration, on its dialect), not in a global, so two apps in one process each
use their own. An engine made without keys can
still read and write NULL, which is what the schema's migrations on an empty database need.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from ..encryption import Keys, decrypt, encrypt

#: Where `make_engine` puts an app's keys on its engine's dialect.
KEYS_ATTRIBUTE = "appraisal_encryption_keys"


class NoEncryptionKeys(RuntimeError):
    """An engine without keys met an encrypted value (a script that skipped `make_engine`)."""


def keys_of(dialect: Dialect) -> Keys:
    keys = getattr(dialect, KEYS_ATTRIBUTE, None)
    if callable(keys):
        keys = keys()
    if not keys:
        raise NoEncryptionKeys(
            "this database connection has no encryption keys; open it with "
            "appraisal.db.make_engine(url, keys) (ENCRYPTION_KEYS or SECRET_KEY)"
        )
    return keys


class EncryptedText(TypeDecorator):
    """Text stored as a Fernet token under the engine's first key (any key opens it)."""

    impl = Text
    cache_ok = True

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(self.to_text(value), keys_of(dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.from_text(decrypt(value, keys_of(dialect)))


class EncryptedDecimal(EncryptedText):
    """A number kept exactly as the decimal it was (coordinates: six decimals)."""

    cache_ok = True

    def to_text(self, value: Any) -> str:
        return str(Decimal(str(value)))

    def from_text(self, text: str) -> Decimal:
        return Decimal(text)
