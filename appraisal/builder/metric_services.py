"""Metrics in the builder: list, create, edit, archive and preview the rules that turn field
records and business events into one number per person and period (`metric/1`).

Every save is checked by `rules.validate_metric` against what the organization really
records (`runtime.metrics.definitions.fields_of`) and its other metrics (a ratio divides
two of them); a refused save carries every problem at its JSON path, for the page to put
next to its input. A metric's key never changes after creation: scheme bindings and ratios
refer to it. Functions take a session, audit in the caller's transaction and never commit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..concurrency import expect_version
from ..errors import ServiceError
from ..i18n import label_text
from ..labels import METRIC_BUILTIN
from ..models import Cycle, Employee, Metric, Organization, SchemeMetric
from ..paging import Page, paginate_list
from ..rules import (
    EVENT_KINDS,
    KEY,
    METRIC_FORMULA_TYPES,
    DefinitionError,
    Measure,
    MetricSource,
    builtin_fields,
    validate_metric,
)
from ..runtime.fieldwork.reading import form_of
from ..runtime.metrics import compute
from ..runtime.metrics.definitions import activity_types, compiled_metrics, fields_of
from ..states import CycleState

#: What the editor's source select posts for the customers-assigned source.
ASSIGNED = "customers:assigned"
#: ... and for plan tasks completed on time (a share).
PLANS_ON_TIME = "plans:on_time"


class MetricRefused(ServiceError):
    """A save whose definition has problems: `problems` are the rules' errors, each at its
    JSON path (`filter[1].value`), in both languages."""

    def __init__(self, problems: list[DefinitionError]) -> None:
        super().__init__(_l("Not saved: correct the marked fields."))
        self.problems = problems


def _problem(path: str, en: str, zh: str) -> DefinitionError:
    return DefinitionError(path, en, zh)


# -- what a metric may read ------------------------------------------------------------------


@dataclass(frozen=True)
class SourceField:
    key: str
    label: str
    type: str


@dataclass(frozen=True)
class Source:
    """One source a metric may read, as the editor offers it (`value` is what it posts)."""

    value: str
    label: str
    fields: tuple[SourceField, ...]

    def of_types(self, *types: str) -> list[SourceField]:
        return [f for f in self.fields if not types or f.type in types]


def source_value(raw: Any) -> str:
    """A definition's source as the editor's select value (`activity:visit`)."""
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, key),) = raw.items()
        return f"{kind}:{key}"
    return ""


def source_from_value(value: str) -> dict[str, str] | None:
    kind, _, key = (value or "").partition(":")
    return {kind: key} if kind and key else None


def sources(session: Session, org_id: int) -> list[Source]:
    """Each published activity form (by name), each event kind (by its words), the
    customers assigned and plan tasks completed on time; with their fields in the user's
    language."""
    found = []
    for key, activity_type in activity_types(session, org_id).items():
        assert activity_type.latest is not None
        form = form_of(activity_type.latest)
        fields = [SourceField(f.key, label_text(f.label) or f.key, f.type) for f in form.fields]
        found.append(
            Source(
                f"activity:{key}",
                label_text(form.name) or key,
                _with_builtins(fields, MetricSource("activity", key)),
            )
        )
    for kind, form in EVENT_KINDS.items():
        fields = [SourceField(f.key, label_text(f.label), f.type) for f in form.fields]
        found.append(
            Source(
                f"event:{kind}",
                label_text(form.name),
                _with_builtins(fields, MetricSource("event", kind)),
            )
        )
    found.append(Source(ASSIGNED, str(_l("Customers assigned")), ()))
    found.append(Source(PLANS_ON_TIME, str(_l("Plan tasks completed on time (a share)")), ()))
    return found


def _with_builtins(fields: list[SourceField], source: MetricSource) -> tuple[SourceField, ...]:
    builtins = builtin_fields(source)
    own = [f for f in fields if f.key not in builtins]  # a builtin wins over a field
    extra = [SourceField(k, str(METRIC_BUILTIN.get(k, k)), t) for k, t in builtins.items()]
    return tuple(own + extra)


# -- reading ---------------------------------------------------------------------------------


def list_metrics(
    session: Session,
    org_id: int,
    q: str = "",
    archived: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> Page[Metric]:
    """The organization's metrics by key, searched by key or name in either language. The
    names live in the JSON definition, so the search runs here (an organization has tens of
    metrics, not thousands)."""
    rows = session.scalars(
        select(Metric)
        .where(Metric.organization_id == org_id, Metric.archived == archived)
        .order_by(Metric.key)
    ).all()
    needle = q.strip().casefold()
    if needle:
        rows = [m for m in rows if needle in _searchable(m)]
    return paginate_list(rows, page, per_page)


def _searchable(metric: Metric) -> str:
    name = metric.definition.get("name")
    names = name.values() if isinstance(name, dict) else [name]
    return " ".join([metric.key, *(str(n) for n in names if n)]).casefold()


def ratio_parts(session: Session, org_id: int, exclude: str | None = None) -> list[Metric]:
    """The metrics a ratio may divide: active ones that are not ratios themselves."""
    return [
        m
        for m in session.scalars(
            select(Metric)
            .where(Metric.organization_id == org_id, Metric.archived.is_(False))
            .order_by(Metric.key)
        )
        if m.key != exclude and m.definition.get("aggregation") != "ratio"
    ]


def _others(session: Session, org_id: int, key: str | None) -> dict[str, dict[str, Any]]:
    """The other active metrics by key, as `validate_metric` reads them."""
    return {
        m.key: m.definition
        for m in session.scalars(
            select(Metric).where(Metric.organization_id == org_id, Metric.archived.is_(False))
        )
        if m.key != key
    }


def metric_problems(
    session: Session, org_id: int, definition: dict[str, Any], key: str | None = None
) -> list[DefinitionError]:
    """Every problem of a definition for this organization (`key`: the metric being edited)."""
    problems = validate_metric(
        definition, fields_of(session, org_id), _others(session, org_id, key)
    )
    if key is not None and definition.get("aggregation") == "ratio":
        users = ", ".join(_ratios_using(session, org_id, key))
        if users:
            problems.append(
                _problem(
                    "aggregation",
                    f"the ratio {users} divides this metric: it cannot be a ratio itself",
                    f"比率指标 {users} 用到本指标，本指标不能是比率",
                )
            )
    return problems


def _ratios_using(session: Session, org_id: int, key: str) -> list[str]:
    return [
        m.key
        for m in session.scalars(
            select(Metric).where(Metric.organization_id == org_id, Metric.archived.is_(False))
        )
        if m.definition.get("aggregation") == "ratio"
        and key in (m.definition.get("numerator"), m.definition.get("denominator"))
    ]


def check_formula(
    session: Session, org_id: int, source: str, part: str, formula: str
) -> tuple[list[str], DefinitionError | None]:
    """A `where` or `condition_where` formula as it is typed, checked against the chosen
    source's fields exactly as a save checks it: the names it may use and its first problem."""
    raw_source = source_from_value(source)
    probe: dict[str, Any] = {
        "format": "metric/1",
        "key": "probe",
        "name": "probe",
        "source": raw_source,
        "aggregation": "share" if part == "condition_where" else "count",
        part: formula,
    }
    lookup = fields_of(session, org_id)
    types: dict[str, str] = {}
    if raw_source is not None:
        ((kind, key),) = raw_source.items()
        metric_source = MetricSource(kind, key)
        types = {**(lookup(metric_source) or {}), **builtin_fields(metric_source)}
    names = sorted(k for k, t in types.items() if t in METRIC_FORMULA_TYPES)
    problem = next((e for e in validate_metric(probe, lookup, {}) if e.path == part), None)
    return names, problem


