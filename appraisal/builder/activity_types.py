"""Activity types in the builder: forms field staff fill in (daily report, customer visit,
check-in...), drafted without code and published as immutable versions, like templates.

Every definition that is published, imported or loaded from a pack passes the same check
(`rules.validate_activity`); a draft may still have problems, but an edit that breaks the
part being edited is refused with each problem next to its input. Functions take a session,
record audit events in the caller's transaction and never commit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..concurrency import expect_version
from ..errors import ServiceError
from ..i18n import in_language
from ..models import ActivityType, ActivityTypeVersion, Department, Position
from ..rules import ACTIVITY_FORMULA_TYPES, KEY, DefinitionError, validate_activity
from . import activity_draft as drafts
from .services import DefinitionRefused, Problem, next_version


class ActivityRefused(ServiceError):
    """An edit whose result has problems in the part being edited: `errors` maps each
    input of the page's form to its message (shown next to it, what was typed kept)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(_l("Not saved: correct the marked fields."))
        self.errors = errors


def activity_problems(definition: Any) -> list[Problem]:
    """Every problem of an `activity/1` definition, each at its JSON path, in both languages."""
    return [
        Problem(e.path or "(top)", e.message, e.message_zh, e.element, e.element_zh)
        for e in validate_activity(definition)
    ]


def _in_language(problem: Problem) -> Any:
    return in_language(problem.message, problem.message_zh)


# -- reading ---------------------------------------------------------------------------------


def list_types(session: Session, org_id: int) -> list[ActivityType]:
    """Every activity type of the organization, archived ones last."""
    return list(
        session.scalars(
            select(ActivityType)
            .where(ActivityType.organization_id == org_id)
            .options(selectinload(ActivityType.versions))
            .order_by(ActivityType.archived, ActivityType.key)
        )
    )


def published_versions(session: Session, activity_type: ActivityType) -> list[ActivityTypeVersion]:
    """The type's versions, newest first, with who published each."""
    return list(
        session.scalars(
            select(ActivityTypeVersion)
            .where(ActivityTypeVersion.activity_type_id == activity_type.id)
            .options(selectinload(ActivityTypeVersion.published_by))
            .order_by(ActivityTypeVersion.version.desc())
        )
    )


def version_of(activity_type: ActivityType, number: int) -> ActivityTypeVersion | None:
    return next((v for v in activity_type.versions if v.version == number), None)


def who_choices(session: Session, org_id: int) -> tuple[list[str], list[str]]:
    """The organization's position and department names, for "who may record it"."""
    positions = session.scalars(
        select(Position.name).where(Position.organization_id == org_id).order_by(Position.name)
    )
    departments = session.scalars(
        select(Department.name)
        .where(Department.organization_id == org_id)
        .order_by(Department.name)
    )
    return list(dict.fromkeys(positions)), list(dict.fromkeys(departments))


def formula_names(definition: dict[str, Any], key: str | None) -> list[str]:
    """The fields a condition of field `key` can read: those above it (all, for a new field)."""
    names = []
    for field in definition.get("fields") or []:
        if not isinstance(field, dict):
            continue
        if key is not None and field.get("key") == key:
            break
        if field.get("type") in ACTIVITY_FORMULA_TYPES and isinstance(field.get("key"), str):
            names.append(field["key"])
    return names


def check_condition(
    definition: dict[str, Any], key: str | None, part: str, formula: str
) -> DefinitionError | None:
    """A condition as it is typed, checked in its place in the form (`part`: `visible_if`
    or `required`): the first problem the rules find there, or None."""
    fields = definition.get("fields") or []
    index = next(
        (i for i, f in enumerate(fields) if isinstance(f, dict) and f.get("key") == key),
        None,
    )
    if index is not None:
        probe = copy.deepcopy(fields[index])
    else:
        probe = {"key": key or "zz_new_field", "label": "-", "type": "text"}
    probe[part] = formula
    candidate, where = drafts.put_field(definition, probe, key if index is not None else None)
    path = f"fields[{where}].{part}"
    return next((e for e in validate_activity(candidate) if e.path == path), None)


