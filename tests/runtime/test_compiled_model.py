"""The runtime reads the compiled template of an appraisal's version: which items take a
target comes from the compiled item (not the formula's text), each version is compiled once,
and a submit scores once."""

from __future__ import annotations

import pytest

from appraisal.rules import scoring as engine
from appraisal.runtime import reviews
from tests.runtime import conftest
from tests.runtime.conftest import appraisal_of


def as_user(auth, email):
    auth.logout()
    assert auth.login(email).status_code == 302


@pytest.fixture
def targets_met(monkeypatch):
    """The company's template with `collection` scored by a formula that reads an item
    whose key contains `target` (`targets_met`), but not the item's own target."""
    original = conftest.runtime_definition

    def definition():
        d = original()
        results = d["sections"][0]["items"]
        results[1]["scoring"] = {"method": "formula", "formula": "MIN(100, actual + targets_met)"}
        results.append(
            {
                "key": "targets_met",
                "name": "Targets met",
                "type": "number",
                "raters": ["data"],
                "weight": 0,
                "scoring": {"method": "none"},
                "required": False,
            }
        )
        return d

    monkeypatch.setattr(conftest, "runtime_definition", definition)


def test_a_formula_naming_targets_met_does_not_ask_for_a_target(
    targets_met, client, auth, db, company, launched
):
    ann = appraisal_of(db, company, "ann")
    assert [f.key for f in reviews.missing_targets(ann)] == ["sales"]

    as_user(auth, "boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/targets", data={"targets.sales": "100000", "version": ann.version}
    )
    assert response.status_code == 302
    as_user(auth, "ann@acme.example")
    assert "Confirm your goals" in client.get("/tasks").text
    client.post(f"/appraisals/{ann.id}/action", data={"action": "confirm_goals"})
    db.refresh(ann)
    assert ann.state == "self_review"
