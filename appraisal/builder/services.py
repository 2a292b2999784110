"""Builder services: the indicator library and templates with versioned publishing.

Functions take a session and the organization; they record audit events in the caller's
transaction and never commit.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..concurrency import expect_version
from ..db import LIKE_ESCAPE, contains_pattern
from ..errors import ServiceError
from ..i18n import schema_message
from ..inputs import JsonRefused, load_json
from ..models import Indicator, Template, TemplateVersion
from ..paging import Page, paginate
from ..rules import FORMAT, KEY, METHODS, json_number, typed_number, validate
from .draft import as_number, is_scored
from .schemas import LIMITS, check_structure

MAX_IMPORT_BYTES = LIMITS.json_bytes
#: What the indicator form edits (its audit event records each one that moved).
INDICATOR_FIELDS = (
    "key",
    "name_zh",
    "name_en",
    "description",
    "category",
    "unit",
    "direction",
    "item_type",
    "scoring",
    "raters",
    "staff_kind",
)


@dataclass(frozen=True)
class Problem:
    """One thing to fix before a definition is accepted, at its JSON path."""

    path: str
    message: str
    message_zh: str
    element: str = ""  # the section, item, bonus or output it is in: `业绩 results`
    element_zh: str = ""

    def text(self, lang: str) -> str:
        return self.message_zh if lang.startswith("zh") else self.message

    def named(self, lang: str) -> str:
        return self.element_zh if lang.startswith("zh") else self.element


class DefinitionRefused(ServiceError):
    """A definition with problems: `problems` lists each with its path (pages list them,
    the API returns them as details)."""

    def __init__(self, problems: list[Problem], message: Any = None) -> None:
        super().__init__(
            message
            or _l("%(count)d problem(s) to fix first; nothing was saved.", count=len(problems))
        )
        self.problems = problems


_CHECKED: OrderedDict[bytes, tuple[Problem, ...]] = OrderedDict()
_CHECKED_SIZE = 64
_CHECKED_LOCK = threading.Lock()


def definition_problems(data: Any) -> list[Problem]:
    """Structure first (marshmallow), then meaning (the rules engine), each with its path.

    The answer is kept for the 64 most recent definitions (by a hash of their JSON): the
    designer, its try-it page and publishing check the same draft again and again, and the
    largest allowed template takes about a second to check."""
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return _problems(data)
    digest = hashlib.sha256(text.encode()).digest()
    with _CHECKED_LOCK:
        if digest in _CHECKED:
            _CHECKED.move_to_end(digest)
            return list(_CHECKED[digest])
    problems = _problems(data)
    with _CHECKED_LOCK:
        _CHECKED[digest] = tuple(problems)
        while len(_CHECKED) > _CHECKED_SIZE:
            _CHECKED.popitem(last=False)
    return problems


def _schema(message: str) -> LazyString:
    return LazyString(schema_message, message)


def _problems(data: Any) -> list[Problem]:
    structural = check_structure(data)
    if structural:
        return [
            # marshmallow's own messages are English only: worded through the catalogue
            Problem(path or "(top)", message, getattr(message, "zh", None) or _schema(message))
            for path, message in structural
        ]
    return [
        Problem(e.path, e.message, e.message_zh, e.element, e.element_zh) for e in validate(data)
    ]


# -- indicators ------------------------------------------------------------------------------


def list_indicators(
    session: Session,
    org_id: int,
    q: str = "",
    category: str | None = None,
    staff_kind: str | None = None,
    archived: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> Page[Indicator]:
    stmt = (
        select(Indicator)
        .where(Indicator.organization_id == org_id, Indicator.archived == archived)
        .order_by(Indicator.category, Indicator.key)
    )
    if q.strip():
        pattern = contains_pattern(q)
        stmt = stmt.where(
            or_(
                Indicator.key.ilike(pattern, LIKE_ESCAPE),
                Indicator.name_zh.ilike(pattern, LIKE_ESCAPE),
                Indicator.name_en.ilike(pattern, LIKE_ESCAPE),
            )
        )
    if category:
        stmt = stmt.where(Indicator.category == category)
    if staff_kind:
        stmt = stmt.where(Indicator.staff_kind.in_([staff_kind, "any"]))
    return paginate(session, stmt, page, per_page)


def save_indicator(
    session: Session,
    org_id: int,
    user_id: int | None,
    *,
    key: str,
    name_zh: str,
    name_en: str,
    description: str = "",
    category: str = "result",
    unit: str | None = None,
    direction: str = "higher",
    item_type: str = "number",
    scoring: dict[str, Any] | None = None,
    raters: list[str] | None = None,
    staff_kind: str = "any",
    indicator: Indicator | None = None,
    version: int | None = None,
) -> Indicator:
    """`version`: the indicator's version the form showed (None: no expectation)."""
    if indicator is not None:
        expect_version(indicator, version)
    key = key.strip()
    if not KEY.fullmatch(key):
        raise ServiceError(_l("Use 1–60 characters: a–z, 0–9, _ or -."), "key")
    if (
        indicator is not None
        and key != indicator.key
        and published_usage(session, org_id, indicator.key)
    ):
        raise ServiceError(_l("A published template uses this key; it cannot change."), "key")
    if session.scalar(
        select(Indicator.id).where(
            Indicator.organization_id == org_id,
            Indicator.key == key,
            Indicator.id != (indicator.id if indicator else -1),
        )
    ):
        raise ServiceError(_l("An indicator with this key already exists."), "key")
    scoring = scoring or {"method": "none"}
    probe = _probe_item(key, item_type, scoring, raters or ["data"])
    problems = [p for p in definition_problems(probe) if ".items[0].scoring" in p.path]
    if problems:
        raise ServiceError(
            _l("Default scoring: %(problem)s", problem=problems[0].message), "scoring"
        )
    before = audit.snapshot(indicator, INDICATOR_FIELDS)
    indicator = indicator or Indicator(organization_id=org_id)
    indicator.key = key
    indicator.name_zh = name_zh.strip()
    indicator.name_en = name_en.strip()
    indicator.description = description.strip()
    indicator.category = category
    indicator.unit = (unit or "").strip() or None
    indicator.direction = direction
    indicator.item_type = item_type
    indicator.scoring = scoring
    indicator.raters = list(raters or [])
    indicator.staff_kind = staff_kind
    session.add(indicator)
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "indicator.saved",
        "indicator",
        indicator.id,
        key=key,
        changes=audit.changes(before, audit.snapshot(indicator, INDICATOR_FIELDS)),
    )
    return indicator