# -- creating and editing the draft -----------------------------------------------------------


def _key_taken(session: Session, org_id: int, key: str) -> bool:
    return bool(
        session.scalar(
            select(ActivityType.id).where(
                ActivityType.organization_id == org_id, ActivityType.key == key
            )
        )
    )


def create_type(
    session: Session, org_id: int, user_id: int | None, *, key: str, name: Any, kind: str
) -> ActivityType:
    key = key.strip()
    if not KEY.fullmatch(key):
        raise ServiceError(_l("Use 1–60 characters: a–z, 0–9, _ or -."), "key")
    if _key_taken(session, org_id, key):
        raise ServiceError(_l("An activity form with this key already exists."), "key")
    activity_type = ActivityType(
        organization_id=org_id,
        key=key,
        draft=drafts.blank_activity(key, name, kind),
        updated_by_id=user_id,
    )
    session.add(activity_type)
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "activity_type.created",
        "activity_type",
        activity_type.id,
        key=key,
    )
    return activity_type


def _refuse_problems_at(problems: list[Problem], where: Callable[[str], str | None]) -> None:
    """Refuse an edit if a problem falls on an input of the page (`where(path)` names it)."""
    errors: dict[str, Any] = {}
    for problem in problems:
        name = where(problem.path)
        if name is not None and name not in errors:
            errors[name] = _in_language(problem)
    if errors:
        raise ActivityRefused(errors)


def save_draft(
    session: Session,
    activity_type: ActivityType,
    definition: dict[str, Any],
    user_id: int | None,
    version: int | None,
    what: str = "",
) -> None:
    """Keep the draft as the builder has it (it may still have problems elsewhere); refused
    when someone else saved the type since the page showed `version`."""
    expect_version(activity_type, version)
    definition = copy.deepcopy(definition)
    definition["key"] = activity_type.key
    before = activity_type.draft or {}
    activity_type.draft = definition
    activity_type.updated_by_id = user_id
    audit.record(
        session,
        activity_type.organization_id,
        user_id,
        "activity_type.draft_saved",
        "activity_type",
        activity_type.id,
        changes=audit.changes(before, definition),
        **({"change": what} if what else {}),
    )


def save_field(
    session: Session,
    activity_type: ActivityType,
    inputs: dict[str, Any],
    old_key: str | None,
    user_id: int | None,
    version: int | None,
) -> dict[str, Any]:
    """Add a field (`old_key` None) or replace one, from the editor's inputs; refused with
    each problem of that field next to its input."""
    expect_version(activity_type, version)
    field = drafts.field_from_inputs(inputs)
    try:
        updated, index = drafts.put_field(start_draft(activity_type), field, old_key)
    except drafts.FieldMissing:
        raise ServiceError(_l("This field was removed meanwhile.")) from None

    def where(path: str) -> str | None:
        place = drafts.field_of(path)
        if place is not None and place[0] == index:
            return drafts.input_for_field_problem(place[1])
        if path == "fields" and len(updated["fields"]) > 1:  # two customer or location fields
            return "type"
        return None

    _refuse_problems_at(activity_problems(updated), where)
    save_draft(session, activity_type, updated, user_id, None, f"field {field['key']}")
    return field


def change_fields(
    session: Session,
    activity_type: ActivityType,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    user_id: int | None,
    version: int | None,
    what: str,
) -> None:
    """Move or remove a field (other fields' conditions may then need fixing: the page
    lists those problems, and publishing waits for them)."""
    expect_version(activity_type, version)
    try:
        updated = change(start_draft(activity_type))
    except drafts.FieldMissing:
        raise ServiceError(_l("This field was removed meanwhile.")) from None
    save_draft(session, activity_type, updated, user_id, None, what)


