"""Edits of a draft definition, as pure functions on the JSON structure.

Each takes the definition and returns a new one (the input is not changed), or raises
DraftError with the field it concerns. The designer's views call these and save the result.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
from typing import Any

from flask_babel import lazy_gettext as _l

from ..errors import ServiceError
from ..rules import KEY, METHODS, json_number, typed_number


class DraftError(ServiceError, ValueError):
    """An edit the draft refuses; `field` names the designer form's field it concerns."""


def fingerprint(part: Any) -> str:
    """A short digest of one part of a draft (an item, an adjustment…) as a page showed it,
    so a save can tell whether someone else changed that part since (edits of other parts
    merge; see the designer)."""
    text = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _copy(definition: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(definition)


def all_keys(definition: dict[str, Any]) -> set[str]:
    keys = set()
    for section in definition.get("sections", []):
        keys.add(section.get("key"))
        keys.update(item.get("key") for item in section.get("items", []))
    keys.update(a.get("key") for a in definition.get("adjustments", []))
    keys.update(o.get("key") for o in definition.get("outputs", []))
    return keys


def _check_new_key(definition: dict[str, Any], key: str, old: str | None = None) -> None:
    if not KEY.fullmatch(key or "") or "-" in key:
        raise DraftError(
            _l("Use 1–60 characters: a–z, 0–9 or _ (formulas use keys as names)."), "key"
        )
    if key != old and key in all_keys(definition):
        raise DraftError(_l("The key %(key)s is already used in this template.", key=key), "key")


def update_settings(
    definition: dict[str, Any],
    *,
    name: Any,
    staff: str,
    period: str,
    rater_weights: dict[str, Any],
    max_total: Any,
) -> dict[str, Any]:
    """Numbers arrive as the form's Decimals and are stored as JSON numbers."""
    result = _copy(definition)
    result.update(name=name, staff=staff, period=period)
    result["rater_weights"] = {r: as_number(w) for r, w in rater_weights.items() if w}
    if max_total is None:
        result.pop("max_total", None)
    else:
        result["max_total"] = as_number(max_total)
    return result


def find_section(definition: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    for index, section in enumerate(definition.get("sections", [])):
        if section.get("key") == key:
            return index, section
    raise DraftError(_l("There is no section %(key)s.", key=key))


def locate_item(definition: dict[str, Any], key: str) -> tuple[int, int, dict[str, Any]] | None:
    """(section index, item index, item) of the item `key`, or None (a page answers 404)."""
    for s_index, section in enumerate(definition.get("sections", [])):
        for i_index, item in enumerate(section.get("items", [])):
            if item.get("key") == key:
                return s_index, i_index, item
    return None


def find_item(definition: dict[str, Any], key: str) -> tuple[int, int, dict[str, Any]]:
    found = locate_item(definition, key)
    if found is None:
        raise DraftError(_l("There is no item %(key)s.", key=key))
    return found


def save_section(
    definition: dict[str, Any], *, key: str, name: Any, weight: float, old_key: str | None = None
) -> dict[str, Any]:
    result = _copy(definition)
    _check_new_key(result, key, old_key)
    sections = result.setdefault("sections", [])
    if old_key is None:
        sections.append({"key": key, "name": name, "weight": weight, "items": []})
    else:
        _index, section = find_section(result, old_key)
        section.update(key=key, name=name, weight=weight)
    return result


def remove_section(definition: dict[str, Any], key: str) -> dict[str, Any]:
    result = _copy(definition)
    index, _section = find_section(result, key)
    del result["sections"][index]
    return result


def _move(items: list[Any], index: int, offset: int) -> None:
    target = index + offset
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def move_section(definition: dict[str, Any], key: str, offset: int) -> dict[str, Any]:
    result = _copy(definition)
    index, _section = find_section(result, key)
    _move(result["sections"], index, offset)
    return result


def add_item(definition: dict[str, Any], section_key: str, item: dict[str, Any]) -> dict[str, Any]:
    """Add an item (ad hoc or from the library) ready to score: a rating item without a scale
    gets the template's first one, and a scored item without a weight takes what its section
    still lacks to reach 100."""
    result = _copy(definition)
    _check_new_key(result, item.get("key", ""))
    _index, section = find_section(result, section_key)
    item = copy.deepcopy(item)
    if item.get("type") == "rating" and not item.get("scale"):
        item["scale"] = next(iter(result.get("scales") or {}), "")
    if is_scored(item.get("scoring")) and not item.get("weight"):
        item["weight"] = as_number(max(0.0, 100 - scored_weight(section.get("items") or [])))
    section.setdefault("items", []).append(item)
    return result


def replace_item(definition: dict[str, Any], old_key: str, item: dict[str, Any]) -> dict[str, Any]:
    result = _copy(definition)
    _check_new_key(result, item.get("key", ""), old_key)
    s_index, i_index, _item = find_item(result, old_key)
    result["sections"][s_index]["items"][i_index] = item
    return result


def remove_item(definition: dict[str, Any], key: str) -> dict[str, Any]:
    result = _copy(definition)
    s_index, i_index, _item = find_item(result, key)
    del result["sections"][s_index]["items"][i_index]
    return result


def move_item(definition: dict[str, Any], key: str, offset: int) -> dict[str, Any]:
    result = _copy(definition)
    s_index, i_index, _item = find_item(result, key)
    _move(result["sections"][s_index]["items"], i_index, offset)
    return result


def save_entry(
    definition: dict[str, Any], part: str, entry: dict[str, Any], old_key: str | None = None
) -> dict[str, Any]:
    """Add or replace an adjustment or an output (`part` is `adjustments` or `outputs`)."""
    result = _copy(definition)
    _check_new_key(result, entry.get("key", ""), old_key)
    entries = result.setdefault(part, [])
    for index, existing in enumerate(entries):
        if old_key is not None and existing.get("key") == old_key:
            entries[index] = entry
            return result
    entries.append(entry)
    return result


def remove_entry(definition: dict[str, Any], part: str, key: str) -> dict[str, Any]:
    result = _copy(definition)
    result[part] = [e for e in result.get(part, []) if e.get("key") != key]
    return result


def parse_rows(text: str, columns: int, field: str) -> list[list[str]]:
    """Lines of a small table typed in a text box: whitespace-separated cells; the last
    column may hold spaces (labels)."""
    rows = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        line = line.replace("，", " ").replace(",", " ").strip()
        if not line:
            continue
        cells = line.split(maxsplit=columns - 1)
        if len(cells) < min(columns, 2):
            raise DraftError(
                _l("Line %(line)d: expected %(count)d values.", line=number, count=columns), field
            )
        rows.append(cells)
    return rows


def number(text: str, field: str, line: int) -> int | float:
    value = typed_number(text)
    if value is None:
        raise DraftError(
            _l("Line %(line)d: %(text)s is not a number.", line=line, text=text), field
        )
    return json_number(value)


def set_grades(definition: dict[str, Any], text: str) -> dict[str, Any]:
    result = _copy(definition)
    grades = []
    for line, cells in enumerate(parse_rows(text, 2, "grades"), start=1):
        grades.append({"grade": cells[0], "min": number(cells[1], "grades", line)})
    result["grades"] = grades
    return result


def set_scale(definition: dict[str, Any], name: str, text: str) -> dict[str, Any]:
    """A scale from lines `value score label`, with `label` as `中文 / English` or one text."""
    if not text.strip():
        raise DraftError(_l("Give at least one level."), "scale")
    result = _copy(definition)
    levels = []
    for line, cells in enumerate(parse_rows(text, 3, "scale"), start=1):
        level: dict[str, Any] = {
            "value": number(cells[0], "scale", line),
            "score": number(cells[1], "scale", line),
        }
        label = cells[2] if len(cells) > 2 else cells[0]
        if " / " in label:
            zh, en = label.split(" / ", 1)
            level["label"] = {"zh": zh.strip(), "en": en.strip()}
        else:
            level["label"] = label
        levels.append(level)
    result.setdefault("scales", {})[name] = levels
    return result


def scale_text(levels: list[dict[str, Any]]) -> str:
    lines = []
    for level in levels:
        label = level.get("label")
        if isinstance(label, dict):
            label = f"{label.get('zh', '')} / {label.get('en', '')}"
        lines.append(f"{level.get('value')} {level.get('score')} {label}")
    return "\n".join(lines)


def grades_text(grades: list[dict[str, Any]]) -> str:
    return "\n".join(f"{g.get('grade')} {g.get('min')}" for g in grades)


RATER_WEIGHT_FIELDS = ("self", "manager", "peer", "subordinate", "hr")


def label(zh: str | None, en: str | None) -> Any:
    """A label from the two name fields: a plain string only when both say the same, so a
    name typed in one language is not copied into the other."""
    zh, en = (zh or "").strip(), (en or "").strip()
    if zh == en:
        return zh
    return {lang: text for lang, text in (("zh", zh), ("en", en)) if text}


def label_parts(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return value.get("zh", ""), value.get("en", "")
    return (value or "", value or "")


def as_number(value: Any) -> int | float | None:
    """A form's number (Decimal or float) for the JSON: 30 rather than 30.0, None stays None."""
    return None if value is None else json_number(value)


def is_scored(scoring: Any, unset: bool = False) -> bool:
    """Whether a draft's scoring object scores (a method of unknown name is taken to, and
    one without a method as `unset` says: drafts may be incomplete)."""
    method = scoring.get("method") if isinstance(scoring, dict) else None
    if method is None:
        return unset
    spec = METHODS.get(method)
    return spec is None or spec.scored


def scored_weight(items: list[dict[str, Any]], leaving_out: str | None = None) -> float:
    """What the scored items weigh together (the sum that must be 100)."""
    return sum(
        float(item.get("weight") or 0)
        for item in items
        if item.get("key") != leaving_out and is_scored(item.get("scoring"), unset=True)
    )


def weight_sums(definition: dict[str, Any]) -> dict[str, Any]:
    """Running sums for the designer: per section, of its scored items; and of the sections."""
    sections = definition.get("sections") or []
    return {
        "sections": {s.get("key"): scored_weight(s.get("items") or []) for s in sections},
        "overall": sum(float(s.get("weight") or 0) for s in sections),
    }


def new_item(key: str, name: str, kind: str) -> dict[str, Any]:
    """An ad hoc item with sensible defaults, to be finished in the item editor."""
    scoring = {"rating": {"method": "rating"}, "number": {"method": "ratio"}}.get(
        kind, {"method": "none"}
    )
    item = {
        "key": key.strip(),
        "name": label(name, None),
        "type": kind,
        "raters": ["data"] if kind == "number" else ["manager"],
        "weight": 0,
        "scoring": scoring,
    }
    return item


def new_comment_item(
    definition: dict[str, Any],
    prompt: str,
    name: dict[str, str],
    raters: list[str],
    *,
    required: bool = False,
) -> dict[str, Any]:
    """A written-feedback item (unscored text) keyed after its prompt (`strengths`,
    `strengths_2`, …), so formulas and exports get a readable key."""
    taken = all_keys(definition)
    key, number = prompt, 2
    while key in taken:
        key, number = f"{prompt}_{number}", number + 1
    item: dict[str, Any] = {
        "key": key,
        "name": name,
        "type": "text",
        "raters": list(raters),
        "weight": 0,
        "scoring": {"method": "none"},
    }
    if required:
        item["required"] = True
    return item


def entry_from_fields(part: str, data: dict[str, Any]) -> dict[str, Any]:
    """An adjustment (`part` = adjustments) or an output from its editor's fields."""
    name = label(data.get("name_zh"), data.get("name_en"))
    entry: dict[str, Any] = {"key": data["key"].strip()}
    if part == "outputs":
        if name:
            entry["name"] = name
        entry["formula"] = data["formula"].strip()
        return entry
    entry.update(kind=data["kind"], name=name, raters=list(data.get("raters") or []))
    if data["kind"] == "veto":
        entry["condition"] = (data.get("condition") or "").strip()
        entry["grade"] = (data.get("grade") or "").strip()
    else:
        if (data.get("formula") or "").strip():
            entry["formula"] = data["formula"].strip()
        if data.get("max") is not None:
            entry["max"] = as_number(data["max"])
    return entry


def item_from_fields(data: dict[str, Any], scoring: dict[str, Any]) -> dict[str, Any]:
    """An item of the definition from the editor's fields; empty optional fields are left
    out, so exported JSON stays as short as hand-written JSON."""
    item: dict[str, Any] = {
        "key": data["key"].strip(),
        "name": label(data.get("name_zh"), data.get("name_en")),
    }
    for name in ("description", "indicator", "unit"):
        if (data.get(name) or "").strip():
            item[name] = data[name].strip()
    item["type"] = data["type"]
    computed = (data.get("formula") or "").strip()
    item["raters"] = [] if computed else list(data.get("raters") or [])
    item["weight"] = as_number(data.get("weight") or 0)
    item["scoring"] = scoring
    if data["type"] == "rating":
        item["scale"] = data.get("scale") or ""
    if data["type"] == "choice":
        choices = []
        for line, cells in enumerate(parse_rows(data.get("choices") or "", 3, "choices"), 1):
            choice_label = cells[2] if len(cells) > 2 else cells[0]
            value: Any = cells[0]
            with contextlib.suppress(DraftError):
                value = number(cells[0], "choices", line)
            choices.append(
                {"value": value, "score": number(cells[1], "choices", line), "label": choice_label}
            )
        item["choices"] = choices
    if computed:
        item["formula"] = computed
    if (data.get("visible_if") or "").strip():
        item["visible_if"] = data["visible_if"].strip()
    # Scored items are required by default, unscored ones (comments) not: keep only a choice
    # that differs from the default, as hand-written JSON would.
    required_by_default = is_scored(scoring, unset=True)
    if bool(data.get("required", required_by_default)) != required_by_default:
        item["required"] = not required_by_default
    if data.get("allow_na"):
        item["allow_na"] = True
    for name in ("min", "max", "target"):
        if data.get(name) is not None:
            item[name] = as_number(data[name])
    weights = {
        r: as_number(float(data[f"w_{r}"]))
        for r in RATER_WEIGHT_FIELDS
        if data.get(f"w_{r}") is not None
    }
    if weights:
        item["rater_weights"] = weights
    return item


def fields_from_item(item: dict[str, Any]) -> dict[str, Any]:
    """The editor's fields for an item (the inverse of item_from_fields)."""
    zh, en = label_parts(item.get("name"))
    scoring = item.get("scoring") or {}
    data: dict[str, Any] = {
        "key": item.get("key"),
        "name_zh": zh,
        "name_en": en,
        "description": item.get("description", ""),
        "indicator": item.get("indicator", ""),
        "unit": item.get("unit", ""),
        "type": item.get("type", "number"),
        "raters": item.get("raters", []),
        "weight": item.get("weight", 0),
        "method": scoring.get("method", "none"),
        "on": scoring.get("on", "actual"),
        "cap": scoring.get("cap"),
        "floor": scoring.get("floor"),
        "base": scoring.get("base"),
        "per_unit": scoring.get("per_unit"),
        "score_formula": scoring.get("formula", ""),
        "scale": item.get("scale", ""),
        "formula": item.get("formula", ""),
        "visible_if": item.get("visible_if", ""),
        "required": item.get("required", is_scored(scoring, unset=True)),
        "allow_na": item.get("allow_na", False),
        "min": item.get("min"),
        "max": item.get("max"),
        "target": item.get("target"),
        "choices": "\n".join(
            f"{c.get('value')} {c.get('score')} {c.get('label')}" for c in item.get("choices", [])
        ),
    }
    for rater in RATER_WEIGHT_FIELDS:
        data[f"w_{rater}"] = (item.get("rater_weights") or {}).get(rater)
    return data
