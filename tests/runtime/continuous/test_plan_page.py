"""The plan page at each step, for each side: every form it shows has a button to press (an
agreed plan showed the employee an empty box where the propose/agree buttons had been)."""

from __future__ import annotations

import re

from appraisal.models import WorkPlan
from appraisal.runtime.continuous import plans


def _forms_without_a_button(html: str) -> list[str]:
    forms = re.findall(r"<form\b.*?</form>", html, re.S)
    return [f[:120] for f in forms if "<button" not in f]


def _version(db, plan_id: int) -> int:
    db.expire_all()
    return db.get(WorkPlan, plan_id).version


def _pages(client, auth, plan_id: int) -> dict[str, str]:
    seen = {}
    for email in ("ann@acme.example", "boss@acme.example"):
        auth.login(email)
        seen[email] = client.get(f"/plans/{plan_id}").text
        auth.logout()
    return seen


def _move(client, auth, db, email: str, plan_id: int, action: str, **data) -> None:
    auth.login(email)
    response = client.post(
        f"/plans/{plan_id}/move",
        data={"action": action, "version": _version(db, plan_id), **data},
    )
    assert response.status_code == 302, response.text
    auth.logout()


def test_every_form_on_the_plan_page_has_a_button_at_every_step(client, auth, db, company):
    first, last = plans.period_bounds("month", company.org.today())
    auth.login("ann@acme.example")
    response = client.post(
        "/plans",
        data={"employee_id": company.people["ann"].id, "period": "month", "day": first},
    )
    plan_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = client.post(
        f"/plans/{plan_id}/items",
        data={"title": "Visit", "due_on": last, "weight": "100", "version": 1},
    )
    assert response.status_code == 302
    auth.logout()
    steps = {"draft": _pages(client, auth, plan_id)}
    _move(client, auth, db, "ann@acme.example", plan_id, "propose")
    steps["proposed"] = _pages(client, auth, plan_id)
    _move(client, auth, db, "boss@acme.example", plan_id, "agree")
    steps["agreed"] = _pages(client, auth, plan_id)
    empty = {
        (step, who): found
        for step, pages in steps.items()
        for who, html in pages.items()
        if (found := _forms_without_a_button(html))
    }
    assert empty == {}
