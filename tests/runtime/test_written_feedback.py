"""Written feedback (issue 13 item 8): text items for strengths, areas to improve and
comments, written by the manager, the employee, HR and peers; shown on the result page, in
the API and in the cycle's feedback export. Peers' comments reach anyone only where at least
the cycle's anonymity threshold of peers wrote one, and never with names or in an order that
follows who wrote which.
"""

from __future__ import annotations

import copy
import csv
import io
import re

import pytest
from sqlalchemy import select

from appraisal.models import Review, TemplateVersion
from appraisal.rules import compile_template
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import figures
from appraisal.runtime.reviews import invitations, reviews
from appraisal.runtime.reviews.feedback import comments_from, official_feedback
from tests.runtime.conftest import appraisal_of, publish, runtime_definition
from tests.runtime.test_anonymity import as_user, legacy_token, seen_by_ann, token, viewer

FEEDBACK_ITEMS = [
    {
        "key": "strengths",
        "name": {"en": "Strengths", "zh": "优点"},
        "type": "text",
        "raters": ["manager", "peer"],
        "weight": 0,
        "scoring": {"method": "none"},
    },
    {
        "key": "improvements",
        "name": {"en": "Areas to improve", "zh": "待改进"},
        "type": "text",
        "raters": ["self", "manager", "peer"],
        "weight": 0,
        "scoring": {"method": "none"},
    },
    {
        "key": "overall",
        "name": {"en": "Overall comment", "zh": "总体评语"},
        "type": "text",
        "raters": ["manager"],
        "weight": 0,
        "scoring": {"method": "none"},
        "required": True,
    },
]
PEER_TEXTS = {
    "pat": "Pat-style praise: always helps the new reps",
    "quinn": "Quinn-style praise: shares leads",
    "olga": "Another view: calm with angry customers",
}
SELF = {"self.customer_care": "4", "self.leads_team": "false", "self.improvements": "Follow-ups"}
MANAGER = {
    "manager.customer_care": "5",
    "manager.teamwork": "4",
    "manager.strengths": "Closes deals\nand keeps them",
    "manager.improvements": "Forecasts",
    "manager.overall": "A strong quarter",
}


@pytest.fixture
def company(company, db):
    """The runtime company with the template's behaviour section carrying feedback items."""
    definition = runtime_definition()
    definition["key"] = "field-sales-feedback"
    definition["sections"][1]["items"].extend(copy.deepcopy(FEEDBACK_ITEMS))
    company.version = publish(db, company.org.id, definition)
    return company


def rated(db, company, cycle, peers, *, publish=True):
    """Ann's appraisal through the real services with a strengths comment from each of
    `peers` (all of whom rate teamwork), then her self-review and her manager's."""
    ann = appraisal_of(db, company, "ann")
    hr, bo = viewer(db, company, "hr"), viewer(db, company, "bo")
    ann.targets = {"sales": 100000}
    ann.state = "self_review"
    db.commit()
    entries = [figures.Entry("A001", k, v) for k, v in {"sales": 112000, "collection": 96}.items()]
    figures.set_figures(db, cycle, [*entries, figures.Entry("A001", "complaints", 1)], None)
    reviews.save_review(
        db, ann, hr, "hr", {"hr.award": "2", "hr.fraud_cases": "0"}, version=None, submit=False
    )
    for key in peers:
        invitations.invite(db, ann, bo, "peer", company.people[key].user_id)
    for key in peers:
        values = {"peer.teamwork": "4", "peer.strengths": PEER_TEXTS[key]}
        reviews.save_review(
            db, ann, viewer(db, company, key), "peer", values, version=None, submit=True
        )
    reviews.save_review(
        db, ann, viewer(db, company, "ann"), "self", SELF, version=None, submit=True
    )
    reviews.save_review(db, ann, bo, "manager", MANAGER, version=None, submit=True)
    db.commit()
    assert ann.state == "calibration"
    if publish:
        calibration.start_calibration(db, cycle, None)
        calibration.lock(db, cycle, None)
        calibration.publish(db, cycle, None)
        db.commit()
    return ann


