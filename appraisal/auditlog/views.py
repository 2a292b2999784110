"""The organization's audit log page and its CSV/XLSX export. Thin: parse the filters,
call `services`, render."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .. import tables
from ..access import can_read_audit_log, current_org_id, reach_or_403, require
from ..db import get_session, row_id
from ..forms import query_filters
from ..labels import export_header, export_value
from . import services
from .forms import AuditFilterForm

bp = Blueprint("auditlog", __name__, template_folder="templates")


def _filters() -> tuple[AuditFilterForm, services.Filters]:
    """The filters the query string asks for; one that is not valid (a date that is not a
    date, a code we do not know) is shown at its field and not applied."""
    form = AuditFilterForm(request.args)
    given = query_filters(form)
    filters = services.Filters(
        person=given["person"] or "",
        action=given["action"] or "",
        entity=given["entity"] or "",
        since=given["since"],
        until=given["until"],
    )
    return form, filters


@bp.route("/audit")
@require(can_read_audit_log)
def log():
    reach_or_403("read_audit_log")
    form, filters = _filters()
    before = request.args.get("before", type=row_id)
    page = services.log_page(get_session(), current_org_id(), filters, before)
    return render_template(
        "auditlog/log.html",
        form=form,
        page=page,
        columns=services.COLUMNS,
        export_max=services.EXPORT_MAX,
        first_page=before is not None,
    ), 422 if form.errors else 200


@bp.route("/audit.<any(csv, xlsx):fmt>")
@require(can_read_audit_log)
def log_export(fmt: str):
    """The rows the filters select (the newest `services.EXPORT_MAX`): codes in English
    files, words otherwise; text a spreadsheet would run stays text (`tables`)."""
    reach_or_403("read_audit_log")
    _form, filters = _filters()
    rows = (
        (
            row.at.strftime("%Y-%m-%d %H:%M:%S"),
            row.who,
            export_value(row.action, "audit_action"),
            export_value(row.entity, "audit_entity"),
            row.entity_id,
            row.detail_text,
            row.ip,
            row.user_agent,
            row.token_name,
            row.seq,
            row.hash,
        )
        for row in services.log_rows(get_session(), current_org_id(), filters)
    )
    names = {key: str(words) for key, words in services.COLUMNS.items()}
    header = export_header(services.COLUMNS, names)
    return tables.download(fmt, header, rows, "audit", "audit-log")
