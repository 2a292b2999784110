"""A database that cannot take writes (read-only, full, locked): pages that only read keep
working, a write gets a clear 503 in the user's language, and /healthz says so."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from appraisal.db import get_session
from appraisal.health import Unwritable, why_unwritable
from appraisal.models import SignInCounter, User
from tests.conftest import PASSWORD
from tests.web.test_access import _sample_url

UNWRITABLE_EN = "The database can't accept changes right now"
UNWRITABLE_ZH = "数据库暂时无法保存更改"


@pytest.fixture
def admin(make):
    org = make.org("acme", "Acme Ltd")
    return make.member(org, "hr@acme.example", roles=("admin",))


# -- signing in --------------------------------------------------------------------------------


def test_sign_in_on_a_read_only_database_says_so_instead_of_a_500(client, auth, freeze, admin):
    freeze.read_only()
    response = auth.login("hr@acme.example")
    assert response.status_code == 503
    assert UNWRITABLE_EN in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_the_message_is_in_the_users_language(client, auth, freeze, admin):
    freeze.read_only()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = auth.login("hr@acme.example")
    assert response.status_code == 503
    assert UNWRITABLE_ZH in response.get_data(as_text=True)


def test_a_failed_sign_in_on_a_full_database_says_so(client, auth, freeze, admin, db, caplog):
    freeze.full()
    with caplog.at_level(logging.WARNING, logger="appraisal"):
        response = auth.login("hr@acme.example", "wrong-password")
    assert response.status_code == 503
    assert UNWRITABLE_EN in response.get_data(as_text=True)
    assert any("full" in record.getMessage() for record in caplog.records)
    charged = select(func.count()).where(SignInCounter.key.not_like("filler:%"))
    assert db.scalar(charged) == 0  # nothing half-saved


def test_a_refused_write_outside_the_view_is_a_503_too(app, client, freeze, admin):
    """A write after the view (as a session store would make) reaches Flask's 500 handler,
    which recognises the cause."""

    @app.after_request
    def write_after(response):
        db = get_session()
        db.execute(update(User).values(language=User.language))
        db.commit()
        return response

    app.config["PROPAGATE_EXCEPTIONS"] = False
    freeze.read_only()
    response = client.get("/login")
    assert response.status_code == 503
    assert UNWRITABLE_EN in response.get_data(as_text=True)


def test_pages_keep_working_for_someone_signed_in(client, auth, freeze, admin):
    assert auth.login("hr@acme.example", PASSWORD).status_code == 302
    freeze.read_only()
    assert client.get("/").status_code == 200
    assert client.get("/people/employees").status_code == 200


def test_no_page_or_api_read_writes_to_the_database(app, client, auth, runner, freeze, admin):
    """Every GET, signed in with a token and a session, on a read-only database: none fails.
    A new incidental write on a read path (a counter, a session store, an audit of reads)
    must be best-effort like a token's `last_used_at`, or this fails."""
    assert auth.login("hr@acme.example").status_code == 302
    created = runner.invoke(args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"])
    token = {"Authorization": f"Bearer {created.output.strip()}"}
    freeze.read_only()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "bootstrap.static"):
            continue
        if rule.endpoint == "main.health":
            continue  # says 503 on purpose
        response = client.get(_sample_url(rule.rule), headers=token)
        assert response.status_code < 500, (rule.rule, response.status_code)


# -- /healthz ----------------------------------------------------------------------------------


def test_health_is_ok_when_the_database_reads_and_writes(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database_read": "ok", "database_write": "ok"},
    }


def test_health_fails_on_a_read_only_database(client, freeze):
    freeze.read_only()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database_write"]
    assert body["checks"] == {"database_read": "ok", "database_write": "read_only"}


def test_health_fails_on_a_full_database(client, freeze):
    freeze.full()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database_write"] == "full"


def test_health_fails_when_the_database_does_not_answer(tmp_path):
    from appraisal import create_app

    missing = tmp_path / "no-such-dir" / "x.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{missing}", "SECRET_KEY": "k"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["database_read"]
    assert body["checks"]["database_read"] == "error"
    app.extensions["appraisal.engine"].dispose()


def test_health_does_not_hold_the_request_session(app, client):
    """The probe rolls back: nothing it did is left in the database."""
    with app.extensions["appraisal.engine"].connect() as connection:
        before = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    client.get("/healthz")
    with app.extensions["appraisal.engine"].connect() as connection:
        after = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert before == after


# -- which errors count --------------------------------------------------------------------------


def _sqlite_error(tmp_path, setup: str, statement: str) -> sqlite3.Error:
    path = tmp_path / "probe.sqlite"
    with closing(sqlite3.connect(path)) as first:
        first.execute("CREATE TABLE IF NOT EXISTS t (v BLOB)")
        first.commit()
    holder = sqlite3.connect(path)
    try:
        if setup == "locked":
            holder.execute("BEGIN IMMEDIATE")
        with closing(sqlite3.connect(path, timeout=0)) as connection:
            if setup == "query_only":
                connection.execute("PRAGMA query_only = ON")
            if setup == "capped":
                connection.execute("PRAGMA max_page_count = 1")
            with pytest.raises(sqlite3.Error) as raised:
                connection.execute(statement)
        return raised.value
    finally:
        holder.close()


@pytest.mark.parametrize(
    ("setup", "statement", "reason"),
    [
        ("query_only", "INSERT INTO t VALUES (1)", Unwritable.READ_ONLY),
        ("capped", "INSERT INTO t VALUES (zeroblob(100000))", Unwritable.FULL),
        ("locked", "INSERT INTO t VALUES (1)", Unwritable.BUSY),
        ("none", "INSERT INTO nowhere VALUES (1)", None),
    ],
)
def test_sqlite_refusals_are_recognised(tmp_path, setup, statement, reason):
    error = _sqlite_error(tmp_path, setup, statement)
    assert why_unwritable(error) is reason
    assert why_unwritable(OperationalError(statement, {}, error)) is reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (pg_errors.ReadOnlySqlTransaction("read-only transaction"), Unwritable.READ_ONLY),
        (pg_errors.DiskFull("could not extend file"), Unwritable.FULL),
        (pg_errors.LockNotAvailable("lock timeout"), Unwritable.BUSY),
        (pg_errors.UniqueViolation("duplicate key"), None),
    ],
)
def test_postgresql_refusals_are_recognised_by_sqlstate(error, reason):
    assert why_unwritable(DBAPIError("UPDATE …", {}, error)) is reason


def test_other_database_errors_stay_server_errors(app, client, monkeypatch):
    """Only refusals become 503: a real bug must still be a 500, logged as one."""
    broken = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    def fail():
        raise broken

    monkeypatch.setattr("appraisal.views.check_database", lambda _engine: fail())
    with pytest.raises(OperationalError):
        client.get("/healthz")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/healthz").status_code == 500
