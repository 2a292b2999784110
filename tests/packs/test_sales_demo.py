"""Issue 13.13: the README's sales sign-ins (manager@, employee@, peer@, peer2@) have a demo
cycle of their own: the manufacturing pack's sales-representative template with written
feedback, a scheme for 销售代表, targets and figures, and work waiting for each of them."""

from __future__ import annotations

from sqlalchemy import select

from appraisal.demo import DEMO_PASSWORD, load_demo
from appraisal.models import Appraisal, Cycle, Employee, User
from appraisal.packs import read_pack
from appraisal.rules import compile_template
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import figures
from appraisal.runtime.cycles.tasks import my_tasks
from appraisal.runtime.render import role_fields
from appraisal.runtime.reviews import access, invitations, reviews
from appraisal.runtime.reviews.access import final_result
from tests.conftest import field_errors

SALES_CYCLE = "销售代表月度考核%"


def _viewer(db, org_id: int, local: str, roles: frozenset[str] = frozenset()):
    user_id = db.scalar(select(User.id).where(User.email == f"{local}@demo.example"))
    return access.viewer_for(db, org_id, user_id, roles)


def _sales_cycle(db) -> Cycle:
    return db.scalar(select(Cycle).where(Cycle.name.like(SALES_CYCLE)))


def _by_number(db, cycle: Cycle) -> dict[str, Appraisal]:
    found = db.scalars(select(Appraisal).where(Appraisal.cycle_id == cycle.id)).all()
    return {a.employee.number: a for a in found}


def _tasks(db, viewer, cycle: Cycle) -> set[tuple[str, str]]:
    return {
        (t.kind, t.appraisal.employee.name)
        for t in my_tasks(db, viewer)
        if t.appraisal.cycle == cycle
    }


def test_the_sales_template_asks_for_words_from_the_manager_and_peers():
    template = next(
        t for t in read_pack("manufacturing").templates if t["key"] == "mfg-sales-representative"
    )
    assert template["rater_weights"] == {"self": 10, "manager": 70, "peer": 20}
    words = {
        item["key"]: item
        for section in template["sections"]
        for item in section["items"]
        if item["type"] == "text"
    }
    assert set(words) == {"strengths", "improvements", "overall_comment"}
    for item in words.values():
        assert item["scoring"] == {"method": "none"} and item["weight"] == 0
    assert [f.key for f in role_fields(compile_template(template), "peer") if f.kind == "text"] == [
        "strengths",
        "improvements",
    ]
    assert words["overall_comment"]["raters"] == ["manager"]
    assert words["overall_comment"]["required"] is True
    assert not words["strengths"]["required"] and not words["improvements"]["required"]


def test_the_demo_gives_the_sales_sign_ins_work(db):
    org = load_demo(db).organization
    db.commit()
    cycle = _sales_cycle(db)
    assert cycle is not None and cycle.state == "running"
    assert cycle.anonymity_threshold == 3
    people = _by_number(db, cycle)
    assert set(people) == {"E005", "E006", "E007", "E008"}
    assert all(a.targets.get("sales_amount") for a in people.values())

    assert _tasks(db, _viewer(db, org.id, "employee"), cycle) == {("confirm_goals", "陈晨")}
    assert _tasks(db, _viewer(db, org.id, "manager"), cycle) == {
        ("manager_review", "杨帆"),
        ("manager_review", "赵敏"),
        ("proxy_goals", "黄磊"),  # no sign-in: the manager (or HR) confirms for him
    }
    for peer in ("peer", "peer2"):
        assert ("peer_review", "陈晨") in _tasks(db, _viewer(db, org.id, peer), cycle)
    # E005's new customers wait for the CRM export: HR has a figure to enter
    assert "new_customers" not in figures.stored_figures(people["E005"])


