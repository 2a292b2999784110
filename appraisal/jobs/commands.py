"""`appraisal worker` (the consumer), `appraisal jobs show`, and `appraisal run`: Flask's
development server with a worker process beside it, so `make run` needs no second command.

The worker beside `appraisal run` is a subprocess, not threads in the web server: huey's
consumer sets signal handlers (main thread only), a job never competes with the server's own
threads for a crash or a hang, Ctrl-C reaches both (same process group), and the reloader's
restarts (`--debug`) do not start a second consumer. The worker stops when the server exits,
and on its own when its parent disappears (`--exit-with-parent`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask.cli import run_command as flask_run

from .. import serving
from ..db import get_engine, get_session, sqlite_file
from ..labels import label
from ..models import Job
from ..states import UNFINISHED_JOBS
from . import services
from .queue import fail_orphans_now, make_consumer, progress_of

jobs_cli = AppGroup("jobs", help="Background jobs.")


def _watch_parent() -> None:
    """Interrupt this process (gracefully) once the process that started it is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


@click.command("worker")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Threads (JOBS_WORKERS, 2)."
)
@click.option("--no-periodic", is_flag=True, help="Run queued jobs only, no periodic ones.")
@click.option("--exit-with-parent", is_flag=True, hidden=True)
@with_appcontext
def worker_command(workers: int | None, no_periodic: bool, exit_with_parent: bool) -> None:
    """Run queued and periodic jobs until interrupted (Ctrl-C or SIGTERM finish the jobs
    in hand; a second Ctrl-C stops at once)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_IMMEDIATE"]:
        raise click.ClickException("JOBS_IMMEDIATE is on: jobs run where they are submitted.")
    database = sqlite_file(get_engine())
    if database is not None:
        try:
            serving.hold_shared(database)  # kept until this process exits
        except serving.Busy:
            raise click.ClickException(
                "The database is being restored; start again after."
            ) from None
    if exit_with_parent:
        _watch_parent()
    for job_id in fail_orphans_now(app):
        click.echo(f"Job {job_id} was left running by a worker that stopped: marked failed.")
    consumer = make_consumer(app, workers or int(app.config["JOBS_WORKERS"]), not no_periodic)
    consumer.run()


@jobs_cli.command("show")
@click.argument("job_id", type=int, required=False)
def show_command(job_id: int | None) -> None:
    """The newest jobs; with JOB_ID, that job's progress until it finishes."""
    session = get_session()
    if job_id is None:
        for job in services.recent(session):
            done, total = progress_of(job)
            click.echo(
                f"{job.id:>6}  {job.kind:28} {label(job.status, 'job_status'):12} "
                f"{done}/{total}  {job.message or ''}"
            )
        return
    job = watch(job_id, f"Job {job_id}")
    click.echo(f"{label(job.status, 'job_status')}: {job.result or job.message or ''}")
    if job.status != "done":
        sys.exit(1)


def watch(job_id: int, title: str) -> Job:
    """A progress bar for a job until it finishes (Ctrl-C stops watching, not the job)."""
    from ..cli import progress_bar

    session = get_session()
    update, close = progress_bar(title)
    try:
        while True:
            session.expire_all()
            job = session.get(Job, job_id)
            if job is None:
                raise click.ClickException(f"no job {job_id}")
            done, total = progress_of(job)
            if total:
                update(done, total)
            if job.status not in UNFINISHED_JOBS:
                return job
            session.rollback()  # the next look sees the worker's commits
            time.sleep(0.5)
    finally:
        close()


def _start_worker() -> subprocess.Popen | None:
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return None  # the reloader's child: its parent started the worker
    command = [sys.executable, "-m", "appraisal", "worker", "--exit-with-parent"]
    click.echo("Starting a job worker beside the server (appraisal worker).")
    return subprocess.Popen(command)  # noqa: S603 - our own interpreter and module


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # finish the job in hand
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@click.command("run", params=[*flask_run.params], help=flask_run.help)
@click.option("--worker/--no-worker", default=True, help="Start a job worker beside the server.")
@click.pass_context
def run_command(ctx: click.Context, worker: bool, **options) -> None:
    process = _start_worker() if worker else None
    if process is not None:
        # `kill`, systemd and Docker stop a server with SIGTERM, which would end this process
        # at once and leave the worker (and the database lock it holds) behind for a while;
        # as an exit, it stops the worker first (`finally`).
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        ctx.invoke(flask_run, **options)
    finally:
        if process is not None:
            _stop_worker(process)


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_cli)
