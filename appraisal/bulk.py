"""Help for work over a whole cycle or company in one request or command."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run work that builds millions of short-lived, acyclic objects (a cycle's metric
    recompute reads a million rows as dicts) without Python's cyclic garbage collector
    rescanning all of them again and again: measured, that rescanning was more than half
    of the time (a 2,000-person recompute: 19.5 s with it, 8.6 s without). Reference
    counting still frees everything as usual; the collector resumes afterwards. Process-wide,
    so only for bounded batch work, never around waiting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def insert_in_bulk(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many new rows of one shape (the same keys in each), with the columns' Python
    defaults filled in as an INSERT fills them. On PostgreSQL it is one COPY: as multi-row
    INSERTs, a cycle's first metric recompute (100,000 values) spent 12 of its 65 s in
    psycopg splitting the statements' placeholders. Elsewhere it is SQLAlchemy's multi-row
    VALUES (RETURNING makes it that, not the driver's executemany), a statement per
    thousand rows. Types are processed as for any statement (JSON, encrypted columns)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        session.execute(insert(table).returning(table.c.id), rows).close()
        return
    given = list(rows[0])
    defaults = {
        column.key: column.default
        for column in table.columns
        if column.key not in given and column.default is not None
    }
    columns = [*given, *defaults]
    processors = [
        table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in columns
    ]
    names = ", ".join(dialect.identifier_preparer.quote(table.c[key].name) for key in columns)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[key] for key in given]
            values += [d.arg(None) if d.is_callable else d.arg for d in defaults.values()]
            copy.write_row(
                [
                    v if p is None or v is None else p(v)
                    for v, p in zip(values, processors, strict=True)
                ]
            )


def update_versioned(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Update rows of a versioned table (`models.Versioned`) in one executemany statement:
    each row dict names its `id`, the `version` it was read at and the columns to set
    (the same columns in every row). Each row's version is checked and moved on, as a
    flush does; a row changed meanwhile raises `StaleDataError`. `onupdate` columns left
    out are stamped."""
    if not rows:
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
        .values(version=table.c.version + 1)
    )
    result = session.execute(statement, rows)
    if session.get_bind().dialect.supports_sane_multi_rowcount and result.rowcount != len(rows):
        raise StaleDataError(
            f"{table.name}: {len(rows) - result.rowcount} of {len(rows)} rows were changed "
            "meanwhile"
        )


def update_in_bulk(session: Session, objects: Iterable[Any]) -> None:
    """Write the changed columns of these loaded, versioned objects with one executemany
    UPDATE per table and set of columns (`update_versioned`), where a flush sends one
    statement per versioned row: a cycle's recompute moves 10,000 appraisal totals, as
    many round trips. The objects are then clean, as after a flush (their `onupdate`
    columns expired); new objects and relationship changes are left to the flush."""
    shapes: dict[tuple[Table, tuple[str, ...]], list[tuple[Any, dict[str, Any]]]] = defaultdict(
        list
    )
    for obj in objects:
        state = inspect(obj)
        if not state.persistent or not state.modified:
            continue
        mapper = state.mapper
        assert mapper.version_id_col is not None and mapper.version_id_col.key == "version"
        changed = {}
        columns = mapper.column_attrs
        for key in state.committed_state:  # the attributes set since loaded, not all of them
            if key not in columns:
                continue  # a relationship: left to the flush
            history = state.attrs[key].history
            if history.added:
                (column,) = columns[key].columns
                changed[column.key] = history.added[0]
        if changed:
            shapes[(mapper.local_table, tuple(sorted(changed)))].append((obj, changed))
    for (table, keys), found in shapes.items():
        rows = [
            {"_id": obj.id, "_version": inspect(obj).attrs.version.loaded_value, **changed}
            for obj, changed in found
        ]
        with session.no_autoflush:  # a flush would write these rows one by one first
            update_versioned(session, table, rows)
        stamped = [c.key for c in table.c if c.onupdate is not None and c.key not in keys]
        for (obj, changed), row in zip(found, rows, strict=True):
            for key, value in changed.items():
                set_committed_value(obj, key, value)
            set_committed_value(obj, "version", row["_version"] + 1)
            if stamped:
                session.expire(obj, stamped)