# -- saving ----------------------------------------------------------------------------------


def _refuse(problems: list[DefinitionError]) -> None:
    if problems:
        raise MetricRefused(problems)


def create_metric(
    session: Session, org_id: int, user_id: int | None, definition: dict[str, Any]
) -> Metric:
    """A new metric; refused with every problem when the definition is not valid or the key
    is taken."""
    definition = copy.deepcopy(definition)
    key = definition.get("key")
    problems = metric_problems(session, org_id, definition)
    if isinstance(key, str) and KEY.fullmatch(key) and _key_taken(session, org_id, key):
        problems.append(_problem("key", "a metric with this key exists", "已存在使用此键的指标"))
    _refuse(problems)
    metric = Metric(organization_id=org_id, key=key, definition=definition, updated_by_id=user_id)
    session.add(metric)
    session.flush()
    _audit(session, metric, user_id, "metric.saved")
    return metric


def _key_taken(session: Session, org_id: int, key: str) -> bool:
    return bool(
        session.scalar(select(Metric.id).where(Metric.organization_id == org_id, Metric.key == key))
    )


def update_metric(
    session: Session,
    metric: Metric,
    user_id: int | None,
    definition: dict[str, Any],
    version: int | None,
) -> None:
    """Replace a metric's definition (refused when someone saved it since the page showed
    `version`). Open cycles get the new values at their next computation."""
    expect_version(metric, version)
    definition = copy.deepcopy(definition)
    if definition.get("key") != metric.key:
        _refuse(
            [
                _problem(
                    "key",
                    "a metric's key cannot change: bindings and ratios refer to it",
                    "指标的键创建后不能修改：方案绑定和比率指标引用它",
                )
            ]
        )
    _refuse(metric_problems(session, metric.organization_id, definition, metric.key))
    before = dict(metric.definition)
    metric.definition = definition
    metric.updated_by_id = user_id
    session.flush()
    _audit(session, metric, user_id, "metric.saved", changes=audit.changes(before, definition))


