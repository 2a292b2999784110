"""Every column encrypted at rest, found from the models (a column typed `EncryptedText`),
and their rotation to the first key in batches: `appraisal secrets rotate` runs it beside
the robots' secrets. A new encrypted column is rotated without a change here."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Column, Table, Text, bindparam, select, type_coerce, update
from sqlalchemy.orm import Session

from .encryption import Keys, rotate
from .models import Base
from .models.encrypted import EncryptedText

BATCH = 500


def encrypted_columns() -> Iterator[tuple[Table, Column]]:
    """(table, column) for every encrypted column of the schema."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def rotate_columns(session: Session, keys: Keys, batch: int = BATCH) -> dict[str, int]:
    """Re-encrypt every stored value with the first key, `batch` rows per statement, reading
    the tokens as text (never the plain values); how many rows each column had. A token no
    key opens stops it with `DecryptionFailed` (the caller rolls back)."""
    counts: dict[str, int] = {}
    for table, column in encrypted_columns():
        (key,) = table.primary_key.columns
        token = type_coerce(column, Text)
        last, count = None, 0
        while True:
            query = select(key, token).where(column.is_not(None)).order_by(key).limit(batch)
            if last is not None:
                query = query.where(key > last)
            rows = session.execute(query).all()
            if not rows:
                break
            session.execute(
                update(table)
                .where(key == bindparam("row_key"))
                .values({column.name: type_coerce(bindparam("token"), Text)}),
                [{"row_key": row[0], "token": rotate(row[1], keys)} for row in rows],
            )
            count += len(rows)
            last = rows[-1][0]
        counts[f"{table.name}.{column.name}"] = count
    return counts
