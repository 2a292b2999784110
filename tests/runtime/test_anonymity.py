"""Peer and subordinate anonymity (design §5, §7) and one official result on every surface.

The rule: a peer or subordinate group counts, for an item or adjustment, only where at least
the cycle's threshold gave it a value; below that it is treated as not given (its weight
spread over the other raters) in the official result, for everyone. The appraisee sees the
groups' averages only on the published result, when nobody can add to them any more.

The proofs are difference tests: change only a rating that must stay hidden and check that
nothing the appraisee can reach (pages, live panel, trend, API, exports) changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal.models import ApiToken, AuditEvent, Review, User
from appraisal.rules.scoring import NA
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import figures
from appraisal.runtime.reviews import access, invitations, reviews
from tests.runtime.conftest import appraisal_of

PEERS = ("pat", "quinn", "olga", "oscar")
FIGURES = {"sales": 112000, "collection": 96, "complaints": 1}
SELF = {"self.customer_care": "4", "self.leads_team": "false"}
# customer care (self 85 × 20 + manager 100 × 80) / 100 = 97; sales 112, collection 100:
# results 107.2. Teamwork is manager 85 with the peers' average at 50 % each.
MANAGER = {"manager.customer_care": "5", "manager.teamwork": "4", "manager.comment": "Good"}


def as_user(auth, email):
    auth.logout()
    assert auth.login(email).status_code == 302


def token(runner, email):
    result = runner.invoke(args=["tokens", "create", "--user", email, "--org", "acme"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def legacy_token(db, company, email):
    """A token as a row: employees get none since tokens are for HR admins and implementers,
    but one issued before that rule may still exist, and must reveal nothing either."""
    secret = "apr_" + secrets.token_urlsafe(32)
    user = db.scalar(select(User).where(User.email == email))
    db.add(
        ApiToken(
            organization_id=company.org.id,
            user_id=user.id,
            name="old",
            prefix=secret[:10],
            token_hash=hashlib.sha256(secret.encode()).hexdigest(),
        )
    )
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def viewer(db, company, key):
    email = "boss@acme.example" if key == "bo" else f"{key}@acme.example"
    return company.viewer(db, email)


def reviewed(db, company, cycle, ratings, *, invited=None, publish=True, override=None):
    """Ann's appraisal through the real services: figures, HR's values, her self-review,
    one peer rating per entry of `ratings` (out of `invited` peers), the manager's review;
    then calibrated (`override`), locked and published unless told otherwise."""
    ann = appraisal_of(db, company, "ann")
    hr, bo = viewer(db, company, "hr"), viewer(db, company, "bo")
    ann.targets = {"sales": 100000}
    ann.state = "self_review"
    db.commit()
    entries = [figures.Entry("A001", k, v) for k, v in FIGURES.items()]
    figures.set_figures(db, cycle, entries, None)
    hr_values = {"hr.award": "2", "hr.fraud_cases": "0"}
    reviews.save_review(db, ann, hr, "hr", hr_values, version=None, submit=False)
    for key in PEERS[: invited or len(ratings)]:
        invitations.invite(db, ann, bo, "peer", company.people[key].user_id)
    for key, rating in zip(PEERS, ratings, strict=False):
        peer_values = {"peer.teamwork": str(rating)}
        peer = viewer(db, company, key)
        reviews.save_review(db, ann, peer, "peer", peer_values, version=None, submit=True)
    employee = viewer(db, company, "ann")
    reviews.save_review(db, ann, employee, "self", SELF, version=None, submit=True)
    reviews.save_review(db, ann, bo, "manager", MANAGER, version=None, submit=True)
    db.commit()
    assert ann.state == "calibration" and ann.complete
    if publish:
        finish(db, cycle, ann, override)
    return ann


def finish(db, cycle, ann, override=None):
    calibration.start_calibration(db, cycle, None)
    if override:
        calibration.override_grade(db, ann, override, "Calibrated in the panel", None)
    calibration.lock(db, cycle, None)
    calibration.publish(db, cycle, None)
    db.commit()


def rerate(db, ann, peer_index, rating):
    """Change one submitted peer rating behind the scenes, as if the peer had said another
    thing, and let the stored result follow."""
    review = [r for r in ann.reviews if r.rater == "peer" and r.submitted][peer_index]
    review.values = {"teamwork": rating}
    reviews.refresh_result(ann)
    db.commit()


def _masked(text: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', text)


def seen_by_ann(client, auth, headers, ann) -> dict[str, str]:
    """Everything the appraisee can open about her appraisal: pages, the live panel, tasks,
    the cycle's lists and exports, and every API read her token may try."""
    as_user(auth, "ann@acme.example")
    cycle_id = ann.cycle_id
    seen = {}
    for url in (
        f"/appraisals/{ann.id}",
        f"/appraisals/{ann.id}/result",
        f"/appraisals/{ann.id}/review/self",
        "/tasks",
        "/team",
        f"/cycles/{cycle_id}",
        f"/cycles/{cycle_id}/calibration",
        f"/cycles/{cycle_id}/results.csv",
        f"/cycles/{cycle_id}/results.xlsx",
    ):
        response = client.get(url)
        seen[url] = f"{response.status_code} {_masked(response.get_data(as_text=True))}"
    live = client.post(f"/appraisals/{ann.id}/review/self/score", data=SELF)
    seen["live"] = f"{live.status_code} {live.get_data(as_text=True)}"
    for url in (
        "/api/v1/cycles",
        f"/api/v1/cycles/{cycle_id}/appraisals",
        f"/api/v1/appraisals/{ann.id}/result",
    ):
        response = client.get(url, headers=headers)
        seen[url] = f"{response.status_code} {response.get_data(as_text=True)}"
    return seen


