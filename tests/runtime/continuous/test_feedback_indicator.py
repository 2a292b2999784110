"""A feedback note about an indicator says which one, named in the reader's language, on
the feedback page and in the manager's evidence timeline."""

from __future__ import annotations

import re

from appraisal.models import FeedbackNote, Indicator
from tests.runtime.conftest import appraisal_of

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _part(page: str, start: str, end: str) -> str:
    part = page[page.index(start) :]
    return re.sub(r"<[^>]+>", " ", part[: part.index(end)])


def test_a_notes_indicator_is_named_on_both_pages(client, auth, db, company, launched):
    indicator = Indicator(
        organization_id=company.org.id,
        key="store_visits",
        name_zh="门店拜访",
        name_en="Store visits",
    )
    db.add(indicator)
    db.commit()
    auth.login("pat@acme.example")
    response = client.post(
        "/feedback",
        data={
            "recipient_id": company.people["ann"].id,
            "kind": "praise",
            "text": "Great store walk",
            "indicator_id": indicator.id,
        },
    )
    assert response.status_code == 302
    assert db.query(FeedbackNote).one().indicator_id == indicator.id
    auth.logout()

    auth.login("ann@acme.example")
    notes = _part(client.get("/feedback", headers=EN).text, 'id="feedback-list"', "</ul>")
    assert "Great store walk" in notes and "Store visits" in notes and "门店拜访" not in notes
    notes = _part(client.get("/feedback", headers=ZH).text, 'id="feedback-list"', "</ul>")
    assert "门店拜访" in notes and "Store visits" not in notes
    auth.logout()

    appraisal = appraisal_of(db, company, "ann")
    appraisal.state = "manager_review"
    db.commit()
    auth.login("boss@acme.example")
    url = f"/appraisals/{appraisal.id}/review/manager"
    section = _part(client.get(url, headers=EN).text, 'id="evidence-timeline"', "</section>")
    assert "Great store walk" in section and "Store visits" in section
    assert "门店拜访" not in section
    section = _part(client.get(url, headers=ZH).text, 'id="evidence-timeline"', "</section>")
    assert "门店拜访" in section and "Store visits" not in section


def test_a_note_without_an_indicator_names_none(client, auth, db, company):
    auth.login("pat@acme.example")
    client.post(
        "/feedback",
        data={"recipient_id": company.people["ann"].id, "kind": "praise", "text": "Thanks"},
    )
    auth.logout()
    auth.login("ann@acme.example")
    page = client.get("/feedback").text
    notes = page[page.index('id="feedback-list"') :]
    assert "Thanks" in notes and "data-indicator" not in notes[: notes.index("</ul>")]
