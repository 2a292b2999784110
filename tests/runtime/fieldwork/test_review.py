"""Reviewing field records: the manager (or HR) approves or returns with a comment, the
employee corrects a returned record and it waits again; nobody reviews their own record,
another team's record is a 404, a moved record is a 409, and a closed period is read-only."""

from __future__ import annotations

import uuid as uuids

import pytest
from sqlalchemy import select

from appraisal.models import AuditEvent, RecordStatus
from appraisal.runtime.fieldwork import review
from appraisal.runtime.fieldwork.records import RecordRefused, record_activity
from appraisal.runtime.reviews.access import viewer_for
from tests.conftest import alerts, field_errors

from .closed import close_a_cycle_over


def _visit(db, field, number="F1", **values):
    recorded = record_activity(
        db,
        field["viewer"](number),
        field["people"][number],
        uuid=str(uuids.uuid4()),
        type_key="customer_visit",
        values={"customer": field["shop"].id, "purpose": "demo", **values},
    )
    db.commit()
    return recorded.record


def _post(client, record, **data):
    return client.post(
        f"/field/records/{record.uuid}/review",
        data={"version": record.version, **data},
    )


def test_the_manager_approves_and_the_history_says_so(client, auth, db, field):
    record = _visit(db, field)
    assert record.status == RecordStatus.PENDING
    auth.login("max@acme.example")
    page = client.get(f"/field/records/{record.uuid}")
    assert page.status_code == 200 and 'id="review-form"' in page.text
    response = _post(client, record, action="approve")
    assert response.status_code == 302
    db.refresh(record)
    assert record.status == RecordStatus.APPROVED
    assert record.reviewed_by_id == field["people"]["M1"].user_id
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == record.id))
    assert "activity.approved" in set(actions)


def test_returning_needs_a_comment_kept_next_to_the_field(client, auth, db, field):
    record = _visit(db, field)
    auth.login("max@acme.example")
    refused = _post(client, record, action="return", comment="  ")
    assert refused.status_code == 422
    assert field_errors(refused.text)
    db.refresh(record)
    assert record.status == RecordStatus.PENDING
    done = _post(client, record, action="return", comment="Which shelf? Add a photo.")
    assert done.status_code == 302
    db.refresh(record)
    assert record.status == RecordStatus.RETURNED
    assert record.review_comment == "Which shelf? Add a photo."


def test_a_review_from_a_stale_page_is_a_conflict(client, auth, db, field):
    record = _visit(db, field)
    stale = record.version
    review.review_record(db, field["viewer"]("M1", roles=("manager",)), record, "approve")
    db.commit()
    auth.login("hr@acme.example")
    response = client.post(
        f"/field/records/{record.uuid}/review", data={"version": stale, "action": "approve"}
    )
    assert response.status_code == 409
    assert alerts(response.text, "warning")


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("fay@acme.example", 403),  # her own record: nobody reviews their own
        ("ed@acme.example", 404),  # a colleague does not even see it
        ("olga@acme.example", 404),  # another team's manager
        ("hr@acme.example", 302),  # HR reviews anyone's
    ],
)
def test_who_may_review(client, auth, db, field, email, status):
    record = _visit(db, field)
    auth.login(email)
    assert _post(client, record, action="approve").status_code == status
    db.refresh(record)
    assert (record.status == RecordStatus.APPROVED) is (status == 302)


def test_another_organizations_record_is_a_404(client, auth, db, field, make):
    record = _visit(db, field)
    other = make.org("other")
    make.member(other, "boss@other.example", roles=("admin",))
    auth.login("boss@other.example")
    assert client.get(f"/field/records/{record.uuid}").status_code == 404
    assert _post(client, record, action="approve").status_code == 404


def test_a_returned_record_is_corrected_by_its_employee_and_waits_again(client, auth, db, field):
    record = _visit(db, field)
    manager = field["viewer"]("M1", roles=("manager",))
    review.review_record(db, manager, record, "return", "Say how much was collected")
    db.commit()
    auth.login("fay@acme.example")
    page = client.get(f"/field/records/{record.uuid}/edit")
    assert page.status_code == 200 and 'data-field="amount"' in page.text
    # the same rules as recording: collecting needs the amount
    refused = client.post(
        f"/field/records/{record.uuid}/edit",
        data={"version": record.version, "purpose": "collect", "amount": ""},
    )
    assert refused.status_code == 422
    assert 'data-error-for="amount"' in refused.text
    assert 'value="collect" selected' in refused.text  # what was typed is kept
    db.refresh(record)
    assert record.status == RecordStatus.RETURNED and record.values["purpose"] == "demo"
    done = client.post(
        f"/field/records/{record.uuid}/edit",
        data={"version": record.version, "purpose": "collect", "amount": "1200.50"},
    )
    assert done.status_code == 302
    db.refresh(record)
    assert record.status == RecordStatus.PENDING
    assert record.values == {
        "customer": field["shop"].id,
        "purpose": "collect",
        "amount": "1200.50",
    }
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == record.id)))
    assert {"activity.returned", "activity.edited"} <= actions


def test_only_the_employee_corrects_and_only_a_returned_record(client, auth, db, field):
    record = _visit(db, field)
    auth.login("max@acme.example")
    assert client.get(f"/field/records/{record.uuid}/edit").status_code == 403
    with pytest.raises(review.ReviewRefused):
        review.edit_record(db, field["viewer"]("F1"), record, {"purpose": "demo"})


def test_a_closed_periods_records_are_read_only(client, auth, db, field, make):
    record = _visit(db, field)
    close_a_cycle_over(db, field, record.occurred_on, ["F1"])
    auth.login("max@acme.example")
    page = client.get(f"/field/records/{record.uuid}")
    assert 'id="record-locked"' in page.text and 'id="review-form"' not in page.text
    refused = _post(client, record, action="approve")
    assert refused.status_code == 422
    assert "read-only" in refused.text or "只读" in refused.text
    db.refresh(record)
    assert record.status == RecordStatus.PENDING
    with pytest.raises(RecordRefused) as again:
        _visit(db, field)  # recording on that day is refused the same way
    assert set(again.value.errors) == {"occurred_at"}


def test_a_closed_cycle_without_the_employee_locks_nothing(db, field):
    record = _visit(db, field, "F1")
    close_a_cycle_over(db, field, record.occurred_on, ["E1"])  # Fay is not appraised in it
    manager = viewer_for(db, field["org"].id, field["people"]["M1"].user_id, frozenset())
    review.review_record(db, manager, record, "approve")
    assert record.status == RecordStatus.APPROVED
    assert not review.is_locked(db, record)
