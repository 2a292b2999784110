"""Editing an activity form's draft without code: pure functions from the builder's form
fields to the `activity/1` definition and back (the rules check the result), and where each
problem the rules find belongs on the builder's pages."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from ..rules import ACTIVITY_FORMAT

#: How a field's `required` is asked in the editor.
REQUIRED_MODES = ("never", "always", "when")
#: A problem at `fields[i].<part>` is shown next to this input of the field editor.
FIELD_INPUTS = {
    "key": "key",
    "label": "label_zh",
    "help": "help_zh",
    "type": "type",
    "required": "required_if",
    "visible_if": "visible_if",
    "options": "options",
    "min": "min",
    "max": "max",
    "max_photos": "max_photos",
    "keep_location": "keep_location",
    "purpose": "purpose",
}
#: ...and a problem at the top of the definition next to this input of the settings form.
SETTINGS_INPUTS = {
    "name": "name_zh",
    "description": "description_zh",
    "kind": "kind",
    "review": "review",
    "who.staff": "staff",
    "who.positions": "positions",
    "who.departments": "departments",
}
FIELD_PATH = re.compile(r"fields\[(\d+)\](?:\.([a-z_]+))?")


class FieldMissing(LookupError):
    """The draft has no field with that key (someone removed it meanwhile)."""


def blank_activity(key: str, name: dict[str, str], kind: str) -> dict[str, Any]:
    """A new form: no fields yet, recorded by anyone, not reviewed."""
    return {
        "format": ACTIVITY_FORMAT,
        "key": key,
        "name": name,
        "kind": kind,
        "review": False,
        "who": {},
        "fields": [],
    }


def label(zh: str | None, en: str | None) -> dict[str, str] | str:
    """A bilingual label from two inputs; one alone serves both languages."""
    zh, en = (zh or "").strip(), (en or "").strip()
    if zh and en:
        return {"zh": zh, "en": en}
    return zh or en


def label_parts(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return str(value.get("zh", "")), str(value.get("en", ""))
    text = "" if value is None else str(value)
    return text, text


def _number(value: Any) -> int | float | str | None:
    """A bound as the definition keeps it: a whole number stays whole."""
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


# -- options: one per line, `key 中文 / English` -----------------------------------------------


def options_text(options: Any) -> str:
    lines = []
    for option in options or []:
        zh, en = label_parts(option.get("label"))
        words = zh if zh == en or not en else f"{zh} / {en}"
        lines.append(f"{option.get('key', '')} {words}".rstrip())
    return "\n".join(lines)


def parse_options(text: str) -> list[dict[str, Any]]:
    options = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, _space, words = line.strip().partition(" ")
        zh, _slash, en = (part.strip() for part in words.partition(" / "))
        options.append({"key": key, "label": label(zh, en) or key})
    return options


# -- one field -----------------------------------------------------------------------------------


def field_from_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """The field a builder's form describes; only what its type uses is kept."""
    kind = data.get("type") or "text"
    field: dict[str, Any] = {
        "key": (data.get("key") or "").strip(),
        "label": label(data.get("label_zh"), data.get("label_en")),
        "type": kind,
    }
    help_text = label(data.get("help_zh"), data.get("help_en"))
    if help_text:
        field["help"] = help_text
    mode = data.get("required") or "never"
    if mode == "always":
        field["required"] = True
    elif mode == "when":
        field["required"] = (data.get("required_if") or "").strip()
    if (data.get("visible_if") or "").strip():
        field["visible_if"] = data["visible_if"].strip()
    if kind in ("choice", "multi_choice"):
        field["options"] = parse_options(data.get("options") or "")
    if kind in ("number", "money"):
        for bound in ("min", "max"):
            if (value := _number(data.get(bound))) is not None:
                field[bound] = value
    if kind == "photos":
        if data.get("max_photos"):
            field["max_photos"] = int(data["max_photos"])
        if data.get("keep_location"):
            field["keep_location"] = True
    if kind == "location":
        field["purpose"] = data.get("purpose") or "visit"
    return field


def inputs_from_field(field: dict[str, Any]) -> dict[str, Any]:
    """The editor's inputs for a field of the draft (the reverse of `field_from_inputs`)."""
    label_zh, label_en = label_parts(field.get("label"))
    help_zh, help_en = label_parts(field.get("help")) if field.get("help") else ("", "")
    required = field.get("required", False)
    return {
        "key": field.get("key", ""),
        "label_zh": label_zh,
        "label_en": label_en,
        "type": field.get("type", "text"),
        "help_zh": help_zh,
        "help_en": help_en,
        "required": "when" if isinstance(required, str) else "always" if required else "never",
        "required_if": required if isinstance(required, str) else "",
        "visible_if": field.get("visible_if") or "",
        "options": options_text(field.get("options")),
        "min": field.get("min"),
        "max": field.get("max"),
        "max_photos": field.get("max_photos"),
        "keep_location": bool(field.get("keep_location")),
        "purpose": field.get("purpose") or "visit",
    }


def field_index(definition: dict[str, Any], key: str) -> int:
    for index, field in enumerate(definition.get("fields") or []):
        if isinstance(field, dict) and field.get("key") == key:
            return index
    raise FieldMissing(key)


def put_field(
    definition: dict[str, Any], field: dict[str, Any], old_key: str | None
) -> tuple[dict[str, Any], int]:
    """The definition with `field` replacing `old_key` (None: added at the end), and the
    field's index."""
    updated = copy.deepcopy(definition)
    fields = updated.setdefault("fields", [])
    if old_key is None:
        fields.append(field)
        return updated, len(fields) - 1
    index = field_index(updated, old_key)
    fields[index] = field
    return updated, index


def remove_field(definition: dict[str, Any], key: str) -> dict[str, Any]:
    updated = copy.deepcopy(definition)
    del updated["fields"][field_index(updated, key)]
    return updated


def move_field(definition: dict[str, Any], key: str, offset: int) -> dict[str, Any]:
    updated = copy.deepcopy(definition)
    fields = updated["fields"]
    index = field_index(updated, key)
    target = index + offset
    if 0 <= target < len(fields):
        fields[index], fields[target] = fields[target], fields[index]
    return updated


def update_settings(
    definition: dict[str, Any],
    *,
    name: Any,
    description: Any,
    kind: str,
    review: bool,
    who: dict[str, list[str]],
) -> dict[str, Any]:
    updated = copy.deepcopy(definition)
    updated.update(name=name, kind=kind, review=review)
    updated["who"] = {part: list(values) for part, values in who.items() if values}
    if description:
        updated["description"] = description
    else:
        updated.pop("description", None)
    return updated


# -- where a problem is shown --------------------------------------------------------------------


def field_of(path: str) -> tuple[int, str | None] | None:
    """(index, part) for a path inside `fields[i]`, else None."""
    match = FIELD_PATH.match(path)
    if match is None:
        return None
    return int(match[1]), match[2]


def input_for_field_problem(part: str | None) -> str:
    """The field editor's input a problem at `fields[i].<part>` belongs next to."""
    return FIELD_INPUTS.get(part or "", "key")


def input_for_settings_problem(path: str) -> str | None:
    for prefix, name in SETTINGS_INPUTS.items():
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            return name
    if path == "who":
        return "staff"
    return None
