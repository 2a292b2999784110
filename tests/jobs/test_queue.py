"""Issue 19, jobs: a real consumer runs what is submitted (live progress while it runs, the
outcome after), a failing job is marked failed with its message (never a 500), a periodic
job runs once per period however many consumers or restarts, the job's page and JSON are
for its owner and the organization's HR only, and the queue's storage comes from config."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
from huey import SqliteHuey
from huey.consumer import Scheduler
from sqlalchemy import select

from appraisal import create_app
from appraisal.db import get_session
from appraisal.errors import ServiceError
from appraisal.jobs import queue as jobs_queue
from appraisal.jobs import registry, services
from appraisal.jobs.queue import consumer_in_threads, make_huey, period_of, submit
from appraisal.models import Job, User

from .conftest import wait_for


def _submit(app, kind, org_id, user_id, params=None) -> int:
    with app.app_context():
        return submit(get_session(), kind, org_id, user_id, params or {}).id


def _job(db, job_id) -> Job:
    db.expire_all()
    return db.get(Job, job_id)


@pytest.fixture
def hr(make):
    org = make.org("acme")
    membership = make.member(org, "hr@acme.example", roles=("admin",))
    return org, membership.user_id


def test_a_consumer_runs_a_job_showing_live_progress_then_its_outcome(
    real_queue, client, auth, db, hr, kinds
):
    org, user_id = hr
    halfway, release = threading.Event(), threading.Event()

    def count(session, job, progress):
        progress(1, 3)
        halfway.set()
        assert release.wait(20)
        user = session.get(User, job.user_id)
        user.name = "renamed by the job"  # a database effect, committed by the queue
        progress(3, 3)
        return {"counted": 3}

    kinds("test.count", count)
    job_id = _submit(real_queue, "test.count", org.id, user_id)
    auth.login("hr@acme.example")
    waiting = client.get(f"/jobs/{job_id}.json").get_json()
    assert (waiting["status"], waiting["finished"]) == ("queued", False)  # nobody consumes yet
    with consumer_in_threads(real_queue, workers=2, periodic=False):
        assert halfway.wait(20)
        running = wait_for(lambda: client.get(f"/jobs/{job_id}.json").get_json()["done"] == 1)
        state = client.get(f"/jobs/{job_id}.json").get_json()
        assert running and (state["status"], state["done"], state["total"]) == ("running", 1, 3)
        page = client.get(f"/jobs/{job_id}")
        assert '<progress id="job-progress" class="w-100" max="3" value="1">' in page.text
        assert "job.js" in page.text
        release.set()
        wait_for(lambda: client.get(f"/jobs/{job_id}.json").get_json()["finished"])
    job = _job(db, job_id)
    assert (job.status, job.done, job.total, job.result) == ("done", 3, 3, {"counted": 3})
    assert job.started_at and job.finished_at
    assert db.get(User, user_id).name == "renamed by the job"
    page = client.get(f"/jobs/{job_id}")
    assert "outcome counted=3" in page.text and "Done" in page.text


def test_a_failing_job_is_marked_failed_with_its_message_and_its_page_still_answers(
    real_queue, client, auth, db, hr, kinds
):
    org, user_id = hr

    def refuse(session, job, progress):
        progress(2, 5)
        session.get(User, job.user_id).name = "half done"  # rolled back with the failure
        raise ServiceError("Nothing to recompute in this cycle.")

    def crash(session, job, progress):
        raise RuntimeError("connection string postgres://secret@db")

    kinds("test.refuse", refuse)
    kinds("test.crash", crash)
    db.get(User, user_id).language = "en"  # failures are worded in the owner's language
    db.commit()
    refused = _submit(real_queue, "test.refuse", org.id, user_id)
    crashed = _submit(real_queue, "test.crash", org.id, user_id)
    with consumer_in_threads(real_queue, workers=1, periodic=False):
        wait_for(lambda: _job(db, refused).status == "failed" and _job(db, crashed).finished_at)
    job = _job(db, refused)
    assert (job.message, job.done, job.total) == ("Nothing to recompute in this cycle.", 2, 5)
    assert db.get(User, user_id).name != "half done"
    auth.login("hr@acme.example")
    page = client.get(f"/jobs/{refused}")
    assert page.status_code == 200 and "Nothing to recompute in this cycle." in page.text
    assert "Failed" in page.text
    crash_page = client.get(f"/jobs/{crashed}")
    assert crash_page.status_code == 200 and "secret" not in crash_page.text
    assert "unexpected error" in crash_page.text
    state = client.get(f"/jobs/{crashed}.json").get_json()
    assert (state["status"], state["finished"]) == ("failed", True)


def test_a_failure_is_worded_in_the_owners_language(real_queue, db, hr, kinds):
    org, user_id = hr
    db.get(User, user_id).language = "zh"
    db.commit()
    kinds("test.crash", lambda session, job, progress: 1 / 0)
    job_id = _submit(real_queue, "test.crash", org.id, user_id)
    with consumer_in_threads(real_queue, workers=1, periodic=False):
        wait_for(lambda: _job(db, job_id).status == "failed")
    assert "日志" in _job(db, job_id).message


def test_a_job_delivered_twice_runs_once(real_queue, db, hr, kinds):
    """A message the queue hands out again (a consumer killed after taking it, restarted)
    finds its job no longer waiting."""
    org, user_id = hr
    runs = []
    kinds("test.once", lambda session, job, progress: runs.append(job.id) or {})
    job_id = _submit(real_queue, "test.once", org.id, user_id)
    jobs_queue.queue(real_queue).job_task(job_id)  # the same job enqueued a second time
    with consumer_in_threads(real_queue, workers=2, periodic=False):
        wait_for(lambda: _job(db, job_id).status == "done" and not real_queue_pending(real_queue))
    assert runs == [job_id]


def real_queue_pending(app):
    return jobs_queue.queue(app).huey.pending()


@pytest.fixture
def ticks(monkeypatch):
    """A periodic kind that counts its runs, every 1440 minutes (each day at 00:00 UTC)."""
    runs: list[int] = []

    def tick(session, progress):
        runs.append(1)
        progress(1, 1)
        return {"ticks": len(runs)}

    registry.periodic("test.tick", every="TEST_TICK_MINUTES")(tick)
    yield runs
    registry.PERIODIC.pop("test.tick", None)


def _second_instance(app):
    """Another app on the same database and queue: a second worker, or the first restarted."""
    twin = create_app(dict(app.config))
    twin.logger.setLevel("WARNING")
    return twin


def _scheduler_tick(app, moment):
    """What huey's scheduler does each minute: enqueue the periodic tasks due at `moment`."""
    huey = jobs_queue.queue(app).huey
    Scheduler(huey, threading.Event(), 1, True).enqueue_periodic_tasks(moment)


