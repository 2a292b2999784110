"""Every figure, grade and flag of the recorded corpus (`scoring_corpus.py`: every method,
groups, formulas, bonus/deduction/veto, N/A, rounding, exact grade band edges, missing and
wrong inputs) is what the engine gave before the scorer was specialised per template: lean
or explained, from the compiled template or from the definition."""

from __future__ import annotations

import json

import pytest

from appraisal.rules import compile_template, score

from .scoring_corpus import PATH, figures

CORPUS = json.loads(PATH.read_text())
COMPILED = {name: compile_template(d) for name, d in CORPUS["templates"].items()}


@pytest.mark.parametrize("name", sorted(CORPUS["templates"]))
def test_the_corpus_scores_as_recorded_before_specialising(name):
    cases = [c for c in CORPUS["cases"] if c["template"] == name]
    assert cases
    for index, case in enumerate(cases):
        inputs, calibrated = case["inputs"], case["calibrated"]
        lean = score(COMPILED[name], inputs, calibrated)
        assert figures(lean) == case["expected"], (name, index)
        explained = score(CORPUS["templates"][name], inputs, calibrated, explain=True)
        assert figures(explained) == case["expected"], (name, index)
        assert lean.explanations == explained.explanations, (name, index)


def test_the_corpus_covers_what_it_says():
    cases = [c["expected"] for c in CORPUS["cases"]]
    assert len(CORPUS["templates"]) == 14
    assert sum(c["complete"] for c in cases) > 200
    assert any(c["veto"] for c in cases)
    assert any(c["not_applicable"] for c in cases)
    assert any(c["errors"] for c in cases)
    assert any(c["missing_inputs"] for c in cases)
    assert {(c["total"], c["grade"]) for c in cases} >= {(95.0, "S"), (94.99, "A"), (85.55, "A")}