def save_settings(
    session: Session,
    activity_type: ActivityType,
    user_id: int | None,
    version: int | None,
    **settings: Any,
) -> None:
    """Name, description, kind, manager review and who may record it."""
    expect_version(activity_type, version)
    updated = drafts.update_settings(start_draft(activity_type), **settings)
    _refuse_problems_at(activity_problems(updated), drafts.input_for_settings_problem)
    save_draft(session, activity_type, updated, user_id, None, "settings")


def start_draft(activity_type: ActivityType) -> dict[str, Any]:
    """The draft to edit; editing a published type starts one from its latest version."""
    if activity_type.draft is not None:
        return activity_type.draft
    latest = activity_type.latest
    return copy.deepcopy(latest.definition) if latest else {}


# -- publishing, archiving -------------------------------------------------------------------


def publish(
    session: Session, activity_type: ActivityType, user_id: int | None, version: int | None = None
) -> ActivityTypeVersion:
    """Make the draft an immutable version N+1; refused with every problem listed. Records
    already made keep the version they were made with."""
    expect_version(activity_type, version)
    number = next_version(activity_type.draft, activity_problems, activity_type.latest)
    published = ActivityTypeVersion(
        organization_id=activity_type.organization_id,
        activity_type=activity_type,
        version=number,
        definition=copy.deepcopy(activity_type.draft),
        published_by_id=user_id,
    )
    session.add(published)
    activity_type.draft = None
    activity_type.updated_by_id = user_id
    session.flush()
    audit.record(
        session,
        activity_type.organization_id,
        user_id,
        "activity_type.published",
        "activity_type",
        activity_type.id,
        version=number,
    )
    return published


def set_archived(
    session: Session, activity_type: ActivityType, archived: bool, user_id: int | None
) -> None:
    """An archived type cannot be recorded any more; its records stay as they are."""
    if activity_type.archived == archived:
        return
    activity_type.archived = archived
    activity_type.updated_by_id = user_id
    audit.record(
        session,
        activity_type.organization_id,
        user_id,
        "activity_type.archived" if archived else "activity_type.restored",
        "activity_type",
        activity_type.id,
    )


# -- import and export -----------------------------------------------------------------------


def export_definition(
    activity_type: ActivityType, version: int | None = None
) -> dict[str, Any] | None:
    """The draft (or latest version), or published version `version`; None when there is
    no such version."""
    if version is None:
        return copy.deepcopy(start_draft(activity_type))
    published = version_of(activity_type, version)
    return copy.deepcopy(published.definition) if published else None


def _free_key(session: Session, org_id: int, key: str) -> str:
    taken = set(
        session.scalars(
            select(ActivityType.key).where(
                ActivityType.organization_id == org_id, ActivityType.key.like(f"{key[:50]}-copy%")
            )
        )
    )
    candidate, number = f"{key[:50]}-copy", 2
    while candidate in taken:
        candidate, number = f"{key[:50]}-copy-{number}", number + 1
    return candidate


def import_type(
    session: Session, org_id: int, user_id: int | None, data: Any, as_copy: bool = False
) -> ActivityType:
    """A new activity type whose draft is exactly the uploaded definition (exporting it
    again gives the same file); refused with every problem when it is not valid."""
    problems = activity_problems(data)
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
                        f"an activity form with key `{key}` exists; import it as a copy",
                        f"已存在键为 `{key}` 的活动表单，请作为副本导入",
                    )
                ]
            )
        key = definition["key"] = _free_key(session, org_id, key)
    activity_type = ActivityType(
        organization_id=org_id, key=key, draft=definition, updated_by_id=user_id
    )
    session.add(activity_type)
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "activity_type.imported",
        "activity_type",
        activity_type.id,
        key=key,
    )
    return activity_type


def types_by_key(session: Session, org_id: int) -> dict[str, ActivityType]:
    return {t.key: t for t in list_types(session, org_id)}
