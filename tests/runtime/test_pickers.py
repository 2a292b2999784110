"""People pickers in an organization of thousands (issue 20): each lists the first
PICKER_LIMIT people matching its search (`?q=`), says when more match, finds the others by
number, name or e-mail, and keeps what was chosen when a form is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from appraisal.models import Employee, Review
from appraisal.people.services import PICKER_LIMIT
from tests.runtime.conftest import appraisal_of


def options(html: str, select_id: str) -> dict[str, str]:
    """value → label of a select's options (the "—" of none left out)."""
    found = re.search(rf'<select[^>]*id="{re.escape(select_id)}".*?</select>', html, re.S)
    assert found, select_id
    pairs = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', found.group(0))
    return {value: label.strip() for value, label in pairs if value not in ("", "__None")}


def at_state(db, appraisal, state):
    appraisal.state = state
    db.commit()
    return appraisal


@pytest.fixture
def crowd(db, make, company):
    """Sixty more colleagues, each an employee with a sign-in."""
    for n in range(PICKER_LIMIT + 10):
        member = make.member(company.org, f"crowd{n:03d}@acme.example", roles=("employee",))
        db.add(
            Employee(
                organization_id=company.org.id,
                number=f"X{n:03d}",
                name=f"Crowd {n:03d}",
                user_id=member.user_id,
            )
        )
    db.commit()


PAGES = {
    # page, its select, a search that finds one crowd member, that member's label
    "invitations": ("/appraisals/{ann}", "user_id", "crowd042@", "crowd042@acme.example"),
    "employee's manager": ("/people/employees/{ann_employee}", "manager_id", "X042", "X042"),
    "employee's sign-in": ("/people/employees/{ann_employee}", "user_id", "crowd042@", "crowd042@"),
    "feedback recipient": ("/feedback", "recipient_id", "X042", "X042"),
    "feedback request": ("/feedback", "asked_id", "crowd042@", "crowd042@"),
    "customer's reps": ("/customers/new", "rep_ids", "Crowd 042", "X042"),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_picker_lists_a_page_and_its_search_finds_the_rest(
    client, auth, db, company, launched, crowd, name
):
    url, select_id, search, label = PAGES[name]
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    url = url.format(ann=ann.id, ann_employee=company.people["ann"].id)
    auth.login("hr@acme.example" if "feedback" not in name else "boss@acme.example")
    page = client.get(url)
    assert page.status_code == 200
    listed = options(page.text, select_id)
    assert len(listed) <= PICKER_LIMIT + 1  # the first ones (and the chosen one)
    assert "data-picker-capped" in page.text
    found = client.get(f"{url}?q={search}").text
    crowd_labels = [x for x in options(found, select_id).values() if "rowd" in x]
    assert len(crowd_labels) == 1 and label in crowd_labels[0], crowd_labels


def test_a_refused_invitation_keeps_the_person_chosen_beyond_the_first_page(
    client, auth, db, company, launched, crowd
):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    far = db.scalar(select(Employee).where(Employee.number == "X059"))
    auth.login("hr@acme.example")
    refused = client.post(
        f"/appraisals/{ann.id}/invite", data={"rater": "", "user_id": far.user_id}
    )
    assert refused.status_code == 422
    assert options(refused.text, "user_id").get(str(far.user_id)) == (
        "crowd059 &lt;crowd059@acme.example&gt;"
    )
    assert re.search(
        rf'<option selected value="{far.user_id}"|value="{far.user_id}" selected', refused.text
    )
    done = client.post(
        f"/appraisals/{ann.id}/invite", data={"rater": "peer", "user_id": far.user_id}
    )
    assert done.status_code == 302
    assert db.scalar(select(Review.reviewer_id).where(Review.rater == "peer")) == far.user_id