def test_a_periodic_job_registered_twice_runs_once_per_period(real_queue, db, ticks):
    real_queue.config.update(_all_periodic_off())
    real_queue.config.update(TEST_TICK_MINUTES=1440)
    twin = _second_instance(real_queue)
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    for app in (real_queue, twin):  # both schedulers find it due: two messages queued
        _scheduler_tick(app, midnight)
    assert len(real_queue_pending(real_queue)) == 2
    with consumer_in_threads(real_queue, workers=2, periodic=False):
        wait_for(lambda: not real_queue_pending(real_queue))
        _scheduler_tick(twin, midnight + timedelta(seconds=30))  # a restart, same minute
        wait_for(lambda: not real_queue_pending(real_queue))
    assert ticks == [1]
    claims = db.scalars(select(Job).where(Job.kind == "test.tick")).all()
    assert [(c.status, c.dedupe_key, c.organization_id) for c in claims] == [
        ("done", f"test.tick@{period_of(datetime.now(UTC), 1440)}", None)
    ]
    assert (claims[0].done, claims[0].total, claims[0].result) == (1, 1, {"ticks": 1})
    twin.extensions["appraisal.engine"].dispose()


def test_periodic_tasks_have_fixed_names_and_a_configured_period(real_queue):
    real_queue.config["METRICS_SWEEP_MINUTES"] = 15
    huey = jobs_queue.queue(real_queue).huey
    assert "appraisal.jobs.queue.appraisal.periodic.metrics.sweep" in huey._registry._registry
    due = [t for t in huey._registry.periodic_tasks if t.name == "appraisal.periodic.metrics.sweep"]
    assert len(due) == 1
    assert due[0].validate_datetime(datetime(2026, 5, 1, 10, 45))
    assert not due[0].validate_datetime(datetime(2026, 5, 1, 10, 50))


