"""Large imports on the job queue: the apply step of a file of more than LARGE_IMPORT_ROWS
rows runs as a tracked job with a progress bar, so no request waits minutes (or times out
half-way behind a proxy); smaller files are applied in the request, as before.

The rows the user mapped travel through the storage (`appraisal.storage`: the worker may
run on another machine than the web server, which keeps pending uploads in its own instance
folder), under a key kept in the job's params (`input_key`) and deleted when the job ends,
or by `jobs.prune`. The job applies them all or nothing in its one transaction: a row that
needs correcting fails the job, its message lists the first problems, and nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from .errors import ServiceError
from .i18n import label_text
from .jobs.queue import submit
from .jobs.registry import Allowed, Progress, tracked
from .models import Job
from .storage import Missing, Unavailable, get_storage, new_key

#: Above this many rows the apply step runs on the job queue.
LARGE_IMPORT_ROWS = 2_000
#: How many of a refused file's problems the job's page lists.
PROBLEMS_SHOWN = 10

ImportRun = Callable[[Session, Job, dict[str, Any], Progress], dict[str, Any]]


def is_large(rows: int) -> bool:
    return rows > LARGE_IMPORT_ROWS


def submit_import(
    session: Session,
    kind: str,
    organization_id: int,
    user_id: int,
    payload: dict[str, Any],
    params: dict[str, Any] | None = None,
) -> Job:
    """Keep `payload` (the mapped rows) in the storage and queue the job that applies it.
    A storage out of reach is a refusal the page shows (nothing is queued)."""
    key = new_key("jobs", "imports", suffix=".json")
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    try:
        get_storage().put(key, data, "application/json")
    except Unavailable:
        raise ServiceError(
            _("The file could not be kept for the import; try again later.")
        ) from None
    return submit(session, kind, organization_id, user_id, {**(params or {}), "input_key": key})


def problems_words(error: ServiceError, columns: Mapping[str, Any]) -> str:
    """A refused import's message with its first problems, row by row, each column named
    as the import page names it (`columns`); the job's page has no table for them, and a
    dry run on the import page lists them all."""
    report = getattr(error, "report", None)
    problems = getattr(error, "errors", None) or getattr(report, "errors", None) or []
    words = []
    for problem in problems[:PROBLEMS_SHOWN]:
        key = getattr(problem, "column", None) or getattr(problem, "key", "")
        words.append(
            _(
                "row %(row)d, %(column)s: %(message)s",
                row=getattr(problem, "row", None) or 0,
                column=label_text(columns.get(key, key)),
                message=str(problem.message),
            )
        )
    if len(problems) > PROBLEMS_SHOWN:
        words.append(_("%(count)d more", count=len(problems) - PROBLEMS_SHOWN))
    return " ".join([str(error.message), *(["; ".join(words) + "."] if words else [])])


def tracked_import(
    name: str,
    outcome: Callable[[dict[str, Any]], str],
    back: Callable[[Job], str | None],
    columns: Callable[[Job], Mapping[str, Any]] = lambda job: {},
    *,
    allowed: Allowed,
) -> Callable[[ImportRun], ImportRun]:
    """Register the decorated `run(session, job, payload, progress) -> result` as a kind of
    job that applies a stored import: the payload is read back from the storage and removed
    when the job ends, whatever the outcome; a refusal lists its first problems, each column
    named by `columns(job)`."""

    def decorator(run: ImportRun) -> ImportRun:
        def job_run(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
            storage, key = get_storage(), job.params["input_key"]
            try:
                payload = json.loads(storage.get(key))
            except Missing:
                raise ServiceError(
                    _("The uploaded rows are no longer kept; import the file again.")
                ) from None
            try:
                return run(session, job, payload, progress)
            except ServiceError as refused:
                raise ServiceError(problems_words(refused, columns(job))) from refused
            finally:
                storage.delete(key)

        tracked(name, outcome, back, allowed=allowed)(job_run)
        return run

    return decorator


def upsert_counts(report: Any) -> dict[str, int]:
    """What an import that creates and updates rows (employees, customers) came to."""
    return {name: report.count(outcome) for name, outcome in UPSERT_OUTCOMES}


UPSERT_OUTCOMES = (("created", "create"), ("updated", "update"), ("unchanged", "unchanged"))


def upserted_words(counts: dict[str, int]) -> str:
    """The words after an applied import that creates and updates rows."""
    return _(
        "Import done: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
        **counts,
    )
