"""Help for work over a whole cycle or company in one request or command."""

from __future__ import annotations

import gc
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, bindparam, inspect, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

#: Pauses in progress, across threads: the collector is off while any runs.
_pauses = 0
_collector_was_on = False
_pauses_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run work that builds millions of short-lived, acyclic objects (a cycle's metric
    recompute reads a million rows as dicts) without Python's cyclic garbage collector
    rescanning all of them again and again: measured, that rescanning was more than half
    of the time (a 2,000-person recompute: 19.5 s with it, 8.6 s without; a 10k cycle's
    figures 9.5 s with it, 3.7 s without). Reference counting still frees everything as
    usual; cycles wait until the collector resumes. Also a decorator
    (`@collector_paused()`).

    Process-wide, so the pauses of a worker's threads are counted: the first turns the
    collector off, the last restores it as the first found it. (Each restoring what it saw
    left it off for good when two batches overlapped.) Only around bounded batch work."""
    global _pauses, _collector_was_on
    with _pauses_lock:
        if _pauses == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_on:
                gc.enable()


def insert_in_bulk(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many new rows of one shape (the same keys in each), with the columns' Python
    defaults filled in as an INSERT fills them, straight through the driver: on PostgreSQL
    one COPY, elsewhere one executemany of a prepared INSERT. Through SQLAlchemy's statements
    a cycle's first metric recompute (100,000 values) spent 12 of its 65 s in psycopg
    splitting multi-row INSERTs' placeholders on PostgreSQL, and 7 of 57 s (profiled) building each
    row's parameters on SQLite. Types are processed as for any statement (JSON, encrypted
    columns, decimals)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
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

    for default in defaults.values():
        if not (default.is_scalar or default.is_callable):  # a SQL expression, a sequence
            raise TypeError(f"{table.name}: insert_in_bulk fills only Python defaults")

    def values(row: dict[str, Any]) -> list[Any]:
        found = [row[key] for key in given]
        found += [d.arg(None) if d.is_callable else d.arg for d in defaults.values()]
        # as a statement processes them, None included (JSON writes None as 'null')
        return [v if p is None else p(v) for v, p in zip(found, processors, strict=True)]

    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[key].name) for key in columns)
    table_name = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        statement = f"COPY {table_name} ({names}) FROM STDIN"
        driver = connection.connection.driver_connection
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(values(row))
        except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy raises a refusal (503s)
            lost = dialect.is_disconnect(error, driver, None)
            if lost:  # not handed to the next request
                connection.invalidate(error)
            raise DBAPIError.instance(
                statement,
                None,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        return
    if dialect.paramstyle != "qmark":  # SQLite's driver; nothing else is supported
        raise NotImplementedError(f"insert_in_bulk on {dialect.name} ({dialect.paramstyle})")
    marks = ", ".join("?" * len(columns))
    statement = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"  # noqa: S608 - our table's own names
    connection.exec_driver_sql(statement, [tuple(values(r)) for r in rows])


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
    columns expired), so the next flush does not look at them again (it did: 5 of a 60 s
    first recompute, profiled, attribute by attribute); new objects and relationship
    changes are left to the flush."""
    shapes: dict[tuple[Table, tuple[str, ...]], list[tuple[Any, dict[str, Any]]]] = defaultdict(
        list
    )
    settled = []  # set only to values they already had: nothing to write
    for obj in objects:
        state = inspect(obj)
        if not state.persistent or not state.modified:
            continue
        mapper = state.mapper
        assert mapper.version_id_col is not None and mapper.version_id_col.key == "version"
        changed = {}
        columns = mapper.column_attrs
        related = False  # a relationship changed: the object stays for the flush
        for key in state.committed_state:  # the attributes set since loaded, not all of them
            history = state.attrs[key].history
            if key not in columns:
                related = related or history.has_changes()
            elif history.added:
                (column,) = columns[key].columns
                changed[column.key] = history.added[0]
        if changed:
            shapes[(mapper.local_table, tuple(sorted(changed)))].append((obj, changed))
        elif not related:
            settled.append(state)
    for (table, keys), found in shapes.items():
        rows = [
            {"_id": obj.id, "_version": inspect(obj).attrs.version.loaded_value, **changed}
            for obj, changed in found
        ]
        with session.no_autoflush:  # a flush would write these rows one by one first
            update_versioned(session, table, rows)
        stamped = [c.key for c in table.c if c.onupdate is not None and c.key not in keys]
        for (obj, changed), row in zip(found, rows, strict=True):
            set_committed_value(obj, "version", row["_version"] + 1)
            _written(session, obj, changed)
            if stamped:
                session.expire(obj, stamped)
    for state in settled:
        _clean(session, state)


def _written(session: Session, obj: Any, changed: dict[str, Any]) -> None:
    """Mark an object's written columns as its committed values; clean it as a flush does
    when nothing else of it is pending."""
    state = inspect(obj)
    columns = state.mapper.column_attrs
    pending = any(
        key not in changed and (key not in columns or state.attrs[key].history.has_changes())
        for key in state.committed_state
    )
    if pending:
        for key, value in changed.items():
            set_committed_value(obj, key, value)
    else:
        _clean(session, state)


def _clean(session: Session, state: Any) -> None:
    """Every attribute of the object as it now stands is what the database holds, and the
    transaction knows it changed (SQLAlchemy's own two steps after a flush writes an object:
    without the second, rolling back a savepoint would leave the written values in memory)."""
    state._commit_all(state.dict, session.identity_map)
    session._register_altered([state])