def _all_periodic_off() -> dict[str, int]:
    """Every registered periodic kind's period set to 0 (the metric sweep, the outbox…)."""
    return {periodic.every: 0 for periodic in registry.PERIODIC.values()}


def test_a_period_of_zero_minutes_turns_a_periodic_job_off(real_queue):
    real_queue.config.update(_all_periodic_off())
    assert not jobs_queue.queue(real_queue).huey._registry.periodic_tasks


def test_periods_are_named_by_their_first_minute_in_utc():
    assert period_of(datetime(2026, 5, 1, 10, 59, tzinfo=UTC), 60) == "2026-05-01T10:00Z"
    assert period_of(datetime(2026, 5, 1, 10, 59, tzinfo=UTC), 15) == "2026-05-01T10:45Z"
    assert period_of(datetime(2026, 5, 1, 23, 59, tzinfo=UTC), 1440) == "2026-05-01T00:00Z"


# -- who sees a job -----------------------------------------------------------------------------


def test_a_job_is_seen_by_its_owner_and_its_organizations_hr_only(client, auth, db, make):
    acme = make.org("acme")
    make.member(acme, "hr@acme.example", roles=("admin",))
    owner = make.member(acme, "owner@acme.example", roles=("manager", "employee")).user_id
    make.member(acme, "colleague@acme.example", roles=("manager", "employee"))
    make.member(acme, "imp@acme.example", roles=("implementer",))
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    job = services.create(db, "metrics.recompute_cycle", acme.id, owner, {"cycle_id": 1})
    db.commit()
    for email, status in (
        ("owner@acme.example", 200),
        ("hr@acme.example", 200),
        ("colleague@acme.example", 404),
        ("imp@acme.example", 404),
        ("hr@other.example", 404),
    ):
        auth.login(email)
        assert client.get(f"/jobs/{job.id}").status_code == status, email
        assert client.get(f"/jobs/{job.id}.json").status_code == status, email
        auth.logout()


def test_a_periodic_run_has_no_page(client, auth, db, hr):
    job = Job(kind="metrics.sweep", dedupe_key="metrics.sweep@x", status="done")
    db.add(job)
    db.commit()
    auth.login("hr@acme.example")
    assert client.get(f"/jobs/{job.id}").status_code == 404


# -- storage from configuration -----------------------------------------------------------------


def test_the_default_queue_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    huey = make_huey(None, False, str(tmp_path / "instance"))
    assert isinstance(huey, SqliteHuey)
    assert huey.storage.filename == str(tmp_path / "instance" / "jobs.sqlite")
    assert (tmp_path / "instance" / "jobs.sqlite").exists()


def test_the_test_configuration_runs_jobs_at_once_without_a_consumer(app):
    huey = jobs_queue.queue(app).huey
    assert huey.immediate and app.config["JOBS_IMMEDIATE"]


def test_an_unknown_queue_address_is_refused():
    with pytest.raises(ValueError, match="APPRAISAL_JOBS_URL"):
        make_huey("amqp://rabbit", False, "/tmp")  # noqa: S108 - never created


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="no redis-server binary on this machine"
)
def test_a_redis_queue_stores_and_reads_messages(tmp_path):
    import socket
    import subprocess

    redis = pytest.importorskip("redis")
    with socket.socket() as probe:  # a free port: another test run may share the machine
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir"]
    server = subprocess.Popen([*command, str(tmp_path)])
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        wait_for(lambda: _answers(client))
        huey = make_huey(f"redis://127.0.0.1:{port}/0", False, str(tmp_path))
        huey.put("k", (1, 2))
        assert huey.get("k", peek=True) == (1, 2)
    finally:
        server.terminate()
        server.wait()