def _probe_item(
    key: str, item_type: str, scoring: dict[str, Any], raters: list[str]
) -> dict[str, Any]:
    """A one-item definition, so an indicator's default scoring is checked by the engine."""
    item = {
        "key": key.replace("-", "_"),
        "name": key,
        "type": item_type,
        "raters": raters,
        "weight": 100 if is_scored(scoring, unset=True) else 0,
        "scoring": scoring,
    }
    return {
        "format": FORMAT,
        "key": "probe",
        "name": "probe",
        "sections": [{"key": "s", "name": "s", "weight": 100, "items": [item]}],
        "grades": [{"grade": "A", "min": 0}],
    }


# How each kind of small table (`MethodSpec.table`) is stored: a typed row (x, score) as
# JSON, and back.
TABLE_ROWS: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any], tuple[Any, Any]]]] = {
    "bands": (lambda x, score: {"min": x, "score": score}, lambda b: (b["min"], b["score"])),
    "points": (lambda x, score: [x, score], lambda p: (p[0], p[1])),
}


def scoring_from_parts(
    method: str,
    *,
    on: str = "actual",
    cap=None,
    floor=None,
    base=None,
    per_unit=None,
    table: str = "",
    formula: str = "",
) -> dict[str, Any]:
    """A scoring object from the small forms of the library and the item editor: the
    parameters the method declares (`rules.methods.METHODS`), and its table of `min score`
    (bands) or `x score` (linear points) lines."""
    scoring: dict[str, Any] = {"method": method}
    spec = METHODS.get(method)
    if spec is None:  # the form's choices refuse it; the engine names it if it comes here
        return scoring
    if "formula" in spec.parameters:
        scoring["formula"] = formula.strip()
    numbers = {"cap": cap, "floor": floor, "base": base, "per_unit": per_unit}
    for name in spec.numbers:
        if numbers[name] is not None:
            scoring[name] = as_number(float(numbers[name]))
    if spec.table is not None:
        to_json, _ = TABLE_ROWS[spec.table]
        scoring["on"] = on
        scoring[spec.table] = [to_json(x, score) for x, score in _table_rows(table)]
    return scoring


def _table_rows(table: str) -> list[tuple[Any, Any]]:
    rows = []
    for number, line in enumerate(table.strip().splitlines(), start=1):
        parts = line.replace(",", " ").replace("=", " ").split()
        if not parts:
            continue
        x, score = (typed_number(p) for p in parts) if len(parts) == 2 else (None, None)
        if x is None or score is None:
            raise ServiceError(
                _l("Line %(line)d: write two numbers, e.g. “95 100”.", line=number), "table"
            )
        rows.append((json_number(x), json_number(score)))
    return rows


