"""Loading a pack's indicators, templates and activity forms into an organization.

Everything goes through the builder's own services, so a pack is validated exactly like a
JSON import. Loading merges by key and never duplicates: what is new is added (templates are
published as version 1), what is there already and equal is skipped, and what is there but
different is left as the organization has it and reported, so an adapted template is never
overwritten. Activity forms are loaded the same way, through the builder's import, and
published as version 1. Metric rules come last (they read those forms), each checked by
`rules.validate_metric` against what the organization records; an invalid one refuses the
whole load with its problems, as an invalid template does. Which metric fills which template
item (the pack's `bindings`) is applied when the pack creates schemes (`packs.demo`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..builder import activity_types
from ..builder import services as builder
from ..builder.services import DefinitionRefused, Problem
from ..errors import ServiceError
from ..models import Indicator, Membership, Metric, Organization, Template
from ..rules import EVENT_KINDS, MetricSource, compile_activity, validate_metric
from ..runtime.metrics.definitions import fields_of, metric_definitions
from . import Pack

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
#: A source's fields and their types (None: no such source), as `validate_metric` asks.
FieldsOf = Callable[[MetricSource], Mapping[str, str] | None]


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return {"added": self.added, "skipped": self.skipped, "differs": self.differs}


@dataclass
class PackReport:
    indicators: LoadReport = field(default_factory=LoadReport)
    templates: LoadReport = field(default_factory=LoadReport)
    activities: LoadReport = field(default_factory=LoadReport)
    metrics: LoadReport = field(default_factory=LoadReport)


def _indicator_fields(raw: dict[str, Any]) -> dict[str, Any]:
    name = raw["name"]
    return {
        "key": raw["key"],
        "name_zh": name.get("zh", "") if isinstance(name, dict) else name,
        "name_en": name.get("en", "") if isinstance(name, dict) else name,
        "description": raw.get("description", ""),
        "category": raw.get("category", "result"),
        "unit": raw.get("unit"),
        "direction": raw.get("direction", "higher"),
        "item_type": raw.get("type", "number"),
        "scoring": raw.get("scoring") or {"method": "none"},
        "raters": list(raw.get("raters") or []),
        "staff_kind": raw.get("staff", "any"),
    }


def _same_indicator(row: Indicator, wanted: dict[str, Any]) -> bool:
    return all(getattr(row, name) == value for name, value in wanted.items())


def load_pack(session: Session, org_id: int, pack: Pack, user_id: int | None) -> PackReport:
    """Merge the pack's indicators and templates into the organization; raises the
    builder's ServiceError or DefinitionRefused if the pack itself is invalid (its metrics
    and bindings are checked before anything is written)."""
    problems = metric_problems(pack) + binding_problems(pack)
    if problems:
        raise DefinitionRefused(problems)
    report = PackReport()
    existing = {
        row.key: row
        for row in session.scalars(select(Indicator).where(Indicator.organization_id == org_id))
    }
    for raw in pack.indicators:
        wanted = _indicator_fields(raw)
        row = existing.get(wanted["key"])
        if row is None:
            builder.save_indicator(session, org_id, user_id, **wanted)
            report.indicators.added.append(wanted["key"])
        elif _same_indicator(row, wanted):
            report.indicators.skipped.append(wanted["key"])
        else:
            report.indicators.differs.append(wanted["key"])

    templates = {
        row.key: row
        for row in session.scalars(select(Template).where(Template.organization_id == org_id))
    }
    for definition in pack.templates:
        key = definition["key"]
        row = templates.get(key)
        if row is None:
            template = builder.import_template(session, org_id, user_id, definition)
            builder.publish(session, template, user_id)
            report.templates.added.append(key)
        elif row.definition == definition:
            report.templates.skipped.append(key)
        else:
            report.templates.differs.append(key)
    _load_activities(session, org_id, pack, user_id, report.activities)
    session.flush()
    _load_metrics(session, org_id, pack, user_id, report.metrics)
    audit.record(
        session,
        org_id,
        user_id,
        "pack.loaded",
        "organization",
        org_id,
        pack=pack.key,
        indicators=report.indicators.to_dict(),
        templates=report.templates.to_dict(),
        activities=report.activities.to_dict(),
        metrics=report.metrics.to_dict(),
    )
    return report


def _load_activities(
    session: Session, org_id: int, pack: Pack, user_id: int | None, report: LoadReport
) -> None:
    """Each of the pack's activity forms that the organization lacks, imported (the same
    check as a file upload) and published; one it has is skipped or reported as adapted."""
    existing = activity_types.types_by_key(session, org_id)
    for definition in pack.activities:
        key = definition["key"]
        row = existing.get(key)
        if row is None:
            added = activity_types.import_type(session, org_id, user_id, definition)
            activity_types.publish(session, added, user_id)
            report.added.append(key)
        elif row.definition == definition:
            report.skipped.append(key)
        else:
            report.differs.append(key)


def _load_metrics(
    session: Session, org_id: int, pack: Pack, user_id: int | None, report: LoadReport
) -> None:
    """Each of the pack's metric rules the organization lacks, checked against the forms it
    really records (an adapted form may lack a field the rule reads): any problem refuses
    the load, which the caller rolls back."""
    problems = metric_problems(pack, fields_of(session, org_id))
    if problems:
        raise DefinitionRefused(problems)
    existing = metric_definitions(session, org_id)
    for definition in pack.metrics:
        key = definition["key"]
        row = existing.get(key)
        if row is None:
            session.add(
                Metric(
                    organization_id=org_id,
                    key=key,
                    definition=definition,
                    updated_by_id=user_id,
                )
            )
            report.added.append(key)
        elif row.definition == definition:
            report.skipped.append(key)
        else:
            report.differs.append(key)
    session.flush()


def pack_fields_of(pack: Pack) -> FieldsOf:
    """What the pack's metrics may read without a database: its own activity forms and the
    business event kinds (the same answer `fields_of` gives once the pack is loaded)."""
    forms = {d["key"]: compile_activity(d) for d in pack.activities}

    def lookup(source: MetricSource) -> dict[str, str] | None:
        if source.kind == "activity" and source.key in forms:
            return {f.key: f.type for f in forms[source.key].fields}
        if source.kind == "event" and source.key in EVENT_KINDS:
            return {f.key: f.type for f in EVENT_KINDS[source.key].fields}
        return None

    return lookup


def metric_problems(pack: Pack, lookup: FieldsOf | None = None) -> list[Problem]:
    """Every problem of the pack's metric rules, each path prefixed with the metric's file
    (`metrics/<key>.json: filter[0].value`)."""
    lookup = lookup or pack_fields_of(pack)
    definitions = {d.get("key"): d for d in pack.metrics if isinstance(d, dict)}
    problems = []
    for index, definition in enumerate(pack.metrics):
        name = f"metrics/{definition.get('key', index)}.json"
        for error in validate_metric(definition, lookup, definitions):
            problems.append(
                Problem(f"{name}: {error.path}", error.message, error.message_zh, name, name)
            )
    if len(definitions) != len(pack.metrics):
        problems.append(Problem("metrics", "metric keys must be unique", "指标键不能重复"))
    return problems


def binding_problems(pack: Pack) -> list[Problem]:
    """Bindings naming a template, a `data` item or a metric the pack does not have."""
    templates = {t["key"]: t for t in pack.templates}
    metrics = {d.get("key") for d in pack.metrics}
    problems = []
    for template_key, items in pack.bindings.items():
        at = f"bindings.{template_key}"
        if template_key not in templates:
            problems.append(Problem(at, "no such template in the pack", "包中没有该模板"))
            continue
        data_items = data_item_keys(templates[template_key])
        for item_key, metric_key in items.items():
            if item_key not in data_items:
                problems.append(
                    Problem(
                        f"{at}.{item_key}", "not a `data` item of the template", "不是模板的数据项"
                    )
                )
            if metric_key not in metrics:
                problems.append(
                    Problem(
                        f"{at}.{item_key}",
                        f"no metric `{metric_key}` in the pack",
                        f"包中没有指标 `{metric_key}`",
                    )
                )
    return problems


def data_item_keys(definition: dict[str, Any]) -> set[str]:
    """The keys of a template's items and adjustments filled by `data` (imported figures)."""
    entries = [i for s in definition.get("sections", []) for i in s.get("items", [])]
    entries += definition.get("adjustments", [])
    return {e["key"] for e in entries if "data" in (e.get("raters") or [])}


