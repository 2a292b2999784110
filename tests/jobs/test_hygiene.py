"""Issue 19, job hygiene: a worker that starts marks failed the jobs a stopped worker left
running (only those without a heartbeat: a job another live worker runs is left alone), and
the periodic `jobs.prune` deletes old finished jobs with the files they kept."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from huey.consumer import Consumer

from appraisal.jobs import queue as jobs_queue
from appraisal.jobs import registry
from appraisal.jobs.queue import consumer_in_threads, fail_orphans_now, run_periodic, submit
from appraisal.models import Job, utcnow
from appraisal.storage import get_storage

from .conftest import wait_for


@pytest.fixture
def owner(make, db):
    org = make.org("acme")
    membership = make.member(org, "hr@acme.example", roles=("admin",))
    membership.user.language = "en"
    db.commit()
    return org, membership.user_id


def _running(db, org, user_id, started_seconds_ago: float) -> Job:
    job = Job(
        organization_id=org.id,
        user_id=user_id,
        kind="metrics.recompute_cycle",
        params={"cycle_id": 1},
        status="running",
        started_at=utcnow() - timedelta(seconds=started_seconds_ago),
    )
    db.add(job)
    db.commit()
    return job


def _reload(db, job_id) -> Job:
    db.expire_all()
    return db.get(Job, job_id)


def test_a_starting_worker_fails_the_jobs_a_stopped_worker_left_running(
    real_queue, runner, db, owner, monkeypatch
):
    org, user_id = owner
    orphan = _running(db, org, user_id, 600)  # its worker died ten minutes ago
    beating = _running(db, org, user_id, 600)  # another worker runs it still
    young = _running(db, org, user_id, 5)  # just taken by a worker: no beat needed yet
    finished = _running(db, org, user_id, 600)
    finished.status, finished.finished_at = "done", utcnow()
    db.commit()
    huey = jobs_queue.queue(real_queue).huey
    huey.put(f"job-alive:{beating.id}", time.time() - 5)
    huey.put(f"job-progress:{orphan.id}", (3, 10))
    monkeypatch.setattr(Consumer, "run", lambda self: None)  # start, then stop at once
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert f"Job {orphan.id} was left running by a worker that stopped" in result.output
    failed = _reload(db, orphan.id)
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.message == "The worker stopped before this job finished; start it again."
    assert huey.get(f"job-progress:{orphan.id}", peek=True) is None
    assert [_reload(db, j.id).status for j in (beating, young, finished)] == [
        "running",
        "running",
        "done",
    ]


def test_a_stale_heartbeat_is_a_dead_worker(real_queue, db, owner):
    org, user_id = owner
    job = _running(db, org, user_id, 600)
    jobs_queue.queue(real_queue).huey.put(f"job-alive:{job.id}", time.time() - 120)
    assert fail_orphans_now(real_queue) == [job.id]


def test_a_job_running_in_a_live_worker_beats_and_is_never_taken_for_an_orphan(
    real_queue, db, owner, kinds, monkeypatch
):
    org, user_id = owner
    monkeypatch.setattr(jobs_queue, "HEARTBEAT_SECONDS", 0.1)
    inside, release = threading.Event(), threading.Event()

    def slow(session, job, progress):
        inside.set()
        assert release.wait(20)
        return {"ok": 1}

    kinds("test.slow", slow)
    with real_queue.app_context():
        from appraisal.db import get_session

        job_id = submit(get_session(), "test.slow", org.id, user_id, {}).id
    real_queue.config["JOBS_ORPHAN_SECONDS"] = 1
    with consumer_in_threads(real_queue, workers=1, periodic=False):
        assert inside.wait(20)
        job = _reload(db, job_id)
        job.started_at = utcnow() - timedelta(hours=1)  # long past any grace
        db.commit()
        time.sleep(1.2)  # more than the grace: only the heartbeat keeps it
        assert fail_orphans_now(real_queue) == []
        release.set()
        wait_for(lambda: _reload(db, job_id).status == "done")
    huey = jobs_queue.queue(real_queue).huey
    assert huey.get(f"job-alive:{job_id}", peek=True) is None  # cleared when it ended


def test_prune_deletes_old_finished_jobs_and_their_files(app, db, owner):
    org, user_id = owner
    with app.app_context():
        storage = get_storage()
        for key in ("jobs/exports/old.csv", "jobs/imports/old.json", "jobs/exports/new.csv"):
            storage.put(key, b"x", "text/plain")
    long_ago = utcnow() - timedelta(days=31)

    def job(status, finished_at, **fields) -> int:
        row = Job(
            organization_id=org.id,
            user_id=user_id,
            kind="exports.cycle",
            status=status,
            finished_at=finished_at,
            **fields,
        )
        db.add(row)
        db.commit()
        return row.id

    old_done = job("done", long_ago, params={}, result={"file_key": "jobs/exports/old.csv"})
    old_failed = job("failed", long_ago, params={"input_key": "jobs/imports/old.json"})
    recent = job("done", utcnow(), params={}, result={"file_key": "jobs/exports/new.csv"})
    old_running = job("running", None, started_at=long_ago, params={})
    prune = registry.PERIODIC["jobs.prune"]
    assert prune.every == "JOBS_PRUNE_MINUTES" and app.config["JOBS_KEEP_DAYS"] == 30
    assert run_periodic(app, prune, 60)
    db.expire_all()
    assert db.get(Job, old_done) is None and db.get(Job, old_failed) is None
    assert db.get(Job, recent) is not None and db.get(Job, old_running) is not None
    with app.app_context():
        storage = get_storage()
        assert not storage.exists("jobs/exports/old.csv")
        assert not storage.exists("jobs/imports/old.json")
        assert storage.exists("jobs/exports/new.csv")
    run = db.query(Job).filter_by(kind="jobs.prune").one()
    # the running job without a heartbeat was an orphan too
    assert run.result == {"orphans": 1, "files": 2}
    assert db.get(Job, old_running).status == "failed"