# -- probe 19: what a job's owner may still do -----------------------------------------------


def _export_job(db, org, owner, table="results") -> Job:
    """A finished export of a cycle's `table`, its file in the storage."""
    from appraisal.storage import get_storage, new_key

    key = new_key("jobs", "exports", suffix=".csv")
    get_storage().put(key, b"name,grade\nAnn,S\n", "text/csv")
    params = {"cycle_id": 1, "table": table, "fmt": "csv"}
    job = services.create(db, "exports.cycle", org.id, owner, params)
    job.status = "done"
    job.result = {"file_key": key, "filename": f"cycle-1-{table}.csv", "rows": 1}
    db.commit()
    return job


def test_a_file_is_downloaded_only_while_the_readers_roles_allow_it(app, client, auth, db, make):
    """The owner of an export of results who is no longer HR admin no longer downloads it
    (an implementer's figures sheet stays theirs); HR admins still do."""
    from appraisal.models import Membership

    acme = make.org("acme")
    make.member(acme, "hr@acme.example", roles=("admin",))
    former = make.member(acme, "former@acme.example", roles=("admin",))
    imp = make.member(acme, "imp@acme.example", roles=("implementer",)).user_id
    with app.app_context():
        results = _export_job(db, acme, former.user_id)
        sheet = _export_job(db, acme, imp, "figures")
    auth.login("former@acme.example")
    assert client.get(f"/jobs/{results.id}/file").status_code == 200
    auth.logout()
    db.get(Membership, former.id).set_roles({"employee"})
    db.commit()
    for email, job, status in (
        ("former@acme.example", results, 404),
        ("hr@acme.example", results, 200),
        ("imp@acme.example", sheet, 200),
    ):
        auth.login(email)
        assert client.get(f"/jobs/{job.id}/file").status_code == status, email
        auth.logout()


def test_a_job_whose_owner_lost_the_role_before_it_ran_is_refused(app, db, make):
    """Queued by an implementer, run after their role was taken away: nothing is imported,
    the job says why, and the rows it kept are deleted."""
    import json

    from appraisal.models import Employee, Membership
    from appraisal.storage import get_storage, new_key

    acme = make.org("acme")
    membership = make.member(acme, "imp@acme.example", roles=("implementer",))
    db.get(User, membership.user_id).language = "en"
    rows = [{"number": "E1", "name": "Eve", "status": "在职"}]
    with app.app_context():
        key = new_key("jobs", "imports", suffix=".json")
        get_storage().put(key, json.dumps({"rows": rows}).encode(), "application/json")
    params = {"input_key": key}
    job = services.create(db, "imports.employees", acme.id, membership.user_id, params)
    db.get(Membership, membership.id).set_roles({"employee"})
    db.commit()
    jobs_queue.run_job(app, job.id)
    job = _job(db, job.id)
    assert (job.status, job.message) == ("failed", "You may no longer do this.")
    assert db.scalar(select(Employee.id)) is None
    with app.app_context():
        assert not get_storage().exists(key)


def test_every_kind_of_an_organization_says_who_may_have_it_done(app):
    """A new kind must say whose roles allow it (checked when it runs and when its file is
    downloaded); only the instance's backups, of no organization, have no such rule (their
    own check is the instance administrator's flag, `backups.services.can_back_up`)."""
    from appraisal.backups.jobs import KIND as APP_BACKUP_JOB
    from appraisal.cli import BACKUP_JOB

    assert len(registry.TRACKED) >= 7
    unruled = sorted(k for k, kind in registry.TRACKED.items() if kind.allowed is None)
    assert unruled == sorted([BACKUP_JOB, APP_BACKUP_JOB])