def set_archived(session: Session, metric: Metric, archived: bool, user_id: int | None) -> None:
    """An archived metric is no longer offered for binding or ratios. One that fills a
    figure of an open cycle (itself or through a ratio) cannot be archived: HR would lose
    sight of where the number comes from."""
    if metric.archived == archived:
        return
    if archived:
        used = _open_bindings(session, metric)
        if used:
            raise ServiceError(
                _l(
                    "%(key)s fills figures of open cycles (%(schemes)s): unbind it from the "
                    "scheme or close the cycle first.",
                    key=metric.key,
                    schemes=", ".join(used),
                )
            )
        ratios = _ratios_using(session, metric.organization_id, metric.key)
        if ratios:
            raise ServiceError(
                _l(
                    "The ratio %(ratios)s divides %(key)s: archive or change the ratio first.",
                    ratios=", ".join(ratios),
                    key=metric.key,
                )
            )
    metric.archived = archived
    metric.updated_by_id = user_id
    _audit(session, metric, user_id, "metric.archived" if archived else "metric.restored")


def _open_bindings(session: Session, metric: Metric) -> list[str]:
    """Names of the schemes with an open cycle whose figures this metric fills, directly
    or as a part of a bound ratio."""
    keys = {metric.key}
    bound = session.scalars(
        select(SchemeMetric)
        .join(Cycle, Cycle.scheme_id == SchemeMetric.scheme_id)
        .where(
            SchemeMetric.organization_id == metric.organization_id,
            Cycle.state != CycleState.CLOSED,
        )
        .distinct()
    )
    names = []
    for binding in bound:
        definition = binding.metric.definition
        parts = {definition.get("numerator"), definition.get("denominator")}
        if binding.metric.key in keys or (
            definition.get("aggregation") == "ratio" and metric.key in parts
        ):
            names.append(binding.scheme.name)
    return sorted(set(names))


def _audit(session: Session, metric: Metric, user_id: int | None, action: str, **extra) -> None:
    audit.record(
        session,
        metric.organization_id,
        user_id,
        action,
        "metric",
        metric.id,
        key=metric.key,
        **extra,
    )


# -- preview ---------------------------------------------------------------------------------


def preview(session: Session, metric: Metric, employee_id: int, start: date, end: date) -> Measure:
    """The saved metric's value for one employee over start..end (the organization's local
    days), computed exactly as a cycle computes it."""
    if start > end:
        raise ServiceError(_l("The first day must not be after the last."), "start")
    employee = session.get(Employee, employee_id)
    if employee is None or employee.organization_id != metric.organization_id:
        raise ServiceError(_l("Choose an employee."), "employee")
    org = session.get(Organization, metric.organization_id)
    assert org is not None
    metrics = compiled_metrics(session, org.id, {metric.key})
    if metric.key not in metrics:
        raise ServiceError(
            _l("This metric no longer matches what its source records: edit it first.")
        )
    return compute.measure_person(session, org, metrics, metric.key, employee.id, start, end)
