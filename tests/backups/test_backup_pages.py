"""Issue 22: backups from the app. Only an instance administrator (granted on the command
line) makes, schedules and downloads them — a backup is every organization's data, so an
organization's HR admin, manager or employee gets a 403 and never sees a backup's job. A
passphrase encrypts the file and is kept nowhere; the schedule keeps the newest N."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from appraisal.backups import crypto, services
from appraisal.backups.jobs import scheduled_backup
from appraisal.db import get_session
from appraisal.models import BackupSchedule, Job, User
from tests.conftest import field_errors

PASSPHRASE = "a long enough passphrase"


@pytest.fixture
def backups(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    return tmp_path / "backups"


@pytest.fixture
def people(make, db, runner):
    acme = make.org("acme")
    make.member(acme, "ops@acme.example", roles=("admin",))
    make.member(acme, "hr@acme.example", roles=("admin",))
    make.member(acme, "boss@acme.example", roles=("manager",))
    make.member(acme, "emp@acme.example", roles=("employee",))
    result = runner.invoke(args=["backups", "admin", "ops@acme.example"])
    assert result.exit_code == 0, result.output
    return acme


def test_an_instance_administrator_makes_an_encrypted_backup_and_downloads_it(
    client, auth, people, backups, db
):
    auth.login("ops@acme.example")
    assert client.get("/backups").status_code == 200
    made = client.post("/backups", data={"passphrase": PASSPHRASE, "confirm": PASSPHRASE})
    assert made.status_code == 302 and "/jobs/" in made.headers["Location"]
    page = client.get(made.headers["Location"])
    assert page.status_code == 200 and "Backup appraisal-" in page.get_data(as_text=True)
    job = db.scalar(select(Job).where(Job.kind == "backup.archive"))
    assert job.status == "done" and job.organization_id is None
    assert PASSPHRASE not in str(job.params) and PASSPHRASE not in str(job.result)
    (stored,) = services.listed(backups)
    assert stored.encrypted and not stored.scheduled
    listing = client.get("/backups").get_data(as_text=True)
    assert stored.name in listing
    download = client.get(f"/backups/{stored.name}")
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.data.startswith(crypto.MAGIC)
    download.close()
    assert client.get("/backups/..%2Fsecret_key").status_code == 404
    assert client.get("/backups/appraisal-20260101-000000-manual.backup").status_code == 404


def test_mismatched_or_short_passphrases_are_refused_next_to_the_field(
    client, auth, people, backups
):
    auth.login("ops@acme.example")
    refused = client.post("/backups", data={"passphrase": PASSPHRASE, "confirm": "other"})
    assert refused.status_code == 422
    assert "The two passphrases differ." in field_errors(refused.get_data(as_text=True))
    short = client.post("/backups", data={"passphrase": "short", "confirm": "short"})
    assert short.status_code == 422
    assert "At least 12 characters." in field_errors(short.get_data(as_text=True))
    assert services.listed(backups) == []


@pytest.mark.parametrize("email", ["hr@acme.example", "boss@acme.example", "emp@acme.example"])
def test_nobody_else_reaches_backups_nor_their_jobs(client, auth, people, backups, email, db):
    auth.login("ops@acme.example")
    client.post("/backups", data={})
    (stored,) = services.listed(backups)
    job = db.scalar(select(Job).where(Job.kind == "backup.archive"))
    auth.logout()
    auth.login(email)
    assert client.get("/backups").status_code == 403
    assert client.post("/backups", data={}).status_code == 403
    assert client.post("/backups/schedule", data={"every": "daily", "keep": 3}).status_code == 403
    assert client.get(f"/backups/{stored.name}").status_code == 403
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}.json").status_code == 404
    assert len(services.listed(backups)) == 1


def test_a_revoked_administrator_is_refused_and_their_queued_backup_too(
    client, auth, people, backups, runner, db
):
    auth.login("ops@acme.example")
    runner.invoke(args=["backups", "admin", "ops@acme.example", "--revoke"])
    assert client.get("/backups").status_code == 403
    assert db.scalar(select(User).where(User.email == "ops@acme.example")).instance_admin is False


def test_the_schedule_makes_backups_when_due_and_keeps_the_newest(
    app, client, auth, people, backups, db
):
    auth.login("ops@acme.example")
    bad = client.post("/backups/schedule", data={"every": "daily", "keep": "0"})
    assert bad.status_code == 422
    assert "Between 1 and 365." in field_errors(bad.get_data(as_text=True))
    saved = client.post("/backups/schedule", data={"every": "daily", "keep": "2"})
    assert saved.status_code == 302
    db.expire_all()
    assert (db.get(BackupSchedule, 1).every, db.get(BackupSchedule, 1).keep) == ("daily", 2)
    backups.mkdir(parents=True, exist_ok=True)
    old = datetime.now(UTC) - timedelta(days=3)
    for days in (3, 2):  # two older scheduled backups, one by hand
        name = services.new_name(datetime.now(UTC) - timedelta(days=days), scheduled=True)
        (backups / name).write_bytes(b"old")
    (backups / services.new_name(old, scheduled=False)).write_bytes(b"by hand")
    with app.app_context():
        ran = scheduled_backup(get_session(), lambda done, total: None)
        again = scheduled_backup(get_session(), lambda done, total: None)
    assert ran["made"] is not None and len(ran["removed"]) == 1
    assert again == {"made": None, "removed": []}  # not due again within the day
    kept = services.listed(backups)
    assert [b.scheduled for b in kept] == [True, True, False]


def test_when_a_scheduled_backup_is_due():
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    made = [services.StoredBackup("x", now - timedelta(hours=23, minutes=45), True, 1, False)]
    assert services.due("daily", made, now)
    assert not services.due("weekly", made, now)
    assert not services.due("never", [], now)
    assert services.due("weekly", [], now)


@pytest.mark.parametrize(
    ("email", "offered"), [("ops@acme.example", True), ("hr@acme.example", False)]
)
def test_the_set_up_menu_offers_backups_to_instance_administrators_only(
    client, auth, people, email, offered
):
    auth.login(email)
    assert ('id="nav-backups"' in client.get("/").text) is offered
