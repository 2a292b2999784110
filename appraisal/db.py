"""Engine and sessions: one session per request or per CLI command, closed at teardown.

Services receive a `Session` and never commit; the view or command that called them owns
the transaction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    any_,
    bindparam,
    create_engine,
    event,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.visitors import InternalTraversal

from .audit import Origin, set_origin
from .encryption import Keys, keys_from_config
from .models.encrypted import KEYS_ATTRIBUTE
from .rules import MAX_ID  # ids are 32-bit integers in PostgreSQL

T = TypeVar("T")
V = TypeVar("V")


#: Seconds a SQLite connection waits for another's write to finish. The driver's 5 s was
#: not enough for 40 parallel sign-ins on two busy cores (they wait their turn, not forever).
SQLITE_BUSY_TIMEOUT = 30


def make_engine(url: str, keys: Keys | Callable[[], Keys] | None = None) -> Engine:
    """An engine with foreign keys enforced on SQLite, as they are on PostgreSQL, carrying
    the keys of the columns encrypted at rest (`models.encrypted`): the keys, or a function
    reading them (an app's, from its configuration)."""
    sqlite = url.startswith("sqlite")
    engine = create_engine(
        url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT} if sqlite else {}
    )
    if keys:
        setattr(engine.dialect, KEYS_ATTRIBUTE, keys if callable(keys) else tuple(keys))
    if engine.dialect.name == "postgresql":
        _end_reads_with_commit(engine)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _enable_foreign_keys(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


#: A statement that only reads: a SELECT (or WITH) naming nothing that writes, locks, sets,
#: notifies or creates. Anything else, or a statement this misjudges, counts as a write: the
#: safe side.
_READS_ONLY = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
_WRITES = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|INTO|LOCK|SET_CONFIG|NEXTVAL|SETVAL|PG_(TRY_)?ADVISORY\w*"
    r"|PG_NOTIFY|LO_\w+)\b",
    re.IGNORECASE,
)
_WROTE = "appraisal.wrote"  # in a pooled connection's `info`, for its current transaction


@functools.lru_cache(maxsize=4096)
def only_reads(statement: str) -> bool:
    """Whether a statement only reads (statements repeat: each is looked at once)."""
    return bool(_READS_ONLY.match(statement)) and not _WRITES.search(statement)


def _end_reads_with_commit(engine: Engine) -> None:
    """End a PostgreSQL transaction that only read with COMMIT instead of ROLLBACK.

    For the server the two are the same when nothing was written, but psycopg forgets every
    statement it prepared on a connection at ROLLBACK, and each request ends its transaction
    when its session closes. Every statement was therefore parsed and planned again on every
    request: planning was more than half of PostgreSQL's work in the load test (issue 20).

    Two checks, both needed, decide that a transaction only read. Every statement sent
    through SQLAlchemy was a plain read (`only_reads`: a `SET` or a `pg_notify` changes no
    row but a ROLLBACK undoes it). And PostgreSQL gave the transaction no id, which it does
    at the first row written, however it was sent (`bulk.insert_in_bulk` copies rows in
    through the driver, unseen by SQLAlchemy). Anything else, or a check that fails, still
    ends with ROLLBACK. What the first check cannot see, a session setting changed through
    a raw driver cursor, is kept out of the code (`bulk.py` alone reaches the driver, for
    COPY: `tests/test_architecture.py`).
    """
    rollback, commit = engine.dialect.do_rollback, engine.dialect.do_commit

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, _cursor, statement, _parameters, context, executemany):
        # the statement before its IN-lists were expanded, when there is one: one text per
        # query (the expanded ones are as many as the lists' lengths, and long)
        compiled = getattr(context, "compiled", None)
        if executemany or not only_reads(compiled.string if compiled is not None else statement):
            conn.info[_WROTE] = True

    def do_rollback(dbapi_connection) -> None:
        info = _pooled_info(dbapi_connection)
        if info is not None and not info.get(_WROTE) and _no_row_written(dbapi_connection):
            dbapi_connection.commit()
        else:
            rollback(dbapi_connection)
        if info is not None:  # only once the transaction has ended
            info.pop(_WROTE, None)

    def do_commit(dbapi_connection) -> None:
        commit(dbapi_connection)
        info = _pooled_info(dbapi_connection)
        if info is not None:
            info.pop(_WROTE, None)

    # No event can turn a rollback into a commit; the engine's own dialect (one per engine)
    # is where SQLAlchemy ends a transaction, the session's and the pool's alike.
    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    engine.dialect.do_commit = do_commit  # type: ignore[method-assign]


def _no_row_written(dbapi_connection: PoolProxiedConnection) -> bool:
    """PostgreSQL's word that the open transaction wrote no row: it has no transaction id.
    False for a transaction that failed (it can only be rolled back) or is not open."""
    from psycopg import Error as DriverError  # PostgreSQL's driver, there only then
    from psycopg.pq import TransactionStatus

    driver = dbapi_connection.driver_connection
    if driver.info.transaction_status != TransactionStatus.INTRANS:
        return False
    try:
        with driver.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NULL")
            row = cursor.fetchone()
    except DriverError:  # cancelled, timed out, lost: the ROLLBACK then decides (and reports)
        return False
    return bool(row and row[0])