def scoring_table(scoring: dict[str, Any]) -> str:
    """The method's table as the editor shows it, one `x score` line a row."""
    spec = METHODS.get(scoring.get("method"))
    if spec is None or spec.table is None:
        return ""
    _, from_json = TABLE_ROWS[spec.table]
    rows = (from_json(row) for row in scoring.get(spec.table, []))
    return "\n".join(f"{x:g} {y:g}" for x, y in rows)


def item_from_indicator(indicator: Indicator, weight: float = 0) -> dict[str, Any]:
    """A template item pre-filled from the library."""
    item: dict[str, Any] = {
        "key": indicator.key.replace("-", "_"),
        "name": {"en": indicator.name_en, "zh": indicator.name_zh},
        "indicator": indicator.key,
        "type": indicator.item_type,
        "raters": list(indicator.raters) or ["data"],
        "weight": weight,
        "scoring": copy.deepcopy(indicator.scoring) or {"method": "none"},
    }
    if indicator.unit:
        item["unit"] = indicator.unit
    if indicator.description:
        item["description"] = indicator.description
    return item


def published_usage(session: Session, org_id: int, indicator_key: str) -> list[str]:
    """`template vN` labels of published versions with an item drawn from this indicator."""
    used = []
    rows = session.execute(
        select(Template.key, TemplateVersion.version, TemplateVersion.definition)
        .join(TemplateVersion.template)
        .where(TemplateVersion.organization_id == org_id)
        .order_by(Template.key, TemplateVersion.version)
    ).all()
    for template_key, version, definition in rows:
        for section in definition.get("sections", []):
            if any(item.get("indicator") == indicator_key for item in section.get("items", [])):
                used.append(f"{template_key} v{version}")
                break
    return used


def delete_indicator(session: Session, indicator: Indicator, user_id: int | None) -> None:
    used = published_usage(session, indicator.organization_id, indicator.key)
    if used:
        raise ServiceError(
            _l(
                "Published templates use this indicator (%(used)s); archive it instead.",
                used=", ".join(used),
            )
        )
    audit.record(
        session,
        indicator.organization_id,
        user_id,
        "indicator.deleted",
        "indicator",
        indicator.id,
        key=indicator.key,
    )
    session.delete(indicator)


def set_indicator_archived(
    session: Session, indicator: Indicator, archived: bool, user_id: int | None
) -> None:
    indicator.archived = archived
    audit.record(
        session,
        indicator.organization_id,
        user_id,
        "indicator.archived" if archived else "indicator.restored",
        "indicator",
        indicator.id,
    )


# -- templates -------------------------------------------------------------------------------


def blank_definition(
    key: str, name: Any, staff: str = "any", period: str = "quarter"
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "key": key,
        "name": name,
        "staff": staff,
        "period": period,
        "rater_weights": {"self": 20, "manager": 80},
        "scales": {
            "five": [
                {"value": 5, "label": {"en": "Outstanding", "zh": "卓越"}, "score": 100},
                {"value": 4, "label": {"en": "Exceeds", "zh": "良好"}, "score": 85},
                {"value": 3, "label": {"en": "Meets", "zh": "达标"}, "score": 70},
                {"value": 2, "label": {"en": "Below", "zh": "待改进"}, "score": 50},
                {"value": 1, "label": {"en": "Poor", "zh": "不合格"}, "score": 30},
            ]
        },
        "sections": [],
        "adjustments": [],
        "grades": [
            {"grade": "S", "min": 95},
            {"grade": "A", "min": 85},
            {"grade": "B", "min": 70},
            {"grade": "C", "min": 60},
            {"grade": "D", "min": 0},
        ],
        "outputs": [],
    }


def list_templates(
    session: Session, org_id: int, q: str = "", page: int = 1, per_page: int = 20
) -> Page[Template]:
    stmt = (
        select(Template)
        .where(Template.organization_id == org_id)
        .options(selectinload(Template.versions))
        .order_by(Template.archived, Template.key)
    )
    if q.strip():
        stmt = stmt.where(Template.key.ilike(contains_pattern(q), LIKE_ESCAPE))
    return paginate(session, stmt, page, per_page)


