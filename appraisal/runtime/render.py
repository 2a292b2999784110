"""What each role fills in a template, as plain data the pages render: used by the builder's
preview and "try it" panel now, and by the runtime's generated forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

ROLES = ("data", "self", "manager", "peer", "subordinate", "hr")
TRY_PEERS = 3
SCORED_TARGET_METHODS = ("ratio", "reverse_ratio")
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


def _options(definition: dict[str, Any], item: dict[str, Any]) -> list[tuple[Any, Any]]:
    if item.get("type") == "rating":
        levels = (definition.get("scales") or {}).get(item.get("scale"), [])
        return [(level.get("value"), level.get("label")) for level in levels]
    if item.get("type") == "choice":
        return [(c.get("value"), c.get("label")) for c in item.get("choices", [])]
    return []


def role_items(definition: dict[str, Any], role: str) -> list[tuple[Any, list[Field]]]:
    """The sections and items a role fills, in order, with their inputs."""
    sections = []
    for section in definition.get("sections", []):
        fields = [
            Field(
                f"{role}.{item['key']}",
                item["key"],
                role,
                item.get("name"),
                item.get("type", "number"),
                _options(definition, item),
                item.get("unit"),
                bool(item.get("allow_na")),
                section.get("name"),
            )
            for item in section.get("items", [])
            if role in (item.get("raters") or [])
        ]
        if fields:
            sections.append((section.get("name"), fields))
    adjustments = [
        Field(f"{role}.{a['key']}", a["key"], role, a.get("name"), "number")
        for a in definition.get("adjustments", [])
        if role in (a.get("raters") or [])
    ]
    if adjustments:
        sections.append((_l("Adjustments"), adjustments))
    return sections


def try_fields(definition: dict[str, Any]) -> list[tuple[str, list[Field]]]:
    """Every input of a template for the builder's "try it" panel: targets, then each role
    (three peers and three subordinates, to see aggregation)."""
    groups: list[tuple[str, list[Field]]] = []
    targets = target_fields(definition)
    if targets:
        groups.append(("targets", targets))
    for role in ROLES:
        count = TRY_PEERS if role in ("peer", "subordinate") else 1
        for number in range(1, count + 1):
            fields = [f for _name, fs in role_items(definition, role) for f in fs]
            if count > 1:
                fields = [
                    Field(
                        f"{role}{number}.{f.key}",
                        f.key,
                        f"{role}{number}",
                        f.label,
                        f.kind,
                        f.options,
                        f.unit,
                        f.allow_na,
                        f.section,
                    )
                    for f in fields
                ]
            if fields:
                groups.append((f"{role}{number}" if count > 1 else role, fields))
    return groups


def labels(definition: dict[str, Any]) -> dict[str, Any]:
    """The name of every section, item and adjustment by key, for showing results."""
    found = {}
    for section in definition.get("sections", []):
        found[section["key"]] = section.get("name") or section["key"]
        for item in section.get("items", []):
            found[item["key"]] = item.get("name") or item["key"]
    for entry in (*definition.get("adjustments", []), *definition.get("outputs", [])):
        found[entry["key"]] = entry.get("name") or entry["key"]
    return found


def target_fields(definition: dict[str, Any]) -> list[Field]:
    """The items whose target is set per employee in a cycle (no constant `target`)."""
    return [
        Field(
            f"targets.{item['key']}",
            item["key"],
            "targets",
            item.get("name"),
            "number",
            unit=item.get("unit"),
            section=section.get("name"),
        )
        for section in definition.get("sections", [])
        for item in section.get("items", [])
        if "target" not in item and item.get("type") == "number" and _needs_target(item)
    ]


def role_fields(definition: dict[str, Any], role: str) -> list[Field]:
    """A role's inputs, flattened in page order."""
    return [f for _section, fields in role_items(definition, role) for f in fields]


def _needs_target(item: dict[str, Any]) -> bool:
    scoring = item.get("scoring") or {}
    method = scoring.get("method")
    return (
        method in SCORED_TARGET_METHODS
        or (method in ("bands", "linear") and scoring.get("on") == "achievement")
        or (method == "formula" and "target" in (scoring.get("formula") or ""))
    )


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
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number == int(number) else number
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


def try_inputs(definition: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The engine's INPUT (design §9) from the "try it" form's values."""
    inputs: dict[str, Any] = {"targets": {}, "peers": [], "subordinates": []}
    groups = {"peer": "peers", "subordinate": "subordinates"}
    for _group, fields in try_fields(definition):
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