def test_the_sales_demo_cycle_runs_to_publication_with_written_feedback(db):
    """Every step through the services the pages use: goals, self-reviews (HR for 黄磊),
    three peers with comments, the manager's comments, figures, calibration, publication."""
    org = load_demo(db).organization
    db.commit()
    cycle = _sales_cycle(db)
    people = _by_number(db, cycle)
    hr = _viewer(db, org.id, "admin", frozenset({"admin"}))
    employee = _viewer(db, org.id, "employee")
    manager = _viewer(db, org.id, "manager")
    ratings = {"customer_focus": "4", "teamwork": "4", "market_sharing": "3"}

    chen, huang = people["E005"], people["E008"]
    reviews.take_action(db, chen, employee, "confirm_goals", None)
    reviews.take_action(db, huang, hr, "confirm_goals", None)
    for appraisal, who in ((chen, employee), (huang, hr)):
        raw = {f"self.{k}": v for k, v in ratings.items()}
        reviews.save_review(db, appraisal, who, "self", raw, version=None, submit=True)

    supervisor = _viewer(db, org.id, "supervisor")
    invitations.invite(db, chen, manager, "peer", supervisor.user_id)
    for number, local in enumerate(("peer", "peer2", "supervisor")):
        raw = {f"peer.{k}": "5" for k in ratings} | {
            "peer.strengths": f"Peer strength {number}",
            "peer.improvements": f"Peer improvement {number}",
        }
        peer = _viewer(db, org.id, local)
        reviews.save_review(db, chen, peer, "peer", raw, version=None, submit=True)

    for appraisal in people.values():
        raw = {f"manager.{k}": v for k, v in ratings.items()} | {
            "manager.overall_comment": f"Overall for {appraisal.employee.number}",
            "manager.strengths": "Keeps promises to customers.",
        }
        reviews.save_review(db, appraisal, manager, "manager", raw, version=None, submit=True)
    figures.set_figures(db, cycle, [figures.Entry("E005", "new_customers", 2)], hr.user_id)
    assert {a.state for a in people.values()} == {"calibration"}
    assert all(a.complete for a in people.values())

    calibration.start_calibration(db, cycle, hr.user_id)
    calibration.lock(db, cycle, hr.user_id)
    assert calibration.publish(db, cycle, hr.user_id) == 4
    db.commit()
    assert cycle.state == "published"

    result = final_result(chen)
    assert result.complete and result.grade
    peers = next(r for r in chen.reviews if r.rater == "peer" and r.reviewer_id == peer.user_id)
    assert peers.values["strengths"] == "Peer strength 2"
    manager_review = access.find_review(chen, "manager")
    assert manager_review.values["overall_comment"] == "Overall for E005"
    huang_self = access.find_review(huang, "self")
    assert huang_self.reviewer_id == hr.user_id  # entered by HR on 黄磊's behalf
    assert db.get(Employee, huang.employee_id).user_id is None


def test_the_managers_overall_comment_is_required_before_submitting(client, auth, db):
    """A text item marked `"required": true` is asked for like a scored one: the manager's
    submission without the overall comment is refused next to the field, what was typed kept,
    nothing submitted. A draft may leave it blank."""
    load_demo(db)
    db.commit()
    yang = _by_number(db, _sales_cycle(db))["E006"]
    assert yang.state == "manager_review"
    auth.logout()
    assert auth.login("manager@demo.example", DEMO_PASSWORD).status_code == 302
    typed = {
        "manager.customer_focus": "4",
        "manager.teamwork": "4",
        "manager.market_sharing": "3",
        "manager.strengths": "Opened the Ningbo distributor.",
    }
    url = f"/appraisals/{yang.id}/review/manager"
    response = client.post(url, data=typed | {"action": "submit"})
    assert response.status_code == 422
    assert "Required before submitting" in field_errors(response.text)
    assert "Opened the Ningbo distributor." in response.text
    db.expire_all()
    assert access.find_review(yang, "manager") is None and yang.state == "manager_review"

    assert client.post(url, data=typed | {"action": "draft"}).status_code == 302
    done = typed | {"manager.overall_comment": "Good month.", "action": "submit"}
    assert client.post(url, data=done).status_code == 302
    db.expire_all()
    assert yang.state == "calibration"