@pytest.mark.parametrize("peers", [1, 2])
def test_nothing_the_appraisee_sees_depends_on_a_group_below_the_threshold(
    client, auth, runner, db, company, launched, peers
):
    ann = reviewed(db, company, launched, [5] * peers)
    headers = legacy_token(db, company, "ann@acme.example")
    before = seen_by_ann(client, auth, headers, ann)
    assert 'id="result-total">102.79<' in before[f"/appraisals/{ann.id}/result"]
    rerate(db, ann, 0, 1)
    after = seen_by_ann(client, auth, headers, ann)
    for surface, text in before.items():
        assert after[surface] == text, surface
    # and it is the official result for everyone: the stored total, the export, the API
    assert float(ann.total) == access.final_result(ann).total == 102.79
    assert "n/a" not in str(access.official_inputs(ann)["peers"])
    assert access.official_inputs(ann)["peers"] == []


def test_from_the_threshold_the_average_counts_and_is_shown_without_single_ratings(
    client, auth, runner, db, company, launched
):
    ann = reviewed(db, company, launched, [5, 3, 3])
    headers = legacy_token(db, company, "ann@acme.example")
    before = seen_by_ann(client, auth, headers, ann)
    page = before[f"/appraisals/{ann.id}/result"]
    # teamwork (manager 85 + peers (100 + 70 + 70) / 3 = 80) / 2 = 82.5
    assert re.search(r"average of 3 scores → 80 \(weight 50\)", page)
    assert 'id="result-total">' in page and float(ann.total) == access.final_result(ann).total
    rerate(db, ann, 0, 1)  # (30 + 70 + 70) / 3 = 56.67
    after = seen_by_ann(client, auth, headers, ann)
    assert re.search(r"average of 3 scores → 56.67 \(", after[f"/appraisals/{ann.id}/result"])
    assert after[f"/appraisals/{ann.id}/result"] != page
    employee = viewer(db, company, "ann")
    shown = access.shown_result(ann, access.relations(ann, employee))
    peer = shown.explanations["items"]["teamwork"]["raters"]["peer"]
    assert peer["count"] == 3 and peer["score"] == 56.67 and "scores" not in peer
    assert "30" not in peer["how"] + peer["how_zh"]  # nor in the working's text
    assert "(30 + 70 + 70)" not in after[f"/appraisals/{ann.id}/result"]
    hr = viewer(db, company, "hr")
    full = access.shown_result(ann, access.relations(ann, hr))
    assert full.explanations["items"]["teamwork"]["raters"]["peer"]["scores"] == [30, 70, 70]


def test_the_appraisee_cannot_difference_averages_while_reviews_still_come_in(
    client, auth, db, company, launched
):
    """Three of four peers answered: the fourth answer would change an average the
    appraisee watched, revealing that one rating; so averages wait for publication."""
    ann = reviewed(db, company, launched, [5, 3, 3], invited=4, publish=False)
    ann.state = "manager_review"  # the fourth peer may still answer
    db.commit()

    def live_panels():
        as_user(auth, "ann@acme.example")
        page = _masked(client.get(f"/appraisals/{ann.id}/review/self").text)
        live = client.post(f"/appraisals/{ann.id}/review/self/score", data=SELF).get_json()
        return page, live

    before = live_panels()
    oscar = viewer(db, company, "oscar")
    reviews.save_review(db, ann, oscar, "peer", {"peer.teamwork": "1"}, version=None, submit=True)
    db.commit()
    assert live_panels() == before
    assert "average of" not in before[0]

    ann.state = "calibration"
    db.commit()
    finish(db, launched, ann)
    as_user(auth, "ann@acme.example")
    assert "average of 4 scores → 67.5 (" in client.get(f"/appraisals/{ann.id}/result").text


def test_a_group_counts_per_item_only_where_enough_of_them_answered(db, company, launched):
    """Three peers submitted, but only two rated teamwork (one left it blank, one marked
    n/a elsewhere): a two-person average is a below-threshold group too."""
    ann = appraisal_of(db, company, "ann")
    for i, values in enumerate(({"teamwork": 5}, {"teamwork": 3}, {"teamwork": NA})):
        ann.reviews.append(
            Review(
                organization_id=ann.organization_id,
                slot=f"peer:{900 + i}",
                rater="peer",
                values=values,
                status="submitted",
            )
        )
    db.commit()
    assert access.official_inputs(ann)["peers"] == []
    ann.reviews[-1].values = {"teamwork": 4}
    db.commit()
    assert [p["teamwork"] for p in access.official_inputs(ann)["peers"]] == [5, 3, 4]