@dataclass(frozen=True)
class NewOrganization:
    organization: Organization
    report: PackReport
    #: The demo people's sign-ins (email, roles, password), to show once.
    sign_ins: list[tuple[str, list[str], str]] = field(default_factory=list)


def create_organization(
    session: Session,
    pack: Pack,
    *,
    name: str,
    slug: str,
    creator_id: int,
    with_demo: bool,
) -> NewOrganization:
    """A new organization started from a pack, with its creator as HR admin and implementer
    (so someone can add the customer's own HR admin); optionally with the pack's demo people
    and cycle, whose random passwords are returned to be shown once."""
    from .demo import load_demo_organization

    slug = slug.strip().lower()
    if not SLUG.fullmatch(slug):
        raise ServiceError(_l("Use 2–40 characters: a–z, 0–9 and -."), "slug")
    if session.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise ServiceError(_l("This short name is taken."), "slug")
    sign_ins: list[tuple[str, list[str], str]] = []
    if with_demo:
        demo = load_demo_organization(session, pack, slug, name.strip(), acting_user_id=creator_id)
        organization, report = demo.organization, demo.report
        sign_ins = [(email, roles, demo.passwords[email]) for email, roles in demo.logins]
    else:
        organization = Organization(slug=slug, name=name.strip())
        session.add(organization)
        session.flush()
        report = load_pack(session, organization.id, pack, creator_id)
    membership = Membership(user_id=creator_id, organization_id=organization.id)
    membership.set_roles({"admin", "implementer"})
    session.add(membership)
    session.flush()
    audit.record(
        session,
        organization.id,
        creator_id,
        "organization.created",
        "organization",
        organization.id,
        pack=pack.key,
        demo=with_demo,
        creator_roles=sorted(membership.roles),
    )
    return NewOrganization(organization, report, sign_ins)
