"""The runtime reads the compiled template of an appraisal's version: which items take a
target comes from the compiled item (not the formula's text), each version is compiled once,
and a submit scores once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from appraisal.rules import compile_template
from appraisal.rules import scoring as engine
from appraisal.runtime import compiled
from appraisal.runtime.cycles import background, figures
from appraisal.runtime.reviews import access, inputs, reviews
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
    assert [f.key for f in inputs.missing_targets(ann)] == ["sales"]

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


@pytest.fixture
def scorings(monkeypatch):
    """How many times the engine scored, whoever called it."""
    calls = []
    real = engine._score

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_score", counting)
    return calls


@pytest.fixture
def no_hashing(monkeypatch):
    """Scoring a definition (not its compiled form) hashes its JSON to find it: the runtime
    never does."""

    def refuse(*args, **kwargs):
        raise AssertionError("the runtime hashed a definition to find its compiled form")

    monkeypatch.setattr(engine, "hashlib", SimpleNamespace(sha256=refuse))


def at_state(db, appraisal, state):
    appraisal.state = state
    appraisal.targets = {"sales": 100000}
    db.commit()
    return appraisal


def _kept(appraisal):
    """The official result as stored on the appraisal (the cache lists read)."""
    total = None if appraisal.total is None else float(appraisal.total)
    return total, appraisal.grade, appraisal.complete


def _official(appraisal):
    result = access.final_result(appraisal)
    return result.total, result.computed_grade, result.complete


def test_a_self_review_submit_scores_once(db, company, launched, scorings, no_hashing):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    me = company.viewer(db, "ann@acme.example")
    raw = {"self.customer_care": "4", "self.leads_team": "false"}
    reviews.save_review(db, ann, me, "self", raw, version=None, submit=True)
    assert ann.state == "manager_review"
    assert len(scorings) == 1
    # the one scoring is the official result that is kept
    assert _kept(ann) == _official(ann)


def test_a_manager_submit_scores_once(db, company, launched, scorings, no_hashing):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    reviews.save_review(
        db,
        ann,
        company.viewer(db, "ann@acme.example"),
        "self",
        {"self.customer_care": "4", "self.leads_team": "false"},
        version=None,
        submit=True,
    )
    scorings.clear()
    raw = {"manager.customer_care": "4", "manager.teamwork": "4"}
    reviews.save_review(
        db, ann, company.viewer(db, "boss@acme.example"), "manager", raw, version=None, submit=True
    )
    assert ann.state == "calibration"
    assert len(scorings) == 1


def test_a_refused_submit_keeps_its_field_errors(db, company, launched, scorings):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    me = company.viewer(db, "ann@acme.example")
    with pytest.raises(inputs.InputRefused) as refused:
        reviews.save_review(
            db, ann, me, "self", {"self.customer_care": "9"}, version=None, submit=True
        )
    assert "self.customer_care" in refused.value.errors
    assert "self.leads_team" not in refused.value.errors  # optional
    assert len(scorings) == 1


def test_each_version_is_compiled_once(db, company, launched, monkeypatch, no_hashing):
    compiles = []
    real = compiled.compile_template
    monkeypatch.setattr(compiled, "compile_template", lambda d: compiles.append(1) or real(d))
    monkeypatch.setattr(compiled, "_cache", type(compiled._cache)())
    for key in ("ann", "pat", "ann"):
        access.final_result(appraisal_of(db, company, key))
        db.expire_all()  # another request: the rows are read again
    assert len(compiles) == 1, list(compiled._cache)


def test_the_cache_is_safe_under_threads(db, company, launched, monkeypatch):
    monkeypatch.setattr(compiled, "_cache", type(compiled._cache)())
    version = company.version
    with ThreadPoolExecutor(max_workers=8) as pool:
        templates = list(pool.map(lambda _: compiled.version_template(version), range(32)))
    assert all(t.items.keys() == templates[0].items.keys() for t in templates)
    assert len(compiled._cache) == 1  # one entry, whichever thread compiled it


def test_a_zero_target_is_refused_wherever_the_method_divides_by_it():
    """The form and the engine ask the same declaration (`divides_by_target`): bands on
    achievement divide by the target as a ratio does."""
    definition = conftest.runtime_definition()
    results = definition["sections"][0]["items"]
    results[1]["scoring"]["on"] = "achievement"
    template = compile_template(definition)
    targets, errors = inputs.check_targets(
        template, {"targets.sales": "0", "targets.collection": "0"}
    )
    assert set(errors) == {"targets.sales", "targets.collection"} and targets == {}
    targets, errors = inputs.check_targets(template, {"targets.collection": "90"})
    assert errors == {} and targets == {"collection": 90}


def test_a_figures_save_scores_each_appraisal_once(db, company, launched, scorings):
    """A whole cycle's figures are 10,000 scorings: the one that checks each person's values
    with the rest of their appraisal is the result that is kept."""
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    for rater, email, raw in (
        ("self", "ann@acme.example", {"self.customer_care": "4", "self.leads_team": "false"}),
        ("manager", "boss@acme.example", {"manager.customer_care": "4", "manager.teamwork": "4"}),
        ("hr", "hr@acme.example", {"hr.award": "0", "hr.fraud_cases": "0"}),
    ):
        viewer = company.viewer(db, email)
        reviews.save_review(db, ann, viewer, rater, raw, version=None, submit=True)
    at_state(db, appraisal_of(db, company, "pat"), "self_review")
    scorings.clear()
    entries = [
        figures.Entry("A001", "sales", "112000"),
        figures.Entry("A001", "collection", "96"),
        figures.Entry("A001", "complaints", "0"),
        figures.Entry("P001", "sales", "90000"),
    ]
    assert figures.set_figures(db, launched, entries, None) == 4
    assert len(scorings) == 2
    db.commit()
    db.expire_all()
    ann, pat = appraisal_of(db, company, "ann"), appraisal_of(db, company, "pat")
    assert ann.total is not None and ann.complete  # the figures were all it waited for
    assert _kept(ann) == _official(ann)
    assert _kept(pat) == _official(pat)


@pytest.fixture
def sales_by_formula(monkeypatch):
    """`sales` scored by a formula that gives no value when the target is exactly 100,000."""
    original = conftest.runtime_definition

    def definition():
        d = original()
        d["sections"][0]["items"][0]["scoring"] = {
            "method": "formula",
            "formula": "MIN(120, actual / (target - 100000) * 100)",
        }
        return d

    monkeypatch.setattr(conftest, "runtime_definition", definition)


def test_a_figure_is_checked_with_its_appraisals_target(sales_by_formula, db, company, launched):
    """As a review's save and a metric's values are: a figure the item cannot score with the
    person's target is refused beside its cell, and nothing is saved."""
    at_state(db, appraisal_of(db, company, "ann"), "self_review")  # target 100,000
    with pytest.raises(figures.EntriesRefused) as refused:
        figures.set_figures(db, launched, [figures.Entry("A001", "sales", "5000", row=3)], None)
    [error] = refused.value.errors
    assert (error.row, error.key) == (3, "sales")
    assert str(error.message) == "公式没有得出结果"  # the engine's words, in the default language
    db.rollback()
    ann = appraisal_of(db, company, "ann")
    assert not [r for r in ann.reviews if r.slot == "data"]

    ann.targets = {"sales": 50000}
    db.commit()
    assert figures.set_figures(db, launched, [figures.Entry("A001", "sales", "5000")], None) == 1
    assert _kept(ann) == _official(ann)