def test_below_the_threshold_the_manager_and_hr_are_told_the_group_does_not_count(
    client, auth, db, company, launched
):
    ann = reviewed(db, company, launched, [5, 3], publish=False)
    for email in ("boss@acme.example", "hr@acme.example"):
        as_user(auth, email)
        page = client.get(f"/appraisals/{ann.id}/result").text
        assert 'id="result-total">102.79<' in page  # the manager's 85 alone for teamwork
        assert "Peer: 2 answered, fewer than 3; their scores do not count." in page


def test_every_surface_reads_one_official_result_for_a_calibrated_appraisal(
    client, auth, runner, db, company, launched
):
    ann = reviewed(db, company, launched, [5, 3, 3], override="A")
    official = access.final_result(ann)
    total, grade = official.total, official.grade
    assert grade == "A" and official.computed_grade == "S" and total == 102.51
    assert (float(ann.total), ann.final_grade, ann.grade) == (total, "A", "S")
    coefficient = official.outputs["coefficient"]
    assert coefficient == 1.2  # the calibrated grade's

    headers = token(runner, "hr@acme.example")
    listed = client.get(f"/api/v1/cycles/{launched.id}/appraisals", headers=headers).get_json()
    row = next(i for i in listed["items"] if i["id"] == ann.id)
    assert (row["total"], row["grade"], row["computed_grade"]) == (total, "A", "S")
    one = client.get(f"/api/v1/appraisals/{ann.id}/result", headers=headers).get_json()
    assert (one["total"], one["grade"], one["computed_grade"]) == (total, "A", "S")
    assert one["outputs"]["coefficient"] == coefficient

    as_user(auth, "hr@acme.example")
    text = client.get(f"/cycles/{launched.id}/results.csv").data.decode("utf-8-sig")
    line = next(r for r in csv.DictReader(io.StringIO(text)) if r["employee_number"] == "A001")
    assert (float(line["total"]), line["grade"], line["computed_grade"]) == (total, "A", "S")
    assert float(line["coefficient"]) == coefficient
    cycle_page = client.get(f"/cycles/{launched.id}").text
    assert re.search(rf"<td>{total}</td><td>A <span", cycle_page)
    calibration_page = client.get(f"/cycles/{launched.id}/calibration").text
    assert re.search(rf'data-employee="A001">.*?<td>{total}</td><td>S</td>', calibration_page, re.S)

    for email in ("hr@acme.example", "boss@acme.example", "ann@acme.example"):
        as_user(auth, email)
        page = client.get(f"/appraisals/{ann.id}/result").text
        assert f'id="result-total">{total}<' in page and 'id="result-grade">A<' in page, email
        assert re.search(rf"<td>2026-Q4</td><td>{total}</td><td>A</td>", page), email
        assert "Calibrated from S" in page
    as_user(auth, "boss@acme.example")
    assert re.search(rf"{total} A</td>", client.get("/team").text)


def test_subordinates_are_held_to_the_same_threshold(db, company, launched):
    ann = appraisal_of(db, company, "ann")
    for i, rating in enumerate((5, 3)):
        ann.reviews.append(
            Review(
                organization_id=ann.organization_id,
                slot=f"subordinate:{900 + i}",
                rater="subordinate",
                values={"teamwork": rating},
                status="submitted",
            )
        )
    db.commit()
    assert access.official_inputs(ann)["subordinates"] == []
    assert invitations.uncounted_groups(ann) == [("subordinate", 2, 3)]


def test_refresh_brings_results_stored_under_the_old_rule_in_line(runner, db, company, launched):
    ann = reviewed(db, company, launched, [5])
    ann.total = Decimal("103.63")  # what the lone peer's 100 made of it before
    db.commit()
    result = runner.invoke(args=["results", "refresh"])
    assert result.exit_code == 0, result.output
    assert "103.63" in result.output and "1 of 6 appraisals changed." in result.output
    db.expire_all()
    ann = appraisal_of(db, company, "ann")
    assert float(ann.total) == access.final_result(ann).total == 102.79
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "appraisal.rescored"))
    assert event.detail["changes"]["total"] == [103.63, 102.79]


def test_only_the_reviews_module_scores_an_appraisal():
    """The class of defect: a page, the API or an export working a figure out on its own.
    Outside the reviews services (`access.final_result` and the live panel's what-if, the
    checks on typed values in `inputs`, the checks on submission in `reviews`), nothing in
    the runtime or the API, at any depth, may call the engine."""
    root = Path(__file__).parents[2] / "appraisal"
    scorers = {f"runtime/reviews/{name}.py" for name in ("access", "inputs", "reviews")}
    seen = [
        path.relative_to(root).as_posix()
        for package in ("runtime", "api")
        for path in sorted((root / package).rglob("*.py"))
    ]
    offenders = [
        name
        for name in seen
        if name not in scorers and re.search(r"\bscore\(", (root / name).read_text("utf-8"))
    ]
    assert offenders == []
    assert scorers <= set(seen), "the guard names modules that no longer exist"
