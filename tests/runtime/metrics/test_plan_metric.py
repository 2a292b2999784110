"""A template item bound to "tasks completed on time %" (the plans source) moves when a
task of an agreed plan is completed by its due date, through the plan page's own service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from appraisal.models import PlanItem, WorkPlan
from appraisal.runtime.continuous import plans
from appraisal.runtime.cycles.figures import stored_figures
from appraisal.runtime.metrics import values

from ..conftest import appraisal_of


@pytest.fixture
def agreed(db, company, launched):
    """Ann's agreed quarter plan (2026-Q4): two tasks due on 12-20 and 12-30."""
    plan = WorkPlan(
        organization_id=company.org.id,
        employee_id=company.people["ann"].id,
        period="quarter",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
        state="agreed",
        proposed_by="employee",
    )
    plan.items = [
        PlanItem(organization_id=company.org.id, title=t, due_on=d, weight=50)
        for t, d in (("a", date(2026, 12, 20)), ("b", date(2026, 12, 30)))
    ]
    db.add(plan)
    db.commit()
    return plan


def test_binding_on_time_share_moves_the_figure_when_a_task_completes_on_time(
    db, company, launched, add_metric, agreed
):
    add_metric("on_time", source={"plans": "on_time"}, aggregation="share")
    values.bind_metrics(db, launched.scheme, {"sales": "on_time"}, None)
    db.commit()
    ann = appraisal_of(db, company, "ann")
    assert stored_figures(ann).get("sales") == 0  # two tasks due, none done yet
    viewer = company.viewer(db, "ann@acme.example")
    first, second = agreed.items
    plans.add_update(db, viewer, agreed, first.id, "done", 100, "", date(2026, 12, 19))
    db.commit()
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == 50
    plans.add_update(db, viewer, agreed, second.id, "late", 100, "", date(2026, 12, 31))
    db.commit()
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == 50  # the second was late: still one of two
    # Pat has no task due: blank, not 0
    pat = appraisal_of(db, company, "pat")
    assert stored_figures(pat).get("sales") is None
    assert plans.on_time_share(
        db, company.org.id, company.people["ann"].id, date(2026, 10, 1), date(2026, 12, 31)
    ) == Decimal("50.00")
