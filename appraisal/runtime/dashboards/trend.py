"""One person's totals across cycles as a chart: the line of official totals over the
template's grade bands. The result page and "My performance" draw the same one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from ...charts import Band, Chart, Series
from ...rules import CompiledTemplate

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TrendRow:
    """One cycle on the trend: its name, the official total and (final) grade."""

    cycle: str
    total: Decimal | None
    grade: str | None
    appraisal_id: int


def grade_bands(template: CompiledTemplate, top: Decimal = HUNDRED) -> list[Band]:
    """The template's grades as bands on the total's axis, lowest first; the top band ends at
    `top` (the highest total shown, at least 100, never beyond the template's maximum)."""
    ordered = sorted(template.grades, key=lambda g: g[1])
    highest = min(max(top, HUNDRED), template.max_total)
    return [
        Band(grade, low, ordered[i + 1][1] if i + 1 < len(ordered) else highest)
        for i, (grade, low) in enumerate(ordered)
    ]


def trend_chart(
    rows: Sequence[TrendRow],
    template: CompiledTemplate | None,
    link: Callable[[TrendRow], str | None] = lambda row: None,
) -> Chart:
    """The totals as a line, oldest first, with `template`'s grade bands behind them."""
    totals = [r.total for r in rows]
    top = max((t for t in totals if t is not None), default=HUNDRED)
    return Chart(
        key="trend",
        kind="line",
        title=_("Trend across cycles"),
        labels=[r.cycle for r in rows],
        series=[Series(_("Total"), totals, drill=[link(r) for r in rows])],
        unit=_("points"),
        bands=grade_bands(template, top) if template is not None else (),
        empty=_("No published result yet."),
    )
