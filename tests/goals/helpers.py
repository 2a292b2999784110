"""Building a goal and its parts through the pages, as HR does, for the cascade's tests."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from appraisal.models import Goal, GoalNode
from tests.goals.test_cascade import node, rows


def new_goal(db, hr, key, target, starts_on, ends_on, weight="60", name=None) -> Goal:
    response = hr.post(
        "/goals/new",
        data={
            "key": key,
            "name": name or key.title(),
            "weight": weight,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "target": target,
        },
    )
    assert response.status_code == 302, response.text
    starts = date.fromisoformat(starts_on)  # PostgreSQL compares a date with a date only
    return db.scalar(select(Goal).where(Goal.key == key, Goal.starts_on == starts))


def add_parts(db, client, parent: GoalNode, departments=(), people=()) -> None:
    """Departments (without a lead) and people under `parent`, in that order."""
    for department_id, employee_id in [(d.id, 0) for d in departments] + [
        (0, p.id) for p in people
    ]:
        response = client.post(
            f"/goals/nodes/{parent.id}/parts",
            data={
                "part-department_id": department_id,
                "part-lead_id": 0,
                "part-employee_id": employee_id,
            },
        )
        assert response.status_code == 302, response.text


def save_split(db, client, parent: GoalNode, targets: dict[int, str]) -> None:
    response = client.post(f"/goals/nodes/{parent.id}", data=rows(db, parent, targets))
    assert response.status_code == 302, response.text


def root_of(db, goal: Goal) -> GoalNode:
    return node(db, goal.id, parent_id=None)


def shown(html: str, css_class: str) -> dict[int, str]:
    """What the tree page shows in `css_class` for each node, by node id."""
    found = re.findall(
        rf'id="node-(\d+)"[^>]*>.*?class="[^"]*\b{css_class}\b[^"]*">([^<]*)<', html, re.S
    )
    return {int(node_id): text for node_id, text in found}