def _pooled_info(dbapi_connection: Any) -> dict | None:
    """The pool's `info` of a connection it handed out (None for any other connection)."""
    if not isinstance(dbapi_connection, PoolProxiedConnection):
        return None
    try:
        return dbapi_connection.info
    except NotImplementedError:  # the dialect's first look at a new connection
        return None


def sqlite_file(engine: Engine) -> Path | None:
    """The file behind a SQLite engine, or None (PostgreSQL, in memory)."""
    name = engine.url.database
    if engine.dialect.name != "sqlite" or not name:
        return None
    if name.startswith("file:"):  # a URI: sqlite:///file:path?mode=ro&uri=true
        name = name.removeprefix("file:").split("?")[0]
    return Path(name) if name and name != ":memory:" else None


def init_app(app: Flask) -> None:
    # the keys are read from the configuration, not through the app: SQLAlchemy's mappers
    # keep compiled statements keyed by dialect, so a dialect holding the app kept every
    # app a process ever made alive (the test suite's 400 apps, 3.9 GB)
    config = app.config
    engine = make_engine(config["DATABASE_URL"], lambda: keys_from_config(config))
    app.extensions["appraisal.engine"] = engine
    app.extensions["appraisal.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def get_engine() -> Engine:
    return current_app.extensions["appraisal.engine"]


def get_session() -> Session:
    """The session of the current request or command, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["appraisal.sessionmaker"]()
        if has_request_context():
            # The address is the client's as the trusted proxies report it (`security`).
            origin = Origin.of(request.remote_addr, request.user_agent.string)
            set_origin(g.db_session, origin)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def rollback_session() -> None:
    """Roll back the request's session, if it has one (after the database refused a write)."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()


#: The escape character `contains_pattern` uses: pass it as `ilike(..., escape=LIKE_ESCAPE)`.
LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains `text`" in which `%`, `_` and the escape character are
    themselves (a search for `a_b` or one ending in a backslash is not a wildcard, and not
    an error on PostgreSQL). Use with `escape=LIKE_ESCAPE`."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_any(text: str | BindParameter[str], *columns: Any) -> ColumnElement[bool]:
    """Any of `columns` contains `text` (case-insensitive, wildcards taken literally).
    `text` may be a bound parameter holding its `contains_pattern`, for a statement built
    once (`people.services._members`)."""
    pattern = text if isinstance(text, BindParameter) else contains_pattern(text)
    return or_(*(column.ilike(pattern, escape=LIKE_ESCAPE) for column in columns))


def row_id(text: str) -> int:
    """`request.args.get(name, type=row_id)` for an id in a query string or form: an id the
    database cannot hold counts as none given (never an overflow in the driver)."""
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise ValueError(text)
    return value


def json_id(value: Any) -> int | None:
    """An id from a JSON body (`{"template_id": 7}`): a whole number the database can hold,
    else None (text, a fraction, a bool, a list, NaN or 2**31 are no id, and never reach
    the driver, which PostgreSQL answered with "integer out of range" or "invalid input")."""
    if value.__class__ is not int or not 0 < value <= MAX_ID:
        return None
    return value


def get_in_org(session: Session, model: type[T], organization_id: int, id_: int) -> T | None:
    """The row of `model` with this id, only if it belongs to the organization.

    Callers turn None into a 404, so an id guessed from another organization reveals nothing.
    """
    return session.scalar(
        select(model).where(model.id == id_, model.organization_id == organization_id)  # type: ignore[attr-defined]
    )


class _InList(ColumnElement[bool]):
    """`column IN :name`, the list bound at each execution (`in_list`)."""

    inherit_cache = True
    _traverse_internals: ClassVar = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(_InList)
def _expanding_in(element: _InList, compiler: Any, **kw: Any) -> str:
    values = bindparam(element.name, expanding=True, type_=element.column.type)
    return compiler.process(element.column.in_(values), **kw)


@compiles(_InList, "postgresql")
def _equals_any(element: _InList, compiler: Any, **kw: Any) -> str:
    values = bindparam(element.name, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(values), **kw)


def in_list(column: Any, name: str) -> ColumnElement[bool]:
    """`column` is one of the list given as the parameter `name` at execution, for a
    statement built once. On PostgreSQL that is `= ANY(:name)`, one array: the statement's
    text is the same whatever the list's length, so SQLAlchemy does not render an IN-list
    of 50 placeholders on every execution, psycopg reads the text once and PostgreSQL keeps
    one prepared statement for it (issue 20). Elsewhere, an expanding IN."""
    return _InList(column.expression if hasattr(column, "expression") else column, name)


#: Values in one `IN (...)` list: far below SQLite's and PostgreSQL's limits on parameters.
IN_LIST_SIZE = 500


def in_chunks(values: Sequence[V]) -> Iterator[Sequence[V]]:
    """`values` in slices for bounded `IN` lists, whatever the size of a file or a cycle."""
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]