def templates_by_key(session: Session, org_id: int) -> list[Template]:
    """Every template of the organization, archived too, by key (the API's list)."""
    return list(
        session.scalars(
            select(Template)
            .where(Template.organization_id == org_id)
            .options(selectinload(Template.versions))
            .order_by(Template.key)
        )
    )


def library_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """(id, "key · 中文 / English") of the indicators a designer may add to a template."""
    rows = session.execute(
        select(Indicator.id, Indicator.key, Indicator.name_zh, Indicator.name_en)
        .where(Indicator.organization_id == org_id, Indicator.archived.is_(False))
        .order_by(Indicator.key)
    ).all()
    return [(r.id, f"{r.key} · {r.name_zh} / {r.name_en}") for r in rows]


def _key_taken(session: Session, org_id: int, key: str) -> bool:
    return bool(
        session.scalar(
            select(Template.id).where(Template.organization_id == org_id, Template.key == key)
        )
    )


def create_template(
    session: Session,
    org_id: int,
    user_id: int | None,
    *,
    key: str,
    name: Any,
    staff: str = "any",
    period: str = "quarter",
) -> Template:
    key = key.strip()
    if not KEY.fullmatch(key):
        raise ServiceError(_l("Use 1–60 characters: a–z, 0–9, _ or -."), "key")
    if _key_taken(session, org_id, key):
        raise ServiceError(_l("A template with this key already exists."), "key")
    template = Template(
        organization_id=org_id,
        key=key,
        updated_by_id=user_id,
        draft=blank_definition(key, name, staff, period),
    )
    session.add(template)
    session.flush()
    audit.record(session, org_id, user_id, "template.created", "template", template.id, key=key)
    return template


def start_draft(template: Template) -> dict[str, Any]:
    """The draft to edit; editing a published template starts one from its latest version."""
    if template.draft is None:
        template.draft = copy.deepcopy(template.latest.definition) if template.latest else {}
    return template.draft


def save_draft(
    session: Session, template: Template, definition: dict[str, Any], user_id: int | None
) -> None:
    """Keep a draft as the designer has it; drafts may still have problems."""
    definition = copy.deepcopy(definition)
    definition["key"] = template.key
    before = template.draft or (template.latest.definition if template.latest else {})
    template.draft = definition
    template.updated_by_id = user_id
    audit.record(
        session,
        template.organization_id,
        user_id,
        "template.draft_saved",
        "template",
        template.id,
        changes=audit.changes(before, definition),
    )


def next_version(draft: dict[str, Any] | None, problems: Callable[[Any], list], latest) -> int:
    """The number a draft is published under (the latest version's + 1), once it exists and
    `problems(draft)` finds nothing; otherwise refused with every problem listed. Shared by
    templates and activity forms, which publish the same way."""
    if draft is None:
        raise ServiceError(_l("There is no draft to publish."))
    found = problems(draft)
    if found:
        raise DefinitionRefused(
            found, _l("Not published: %(count)d problem(s) to fix first.", count=len(found))
        )
    return (latest.version if latest else 0) + 1


def publish(session: Session, template: Template, user_id: int | None) -> TemplateVersion:
    """Make the draft an immutable version N+1; refused with every problem listed."""
    previous = template.latest
    number = next_version(template.draft, definition_problems, previous)
    version = TemplateVersion(
        organization_id=template.organization_id,
        template=template,
        version=number,
        definition=copy.deepcopy(template.draft),
        published_by_id=user_id,
        summary=summarize_changes(previous.definition if previous else None, template.draft),
    )
    session.add(version)
    template.draft = None
    template.updated_by_id = user_id
    session.flush()
    audit.record(
        session,
        template.organization_id,
        user_id,
        "template.published",
        "template",
        template.id,
        version=number,
        summary=version.summary,
    )
    return version


def summarize_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """What changed between two definitions, in short lines for the history page."""
    if old is None:
        return ["first version"]
    lines: list[str] = []
    old_items = _items_by_key(old)
    new_items = _items_by_key(new)
    for key in new_items.keys() - old_items.keys():
        lines.append(f"item {key} added")
    for key in old_items.keys() - new_items.keys():
        lines.append(f"item {key} removed")
    for key in sorted(new_items.keys() & old_items.keys()):
        before, after = old_items[key], new_items[key]
        if before.get("weight") != after.get("weight"):
            lines.append(f"item {key} weight {before.get('weight')} → {after.get('weight')}")
        changed = sorted(
            k
            for k in before.keys() | after.keys()
            if k != "weight" and before.get(k) != after.get(k)
        )
        if changed:
            lines.append(f"item {key}: {', '.join(changed)} changed")
    old_sections = {s.get("key"): s for s in old.get("sections", [])}
    for section in new.get("sections", []):
        before = old_sections.get(section.get("key"))
        if before is None:
            lines.append(f"section {section.get('key')} added")
        elif before.get("weight") != section.get("weight"):
            lines.append(
                f"section {section.get('key')} weight {before.get('weight')} → "
                f"{section.get('weight')}"
            )
    for part in ("adjustments", "grades", "outputs", "scales", "rater_weights", "name"):
        if old.get(part) != new.get(part):
            lines.append(f"{part} changed")
    return sorted(set(lines), key=lines.index) or ["no change"]


