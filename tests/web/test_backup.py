"""Backup, change, restore: the old state is back (SQLite's online backup API)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal import create_app
from appraisal.db import make_engine
from appraisal.migrate import upgrade
from appraisal.models import Employee, Organization
from appraisal.serving import Busy, exclusive


@pytest.fixture
def file_app(tmp_path):
    """An app on its own SQLite file (the shared test database may be PostgreSQL)."""
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    upgrade(make_engine(url))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    yield app
    app.extensions["appraisal.engine"].dispose()


def names(app) -> list[str]:
    with app.extensions["appraisal.sessionmaker"]() as session:
        return list(session.scalars(select(Employee.name).order_by(Employee.number)))


def test_backup_change_restore_round_trip(file_app, tmp_path):
    runner = file_app.test_cli_runner()
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        org = Organization(slug="acme", name="Acme")
        session.add(org)
        session.flush()
        session.add(Employee(organization_id=org.id, number="E1", name="Before"))
        session.commit()

    saved = tmp_path / "backups" / "monday.sqlite"
    result = runner.invoke(args=["backup", str(saved)])
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output

    with file_app.extensions["appraisal.sessionmaker"]() as session:
        session.scalar(select(Employee)).name = "After"
        session.add(Employee(organization_id=1, number="E2", name="New"))
        session.commit()
    assert names(file_app) == ["After", "New"]

    result = runner.invoke(args=["restore", str(saved), "--yes"])
    assert result.exit_code == 0, result.output
    assert names(file_app) == ["Before"]

    again = runner.invoke(args=["backup", str(saved)])
    assert again.exit_code == 1 and "exists" in again.output


def test_restore_refuses_a_file_that_is_not_a_backup(file_app, tmp_path):
    junk = tmp_path / "notes.sqlite"
    junk.write_text("not a database")
    result = file_app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1 and "not a backup of this application" in result.output


def test_backup_explains_postgresql(app, runner, tmp_path):
    if app.extensions["appraisal.engine"].dialect.name != "postgresql":
        pytest.skip("runs where the test database is PostgreSQL (CI)")
    result = runner.invoke(args=["backup", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 1 and "pg_dump" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serving(file_app):
    """`appraisal run` on the same database file, in its own process, after one request."""
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": file_app.config["DATABASE_URL"],
        "SECRET_KEY": "k",
        "APPRAISAL_LOG_FORMAT": "plain",
        "FLASK_DEBUG": "0",
    }
    command = [sys.executable, "-c", "from appraisal.cli import main; main()"]
    server = subprocess.Popen(
        [*command, "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                assert answer.status == 200
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("the app did not start")
            time.sleep(0.2)
    yield server
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_stopped_server_has_stopped_its_job_worker(serving):
    """`appraisal run` stopped as systemd or Docker stop it (SIGTERM) stops the job worker
    it started before it exits: a worker left behind held the database's lock for a while,
    and a restore right after the stop was refused."""
    workers = _children(serving.pid)
    assert workers, "appraisal run starts a job worker"
    serving.terminate()
    assert serving.wait(timeout=30) != 0
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []


def test_restore_refuses_while_the_app_is_serving(file_app, serving, tmp_path):
    runner = file_app.test_cli_runner()
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        org = Organization(slug="acme", name="Acme")
        session.add(org)
        session.flush()
        session.add(Employee(organization_id=org.id, number="E1", name="Before"))
        session.commit()
    saved = tmp_path / "monday.sqlite"
    assert runner.invoke(args=["backup", str(saved)]).exit_code == 0
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        session.scalar(select(Employee)).name = "Acknowledged"
        session.commit()

    refused = runner.invoke(args=["restore", str(saved), "--yes"])
    assert refused.exit_code == 1
    assert "the application is serving" in refused.output and "stop it" in refused.output
    assert names(file_app) == ["Acknowledged"]  # nothing replaced

    serving.terminate()
    serving.wait(timeout=30)
    restored = runner.invoke(args=["restore", str(saved), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert names(file_app) == ["Before"]


def test_a_first_request_during_a_restore_waits_it_out_with_503(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    upgrade(make_engine(url))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    client = app.test_client()
    with exclusive(tmp_path / "live.sqlite"):
        page = client.get("/healthz")
        assert page.status_code == 503 and page.headers["Retry-After"] == "60"
        assert "数据库正在从备份恢复" in page.get_data(as_text=True)
        assert client.get("/api/v1/cycles").get_json()["error"]["code"] == "restoring"
    assert client.get("/healthz").status_code == 200  # the restore is over: it serves
    with pytest.raises(Busy), exclusive(tmp_path / "live.sqlite"):
        pass  # and now it holds the lock
    app.extensions["appraisal.engine"].dispose()


def test_cli_commands_and_tests_do_not_take_the_serving_lock(file_app, app, client):
    assert client.get("/healthz").status_code == 200
    assert "appraisal.serving_lock" not in app.extensions  # TESTING
    assert "appraisal.serving_lock" in file_app.extensions  # taken on a first request only
    assert file_app.extensions["appraisal.serving_lock"].fd is None
