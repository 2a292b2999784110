"""A record's values as people read them: each field under its label in the reader's
language, from the form version the record was made with (a later version may have renamed
or dropped the field). The detail page, the team's day and the exports read values here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...i18n import label_text
from ...labels import YES_NO, label
from ...rules import ActivityField, CompiledActivity, compile_activity

#: Types whose value is shown elsewhere on the page (customer, photos, position).
SHOWN_APART = ("customer", "photos", "location")


@dataclass(frozen=True)
class ShownValue:
    key: str
    label: str
    text: str
    type: str


def form_of(version: Any, cache: dict[int, CompiledActivity] | None = None) -> CompiledActivity:
    """A type version compiled; pass `cache` to compile each version once per page or file
    (published versions never change)."""
    if cache is None:
        return compile_activity(version.definition)
    if version.id not in cache:
        cache[version.id] = compile_activity(version.definition)
    return cache[version.id]


def text_of(field: ActivityField, value: Any, customer_name: str = "") -> str:
    """One stored value as text in the reader's language."""
    if value is None or value == "" or value == []:
        return ""
    if field.type == "choice":
        return label_text(dict(field.options).get(value, value))
    if field.type == "multi_choice":
        options = dict(field.options)
        return "; ".join(label_text(options.get(v, v)) for v in value)
    if field.type == "yes_no":
        return str(YES_NO[bool(value)])
    if field.type == "customer":
        return customer_name or str(value)
    if field.type == "photos":
        return str(len(value))
    if field.type == "location" and isinstance(value, Mapping):
        return f"{value.get('latitude')}, {value.get('longitude')}"
    return str(value)


def shown_values(
    activity: CompiledActivity, values: Mapping[str, Any], apart: bool = True
) -> list[ShownValue]:
    """The fields that hold a value, in the form's order, labelled; `apart` leaves out those
    the page shows in their own place."""
    return [
        ShownValue(
            field.key, label_text(field.label), text_of(field, values.get(field.key)), field.type
        )
        for field in activity.fields
        if field.key in values and not (apart and field.type in SHOWN_APART)
    ]


def status_text(status: str) -> str:
    return label(status, "record_status")
