"""An id no database can hold, posted to the pages of plans, check-ins and feedback, is
refused at its field like any unknown id (it was an overflow in the driver: a 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from appraisal.models import CheckIn, FeedbackNote, FeedbackRequest, WorkPlan
from tests.conftest import field_errors

HUGE = "9" * 25


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        (
            "/plans",
            {"employee_id": HUGE, "period": "month", "day": "2026-11-02"},
            "Choose yourself",
        ),
        ("/checkins", {"employee_id": HUGE, "held_on": "2026-11-02", "notes": "x"}, "Choose one"),
        ("/feedback", {"recipient_id": HUGE, "kind": "praise", "text": "Well done"}, "Choose a"),
        ("/feedback/requests", {"asked_id": HUGE, "about_id": "1"}, "Choose a colleague"),
    ],
)
def test_an_id_beyond_the_database_is_refused_at_its_field(
    client, auth, db, company, path, data, message
):
    auth.login("boss@acme.example")
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response.text))
    for model in (WorkPlan, CheckIn, FeedbackNote, FeedbackRequest):
        assert db.scalar(select(func.count()).select_from(model)) == 0


def test_a_request_about_an_id_beyond_the_database_is_refused(client, auth, db, company):
    auth.login("boss@acme.example")
    asked = company.people["quinn"].user_id
    response = client.post("/feedback/requests", data={"asked_id": asked, "about_id": HUGE})
    assert response.status_code == 422
    assert "Choose whom the feedback is about." in field_errors(response.text)
