"""The manager's team dashboard (`team.py`): the page and each chart's data, behind the
same checks. Managers and HR only; whose team is decided by the service (`NotFound`)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for

from ...access import can_lead_teams, require
from ...charts import chart_file
from ...db import get_session
from ..web import Routes, current_viewer, id_arg, page_arg
from .team import STEPS, Filters, NotFound, TeamDashboard, team_dashboard

routes = Routes()


def _board() -> TeamDashboard:
    filters = Filters(
        cycle_id=id_arg("cycle"),
        manager_id=id_arg("manager"),
        department_id=id_arg("department"),
        page=page_arg(),
    )
    try:
        return team_dashboard(
            get_session(),
            current_viewer(),
            filters,
            link=lambda id_: url_for("runtime.appraisal", id=id_),
            team_link=lambda manager, cycle: url_for(
                "runtime.dashboard_team", manager=manager, cycle=cycle
            ),
        )
    except NotFound:
        abort(404)


@routes.route("/dashboards/team")
@require(can_lead_teams)
def dashboard_team() -> Any:
    board = _board()
    args = {k: v for k, v in request.args.items() if k in ("manager", "department")}
    if board.cycle is not None:  # the exports show what the page shows
        args |= {"cycle": board.cycle.id, "page": board.paging.page}
    return render_template(
        "runtime/dashboard_team.html",
        board=board,
        steps=STEPS,
        args=args,
    )


@routes.route("/dashboards/team/<key>.<any(json, xlsx):fmt>")
@require(can_lead_teams)
def dashboard_team_data(key: str, fmt: str) -> Any:
    return chart_file(_board().charts, key, fmt)
