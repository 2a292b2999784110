"""The data attributes that let the phone evaluate a record form's conditions offline
(`static/fieldwork/conditions.js`): each field's wrapper carries its `visible_if` and
`required` formulas as JSON trees (`rules.condition_tree`) and how its value is read
(`rules.field_rule`). A formula outside the browser's subset gets no attribute: the field
shows and the server decides.

In a template (the global is registered by `init_app`):

    <div class="mb-3" data-field="{{ field.key }}"{{ field_condition_attributes(field)|xmlattr }}>
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from ...rules import ActivityField, condition_tree, field_rule


def condition_attributes(field: ActivityField) -> dict[str, str]:
    """`data-visible-if`, `data-required-if` and `data-field-rule` for a field's wrapper
    (only those that apply); values are JSON text, escaped by the template."""
    attributes: dict[str, str] = {}
    for name, formula in (
        ("data-visible-if", field.visible_if),
        ("data-required-if", field.required_if),
    ):
        tree = condition_tree(formula) if formula is not None else None
        if tree is not None:
            attributes[name] = _json(tree)
    rule = field_rule(field)
    if rule is not None:
        attributes["data-field-rule"] = _json(rule)
    return attributes


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["field_condition_attributes"] = condition_attributes
