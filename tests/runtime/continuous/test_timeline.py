"""The evidence timeline on the manager's review form: plan progress, check-ins, feedback,
field records and computed figures of the cycle's period, newest first; what is private to
others stays out, and no peer answer leaks into it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from appraisal.models import (
    CheckIn,
    FeedbackNote,
    PlanFile,
    PlanItem,
    PlanUpdate,
    Review,
    WorkPlan,
)
from appraisal.runtime import workflow
from appraisal.runtime.continuous import timeline as evidence
from tests.runtime.conftest import appraisal_of


def _evidence(db, company):
    org, ann = company.org.id, company.people["ann"]
    plan = WorkPlan(
        organization_id=org,
        employee_id=ann.id,
        period="month",
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
    )
    item = PlanItem(
        organization_id=org, title="Visit 20 stores", due_on=date(2026, 11, 20), weight=100
    )
    plan.items = [item]
    db.add(plan)
    db.flush()
    plan.state = workflow.next_plan_state("proposed", "agree", {"counterpart"})
    plan.updates = [
        PlanUpdate(
            organization_id=org,
            item_id=item.id,
            note="12 stores visited",
            progress=60,
            files=[
                PlanFile(
                    organization_id=org,
                    storage_key=f"plan-files/{org}/k{n}.pdf",
                    filename=f"visits-{n}.pdf",
                    content_type="application/pdf",
                    size_bytes=10,
                    sha256="0" * 64,
                )
                for n in (1, 2)
            ],
        )
    ]
    db.add_all(
        [
            CheckIn(
                organization_id=org,
                employee_id=ann.id,
                manager_id=company.people["bo"].id,
                held_on=date(2026, 11, 2),
                notes="Pipeline review with Bo",
                blockers="No samples",
            ),
            # with someone else (an earlier manager): private to those two
            CheckIn(
                organization_id=org,
                employee_id=ann.id,
                manager_id=company.people["olga"].id,
                held_on=date(2026, 11, 3),
                notes="Olga's private talk",
            ),
            # outside the cycle's period
            CheckIn(
                organization_id=org,
                employee_id=ann.id,
                manager_id=company.people["bo"].id,
                held_on=date(2026, 6, 1),
                notes="Summer talk",
            ),
            FeedbackNote(
                organization_id=org,
                author_id=company.people["pat"].user_id,
                recipient_id=ann.id,
                kind="praise",
                text="Great demo at Store 5",
            ),
            FeedbackNote(
                organization_id=org,
                author_id=company.people["quinn"].user_id,
                recipient_id=ann.id,
                kind="improvement",
                text="Talks over customers",
                visibility="manager",
            ),
        ]
    )
    db.commit()


def _peer_answer(db, company, appraisal):
    quinn = company.people["quinn"]
    db.add(
        Review(
            organization_id=company.org.id,
            appraisal=appraisal,
            slot=f"peer:{quinn.user_id}",
            rater="peer",
            reviewer_id=quinn.user_id,
            values={"teamwork": 1, "comment": "SECRET PEER WORDS"},
        )
    )


def test_the_managers_review_form_shows_the_evidence(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.state = "manager_review"
    _peer_answer(db, company, ann)
    _evidence(db, company)
    auth.login("boss@acme.example")
    response = client.get(f"/appraisals/{ann.id}/review/manager")
    assert response.status_code == 200
    page = response.text
    section = page[page.index('id="evidence-timeline"') :]
    for shown in (
        "12 stores visited",
        "Pipeline review with Bo",
        "No samples",
        "Great demo at Store 5",
        "Talks over customers",  # private to the manager: Bo is the manager
        "2 files",  # the plan update's evidence, read on its plan's page
    ):
        assert shown in section, shown
    for hidden in ("Olga&#39;s private talk", "Olga's private talk", "Summer talk", "SECRET PEER"):
        assert hidden not in page, hidden
    # newest first: the plan update and notes (today) before the check-in of 2 November
    assert section.index("Great demo") < section.index("Pipeline review with Bo")


def test_the_timeline_keeps_each_sources_reading_rule(db, company, launched):
    ann = appraisal_of(db, company, "ann")
    _evidence(db, company)
    hr = company.viewer(db, "hr@acme.example")
    texts = {e.text for e in evidence.timeline(db, ann, hr, frozenset({"hr"})).entries}
    assert "Great demo at Store 5" in texts and "12 stores visited" in texts
    assert not {"Pipeline review with Bo", "Olga's private talk"} & texts  # HR: no check-ins
    company.org.hr_reads_checkins = True
    db.commit()
    texts = {e.text for e in evidence.timeline(db, ann, hr, frozenset({"hr"})).entries}
    assert {"Pipeline review with Bo", "Olga's private talk"} <= texts


def test_the_timeline_is_capped(db, company, launched, monkeypatch):
    ann = appraisal_of(db, company, "ann")
    _evidence(db, company)
    monkeypatch.setattr(evidence, "CAP", 2)
    bo = company.viewer(db, "boss@acme.example")
    shown = evidence.timeline(db, ann, bo, frozenset({"manager"}))
    assert len(shown.entries) == 2 and shown.more == 2


def test_only_the_manager_form_has_the_timeline(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.state = "self_review"
    _evidence(db, company)
    auth.login("ann@acme.example")
    page = client.get(f"/appraisals/{ann.id}/review/self").text
    assert 'id="evidence-timeline"' not in page and "Talks over customers" not in page


def test_a_note_counts_on_the_day_of_the_organizations_clock(db, company, launched):
    """A note given at 01:30 on 1 January in Shanghai (17:30 UTC on 31 December) is not in a
    cycle that ends on 31 December; one given at 23:00 on 31 December in Shanghai is."""
    from datetime import UTC, datetime

    ann = appraisal_of(db, company, "ann")
    for text, moment in (
        ("New year's note", datetime(2026, 12, 31, 17, 30, tzinfo=UTC)),
        ("Last evening's note", datetime(2026, 12, 31, 15, 0, tzinfo=UTC)),
    ):
        db.add(
            FeedbackNote(
                organization_id=company.org.id,
                author_id=company.people["pat"].user_id,
                recipient_id=ann.employee_id,
                kind="praise",
                text=text,
                created_at=moment,
            )
        )
    db.commit()
    hr = company.viewer(db, "hr@acme.example")
    texts = {e.text for e in evidence.timeline(db, ann, hr, frozenset({"hr"})).entries}
    assert "Last evening's note" in texts and "New year's note" not in texts


def test_a_manager_the_person_has_left_reads_none_of_their_plans(
    client, auth, db, company, launched
):
    """The appraisal keeps Bo, its manager at launch; Ann then moves to Olga. Bo's link to her
    plan is a 404, so her plan's progress is not on Bo's review form either; Olga, who now
    reads her plans, finds it in the timeline."""
    ann = appraisal_of(db, company, "ann")
    ann.state = "manager_review"
    _evidence(db, company)
    company.people["ann"].manager_id = company.people["olga"].id
    db.commit()
    plan_id = db.scalar(select(WorkPlan.id))
    auth.login("boss@acme.example")
    assert client.get(f"/plans/{plan_id}").status_code == 404
    page = client.get(f"/appraisals/{ann.id}/review/manager").text
    section = page[page.index('id="evidence-timeline"') :]
    assert "Pipeline review with Bo" in section  # Bo's own check-in is still his to read
    assert "12 stores visited" not in page and "visits-1.pdf" not in page
    assert 'data-kind="plan"' not in section
    olga = company.viewer(db, "olga@acme.example")
    texts = {e.text for e in evidence.timeline(db, ann, olga, frozenset()).entries}
    assert "12 stores visited" in texts
