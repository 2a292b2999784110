"""Values and targets as typed: parsed by field kind, checked against the template and the
engine's own complaints, with each message keyed by the field it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from ...errors import ServiceError
from ...i18n import in_language
from ...models import Appraisal
from ...rules import CompiledTemplate, Result, score
from ..compiled import appraisal_template
from ..render import MAX_TEXT, Field, parse_value, target_fields
from .access import GROUPS, official_inputs


class InputRefused(ServiceError):
    """Values that cannot be saved: `errors` maps a field name to its message (a catalogue
    string, worded in the reader's language when shown)."""

    def __init__(self, errors: dict[str, Any], message: Any = None) -> None:
        super().__init__(message or _l("Some values need correcting; nothing was saved."))
        self.errors = errors


def parse_values(fields: list[Field], raw: Mapping[str, str]) -> dict[str, Any]:
    """Typed values of a role's fields, keyed by item key; blanks left out."""
    values = {}
    for f in fields:
        value = parse_value(f.kind, raw.get(f.name, ""), f.options)
        if value is not None:
            values[f.key] = value
    return values


def check_values(
    template: CompiledTemplate,
    rater: str,
    fields: list[Field],
    raw: Mapping[str, str],
    result: Result,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Typed values and the engine's own complaints about them, by field name. `result` is
    the appraisal scored with these values and the rest of it (`scored_with`): a value is
    checked as it will count, with the person's targets and the other raters' values.

    A posted name that is not one of the role's fields (a crafted post) is refused too.
    """
    names = {f.name for f in fields}
    errors = {
        name: _l("%(name)s is not part of this form", name=name)
        for name in raw
        if name not in names
    }
    values = parse_values(fields, raw)
    for f in fields:
        if f.kind == "text" and len(str(values.get(f.key, ""))) > MAX_TEXT:
            errors[f.name] = _l("At most %(limit)s characters, please.", limit=MAX_TEXT)
    prefix = f"{rater}."
    for error in result.errors:
        if error["where"].startswith(prefix):
            errors.setdefault(error["where"], in_language(error["message"], error["message_zh"]))
    return values, errors


def with_values(inputs: dict[str, Any], rater: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with a rater's values in place of that rater's (a group: alone in it)."""
    key = GROUPS.get(rater, rater)
    return inputs | {key: [dict(values)] if rater in GROUPS else dict(values)}


def scored_with(appraisal: Appraisal, rater: str, values: Mapping[str, Any]) -> Result:
    """The appraisal scored with these values as the rater's saved ones: what they are
    checked against (`check_values`), and once saved as they are, its official result."""
    template = appraisal_template(appraisal)
    inputs = with_values(official_inputs(appraisal, template), rater, values)
    return score(template, inputs, appraisal.override_grade, handed_over=True)


def missing_required(
    template: CompiledTemplate, trial: Result, fields: list[Field], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Required, visible fields of this role that are still blank; `trial` is the appraisal
    scored with these values (it says which items are hidden)."""
    hidden = {k for k, why in trial.not_applicable.items() if why == "hidden"}
    adjustments = {a.key: a for a in template.adjustments}
    errors = {}
    for f in fields:
        if f.key in values or f.key in hidden:
            continue
        item = template.items.get(f.key)
        # Scored items are required unless the template says otherwise; an unscored one
        # (a comment) only when it says so.
        required = item.required if item else adjustments[f.key].required
        if required:
            errors[f.name] = _l("Required before submitting")
    return errors


def check_targets(
    template: CompiledTemplate, raw: Mapping[str, str]
) -> tuple[dict[str, float], dict[str, Any]]:
    """Targets by item key from typed text, and what is wrong with them by field name. A
    target an item's method divides by must be above 0 (`Scoring.divides_by_target`)."""
    fields = target_fields(template)
    known = {f.name: f for f in fields}
    targets: dict[str, float] = {}
    errors: dict[str, Any] = {}
    for name, text in raw.items():
        f = known.get(name)
        if f is None:
            errors[name] = _l("%(name)s does not take a target", name=name)
            continue
        value = parse_value("number", text)
        if value is None:
            continue
        if not isinstance(value, int | float):
            errors[name] = _l("%(value)r is not a number", value=text)
        elif value < 0 or (value == 0 and template.items[f.key].scoring.divides_by_target):
            errors[name] = _l("The target must be above 0")
        else:
            targets[f.key] = value
    return targets, errors


def missing_targets(appraisal: Appraisal) -> list[Field]:
    return targets_missing_from(appraisal_template(appraisal), appraisal.targets)


def targets_missing_from(
    template: CompiledTemplate, targets: Mapping[str, Any] | None
) -> list[Field]:
    """The template's per-person targets that `targets` (an appraisal's) does not set yet."""
    return [f for f in target_fields(template) if f.key not in (targets or {})]


def count_missing_targets(template: CompiledTemplate, targets: Mapping[str, Any] | None) -> int:
    """How many of the template's per-person targets `targets` does not set yet, without
    building their fields: a list of fifty appraisals asks per row (issue 20)."""
    given = targets or {}
    return sum(key not in given for key in template.per_person_targets)
