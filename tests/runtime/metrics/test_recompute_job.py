"""Issue 19: HR's "recompute now" is a job with a progress page, run by a real consumer; the
metric sweep is a periodic job of the queue (the `metrics refresh` command stays for cron)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

import appraisal
from appraisal import serving
from appraisal.db import get_session, sqlite_file
from appraisal.jobs import registry
from appraisal.jobs.queue import consumer_in_threads, run_periodic, submit
from appraisal.models import Job, User
from appraisal.runtime.metrics import compute
from tests.jobs.conftest import real_queue, wait_for  # noqa: F401 - the fixture

from .test_figures_pages import _value, _visits


def test_recompute_now_runs_on_the_queue_with_its_progress(
    real_queue,  # noqa: F811
    client,
    auth,
    db,
    company,
    launched,
    visits,
    add_metric,
    record,
    monkeypatch,
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    value = _value(db, company)
    value.computed = Decimal(40)  # as if a record had changed without its recompute
    value.provenance = {}
    db.commit()
    reports: list[tuple[int, int]] = []
    refresh_cycle = compute.refresh_cycle
    monkeypatch.setattr(compute, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(
        compute,
        "refresh_cycle",
        lambda s, c, progress: refresh_cycle(
            s, c, lambda d, t: reports.append((d, t)) or progress(d, t)
        ),
    )
    auth.login("hr@acme.example")
    response = client.post(f"/cycles/{launched.id}/recompute")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert job_url.startswith("/jobs/")
    assert client.get(f"{job_url}.json").get_json()["status"] == "queued"
    with consumer_in_threads(real_queue, workers=1, periodic=False):
        wait_for(lambda: client.get(f"{job_url}.json").get_json()["finished"])
    appraisals = len(reports) - 1
    assert reports == [(n, appraisals) for n in range(appraisals + 1)]  # one per appraisal
    page = client.get(job_url).text
    assert f"Recomputed {appraisals} appraisals: 1 figures changed." in page
    assert f'href="/cycles/{launched.id}"' in page  # back to the cycle
    assert _value(db, company).computed == Decimal(1)
    job = db.get(Job, int(job_url.rsplit("/", 1)[1]))
    assert (job.kind, job.status, job.done, job.total) == (
        "metrics.recompute_cycle",
        "done",
        appraisals,
        appraisals,
    )
    assert job.params == {"cycle_id": launched.id}


def test_the_metric_sweep_is_a_periodic_job(app, db, company, launched, visits, add_metric, record):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    value = _value(db, company)
    value.computed = Decimal(40)
    value.provenance = {}
    db.commit()
    sweep = registry.PERIODIC["metrics.sweep"]
    assert sweep.every == "METRICS_SWEEP_MINUTES" and app.config["METRICS_SWEEP_MINUTES"] == 60
    assert run_periodic(app, sweep, 60)
    assert not run_periodic(app, sweep, 60)  # the same hour: already done
    assert _value(db, company).computed == Decimal(1)
    job = db.query(Job).filter_by(kind="metrics.sweep").one()
    assert (job.status, job.done, job.total) == ("done", 1, 1)  # one open cycle
    assert job.result == {"appraisals": job.result["appraisals"], "changed": 1}


def test_appraisal_worker_runs_jobs_in_its_own_process_and_holds_the_serving_lock(
    real_queue,  # noqa: F811
    db,
    company,
    launched,
    visits,
    add_metric,
    record,
    runner,
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    hr = db.scalar(select(User.id).where(User.email == "hr@acme.example"))  # HR recomputes
    with real_queue.app_context():
        job = submit(
            get_session(), "metrics.recompute_cycle", company.org.id, hr, {"cycle_id": launched.id}
        )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(appraisal.__file__).parent.parent),
        "DATABASE_URL": real_queue.config["DATABASE_URL"],
        "SECRET_KEY": "test-secret",
        "APPRAISAL_JOBS_URL": real_queue.config["JOBS_URL"],
        "APPRAISAL_JOBS_POLL_SECONDS": "0.2",
        "APPRAISAL_METRICS_SWEEP_MINUTES": "0",
        "APPRAISAL_LOG_FORMAT": "plain",
    }
    command = [sys.executable, "-m", "appraisal", "worker", "--workers", "1"]
    worker = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: db.get(Job, job.id, populate_existing=True).status == "done", 60)
        database = sqlite_file(real_queue.extensions["appraisal.engine"])
        if database is not None:  # a restore is refused while the worker runs
            with pytest.raises(serving.Busy), serving.exclusive(database):
                pass
        shown = runner.invoke(args=["jobs", "show", str(job.id)])
        assert shown.exit_code == 0, shown.output
        assert "Done" in shown.output or "已完成" in shown.output
    finally:
        worker.send_signal(signal.SIGINT)
        _out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