def test_a_stored_figure_its_target_made_unscorable_does_not_block_other_figures(
    sales_by_formula, db, company, launched
):
    """Only the cells sent are judged. Sales of 5,000 scored at a target of 50,000; the
    target then became 100,000, where the formula gives nothing: the appraisal shows that,
    and the person's collection rate still saves."""
    ann = at_state(db, appraisal_of(db, company, "ann"), "goal_setting")
    ann.targets = {"sales": 50000}
    db.commit()
    figures.set_figures(db, launched, [figures.Entry("A001", "sales", "5000")], None)
    hr = company.viewer(db, "hr@acme.example")
    figures.set_targets(db, launched, [figures.Entry("A001", "sales", "100000")], hr)
    db.commit()
    saved = figures.set_figures(db, launched, [figures.Entry("A001", "collection", "96")], None)
    assert saved == 1
    assert any(e["where"] == "data.sales" for e in access.final_result(ann).errors)
    assert _kept(ann) == _official(ann)


def test_a_file_checks_its_figures_with_the_targets_it_sets(
    sales_by_formula, db, company, launched
):
    """A file with both: its targets are saved first, so a figure is checked against the
    target beside it, not the one it replaces (100,000, where the formula gives nothing)."""
    at_state(db, appraisal_of(db, company, "ann"), "goal_setting")
    hr = company.viewer(db, "hr@acme.example")
    data = [figures.Entry("A001", "sales", "5000", row=2)]
    targets = [figures.Entry("A001", "sales", "50000", row=2)]
    assert background.save_figures(db, launched, data, targets, hr) == 2
    ann = appraisal_of(db, company, "ann")
    assert ann.targets == {"sales": 50000}
    assert not access.final_result(ann).errors
