"""Issue 13.5: HR sees appeals, overdue steps and results waiting for figures in "My tasks",
and the cycle page lists its appeals, open and answered, with links."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from appraisal.models import Appeal
from appraisal.runtime.cycles import tasks
from tests.runtime.conftest import appraisal_of
from tests.runtime.test_reviews import as_user


def _appeal(db, company, key, status="open"):
    appraisal = appraisal_of(db, company, key)
    appraisal.state = "published"
    appeal = Appeal(
        organization_id=appraisal.organization_id,
        appraisal_id=appraisal.id,
        reason="The figures were wrong",
        status=status,
        reply=None if status == "open" else "Checked",
    )
    db.add(appeal)
    db.commit()
    return appraisal


def test_hr_sees_open_appeals_in_tasks_and_all_appeals_on_the_cycle(
    client, auth, db, company, launched
):
    ann = _appeal(db, company, "ann")
    pat = _appeal(db, company, "pat", "upheld")
    as_user(auth, "hr@acme.example")
    page = client.get("/tasks").text
    assert 'data-task="appeal"' in page and "Answer the appeal of Ann" in page
    assert f"/appraisals/{ann.id}/result" in page and "appeal of Pat" not in page

    cycle_page = client.get(f"/cycles/{launched.id}").text
    assert 'data-appeal="open"' in cycle_page and 'data-appeal="upheld"' in cycle_page
    assert f"/appraisals/{pat.id}/result" in cycle_page

    as_user(auth, "boss@acme.example")
    assert "Answer the appeal" not in client.get("/tasks").text  # HR's queue only


def test_overdue_steps_and_waiting_for_figures_are_counted_per_cycle(db, company, launched):
    hr = company.viewer(db, "hr@acme.example")
    waiting = appraisal_of(db, company, "ann")
    waiting.state, waiting.complete = "calibration", False
    db.commit()
    before = tasks.hr_tasks(db, hr, today=date(2026, 10, 1))
    assert [(t.kind, t.count) for t in before.cycles] == [("waiting_for_figures", 1)]
    after = tasks.hr_tasks(db, hr, today=date(2026, 10, 16))  # goals were due on the 15th
    assert {(t.kind, t.state, t.count) for t in after.cycles} == {
        ("waiting_for_figures", "calibration", 1),
        ("overdue", "goal_setting", 5),
    }
    assert tasks.hr_tasks(db, company.viewer(db, "boss@acme.example")).cycles == []


def test_hr_tasks_take_a_fixed_number_of_queries(db, company, launched):
    for key in ("ann", "pat", "quinn"):
        _appeal(db, company, key)
    hr = company.viewer(db, "hr@acme.example")
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = tasks.hr_tasks(db, hr, today=date(2026, 10, 16))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(found.appeals) == 3
    assert len(statements) <= 6
