"""The team's day: the manager sees their team's records of a day grouped by person, with
flags and waiting reviews; HR sees everyone (by department); nobody sees another team's."""

from __future__ import annotations

import uuid as uuids
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from appraisal.models import Organization
from appraisal.runtime.fieldwork import consent
from appraisal.runtime.fieldwork.records import record_activity
from appraisal.runtime.fieldwork.team import team_day

FAR = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 30, "source": "gps"}
MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _visit(db, field, number, at=MORNING, **values):
    record_activity(
        db,
        field["viewer"](number),
        field["people"][number],
        uuid=str(uuids.uuid4()),
        type_key="customer_visit",
        values={"customer": field["shop"].id, "purpose": "demo", **values},
        occurred_at=at,
    )
    db.commit()


def test_the_manager_sees_the_teams_day_with_flags(client, auth, db, field):
    consent.decide(db, field["viewer"]("F1"), field["people"]["F1"], "visit", "granted")
    _visit(db, field, "F1", where=FAR)
    _visit(db, field, "F1", at=MORNING + timedelta(hours=1))
    _visit(db, field, "F1", at=MORNING + timedelta(days=1))  # another day
    auth.login("max@acme.example")
    page = client.get("/field/team?day=2026-03-10")
    assert page.status_code == 200
    assert 'data-employee="F1"' in page.text
    assert page.text.count("data-record=") == 2
    summary = team_day(db, field["viewer"]("M1", roles=("manager",)), MORNING.date())
    assert (summary.summary.people, summary.summary.records, summary.summary.visits) == (1, 2, 2)
    assert summary.summary.flagged == 2  # one far from the site, one without a location
    assert summary.summary.waiting == 2
    person = summary.people.items[0]
    assert [r.at.hour for r in person.records] == [10, 11]  # the organization's clock
    assert sum(r.reviewable for r in person.records) == 2


def test_another_team_and_the_employee_see_nothing_of_it(client, auth, db, field):
    _visit(db, field, "F1")
    for email in ("olga@acme.example", "fay@acme.example"):
        auth.login(email)
        page = client.get("/field/team?day=2026-03-10")
        assert page.status_code == 200 and 'data-employee="F1"' not in page.text, email
        auth.logout()


def test_hr_sees_everyone_and_filters_by_department(client, auth, db, field, make):
    from appraisal.models import Department

    _visit(db, field, "F1")
    other = Department(organization_id=field["org"].id, name="华北区")
    db.add(other)
    db.commit()
    auth.login("hr@acme.example")
    everyone = client.get("/field/team?day=2026-03-10")
    assert 'data-employee="F1"' in everyone.text and "华北区" in everyone.text
    east = client.get(
        f"/field/team?day=2026-03-10&department={field['people']['F1'].department_id}"
    )
    assert 'data-employee="F1"' in east.text
    north = client.get(f"/field/team?day=2026-03-10&department={other.id}")
    assert 'data-employee="F1"' not in north.text


def test_the_page_costs_the_same_queries_for_many_records(app, db, field):
    def count_queries(records: int) -> int:
        for i in range(records):
            _visit(db, field, "F1", at=MORNING + timedelta(minutes=i))
        viewer = field["viewer"]("M1", roles=("manager",))
        db.get(Organization, field["org"].id)
        seen = []
        engine = db.get_bind()
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            day = team_day(db, viewer, MORNING.date())
            assert day.summary.records >= records
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        db.expire_all()
        return seen

    few, many = count_queries(2), count_queries(20)
    assert len(few) == len(many), many


def test_inline_approval_comes_back_to_the_team_page(client, auth, db, field):
    _visit(db, field, "F1")
    auth.login("max@acme.example")
    page = client.get("/field/team?day=2026-03-10")
    assert 'value="approve"' in page.text
    from sqlalchemy import select

    from appraisal.models import ActivityRecord

    record = db.scalar(select(ActivityRecord))
    back = "/field/team?day=2026-03-10"
    response = client.post(
        f"/field/records/{record.uuid}/review",
        data={"version": record.version, "action": "approve", "back": back},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(back)
