"""Fixtures: a migrated database (SQLite, or PostgreSQL from APPRAISAL_TEST_DATABASE_URL),
an app bound to it, a client, a CLI runner, and small factories.

The schema is built once per run through the Alembic migrations themselves; every test
starts from empty tables.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from appraisal import create_app
from appraisal.auth.services import hash_password
from appraisal.db import make_engine
from appraisal.migrate import upgrade
from appraisal.models import Base, Employee, Membership, Organization, User
from appraisal.users import services as user_services
from tests.database_faults import Freezer

PASSWORD = "correct-horse-9"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("APPRAISAL_TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    )
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "LOG_FORMAT": "plain",
            "STORAGE_DIR": str(tmp_path / "files"),
        }
    )
    app.logger.setLevel("WARNING")
    yield app
    engine = app.extensions["appraisal.engine"]
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    engine.dispose()


def _closing(app: Flask):
    """The app, its answers always closed: werkzeug's development server leaves a file being
    sent open when the browser drops the connection (it moved on to the next page), and the
    test that happened to be running failed on the ResourceWarning. gunicorn closes them."""

    def closing(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return closing


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real HTTP server on loopback, one thread per request, for the test's span."""
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """The SQL the app's engine sends inside `with` (what SQLAlchemy sends: a COPY the
    driver sends itself is not among them)."""
    seen: list[str] = []
    engine = app.extensions["appraisal.engine"]

    def listen(_conn, _cursor, statement, *_rest) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
def client(app) -> FlaskClient:
    """A browser that prefers English, so assertions read naturally; i18n tests override it."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def freeze(app) -> Iterator[Freezer]:
    """Makes the app's database refuse writes (`freeze.read_only()`, `freeze.full()`)."""
    freezer = Freezer(app.extensions["appraisal.engine"])
    yield freezer
    freezer.thaw()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session of its own, for arranging and checking rows outside requests."""
    session = app.extensions["appraisal.sessionmaker"]()
    yield session
    session.close()


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Factory:
    db: Session

    def org(self, slug: str = "acme", name: str | None = None) -> Organization:
        org = user_services.get_or_create_organization(self.db, slug, name or slug.title())
        self.db.commit()
        return org

    def member(self, org: Organization, email: str, roles=("admin",), password: str = PASSWORD):
        """A membership (and the account, if new) as rows: arranging a test is no audited act.

        The usual password's hash is computed once per run: hashing is slow on purpose.
        """
        user = self.db.scalar(select(User).where(User.email == email))
        if user is None:
            digest = _password_hash() if password == PASSWORD else hash_password(password)
            user = User(email=email, name=email.split("@")[0], password_hash=digest)
            self.db.add(user)
        membership = Membership(user=user, organization_id=org.id)
        membership.set_roles(set(roles))
        self.db.add(membership)
        self.db.commit()
        return membership

    def employee(self, org: Organization, number: str, name: str | None = None, **fields):
        employee = Employee(organization_id=org.id, number=number, name=name or number, **fields)
        self.db.add(employee)
        self.db.commit()
        return employee


@pytest.fixture
def make(db) -> Factory:
    return Factory(db)


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/login", data={"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


def field_errors(html: str) -> list[str]:
    """The messages Bootstrap shows under fields."""
    return [m.strip() for m in re.findall(r'class="invalid-feedback[^"]*"[^>]*>\s*([^<]+)', html)]


def alerts(html: str, kind: str = "danger") -> list[str]:
    return [m.strip() for m in re.findall(rf'alert-{kind}"[^>]*>\s*([^<]+)', html)]
