"""The team's day (a manager's team, HR's whole organization by department) with inline
reviews, and the export of a period's records from it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request

from ... import tables
from ...access import is_member, require
from ...db import get_session, row_id
from ...forms import attempt
from ...i18n import label_text
from ..web import Routes, current_viewer
from .export import records_table
from .record_forms import ReviewForm
from .team import team_day

routes = Routes()


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _team_page(export_errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    viewer = current_viewer()
    department = request.args.get("department", type=row_id)
    day = team_day(
        get_session(),
        viewer,
        _day("day"),
        page=request.args.get("page", 1, type=int),
        department_id=department if viewer.is_hr else None,
    )
    return render_template(
        "runtime/field_team.html",
        label_text=label_text,
        team=day,
        form=ReviewForm(formdata=None),
        back=request.full_path,
        export_errors=export_errors or {},
        export_from=request.args.get("from") or day.day.replace(day=1).isoformat(),
        export_to=request.args.get("to") or day.day.isoformat(),
    ), status


@routes.route("/field/team")
@require(is_member)
def field_team():
    return _team_page()


@routes.route("/field/records.<any(csv, xlsx):fmt>")
@require(is_member)
def field_records_export(fmt: str):
    """The records of a period the viewer may see (HR: everyone's; a manager: the team's
    and their own; anyone else: their own). A bad period shows the team page again (422)."""
    start, end = _day("from"), _day("to")
    outcome = attempt(
        lambda: records_table(get_session(), current_viewer(), start, end), commit=False
    )
    if outcome.refused:
        field = "to" if outcome.error.field == "to" else "from"
        return _team_page({field: [outcome.error.message]}, outcome.status)
    header, rows = outcome.value
    name = f"field-records-{start.isoformat()}-{end.isoformat()}"
    return tables.download(fmt, header, rows, "records", name)
