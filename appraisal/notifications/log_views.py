"""The delivery log HR reads: every message the outbox holds for its organization (when,
where, to whom, what, how it went), filtered, paged, and exported as CSV or XLSX. HR admins
only. Thin: parse the filters, call `setup`, render."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from .. import tables
from ..access import can_run_cycles, current_org_id, require
from ..db import get_session
from ..forms import query_filters
from ..labels import export_header, export_value
from ..runtime.web import Routes, page_arg
from . import setup
from .template_forms import LogFilterForm

routes = Routes()


def _filters() -> tuple[LogFilterForm, setup.LogFilters]:
    """The filters the query string asks for; one that is not valid (a date that is not a
    date, a code we do not know) is shown at its field and not applied."""
    form = LogFilterForm(request.args)
    given = query_filters(form)
    filters = setup.LogFilters(
        channel=given["channel"] or "",
        status=given["status"] or "",
        kind=given["kind"] or "",
        person=given["person"] or "",
        since=given["since"],
        until=given["until"],
    )
    return form, filters


@routes.route("/notifications/log")
@require(can_run_cycles)
def log():
    form, filters = _filters()
    page = setup.delivery_log(
        get_session(), current_org_id(), filters, page_arg(), reader_id=current_user.id
    )
    return render_template(
        "notifications/log.html",
        form=form,
        page=page,
        columns=setup.LOG_COLUMNS,
        export_max=setup.EXPORT_MAX,
    ), 422 if form.errors else 200


@routes.route("/notifications/log.<any(csv, xlsx):fmt>")
@require(can_run_cycles)
def log_export(fmt: str):
    """The rows the filters select (the newest `setup.EXPORT_MAX`): codes in English files,
    words otherwise; text a spreadsheet would run stays text (`tables`)."""
    _form, filters = _filters()
    rows = (
        (
            row.at.strftime("%Y-%m-%d %H:%M"),
            export_value(row.channel, "channel"),
            row.recipient,
            export_value(row.kind, "notification_kind"),
            export_value(row.status, "delivery_status"),
            row.attempts,
            row.last_error,
            row.subject,
        )
        for row in setup.log_rows(get_session(), current_org_id(), filters, current_user.id)
    )
    names = {key: str(words) for key, words in setup.LOG_COLUMNS.items()}
    header = export_header(setup.LOG_COLUMNS, names)
    return tables.download(fmt, header, rows, "log", "notification-log")
