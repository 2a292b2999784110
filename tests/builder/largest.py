"""The largest template the limits allow (`builder.schemas.LIMITS`), for the limit tests and
`make bench`: every count at its maximum, every scoring method, long formulas and labels."""

from __future__ import annotations

from typing import Any

from appraisal.builder.schemas import LIMITS


def _label(text: str) -> dict[str, str]:
    return {"en": f"{text} — English name of a reasonable length", "zh": f"{text}（中文名称）"}


def _item(section: int, index: int, scale: str, keys: list[str]) -> dict[str, Any]:
    per_section = LIMITS.items // LIMITS.sections
    key = f"s{section}_i{index}"
    item: dict[str, Any] = {
        "key": key,
        "name": _label(f"Item {section}.{index}"),
        "description": "What is measured, how and by whom. " * 6,
        "weight": 100 // per_section,
    }
    method = (section * per_section + index) % 7
    if method == 0:
        item |= {"type": "number", "raters": ["data"], "scoring": {"method": "ratio", "cap": 150}}
    elif method == 1:
        bands = [{"min": 100 - n * 2, "score": 100 - n} for n in range(LIMITS.bands - 1)]
        item |= {
            "type": "number",
            "raters": ["data"],
            "scoring": {
                "method": "bands",
                "on": "achievement",
                "bands": [*bands, {"min": 0, "score": 0}],
            },
        }
    elif method == 2:
        points = [[n * 4, min(100, n * 3)] for n in range(LIMITS.bands)]
        item |= {
            "type": "number",
            "raters": ["data"],
            "scoring": {"method": "linear", "points": points},
        }
    elif method == 3:
        item |= {
            "type": "number",
            "raters": ["data"],
            "scoring": {"method": "deduction", "base": 100, "per_unit": 5},
        }
    elif method == 4:
        item |= {
            "type": "choice",
            "raters": ["manager"],
            "choices": [
                {"value": f"c{n}", "label": f"Choice {n}", "score": 100 - n * 5}
                for n in range(LIMITS.levels)
            ],
            "scoring": {"method": "rating"},
        }
    elif method == 5 and keys:
        terms = " + ".join(f"COALESCE({k}, 0)" for k in keys[-8:])
        item |= {
            "type": "number",
            "raters": [],
            "formula": f"ROUND(({terms}) / 8, 2)",
            "scoring": {"method": "formula", "formula": "MIN(actual, 120)", "cap": 120},
        }
    else:
        item |= {
            "type": "rating",
            "scale": scale,
            "raters": ["self", "manager", "peer", "subordinate", "hr"],
            "rater_weights": {"self": 10, "manager": 50, "peer": 15, "subordinate": 15, "hr": 10},
            "scoring": {"method": "rating"},
            "allow_na": True,
        }
    if index == per_section - 1:
        item["visible_if"] = f"COALESCE({keys[0]}, 0) >= 0" if keys else "true"
        item["required"] = False
    return item


def largest_template(key: str = "largest") -> dict[str, Any]:
    scales = {
        f"scale{n}": [
            {"value": v, "label": _label(f"Level {v}"), "score": 100 - (v - 1) * 5}
            for v in range(1, LIMITS.levels + 1)
        ]
        for n in range(LIMITS.scales)
    }
    per_section = LIMITS.items // LIMITS.sections
    sections, keys = [], []
    for s in range(LIMITS.sections):
        items = []
        for i in range(per_section):
            item = _item(s, i, f"scale{(s + i) % LIMITS.scales}", keys)
            items.append(item)
            if item["type"] == "number":
                keys.append(item["key"])
        sections.append(
            {
                "key": f"s{s}",
                "name": _label(f"Section {s}"),
                "weight": 100 // LIMITS.sections,
                "items": items,
            }
        )
    adjustments = []
    for n in range(LIMITS.adjustments):
        kind = ("bonus", "deduction", "veto")[n % 3]
        adjustment = {
            "key": f"adj{n}",
            "kind": kind,
            "name": _label(f"Adjustment {n}"),
            "raters": ["hr"],
            "required": False,
        }
        if kind == "veto":
            adjustment |= {
                "condition": f"COALESCE(adj{n}, 0) > 3",
                "grade": f"G{LIMITS.grades - 1}",
            }
        else:
            adjustment |= {"formula": f"COALESCE(adj{n}, 0) * 2", "max": 5}
        adjustments.append(adjustment)
    grades = [{"grade": f"G{n}", "min": max(0, 95 - n * 10)} for n in range(LIMITS.grades - 1)] + [
        {"grade": f"G{LIMITS.grades - 1}", "min": 0}
    ]
    names = [g["grade"] for g in grades]
    outputs = [
        {
            "key": f"out{n}",
            "name": _label(f"Output {n}"),
            "formula": (
                f"LOOKUP(grade, {names!r}, {[round(2 - k * 0.1, 1) for k in range(len(names))]})"
                f" * PROGRESSIVE(COALESCE({keys[n % len(keys)]}, 0), [0, 100, 200, 400],"
                " [0.01, 0.02, 0.03, 0.05]) + IF(total > 90, ROUND(base_total / 10, 1), 0)"
            ),
        }
        for n in range(LIMITS.outputs)
    ]
    return {
        "format": "appraisal-template/1",
        "key": key,
        "name": _label("The largest allowed template"),
        "description": "Every count at its limit. " * 20,
        "staff": "any",
        "period": "quarter",
        "rater_weights": {"self": 20, "manager": 80},
        "scales": scales,
        "sections": sections,
        "adjustments": adjustments,
        "grades": grades,
        "outputs": outputs,
    }


def try_values(definition: dict[str, Any]) -> dict[str, str]:
    """A value for every input of the "try it" form."""
    from appraisal.rules import compile_template
    from appraisal.runtime.render import try_fields

    values = {}
    for _group, fields in try_fields(compile_template(definition)):
        for f in fields:
            if f.kind in ("number", "target"):
                values[f.name] = "90"
            elif f.options:
                values[f.name] = str(f.options[len(f.options) // 2][0])
            else:
                values[f.name] = ""
    return values
