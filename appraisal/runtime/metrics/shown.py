"""How a computed figure reads to people: its provenance in words ("23 “Customer visit”
records, 2 flagged outside the geofence"; "2 of 3 = 66.67 %"; "overridden: 5 (computed 2) —
reason"; "refused: …"), one wording for the figures grid, the drill-down and the appraisal
pages. Reads only; never commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...db import in_chunks
from ...i18n import label_text
from ...models import Appraisal, MetricValue
from ...rules import EVENT_KINDS, CompiledMetric
from ..fieldwork.reading import form_of
from .definitions import activity_types, compiled_metrics


@dataclass(frozen=True)
class Computed:
    """A computed figure as a page shows it."""

    value: MetricValue
    words: str  # the provenance, and the override or refusal, in the reader's language
    overridden: bool
    refused: bool


def plain(number: Any) -> str:
    """A stored decimal as a person writes it: 2 rather than 2.0000, 66.67 as it is."""
    if number is None or number == "":
        return "—"
    try:
        found = Decimal(str(number))
    except InvalidOperation:
        return str(number)
    text = format(found, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Wording:
    """Words for the computed figures of one organization: compiles the metrics and names
    the sources once, so a grid of hundreds of values costs a fixed number of queries."""

    def __init__(self, session: Session, org_id: int, metric_keys: Iterable[str]) -> None:
        self.metrics = compiled_metrics(session, org_id, set(metric_keys))
        self.types = activity_types(session, org_id)

    def source_name(self, metric: CompiledMetric | None) -> str:
        if metric is None:
            return ""
        if metric.source.kind == "activity":
            found = self.types.get(metric.source.key)
            return label_text(form_of(found.latest).name) if found and found.latest else ""
        if metric.source.kind == "event" and metric.source.key in EVENT_KINDS:
            return label_text(EVENT_KINDS[metric.source.key].name)
        return metric.source.key

    def read(self, metric: CompiledMetric | None, provenance: Mapping[str, Any]) -> str:
        """What a value was computed from, without its override."""
        if metric is not None and metric.aggregation == "ratio":
            top = provenance.get("numerator") or {}
            bottom = provenance.get("denominator") or {}
            result = plain(provenance.get("value"))
            if metric.percent and provenance.get("value") is not None:
                result += " %"
            return _(
                "%(numerator)s of %(denominator)s = %(value)s",
                numerator=plain(top.get("value")),
                denominator=plain(bottom.get("value")),
                value=result,
            )
        count = int(provenance.get("records") or 0)
        if metric is not None and metric.source.kind == "customers":
            return ngettext("%(num)d customer assigned", "%(num)d customers assigned", count)
        if metric is not None and metric.source.kind == "plans":
            return ngettext("%(num)d plan task due", "%(num)d plan tasks due", count)
        name = self.source_name(metric)
        if metric is not None and metric.source.kind == "event":
            words = ngettext(
                "%(num)d “%(name)s” event", "%(num)d “%(name)s” events", count, name=name
            )
        else:
            words = ngettext(
                "%(num)d “%(name)s” record", "%(num)d “%(name)s” records", count, name=name
            )
        flagged = int(provenance.get("flagged") or 0)
        if flagged:
            words += _(", %(count)d flagged outside the geofence", count=flagged)
        return words

    def computed(self, value: MetricValue) -> Computed:
        metric = self.metrics.get(value.metric.key)
        provenance = value.provenance or {}
        words = self.read(metric, provenance)
        if value.override is not None:
            words = _(
                "overridden: %(value)s (computed %(computed)s) — %(reason)s",
                value=plain(value.override),
                computed=plain(value.computed),
                reason=value.override_reason or "",
            )
        refused = provenance.get("refused")
        if refused:
            words += " · " + _("refused: %(message)s", message=refused)
        return Computed(value, words, value.override is not None, bool(refused))


def _values_of(session: Session, appraisal_ids: list[int]) -> list[MetricValue]:
    """The metric values of these appraisals, one query a chunk (IN lists stay bounded)."""
    found: list[MetricValue] = []
    for chunk in in_chunks(appraisal_ids):
        found += session.scalars(
            select(MetricValue)
            .where(MetricValue.appraisal_id.in_(chunk))
            .options(selectinload(MetricValue.metric))
        )
    return found


def computed_figures(
    session: Session, org_id: int, appraisals: list[Appraisal]
) -> dict[tuple[int, str], Computed]:
    """Every computed figure of these appraisals by (appraisal id, item key), in words."""
    values = [
        v for v in _values_of(session, [a.id for a in appraisals]) if v.organization_id == org_id
    ]
    if not values:
        return {}
    wording = Wording(session, org_id, {v.metric.key for v in values})
    return {(v.appraisal_id, v.item_key): wording.computed(v) for v in values}


#: Who reads a computed figure's provenance and opens its drill-down: HR, the appraisal's
#: manager, and the appraisee (who already sees the figure and their own records; an appeal
#: cites them). Peers and subordinates never.
READERS = frozenset({"hr", "manager", "employee"})


def computed_words(session: Session, appraisal: Appraisal, rels: frozenset[str]) -> dict[str, str]:
    """An appraisal's computed items → "computed from …", for its pages' score panel; empty
    for anyone but `READERS`."""
    if not rels & READERS:
        return {}
    found = computed_figures(session, appraisal.organization_id, [appraisal])
    return {
        key: shown.words if shown.overridden else _("computed from %(what)s", what=shown.words)
        for (_id, key), shown in found.items()
    }
