"""The mapped-import page's steps, shared by every area that imports rows from a CSV or XLSX
file (employees, customers, business events): guess the mapping, then on POST check it, run
the import as a dry run or all or nothing, remember the mapping and, once applied, discard
the upload and go on. A view keeps only what differs: its service call, its words, its page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from .access import current_org_id
from .db import get_session
from .forms import ColumnMappingForm, attempt
from .import_jobs import is_large, upsert_counts, upserted_words
from .models import Job
from .people import imports as people_imports
from .uploads import Table, pending_uploads

R = TypeVar("R")


@dataclass(frozen=True)
class MappedImport:
    """What one import maps: the name its mapping is remembered under, our fields, the ones
    a mapping must name, and the column names that suggest each field."""

    kind: str
    fields: tuple[str, ...] = people_imports.FIELDS
    required: tuple[str, ...] = people_imports.REQUIRED
    aliases: dict[str, tuple[str, ...]] = field(default_factory=lambda: people_imports.ALIASES)

    def fill(self, form: ColumnMappingForm, table: Table) -> dict[str, str]:
        """Preselect each field's column (the remembered choice, else a known alias); returns
        what was remembered, for the extra values a page keeps with its mapping."""
        remembered = people_imports.remembered_mapping(get_session(), current_org_id(), self.kind)
        form.fill(
            people_imports.guess_mapping(
                table.header, remembered, fields=self.fields, aliases=self.aliases
            )
        )
        return remembered


def upserted(report: people_imports.UpsertReport) -> str:
    """The words after an applied import that creates and updates rows (employees,
    customers)."""
    return upserted_words(upsert_counts(report))


@dataclass
class ImportStep(Generic[R]):
    """What the POST step came to: the report to show and the status to answer, or
    `response` (the redirect after an applied import)."""

    report: R | None = None
    status: int = 200
    response: Response | None = None


def import_step(
    spec: MappedImport,
    form: ColumnMappingForm,
    table: Table,
    upload_id: str,
    *,
    run: Callable[[list[dict[str, Any]], bool], R],
    done: Callable[[R], str],
    done_url: str,
    remember: Mapping[str, str] | None = None,
    queue: Callable[[list[dict[str, Any]]], Job] | None = None,
) -> ImportStep[R]:
    """The POST of a mapping page. A wrong mapping is shown on the form (422). Otherwise
    `run(rows, dry_run)` runs through `attempt` without committing; its report is the value
    or the refusal's `report`. When it was not refused the mapping (with `remember`, extra
    values the page keeps) is remembered and committed; an applied import then discards the
    upload, flashes `done(report)` and redirects to `done_url`. A large file's apply is
    instead handed to `queue(rows)` (`import_jobs.submit_import`): the upload is discarded
    and the person goes to the job's page. Nothing to do on a GET."""
    if request.method != "POST":
        return ImportStep()
    if not form.validate_on_submit():
        return ImportStep(status=422)
    mapping = form.mapping()
    problems = people_imports.mapping_problems(
        mapping, table.header, fields=spec.fields, required=spec.required
    )
    if problems:
        form.show(problems)
        return ImportStep(status=422)
    apply = request.form.get("action") == "apply"
    rows = people_imports.mapped_rows(table.header, table.rows, mapping)
    if apply and queue is not None and is_large(len(rows)):
        return _queued(spec, mapping | dict(remember or {}), upload_id, lambda: queue(rows))
    outcome = attempt(lambda: run(rows, not apply), commit=False)
    report = outcome.value or getattr(outcome.error, "report", None)
    if outcome.refused:
        return ImportStep(report, outcome.status)
    db = get_session()
    people_imports.remember_mapping(db, current_org_id(), spec.kind, mapping | dict(remember or {}))
    db.commit()  # the import if applied; else only the remembered mapping
    if not apply:
        return ImportStep(report, outcome.status)
    pending_uploads().discard(upload_id)
    flash(done(report), "success")
    return ImportStep(report, outcome.status, redirect(done_url))


def _queued(
    spec: MappedImport, mapping: Mapping[str, str], upload_id: str, submit: Callable[[], Job]
) -> ImportStep:
    """A large file's apply: the mapping is remembered, the rows go to a job (which checks
    them again and applies them all or nothing), and the person watches the job's page."""
    db = get_session()
    people_imports.remember_mapping(db, current_org_id(), spec.kind, dict(mapping))
    outcome = attempt(submit, commit=True)  # `submit` commits the job before queueing it
    if outcome.refused:
        return ImportStep(None, outcome.status)
    pending_uploads().discard(upload_id)
    return ImportStep(None, 200, redirect(url_for("jobs.job_page", id=outcome.value.id)))
