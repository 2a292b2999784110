"""A database that cannot take writes (read-only, full, locked): pages that only read keep
working, a write gets a clear 503 in the user's language, and /healthz says so."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from appraisal.models import LoginFailure, utcnow
from tests.conftest import PASSWORD

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
    recent = select(func.count()).where(LoginFailure.at > utcnow() - timedelta(hours=1))
    assert db.scalar(recent) == 0  # nothing half-saved


def test_pages_keep_working_for_someone_signed_in(client, auth, freeze, admin):
    assert auth.login("hr@acme.example", PASSWORD).status_code == 302
    freeze.read_only()
    assert client.get("/").status_code == 200
    assert client.get("/people/employees").status_code == 200


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