def _items_by_key(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        item.get("key"): item
        for section in definition.get("sections", [])
        for item in section.get("items", [])
        if isinstance(item, dict)
    }


def export_definition(template: Template, version: int | None = None) -> dict[str, Any] | None:
    """The draft (or latest version), or published version `version`; None when there is no
    such version (a page answers 404)."""
    if version is None:
        return copy.deepcopy(template.definition)
    for published in template.versions:
        if published.version == version:
            return copy.deepcopy(published.definition)
    return None


def parse_upload(raw: bytes) -> Any:
    """The JSON of an uploaded file, or ServiceError saying what is wrong with it."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ServiceError(_l("The file is larger than 1 MB; a template is much smaller."), "file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(
            _l("The file is not UTF-8 text; export it again as JSON."), "file"
        ) from None
    try:
        return load_json(text)
    except JsonRefused as refused:
        raise ServiceError(
            _l(
                "The file holds data that a template cannot (%(problem)s).",
                problem=refused.message
                if not refused.path
                else f"{refused.path}: {refused.message}",
            ),
            "file",
        ) from None
    except json.JSONDecodeError as error:
        raise ServiceError(
            _l(
                "The file is not valid JSON (line %(line)d, column %(column)d).",
                line=error.lineno,
                column=error.colno,
            ),
            "file",
        ) from None
    except ValueError:  # an integer of thousands of digits (nesting is refused above)
        raise ServiceError(
            _l("The file holds a number too long to be a template."), "file"
        ) from None


def import_template(
    session: Session, org_id: int, user_id: int | None, data: Any, as_copy: bool = False
) -> Template:
    """A new template whose draft is exactly the uploaded definition (so exporting it again
    gives the same file); refused with every problem when it is not a valid definition."""
    problems = definition_problems(data)
    if problems:
        raise DefinitionRefused(problems)
    definition = copy.deepcopy(data)
    key = definition["key"]
    if _key_taken(session, org_id, key):
        if not as_copy:
            raise DefinitionRefused(
                [
                    Problem(
                        "key",
                        f"a template with key `{key}` exists; import it as a copy",
                        f"已存在键为 `{key}` 的模板，请作为副本导入",
                    )
                ]
            )
        key = _free_key(session, org_id, key)
        definition["key"] = key
    template = Template(organization_id=org_id, key=key, draft=definition, updated_by_id=user_id)
    session.add(template)
    session.flush()
    audit.record(session, org_id, user_id, "template.imported", "template", template.id, key=key)
    return template


def clone_template(session: Session, template: Template, user_id: int | None) -> Template:
    definition = copy.deepcopy(template.definition)
    key = _free_key(session, template.organization_id, template.key)
    definition["key"] = key
    clone = Template(
        organization_id=template.organization_id, key=key, draft=definition, updated_by_id=user_id
    )
    session.add(clone)
    session.flush()
    audit.record(
        session,
        template.organization_id,
        user_id,
        "template.cloned",
        "template",
        clone.id,
        source=template.key,
    )
    return clone


def _free_key(session: Session, org_id: int, key: str) -> str:
    base = re.sub(r"-copy(-\d+)?\Z", "", key)[:50]
    taken = set(
        session.scalars(
            select(Template.key).where(
                Template.organization_id == org_id, Template.key.like(f"{base}-copy%")
            )
        )
    )
    candidate, number = f"{base}-copy", 2
    while candidate in taken:
        candidate, number = f"{base}-copy-{number}", number + 1
    return candidate


def published_versions(session: Session, template: Template) -> list[TemplateVersion]:
    """The template's versions, newest first, with who published each."""
    return list(
        session.scalars(
            select(TemplateVersion)
            .where(TemplateVersion.template_id == template.id)
            .options(selectinload(TemplateVersion.published_by))
            .order_by(TemplateVersion.version.desc())
        )
    )
