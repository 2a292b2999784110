"""What each role fills in a template, as plain data the pages render: used by the builder's
preview and "try it" panel, and by the runtime's generated forms. Everything here reads the
compiled template (`compiled.version_template`, or `rules.definition.draft_structure` for a
draft's preview), never the raw JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from ..rules import CompiledTemplate, Item, json_number, typed_number

ROLES = ("data", "self", "manager", "peer", "subordinate", "hr")
TRY_PEERS = 3
MAX_TEXT = 4000  # characters of a text item's answer (a comment), page and service alike


@dataclass(frozen=True)
class Field:
    """One input: its form name (`rater.key`), what it belongs to, and how to enter it."""

    name: str
    key: str
    rater: str
    label: Any
    kind: str  # number | rating | choice | bool | text | date
    options: list[tuple[Any, Any]] = field(default_factory=list)
    unit: str | None = None
    allow_na: bool = False
    section: Any = None


def _field(role: str, item: Item, section: Any) -> Field:
    return Field(
        f"{role}.{item.key}",
        item.key,
        role,
        item.name,
        item.type,
        list(item.options),
        item.unit,
        item.allow_na,
        section,
    )


def role_items(template: CompiledTemplate, role: str) -> list[tuple[Any, list[Field]]]:
    """The sections and items a role fills, in order, with their inputs."""
    sections = []
    for section in template.sections:
        fields = [
            _field(role, item, section.name)
            for key in section.items
            if (item := template.items.get(key)) is not None and role in item.raters
        ]
        if fields:
            sections.append((section.name, fields))
    adjustments = [
        Field(f"{role}.{a.key}", a.key, role, a.name, "number")
        for a in template.adjustments
        if role in a.raters
    ]
    if adjustments:
        sections.append((_l("Adjustments"), adjustments))
    return sections


def try_fields(template: CompiledTemplate) -> list[tuple[str, list[Field]]]:
    """Every input of a template for the builder's "try it" panel: targets, then each role
    (three peers and three subordinates, to see aggregation)."""
    groups: list[tuple[str, list[Field]]] = []
    targets = target_fields(template)
    if targets:
        groups.append(("targets", targets))
    for role in ROLES:
        count = TRY_PEERS if role in ("peer", "subordinate") else 1
        for number in range(1, count + 1):
            fields = role_fields(template, role)
            if count > 1:
                fields = [
                    dataclasses.replace(f, name=f"{role}{number}.{f.key}", rater=f"{role}{number}")
                    for f in fields
                ]
            if fields:
                groups.append((f"{role}{number}" if count > 1 else role, fields))
    return groups


def labels(template: CompiledTemplate) -> dict[str, Any]:
    """The name of every section, item, adjustment and output by key, for showing results."""
    found: dict[str, Any] = {}
    for section in template.sections:
        found[section.key] = section.name or section.key
        for key in section.items:
            item = template.items.get(key)
            found[key] = (item.name if item else None) or key
    for entry in (*template.adjustments, *template.outputs):
        found[entry.key] = entry.name or entry.key
    return found


def target_fields(template: CompiledTemplate) -> list[Field]:
    """The items whose target is set per employee in a cycle: the compiled item says whether
    its method needs one (a formula: whether it reads the name `target`) and no constant
    `target` is given."""
    per_person = template.per_person_targets
    return [
        Field(
            f"targets.{key}",
            key,
            "targets",
            template.items[key].name,
            "number",
            unit=template.items[key].unit,
            section=section.name,
        )
        for section in template.sections
        for key in section.items
        if key in per_person
    ]


def fills(template: CompiledTemplate, role: str) -> bool:
    """Whether the role has any input (`role_fields` is not empty), without building the
    fields: a page of fifty appraisals, and every official result, ask this per row
    (issue 20)."""
    return role in template.input_raters


def role_fields(template: CompiledTemplate, role: str) -> list[Field]:
    """A role's inputs, flattened in page order."""
    return [f for _section, fields in role_items(template, role) for f in fields]


def parse_value(kind: str, raw: str, options: list[tuple[Any, Any]] | None = None) -> Any:
    """A typed value from what was typed; the text itself when it is not valid, so the engine
    reports it with the item's name."""
    text = raw.strip()
    if text == "":
        return None
    if text.lower() in ("n/a", "na"):
        return "n/a"
    if kind in ("number", "rating") or (
        kind == "choice" and options and all(isinstance(v, int | float) for v, _label in options)
    ):
        number = typed_number(text)
        return text if number is None else json_number(number)
    if kind == "bool":
        return {
            "true": True,
            "yes": True,
            "是": True,
            "1": True,
            "false": False,
            "no": False,
            "否": False,
            "0": False,
        }.get(text.lower(), text)
    return text


def try_inputs(template: CompiledTemplate, values: dict[str, str]) -> dict[str, Any]:
    """The engine's INPUT (design §9) from the "try it" form's values."""
    inputs: dict[str, Any] = {"targets": {}, "peers": [], "subordinates": []}
    groups = {"peer": "peers", "subordinate": "subordinates"}
    for _group, fields in try_fields(template):
        for f in fields:
            value = parse_value(f.kind, values.get(f.name, ""), f.options)
            if value is None:
                continue
            base = f.rater.rstrip("0123456789")
            if base in groups:
                index = int(f.rater[len(base) :]) - 1
                bucket = inputs[groups[base]]
                while len(bucket) <= index:
                    bucket.append({})
                bucket[index][f.key] = value
            else:
                inputs.setdefault(f.rater, {})[f.key] = value
    return inputs
