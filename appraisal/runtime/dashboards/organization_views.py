"""HR's organization dashboard, the people behind each bar, each chart's data (JSON, XLSX)
and the printable department report. HR admins see the whole organization; HR business
partners, department heads and auditors their department subtrees (`Viewer.results_reach`).
A cycle or department of another organization, outside the reach, or not a number is a
404."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for

from ...access import can_read_results, require
from ...charts import chart_file
from ...db import get_session
from ...people.services import department_choices
from ...states import AppraisalState
from ..web import Routes, current_viewer, id_arg, page_arg
from . import organization
from .organization import Filters, NotFound, PeopleFilter

routes = Routes()


def _filters() -> Filters:
    try:
        return organization.filters_for(
            get_session(), current_viewer(), id_arg("cycle"), id_arg("department")
        )
    except NotFound:
        abort(404)


def _people_link(**args: Any) -> str:
    return url_for(
        "runtime.organization_people", **{k: v for k, v in args.items() if v is not None}
    )


def _dashboard(filters: Filters) -> organization.OrganizationDashboard:
    return organization.organization_dashboard(get_session(), filters, _people_link, page_arg())


@routes.route("/dashboards/organization")
@require(can_read_results)
def organization_dashboard():
    filters = _filters()
    db = get_session()
    return render_template(
        "runtime/dashboard_organization.html",
        board=_dashboard(filters),
        cycles=organization.cycle_choices(db, current_viewer()),
        departments=organization.department_choices_in(
            department_choices(db, current_viewer().org_id), current_viewer()
        ),
        deadline=organization.deadline,
    )


@routes.route("/dashboards/organization/<key>.<any(json, xlsx):fmt>")
@require(can_read_results)
def organization_chart(key: str, fmt: str):
    return chart_file(_dashboard(_filters()).charts, key, fmt)


@routes.route("/dashboards/organization/people")
@require(can_read_results)
def organization_people():
    filters = _filters()
    state = request.args.get("state") or None
    if state is not None and state not in AppraisalState.__members__.values():
        abort(404)
    chosen = PeopleFilter(
        step=state,
        grade=(request.args.get("grade") or "").strip()[:20] or None,
        direct=request.args.get("direct") == "1",
    )
    page = organization.people_page(get_session(), filters, chosen, page_arg())
    return render_template(
        "runtime/dashboard_organization_people.html",
        filters=filters,
        chosen=chosen,
        page=page,
    )


@routes.route("/dashboards/organization/report")
@require(can_read_results)
def organization_report():
    filters = _filters()
    report = organization.department_report(get_session(), filters, _people_link)
    return render_template("runtime/report_department.html", report=report)
