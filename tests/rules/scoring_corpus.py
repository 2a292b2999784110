"""A recorded scoring corpus: templates using every method, peer and subordinate groups,
computed items and formula scoring, bonus, deduction and veto, N/A, hidden and optional
items, rounding and exact grade band edges, with inputs drawn from a fixed seed (blank,
n/a, wrong, skipped raters and calibrated grades among them), and the figures the engine
gave for each before the scorer was specialised per template. `test_scoring_corpus.py`
scores them again and compares every figure.

Regenerate (only when a figure is meant to change, and say why in the commit):
`PYTHONPATH=$PWD python -m tests.rules.scoring_corpus`.
"""

from __future__ import annotations

import copy
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

PATH = Path(__file__).parent / "data" / "scoring_corpus.json"
CASES_PER_TEMPLATE = 50
FIGURES = (
    "items",
    "sections",
    "base_total",
    "total",
    "grade",
    "veto",
    "outputs",
    "missing",
    "complete",
    "missing_inputs",
    "not_applicable",
    "adjustments",
    "errors",
    "computed_grade",
)

# Grade bands whose minimums the levels below land on, exactly and a cent either side.
EDGES = {
    "format": "appraisal-template/1",
    "key": "edges",
    "name": "Band edges",
    "rater_weights": {"self": 30, "manager": 70},
    "scales": {
        "edge": [
            {"value": v, "label": str(v), "score": s}
            for v, s in [(1, 95), (2, 94.99), (3, 85.55), (4, 85.54), (5, 70), (6, 69.995), (7, 0)]
        ]
    },
    "sections": [
        {
            "key": "only",
            "name": "Only",
            "weight": 100,
            "items": [
                {
                    "key": "level",
                    "name": "Level",
                    "type": "rating",
                    "scale": "edge",
                    "raters": ["manager"],
                    "weight": 100,
                    "scoring": {"method": "rating"},
                }
            ],
        }
    ],
    "adjustments": [
        {"key": "award", "kind": "bonus", "name": "Award", "raters": ["hr"], "max": 5},
        {"key": "slip", "kind": "deduction", "name": "Slip", "raters": ["hr"], "required": False},
    ],
    "grades": [
        {"grade": "S", "min": 95},
        {"grade": "A", "min": 85.55},
        {"grade": "B", "min": 70},
        {"grade": "D", "min": 0},
    ],
    "max_total": 100,
}


def templates() -> dict[str, dict]:
    """The corpus's templates by name: the pack templates, the rich one, the bench's and
    the band edges."""
    from bench.__main__ import appraisal_template

    from .test_decimal_reference import TEMPLATES
    from .test_lean_scoring import RICH

    # the rich template without what only the general scorer takes (a condition, a computed
    # item, formula scoring): groups, n/a, optional items and adjustments on the lean path
    plain = copy.deepcopy(RICH) | {"key": "rich-plain"}
    results = plain["sections"][0]
    results["items"] = [i for i in results["items"] if i["key"] not in ("margin", "yield_rate")]
    results["items"][0]["weight"] = 45
    return {
        **TEMPLATES,
        "rich": RICH,
        "rich-plain": plain,
        "bench": appraisal_template(),
        "edges": EDGES,
    }


def _number(rng: random.Random, edges: list[Any]) -> Any:
    pick = rng.random()
    if edges and pick < 0.35:
        return rng.choice(edges)
    places = rng.choice([0, 0, 1, 2, 3])
    value = Decimal(rng.randint(-500, 200_000)).scaleb(-places)
    if rng.random() < 0.5:
        value = Decimal(rng.randint(0, 16_000)).scaleb(-2)
    return int(value) if value == value.to_integral_value() else float(value)


def _value(rng: random.Random, item: dict, scales: dict, edges: list[Any], mess: float) -> Any:
    fate = rng.random() * mess
    if fate > 0.94:
        return "n/a"
    if fate > 0.9:
        return rng.choice(["x", True, -1, 0, "2024-13-01", 10**400, 1.5, "N/A "])
    kind = item.get("type", "number")
    if kind == "rating":
        return rng.choice(scales[item["scale"]])
    if kind == "choice":
        return rng.choice([c["value"] for c in item["choices"]])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "text":
        return rng.choice(["ok", "好", ""])
    if kind == "date":
        return rng.choice(["2024-02-29", "2025-01-01"])
    return _number(rng, edges)


