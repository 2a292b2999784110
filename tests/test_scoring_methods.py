"""The scoring-method registry (`appraisal.rules.methods.METHODS`): every method declares
its validation, scoring, target need, parameters and label once, and a new method needs
nothing but its declaration and its label."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest

from appraisal import labels
from appraisal.builder import forms, services
from appraisal.rules import compile_template, score, validate
from appraisal.rules import methods as registry
from appraisal.rules.definition import ITEM_TYPES

EXAMPLE = json.loads(
    (Path(__file__).parent / "rules" / "data" / "design_example.json").read_text("utf-8")
)
PACKAGE = Path(__file__).parents[1] / "appraisal"
SCORING_PARAMETERS = {"on", "bands", "points", "formula", *registry.NUMBER_PARAMETERS}


@pytest.mark.parametrize("name", list(registry.METHODS))
def test_every_method_declares_everything(name):
    spec = registry.METHODS[name]
    assert spec.name == name
    for part in (spec.validate, spec.score, spec.needs_target, spec.divides_by_target):
        assert callable(part)
    assert spec.item_kinds and spec.item_kinds <= set(ITEM_TYPES)
    assert set(spec.parameters) <= SCORING_PARAMETERS
    assert spec.table is None or spec.table in spec.parameters
    assert spec.label_key in labels.METHOD
    # every parameter has its field in the builder's forms
    fields = {"bands": "table", "points": "table", "formula": "score_formula"}
    for parameter in spec.parameters:
        field = fields.get(parameter, parameter)
        assert hasattr(forms.ScoringParameters, field) or hasattr(forms.ItemForm, field)


def test_labels_and_choices_follow_the_registry():
    assert list(labels.METHOD) == list(registry.METHODS)
    assert [code for code, _ in forms.SCORING_METHODS] == list(registry.METHODS)


def _fixed_method():
    """A method the product does not have: every value scores `base`."""

    def score_fixed(item, value, target, run):
        return item.scoring.base, "fixed", "固定"

    def check_fixed(check, raw, path, values, context):
        if "base" not in raw:
            check.add(f"{path}.base", "is required", "必填", "required")

    return registry.MethodSpec(
        "fixed",
        ("base",),
        check_fixed,
        score_fixed,
        lambda scoring: False,
        lambda scoring: False,
        frozenset({"number"}),
    )


def test_a_new_method_needs_only_its_declaration_and_its_label(monkeypatch):
    monkeypatch.setitem(registry.METHODS, "fixed", _fixed_method())
    monkeypatch.setitem(labels.METHOD, "fixed", "Fixed")
    definition = copy.deepcopy(EXAMPLE)
    sales = definition["sections"][0]["items"][0]
    sales["scoring"] = {"method": "fixed", "base": 77}
    assert validate(definition) == []
    template = compile_template(definition)
    assert not template.items["sales"].needs_target
    result = score(template, {"data": {"sales": 5}})
    assert result.items["sales"] == 77
    assert result.explanations["items"]["sales"]["raters"]["data"]["how"] == "fixed"
    del sales["scoring"]["base"]
    assert [e.path for e in validate(definition)] == ["sections[0].items[0].scoring.base"]
    sales["scoring"]["cap"] = 5  # not a parameter of this method
    assert "sections[0].items[0].scoring.cap" in [e.path for e in validate(definition)]
    assert services.scoring_from_parts("fixed", base=Decimal(80), cap=Decimal(5)) == {
        "method": "fixed",
        "base": 80,
    }


def test_a_formula_needs_a_target_only_when_it_reads_target():
    definition = copy.deepcopy(EXAMPLE)
    results = definition["sections"][0]["items"]
    results[1]["scoring"] = {"method": "formula", "formula": "MIN(100, actual + targets_met)"}
    results.append(
        {
            "key": "targets_met",
            "name": "Targets met",
            "type": "number",
            "raters": ["data"],
            "weight": 0,
            "scoring": {"method": "none"},
        }
    )
    template = compile_template(definition)
    assert [k for k, item in template.items.items() if item.needs_target] == ["sales"]
    results[1]["scoring"]["formula"] = "MIN(100, actual / target * 100 + targets_met)"
    template = compile_template(definition)
    assert [k for k, item in template.items.items() if item.needs_target] == [
        "sales",
        "collection",
    ]


def _mentions_method(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "method")
        or (isinstance(n, ast.Name) and n.id == "method")
        or (isinstance(n, ast.Constant) and n.value == "method")
        for n in ast.walk(node)
    )


def _strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return set()


def test_no_code_outside_the_registry_branches_on_a_method_name():
    """`method == "ratio"`, `scoring.get("method") in ("bands", "linear")`: what such a test
    decides belongs in the method's declaration (`rules/methods.py`)."""
    names = set(registry.METHODS)
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "methods.py" and path.parent.name == "rules":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            parts = [node.left, *node.comparators]
            if set().union(*map(_strings, parts)) & names and any(map(_mentions_method, parts)):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_a_scoring_is_a_frozen_value():
    scoring = registry.Scoring("ratio")
    with pytest.raises(dataclasses.FrozenInstanceError):
        scoring.method = "bands"  # type: ignore[misc]
    assert scoring.spec is registry.METHODS["ratio"] and scoring.needs_target
