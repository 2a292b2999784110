"""An organization's metric rules and the sources they read: which activity forms and event
kinds exist and what fields each has, so a definition is checked (and compiled) against
what the organization really records. The builder's pages use the same functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import ActivityType, Metric, SchemeMetric
from ...rules import EVENT_KINDS, CompiledMetric, FieldsOf, MetricSource, compile_metric
from ..fieldwork.reading import form_of


def activity_types(session: Session, org_id: int) -> dict[str, ActivityType]:
    """The organization's published activity forms by key (archived ones still count: their
    records are still in the period)."""
    found = session.scalars(
        select(ActivityType)
        .where(ActivityType.organization_id == org_id)
        .options(selectinload(ActivityType.versions))
        .order_by(ActivityType.key)
    )
    return {t.key: t for t in found if t.latest is not None}


def fields_of(session: Session, org_id: int) -> FieldsOf:
    """What a metric of this organization may read: each source's fields and their types."""
    types = activity_types(session, org_id)

    def lookup(source: MetricSource) -> Mapping[str, str] | None:
        if source.kind == "activity":
            activity_type = types.get(source.key)
            if activity_type is None or activity_type.latest is None:
                return None
            return {f.key: f.type for f in form_of(activity_type.latest).fields}
        if source.kind == "event" and source.key in EVENT_KINDS:
            return {f.key: f.type for f in EVENT_KINDS[source.key].fields}
        return None

    return lookup


def metric_definitions(session: Session, org_id: int) -> dict[str, Metric]:
    return {
        m.key: m
        for m in session.scalars(
            select(Metric).where(Metric.organization_id == org_id).order_by(Metric.key)
        )
    }


def compiled_metrics(
    session: Session, org_id: int, keys: set[str] | None = None
) -> dict[str, CompiledMetric]:
    """The organization's metrics (those named and the parts of their ratios), compiled.
    A metric that no longer compiles (its form lost a field) is left out, so its items
    keep their last value rather than failing everyone's page."""
    metrics = metric_definitions(session, org_id)
    definitions: dict[str, Any] = {k: m.definition for k, m in metrics.items()}
    lookup = fields_of(session, org_id)
    wanted = set(metrics) if keys is None else set(keys)
    for key in list(wanted):
        definition = definitions.get(key) or {}
        if definition.get("aggregation") == "ratio":
            wanted |= {definition.get("numerator"), definition.get("denominator")} - {None}
    found = {}
    for key in wanted:
        if key in definitions:
            try:
                found[key] = compile_metric(definitions[key], lookup, definitions)
            except ValueError:
                continue
    return {  # a ratio is left out with a part that no longer compiles
        key: metric for key, metric in found.items() if all(part in found for part in metric.parts)
    }


def scheme_bindings(session: Session, scheme_id: int) -> dict[str, Metric]:
    """The scheme's `data` items filled by a metric: item key → metric."""
    return {
        b.item_key: b.metric
        for b in session.scalars(
            select(SchemeMetric)
            .where(SchemeMetric.scheme_id == scheme_id)
            .options(selectinload(SchemeMetric.metric))
        )
    }
