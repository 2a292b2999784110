"""The `jobs` table: a job is created queued by whoever starts it, moved to running by the one
worker that wins it (a conditional UPDATE, so a message delivered twice runs once), then done
with its result or failed with its message. A periodic run claims its period by inserting a
row with a unique key. Callers commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Job, Membership, User, as_utc, utcnow
from ..states import UNFINISHED_JOBS, JobStatus

#: Where a job names the files it keeps in the storage (`appraisal.storage`): an import's
#: uploaded rows in its params, an export's or a backup's file in its result. Pruning a
#: job deletes them with it.
FILE_KEYS = ("input_key", "file_key")


def create(
    session: Session,
    kind: str,
    organization_id: int | None,
    user_id: int | None,
    params: dict[str, Any],
) -> Job:
    """A queued job for a person; the caller commits before it is enqueued (the worker reads
    the row from another connection)."""
    job = Job(organization_id=organization_id, user_id=user_id, kind=kind, params=params)
    session.add(job)
    session.flush()
    return job


def start(session: Session, job_id: int) -> Job | None:
    """Move a queued job to running; None when another worker already took it (or it is gone)."""
    moved = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return None
    return session.get(Job, job_id, populate_existing=True)


def claim_period(session: Session, kind: str, period: str) -> Job | None:
    """The running row of this kind's run for `period`; None when that period is already
    claimed (by another consumer, or before a restart). The caller commits the claim before
    the work, so a second consumer sees it."""
    job = Job(
        kind=kind,
        params={"period": period},
        status=JobStatus.RUNNING,
        started_at=utcnow(),
        dedupe_key=f"{kind}@{period}",
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return None
    return job


def finish(session: Session, job_id: int, result: dict[str, Any], done: int, total: int) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=JobStatus.DONE,
            result=result,
            done=done,
            total=total,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def fail(session: Session, job_id: int, message: str, done: int, total: int) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=JobStatus.FAILED,
            message=message,
            done=done,
            total=total,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def visible_job(
    session: Session,
    organization_id: int | None,
    user_id: int,
    roles: Iterable[str],
    job_id: int,
    instance_admin: bool = False,
) -> Job | None:
    """The job if this person may watch it: the one who started it, or an HR admin of its
    organization; a job of no organization (a backup) only to an instance administrator.
    Anyone else (another organization, a colleague) is told nothing."""
    job = session.get(Job, job_id)
    if job is None:
        return None
    if job.organization_id is None:
        return job if instance_admin and job.user_id is not None else None
    if job.organization_id != organization_id:
        return None
    if not (job.user_id == user_id or "admin" in set(roles)):
        return None
    return job


def owner_roles(session: Session, job: Job) -> frozenset[str]:
    """The roles the job's owner holds in its organization now: none once their membership
    or their account is inactive. A job does what its owner may still do when it runs."""
    membership = session.scalar(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.organization_id == job.organization_id,
            Membership.user_id == job.user_id,
            Membership.active,
            User.active,
        )
    )
    return membership.roles if membership is not None else frozenset()


def recent(session: Session, limit: int = 20) -> list[Job]:
    """The newest jobs of every organization (for `appraisal jobs show`)."""
    return list(session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)))


def stored_files(job: Job) -> list[str]:
    """The storage keys a job keeps (its input, its output)."""
    found = []
    for values in (job.params or {}, job.result or {}):
        found += [values[name] for name in FILE_KEYS if isinstance(values.get(name), str)]
    return found


def running(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)))


def fail_orphans(
    session: Session,
    started_before: datetime,
    alive: Callable[[int], bool],
    message: Callable[[Job], str],
) -> list[int]:
    """Mark failed, with `message(job)`, the running jobs whose worker is gone: started
    before `started_before` and not `alive` (no recent heartbeat). A job that finished
    meanwhile is left alone (the UPDATE asks for it to be running still). Their ids."""
    orphans = [
        job
        for job in running(session)
        if job.started_at is not None
        and as_utc(job.started_at) < started_before
        and not alive(job.id)
    ]
    for job in orphans:
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.RUNNING)
            .values(status=JobStatus.FAILED, message=message(job), finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return [job.id for job in orphans]


def prune(session: Session, finished_before: datetime) -> list[str]:
    """Delete the jobs that finished before `finished_before`; the storage keys they kept,
    for the caller to delete (a job still waiting or running is never pruned)."""
    old = list(
        session.scalars(
            select(Job).where(
                Job.status.not_in(UNFINISHED_JOBS),
                Job.finished_at.is_not(None),
                Job.finished_at < finished_before,
            )
        )
    )
    keys = [key for job in old for key in stored_files(job)]
    ids = [job.id for job in old]
    for start in range(0, len(ids), 500):
        session.execute(
            delete(Job)
            .where(Job.id.in_(ids[start : start + 500]))
            .execution_options(synchronize_session=False)
        )
    return keys
