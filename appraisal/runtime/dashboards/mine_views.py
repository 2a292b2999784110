"""My performance (`/dashboards/mine`), each of its charts as data, and the printable person
report: the person's own (`/dashboards/mine/report`) and, for HR and their manager,
`/dashboards/people/<employee_id>/report`. A cycle not theirs (or not the reader's to open)
is a 404, whichever door it comes through."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, render_template, url_for

from ...access import is_member, require
from ...charts import Chart, xlsx_download
from ...db import get_session
from ..web import Routes, current_viewer, id_arg
from . import mine
from .mine import MinePage

routes = Routes()


def _today() -> Any:
    return mine.local_today(get_session(), current_viewer().org_id)


def _mine() -> MinePage | None:
    """The viewer's own page; None when they have no appraisal (yet) and asked for none."""
    viewer, cycle_id = current_viewer(), id_arg("cycle")
    page = mine.my_performance(get_session(), viewer, cycle_id, _today(), url_for)
    if page is None and cycle_id is not None:
        abort(404)
    return page


def _chart(page: MinePage | None, key: str) -> Chart:
    chart = page.dashboard.get(key) if page is not None else None
    if chart is None:
        abort(404)
    return chart


@routes.route("/dashboards/mine")
@require(is_member)
def dashboard_mine():
    return render_template(
        "runtime/dashboard_mine.html",
        page=_mine(),
        has_employee=current_viewer().employee_id is not None,
    )


@routes.route("/dashboards/mine/<key>.json")
@require(is_member)
def dashboard_mine_json(key: str):
    return jsonify(_chart(_mine(), key).as_json())


@routes.route("/dashboards/mine/<key>.xlsx")
@require(is_member)
def dashboard_mine_xlsx(key: str):
    return xlsx_download(_chart(_mine(), key), f"my-performance-{key}")


@routes.route("/dashboards/mine/report")
@require(is_member)
def dashboard_mine_report():
    page = _mine()
    if page is None:
        abort(404)
    return render_template("runtime/report_person.html", page=page)


@routes.route("/dashboards/people/<int:employee_id>/report")
@require(is_member)
def dashboard_person_report(employee_id: int):
    page = mine.person_report(
        get_session(), current_viewer(), employee_id, id_arg("cycle"), _today(), url_for
    )
    if page is None:
        abort(404)
    return render_template("runtime/report_person.html", page=page)
