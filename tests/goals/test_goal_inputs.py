"""What an attacker types into the goal cascade's pages: versions that look like digits
but are not ("²"), ids beyond what the database holds, a signalling NaN as a weight. Each
is refused (or read as no version), never a 500, and nothing is saved."""

from __future__ import annotations

from sqlalchemy import func, select

from appraisal.models import Goal, GoalNode
from tests.goals.test_cascade import (  # noqa: F401
    cascade,
    company,
    launched,
    login,
    node,
    regions,
    rows,
    split_root,
)

HUGE = "9" * 25


def test_a_version_that_only_looks_like_digits_is_no_version(db, cascade, regions):  # noqa: F811
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north, south = regions
    data = rows(db, root, {})
    for name in list(data):
        if name.startswith("version|"):
            data[name] = "²"
    data[f"target|{node(db, goal.id, department_id=north.id).id}"] = "60000"
    data[f"target|{node(db, goal.id, department_id=south.id).id}"] = "40000"
    assert hr.post(f"/goals/nodes/{root.id}", data=data).status_code == 302
    part = node(db, goal.id, department_id=north.id)
    response = hr.post(f"/goals/nodes/{root.id}/parts/{part.id}/remove", data={"version": "²"})
    assert response.status_code == 422  # refused for its target, not a 500
    assert node(db, goal.id, department_id=north.id).target == 60000


def test_a_part_with_an_id_beyond_the_database_is_refused(db, cascade):  # noqa: F811
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    before = db.scalar(select(func.count()).select_from(GoalNode))
    for field in ("department_id", "employee_id", "lead_id"):
        data = {"part-department_id": 0, "part-employee_id": 0, "part-lead_id": 0}
        data[f"part-{field}"] = HUGE
        response = hr.post(f"/goals/nodes/{root.id}/parts", data=data)
        assert response.status_code == 422, field
    assert db.scalar(select(func.count()).select_from(GoalNode)) == before


def test_a_goal_weight_that_is_not_a_finite_number_is_refused(db, cascade):  # noqa: F811
    goal, hr = cascade
    for weight in ("sNaN", "NaN", "Infinity"):
        response = hr.post(
            f"/goals/{goal.id}/edit",
            data={
                "key": "sales",
                "name": "Sales",
                "weight": weight,
                "starts_on": "2026-10-01",
                "ends_on": "2026-12-31",
                "target": "100000",
            },
        )
        assert response.status_code == 422, weight
        assert weight in response.text  # what was typed is kept
    db.expire_all()
    assert db.get(Goal, goal.id).weight == 60


def test_an_employee_does_not_see_colleagues_leaves_on_a_node_of_their_path(
    app,
    db,
    company,  # noqa: F811
    cascade,  # noqa: F811
    regions,  # noqa: F811
):
    """Ann's path runs through North; North's split page must not list Pat's leaf and
    target (the tree page already hides it: "never a colleague's leaf")."""
    goal, hr = cascade
    north, _south = split_root(db, hr, goal, regions)
    for rep in ("ann", "pat"):
        hr.post(
            f"/goals/nodes/{north.id}/parts",
            data={
                "part-department_id": 0,
                "part-lead_id": 0,
                "part-employee_id": company.people[rep].id,
            },
        )
    pat = node(db, goal.id, employee_id=company.people["pat"].id)
    ann = login(app, "ann@acme.example")
    for path in (
        f"/goals/nodes/{north.id}",
        f"/goals/nodes/{node(db, goal.id, parent_id=None).id}",
    ):
        response = ann.get(path)
        assert response.status_code in (200, 403, 404)
        assert "P001" not in response.text and f"target|{pat.id}" not in response.text
        assert "South" not in response.text
    assert ann.get(f"/goals/nodes/{pat.id}").status_code == 404
