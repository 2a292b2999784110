"""The queue: one huey instance per app, made from the configuration, and what runs a job.

Storage (`JOBS_URL`): unset, huey's SQLite storage in the instance folder (`jobs.sqlite`, no
server: `make run` and small installs); `redis://…` for production (one or more
`appraisal worker` processes beside gunicorn); `postgresql://…` for huey's own PostgreSQL
storage (psycopg 3, shipped with huey). `JOBS_IMMEDIATE` runs each job inside the call that
submits it, with no consumer (the tests' default, like huey's `immediate` mode).

Every job runs in an app context of its own, so it has a fresh session; the job function
never commits, the queue does when it returns (or rolls back and marks the job failed).
Tracked jobs travel as one huey task (`appraisal.job`) carrying only the row's id; the row
says what to do. Periodic jobs have fixed task names and claim their period in the `jobs`
table, so two consumers, or a restart within the period, run each period once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from huey import Huey, PostgresHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy.orm import Session

from ..db import get_session
from ..errors import ServiceError
from ..models import Job, User, utcnow
from ..storage import Unavailable, get_storage
from . import registry, services

log = logging.getLogger("appraisal.jobs")

QUEUE_NAME = "appraisal"
JOB_TASK = "appraisal.job"
#: Live progress is written to the queue's store at most this often (seconds).
PROGRESS_INTERVAL = 0.5
#: A running job's worker says it is alive this often (seconds), in the queue's store; a
#: job without a heartbeat for JOBS_ORPHAN_SECONDS lost its worker.
HEARTBEAT_SECONDS = 10.0


def make_huey(url: str | None, immediate: bool, instance_path: str) -> Huey:
    """The huey instance `JOBS_URL` names (see the module's docstring)."""
    if url is None or url == "":
        folder = Path(instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(folder / "jobs.sqlite"), immediate=immediate)
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme == "sqlite":
        return SqliteHuey(QUEUE_NAME, filename=url.removeprefix("sqlite:///"), immediate=immediate)
    if scheme in ("redis", "rediss", "unix"):
        return RedisHuey(QUEUE_NAME, url=url, immediate=immediate)
    if scheme in ("postgresql", "postgres"):
        dsn = "postgresql:" + url.split(":", 1)[1]  # psycopg takes no "+psycopg" dialect
        return PostgresHuey(QUEUE_NAME, dsn=dsn, immediate=immediate)
    raise ValueError(f"APPRAISAL_JOBS_URL must be sqlite:///, redis:// or postgresql://: {url!r}")


class Queue:
    """An app's queue: huey is made on first use (a command that enqueues nothing opens no
    store), and its tasks are registered then."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Huey | None = None
        self._lock = threading.Lock()

    @property
    def huey(self) -> Huey:
        if self._huey is None:
            with self._lock:
                if self._huey is None:
                    self._huey = self._make()
        return self._huey

    def _make(self) -> Huey:
        config = self.app.config
        huey = make_huey(config.get("JOBS_URL"), config["JOBS_IMMEDIATE"], self.app.instance_path)
        app = self.app

        def run_tracked(job_id: int) -> None:
            run_job(app, job_id)

        self.job_task = huey.task(name=JOB_TASK)(run_tracked)
        for periodic in registry.PERIODIC.values():
            minutes = int(config[periodic.every])
            if minutes > 0:
                huey.periodic_task(every(minutes), name=f"appraisal.periodic.{periodic.name}")(
                    _periodic_runner(app, periodic, minutes)
                )
        return huey


def init_app(app: Flask) -> None:
    app.config.setdefault("JOBS_IMMEDIATE", app.testing)
    app.extensions["appraisal.jobs"] = Queue(app)


def queue(app: Flask | None = None) -> Queue:
    return (app or current_app).extensions["appraisal.jobs"]


# -- submitting and watching -----------------------------------------------------------------


def submit(
    session: Session,
    kind: str,
    organization_id: int | None,
    user_id: int | None,
    params: dict[str, Any],
) -> Job:
    """Create the job's row, commit it (the worker reads it from another connection) and
    enqueue it. A queue that cannot be reached fails the job with a message, never the page.
    A job of no organization (an instance administrator's, from the command line) has no
    page: `appraisal jobs show` follows it."""
    if kind not in registry.TRACKED:
        raise KeyError(kind)
    job = services.create(session, kind, organization_id, user_id, params)
    session.commit()
    q = queue()
    try:
        q.huey  # noqa: B018 - registers the tasks
        q.job_task(job.id)
    except Exception:
        log.exception("Job %s could not be queued", job.id)
        services.fail(session, job.id, _("The job could not be queued; try again later."), 0, 0)
        session.commit()
    session.refresh(job)
    return job


def _progress_key(job_id: int) -> str:
    return f"job-progress:{job_id}"


def progress_of(job: Job) -> tuple[int, int]:
    """How far a job is: the live figures of a running one, else what its row says."""
    if job.status == "running":
        try:
            live = queue().huey.get(_progress_key(job.id), peek=True)
        except Exception:  # the store is down: the page shows the row's figures
            log.warning("No live progress for job %s", job.id, exc_info=True)
            live = None
        if live:
            return int(live[0]), int(live[1])
    return job.done, job.total


class Reporter:
    """The `progress` a job calls: keeps the last figures, writes them to the queue's store
    (at most every PROGRESS_INTERVAL seconds, and the last one)."""

    def __init__(self, huey: Huey, job_id: int) -> None:
        self.huey = huey
        self.key = _progress_key(job_id)
        self.done = 0
        self.total = 0
        self._written = 0.0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self._written < PROGRESS_INTERVAL and done < total:
            return
        self._written = now
        try:
            self.huey.put(self.key, (done, total))
        except Exception:  # progress is a courtesy: the job goes on
            log.warning("Could not store progress %s", self.key, exc_info=True)

    def clear(self) -> None:
        try:
            self.huey.delete(self.key)
        except Exception:
            log.warning("Could not clear progress %s", self.key, exc_info=True)


# -- running ---------------------------------------------------------------------------------


def _heartbeat_key(job_id: int) -> str:
    return f"job-alive:{job_id}"


@contextmanager
def heartbeat(huey: Huey, job_id: int) -> Iterator[None]:
    """While the block runs, write the time into the queue's store every HEARTBEAT_SECONDS
    (from a thread of its own: a job busy in one long query still beats), so that a worker
    starting later can tell a job whose worker died from one still running elsewhere."""
    key, stop, every = _heartbeat_key(job_id), threading.Event(), HEARTBEAT_SECONDS

    def beat() -> None:
        while True:
            try:
                huey.put(key, time.time())
            except Exception:  # the store is down: the job goes on
                log.warning("Could not store heartbeat %s", key, exc_info=True)
            if stop.wait(every):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        try:
            huey.delete(key)
        except Exception:
            log.warning("Could not clear heartbeat %s", key, exc_info=True)


def fail_orphans(session: Session, huey: Huey, grace: float) -> list[int]:
    """Mark failed ("the worker stopped") the running jobs whose worker is gone: started more
    than `grace` seconds ago and without a heartbeat in the last `grace` seconds. A job
    another live worker runs keeps beating, so several workers may do this safely; when the
    store cannot be read, nothing is touched. The caller commits."""
    now = time.time()

    def alive(job_id: int) -> bool:
        try:
            beat = huey.get(_heartbeat_key(job_id), peek=True)
        except Exception:
            log.warning("Cannot read the heartbeat of job %s", job_id, exc_info=True)
            return True  # cannot tell: leave it
        return beat is not None and now - float(beat) < grace

    def message(job: Job) -> str:
        with force_locale(_language(session, job)):
            return _("The worker stopped before this job finished; start it again.")

    failed = services.fail_orphans(session, utcnow() - timedelta(seconds=grace), alive, message)
    for job_id in failed:
        log.warning("Job %s was left running by a worker that stopped: marked failed", job_id)
        Reporter(huey, job_id).clear()
    return failed


def fail_orphans_now(app: Flask) -> list[int]:
    """What a worker does as it starts (`appraisal worker`): fail the jobs a stopped worker
    left running (see `fail_orphans`), and commit."""
    with app.app_context():
        session = get_session()
        failed = fail_orphans(session, queue(app).huey, float(app.config["JOBS_ORPHAN_SECONDS"]))
        session.commit()
    return failed


def _failure(error: Exception) -> str:
    """What the job's page says: a refusal's own words; anything else without internals
    (the log has the traceback)."""
    if isinstance(error, ServiceError):
        return str(error.message)
    return _("The job stopped on an unexpected error; the log has the details.")


def _language(session: Session, job: Job) -> str:
    user = session.get(User, job.user_id) if job.user_id is not None else None
    languages = current_app.config["LANGUAGES"]
    if user is not None and user.language in languages:
        return user.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def run_job(app: Flask, job_id: int) -> None:
    """Run a tracked job once: in an app context of its own, in its owner's language."""
    with app.app_context():
        session = get_session()
        job = services.start(session, job_id)
        session.commit()
        if job is None:
            log.info("Job %s is not waiting (already taken, or gone)", job_id)
            return
        kind = registry.TRACKED[job.kind]
        huey = queue(app).huey
        reporter = Reporter(huey, job_id)
        with heartbeat(huey, job_id), force_locale(_language(session, job)):
            if not _still_allowed(session, job, kind):
                _refuse(session, job)
                return
            _execute(session, job_id, lambda: kind.run(session, job, reporter), reporter)


def _still_allowed(session: Session, job: Job, kind: registry.Tracked) -> bool:
    """Whether the owner may still have this done (their roles may have changed, or they
    left, since they queued it); a job of no organization is an administrator's."""
    if job.organization_id is None or kind.allowed is None:
        return True
    return kind.allowed(job, services.owner_roles(session, job))


def _refuse(session: Session, job: Job) -> None:
    """Fail a job its owner may no longer have done; what it kept (an import's rows) goes."""
    keys = services.stored_files(job)
    services.fail(session, job.id, _("You may no longer do this."), 0, 0)
    session.commit()
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Unavailable:  # `jobs.prune` tries again with the row
            log.warning("Could not delete %s of a refused job", key, exc_info=True)


def _execute(session: Session, job_id: int, work: Any, reporter: Reporter) -> None:
    try:
        result = work()
        session.flush()
    except Exception as error:
        session.rollback()
        log.exception("Job %s failed", job_id)
        services.fail(session, job_id, _failure(error), reporter.done, reporter.total)
    else:
        services.finish(session, job_id, result, reporter.done, reporter.total)
    session.commit()
    reporter.clear()


def every(minutes: int) -> Any:
    """huey's `validate_datetime` for "every `minutes` minutes, counted from midnight UTC
    1 January 1970" (so 60 is each hour on the hour, 1440 each day at 00:00 UTC)."""

    def due(moment: datetime) -> bool:
        return _minute(moment) % minutes == 0

    return due


def _minute(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() // 60)


def period_of(moment: datetime, minutes: int) -> str:
    """The period `moment` falls in, named by its first minute (UTC)."""
    start = _minute(moment) // minutes * minutes * 60
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%MZ")


def _periodic_runner(app: Flask, periodic: registry.Periodic, minutes: int) -> Any:
    def run() -> None:
        run_periodic(app, periodic, minutes)

    run.__name__ = f"periodic_{periodic.name.replace('.', '_')}"
    return run


def run_periodic(
    app: Flask, periodic: registry.Periodic, minutes: int, now: datetime | None = None
) -> bool:
    """Run a periodic job for the current period unless it already ran; whether it ran."""
    period = period_of(now or datetime.now(UTC), minutes)
    with app.app_context():
        session = get_session()
        job = services.claim_period(session, periodic.name, period)
        session.commit()
        if job is None:
            log.info("%s already ran for %s", periodic.name, period)
            return False
        huey = queue(app).huey
        reporter = Reporter(huey, job.id)
        with heartbeat(huey, job.id), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
            _execute(session, job.id, lambda: periodic.run(session, reporter), reporter)
    return True


# -- consumers -------------------------------------------------------------------------------


def make_consumer(app: Flask, workers: int, periodic: bool = True) -> Consumer:
    """A consumer with `workers` threads; the queue is polled at most every
    `JOBS_POLL_SECONDS` when idle (Redis and PostgreSQL wake it at once)."""
    return queue(app).huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        max_delay=float(app.config["JOBS_POLL_SECONDS"]),
    )


@contextmanager
def consumer_in_threads(app: Flask, workers: int = 2, periodic: bool = True) -> Iterator[Consumer]:
    """A consumer running in this process's threads for the `with` block, without touching
    signal handlers (tests; `appraisal worker` runs `Consumer.run` in its own process)."""
    consumer = make_consumer(app, workers, periodic)
    if consumer.huey.immediate:
        raise RuntimeError("JOBS_IMMEDIATE runs jobs without a consumer")
    consumer.scheduler.start()
    for _worker, thread in consumer.worker_threads:
        thread.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