def draw_inputs(rng: random.Random, definition: dict) -> dict[str, Any]:
    """Inputs for every rater of every item and adjustment; some left blank."""
    scales = {k: [lv["value"] for lv in v] for k, v in definition.get("scales", {}).items()}
    inputs: dict[str, Any] = {"targets": {}, "data": {}, "self": {}, "manager": {}, "hr": {}}
    inputs["peers"] = [{} for _ in range(rng.choice([0, 1, 2, 3]))]
    inputs["subordinates"] = [{} for _ in range(rng.choice([0, 1, 3]))]
    blank = rng.choice([0.0, 0.0, 0.0, 0.05, 0.2])
    mess = rng.choice([0.0, 1.0])  # 0: every value given is one the item takes
    for section in definition["sections"]:
        for item in section["items"]:
            key, scoring = item["key"], item.get("scoring", {})
            edges = [b["min"] for b in scoring.get("bands", [])]
            edges += [p[0] for p in scoring.get("points", [])]
            if "target" not in item and rng.random() > blank / 2:
                target = rng.choice([100, 100, 250.5, 30_000, 0.5, 40, 200])
                if rng.random() < 0.05 * mess:
                    target = rng.choice([0, -3, "x"])
                inputs["targets"][key] = target
                target_number = target if isinstance(target, int | float) else 100
                edges = edges + [target_number * p / 100 for p in (80, 85, 85.5, 90, 95, 100, 120)]
            for rater in item.get("raters", []):
                if rater in ("peer", "subordinate"):
                    for group in inputs[rater + "s"]:
                        if rng.random() > blank:
                            group[key] = _value(rng, item, scales, edges, mess)
                elif rng.random() > blank:
                    inputs[rater][key] = _value(rng, item, scales, edges, mess)
    for adjustment in definition.get("adjustments", []):
        for rater in adjustment.get("raters", []):
            if rng.random() < blank + 0.1:
                continue
            pick = rng.random()
            if pick < 0.05 * mess:
                value: Any = rng.choice(["x", True, False, None])
            elif adjustment["kind"] == "veto":
                value = rng.choice([0, 0, 0, 1, 2])
            else:
                value = rng.choice([0, 1, 2, 3.3, 0.005, 2.345, 7, 12.5, -1])
            target = inputs[rater + "s"] if rater in ("peer", "subordinate") else [inputs[rater]]
            for part in target:
                part[adjustment["key"]] = value
    if rng.random() < 0.1:
        inputs["skipped"] = [rng.choice(["self", "manager", "data"])]
    return inputs


def figures(result) -> dict[str, Any]:
    """Every figure, grade and flag of a Result, as JSON keeps them."""
    from appraisal.rules.scoring import _jsonable

    return {name: _jsonable(getattr(result, name)) for name in FIGURES}


def generate() -> dict[str, Any]:
    from appraisal.rules import score

    rng = random.Random(20_005)
    corpus: dict[str, Any] = {"templates": templates(), "cases": []}
    for name, definition in corpus["templates"].items():
        grades = [g["grade"] for g in definition.get("grades", [])]
        for _ in range(CASES_PER_TEMPLATE):
            inputs = draw_inputs(rng, definition)
            calibrated = rng.choice(grades) if grades and rng.random() < 0.15 else None
            case = {"template": name, "inputs": inputs, "calibrated": calibrated}
            # scored as read back from JSON, as the runtime reads stored reviews
            case = json.loads(json.dumps(case))
            result = score(definition, case["inputs"], case["calibrated"])
            case["expected"] = figures(result)
            corpus["cases"].append(case)
    for level in range(1, 8):  # each level's score exactly, and a half cent either side
        for award, slip in ((0, None), (0.005, None), (0, 0.005), (0.004, 0.001)):
            inputs = {"manager": {"level": level}, "hr": {"award": award}}
            if slip is not None:
                inputs["hr"]["slip"] = slip
            result = score(EDGES, inputs)
            corpus["cases"].append(
                {"template": "edges", "inputs": inputs, "calibrated": None}
                | {"expected": figures(result)}
            )
    return corpus


def main() -> None:
    corpus = generate()
    lines = [json.dumps(case, ensure_ascii=False, sort_keys=True) for case in corpus["cases"]]
    text = json.dumps(corpus["templates"], ensure_ascii=False, sort_keys=True)
    PATH.write_text('{"templates": ' + text + ',\n"cases": [\n' + ",\n".join(lines) + "\n]}\n")
    complete = sum(c["expected"]["complete"] for c in corpus["cases"])
    print(f"{len(corpus['cases'])} cases ({complete} complete) written to {PATH}")


if __name__ == "__main__":
    main()