def comments_section(page: str) -> str:
    found = re.search(r'<section[^>]*id="comments">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


def test_the_appraisee_reads_each_raters_comments_and_the_peers_without_names(
    client, auth, db, company, launched
):
    ann = rated(db, company, launched, ["pat", "quinn", "olga"])
    as_user(auth, "ann@acme.example")
    section = comments_section(client.get(f"/appraisals/{ann.id}/result").text)
    assert "Written feedback" in section
    assert "Closes deals\nand keeps them" in section and "A strong quarter" in section
    assert "Follow-ups" in section  # her own
    for text in PEER_TEXTS.values():
        assert text in section
    assert "Peer, 3 without names" in section
    # never a name, nor an order that follows the invitations (Pat, Quinn, Olga)
    for name in ("Pat", "Quinn", "Olga", "pat@", "quinn@", "olga@"):
        assert name not in section.replace("Pat-style", "").replace("Quinn-style", "")
    positions = sorted(PEER_TEXTS.values(), key=section.index)
    assert positions == sorted(PEER_TEXTS.values())


def test_below_the_threshold_peer_comments_reach_nobody_and_cannot_be_differenced(
    client, auth, db, company, launched
):
    ann = rated(db, company, launched, ["pat", "quinn"])
    headers = legacy_token(db, company, "ann@acme.example")
    before = seen_by_ann(client, auth, headers, ann)
    assert "A strong quarter" in before[f"/appraisals/{ann.id}/result"]
    for text in PEER_TEXTS.values():
        assert text not in str(before)
    review = next(r for r in ann.reviews if r.rater == "peer" and r.submitted)
    review.values = {**review.values, "strengths": "Something else entirely"}
    db.commit()
    assert seen_by_ann(client, auth, headers, ann) == before
    # the same rule for HR, the manager, the API and the export
    assert [c.source for c in official_feedback(ann)] == ["manager", "manager", "self", "manager"]
    for email in ("hr@acme.example", "boss@acme.example"):
        as_user(auth, email)
        assert PEER_TEXTS["pat"] not in client.get(f"/appraisals/{ann.id}/result").text


def test_hr_exports_the_cycles_feedback_in_the_users_language_without_peer_names(
    client, auth, db, company, launched
):
    ann = rated(db, company, launched, ["pat", "quinn", "olga"])
    as_user(auth, "hr@acme.example")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    assert 'id="feedback-xlsx"' in client.get(f"/cycles/{launched.id}").text
    response = client.get(f"/cycles/{launched.id}/feedback.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["工号", "姓名", "部门", "项目", "来自", "评语"]
    ann_rows = [r for r in rows[1:] if r[0] == "A001"]
    assert ["A001", "Ann", "", "优点", "经理", "Closes deals\nand keeps them"] in ann_rows
    peer_rows = [r for r in ann_rows if r[4] == "同事"]
    assert sorted(r[5] for r in peer_rows) == sorted(PEER_TEXTS.values())
    assert all(r[3] == "优点" for r in peer_rows)
    assert "Quinn" not in response.data.decode("utf-8-sig").replace("Quinn-style", "")
    xlsx = client.get(f"/cycles/{launched.id}/feedback.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    for email in ("ann@acme.example", "boss@acme.example", "pat@acme.example"):
        as_user(auth, email)
        assert client.get(f"/cycles/{launched.id}/feedback.csv").status_code == 403, email
    assert ann  # published


def test_the_api_result_carries_the_comments(client, runner, db, company, launched):
    ann = rated(db, company, launched, ["pat", "quinn", "olga"])
    headers = token(runner, "hr@acme.example")
    body = client.get(f"/api/v1/appraisals/{ann.id}/result", headers=headers).get_json()
    by_source = {(c["item"], c["from"]): c["texts"] for c in body["comments"]}
    assert by_source[("overall", "manager")] == ["A strong quarter"]
    assert by_source[("strengths", "peer")] == sorted(PEER_TEXTS.values())
    assert by_source[("improvements", "self")] == ["Follow-ups"]
    assert ("strengths", "self") not in by_source


def test_a_required_comment_blocks_submission_next_to_its_field(
    client, auth, db, company, launched
):
    ann = appraisal_of(db, company, "ann")
    ann.state = "manager_review"
    db.commit()
    as_user(auth, "boss@acme.example")
    form = client.get(f"/appraisals/{ann.id}/review/manager").text
    version = re.search(r'name="version"[^>]*value="([^"]*)"', form)
    data = {k: v for k, v in MANAGER.items() if k != "manager.overall"}
    data |= {"action": "submit", "version": version.group(1) if version else ""}
    response = client.post(f"/appraisals/{ann.id}/review/manager", data=data)
    assert response.status_code == 422
    page = response.text
    assert re.search(r'name="manager.overall".*?Required before submitting', page, re.S)
    assert "Closes deals" in page  # what was typed is kept
    db.expire_all()
    assert appraisal_of(db, company, "ann").state == "manager_review"
    assert db.scalar(select(Review).where(Review.slot == "manager")) is None


def test_a_comment_longer_than_the_limit_is_refused_and_nothing_is_saved(
    client, auth, db, company, launched
):
    ann = appraisal_of(db, company, "ann")
    ann.state = "self_review"
    db.commit()
    as_user(auth, "ann@acme.example")
    data = SELF | {"self.improvements": "x" * 4001, "version": ""}
    response = client.post(f"/appraisals/{ann.id}/review/self", data=data)
    assert response.status_code == 422
    assert "At most 4000 characters" in response.text
    db.expire_all()
    assert db.scalar(select(Review).where(Review.slot == "self")) is None


def test_peer_comments_are_sorted_so_order_tells_nothing():
    definition = runtime_definition()
    definition["sections"][1]["items"].extend(copy.deepcopy(FEEDBACK_ITEMS))
    definition = compile_template(definition)
    inputs = {"peers": [{"strengths": "zeta"}, {"strengths": " alpha "}, {"strengths": "mid"}]}
    (comment,) = comments_from(definition, inputs)
    assert (comment.source, comment.texts) == ("peer", ("alpha", "mid", "zeta"))
    assert comments_from(definition, {"peers": [{"strengths": "n/a"}], "self": {}}) == []


def test_the_designer_adds_written_feedback_in_both_languages(client, auth, db, company):
    as_user(auth, "imp@acme.example")
    template_id = company.version.template_id
    page = client.get(f"/builder/templates/{template_id}").text
    assert "Add written feedback" in page
    url = f"/builder/templates/{template_id}/sections/behaviour/feedback"
    refused = client.post(url, data={"feedback-behaviour-prompt": "strengths"})
    assert refused.status_code == 422 and "Choose who writes it." in refused.text
    response = client.post(
        url,
        data={
            "feedback-behaviour-prompt": "strengths",
            "feedback-behaviour-raters": ["manager", "peer"],
            "feedback-behaviour-required": "y",
        },
    )
    assert response.status_code == 302 and response.location.endswith("#item-strengths_2")
    db.expire_all()
    from appraisal.models import Template

    template = db.get(Template, template_id)
    item = next(
        i for s in template.definition["sections"] for i in s["items"] if i["key"] == "strengths_2"
    )
    assert item == {
        "key": "strengths_2",
        "name": {"en": "Strengths", "zh": "优点"},
        "type": "text",
        "raters": ["manager", "peer"],
        "weight": 0,
        "scoring": {"method": "none"},
        "required": True,
    }
    # the item editor shows it required and keeps it so when saved unchanged
    editor = client.get(f"/builder/templates/{template_id}/items/strengths_2").text
    assert re.search(r'<input checked[^>]*id="required"', editor)
    assert db.scalar(select(TemplateVersion).where(TemplateVersion.id == company.version.id))


@pytest.mark.parametrize("required", [False, True])
def test_the_item_editor_keeps_a_comments_required_choice(required):
    from appraisal.builder import draft

    item = copy.deepcopy(FEEDBACK_ITEMS[0]) | ({"required": True} if required else {})
    fields = draft.fields_from_item(item)
    assert fields["required"] is required
    again = draft.item_from_fields(fields, fields_scoring := {"method": "none"})
    assert again == item and fields_scoring == item["scoring"]


def test_a_peer_is_told_how_their_comment_will_be_read(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.state = "self_review"
    db.commit()
    invitations.invite(db, ann, viewer(db, company, "bo"), "peer", company.people["pat"].user_id)
    db.commit()
    as_user(auth, "pat@acme.example")
    page = client.get(f"/appraisals/{ann.id}/review/peer").text
    assert 'name="peer.strengths"' in page and 'name="peer.improvements"' in page
    assert "Ann reads this without your name, and only if at least 3 people write one." in page
    assert 'name="peer.overall"' not in page  # the manager's alone
