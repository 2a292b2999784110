"""My performance: one person's appraisals at a glance, and the printable person report.

During a cycle: the attainment of each target item (the engine's item score as a share of
the 100 points an item scores at full marks) against the share of the cycle's period gone,
process items (a metric computes the figure) apart from result items, and what still waits.
After publication: the official result, the sections as % of full marks, and the trend of
published totals across cycles over the template's grade bands.

Every number is the engine's, as this viewer may see it (`reviews.access.shown_result`);
nothing before publication shows a total, a grade or a section score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session, selectinload

from ...charts import Chart, Dashboard, Series
from ...i18n import label_text
from ...models import Appraisal, Cycle, Employee, Organization
from ...rules import Item, Result
from ...states import RESULT_SHOWN
from ..compiled import appraisal_template
from ..cycles.figures import computed_keys
from ..cycles.tasks import own_tasks
from ..reviews.access import (
    GROUPS,
    ONE_APPRAISAL_READS,
    Viewer,
    final_result,
    relations,
    shown_result,
    visible_inputs,
)
from ..reviews.feedback import Comment, written_feedback
from ..reviews.inputs import missing_targets
from .attainment import (
    FULL_MARKS,
    PROCESS,
    RESULT,
    attainment,
    exact,
    item_kind,
    stored_number,
    to_cent,
    weighted_mean,
)
from .trend import TrendRow, trend_chart

#: What an item or a section scores at full marks (design §5: every score is on 0–100;
#: over-achievement may go beyond, up to the item's cap).
#: The charts of the page, by key; each is also `/dashboards/mine/<key>.json|.xlsx`.
KEYS = ("process", "results", "groups", "sections", "trend")
#: Who, besides the person, opens their report: HR (a partner in their subtree), their
#: manager on that appraisal, and HR's readers (department heads, auditors) in theirs.
REPORT_READERS = frozenset({"hr", "manager", "reader"})

Link = Callable[..., str]  # `url_for`'s signature: endpoint, then its values


@dataclass(frozen=True)
class ItemLine:
    """One scored item as the viewer may see it: its kind (process / result / None for rated
    items), the target and actual behind it, the engine's score and its attainment."""

    key: str
    name: Any
    section: Any
    kind: str | None
    unit: str
    target: Decimal | None
    actual: Decimal | None
    score: Decimal | None
    attainment: Decimal | None  # % of full marks
    weight: Decimal  # what the item weighs in the total: section weight × item weight / 100
    drill: str | None


@dataclass(frozen=True)
class Wait:
    """Something the person's appraisal still waits for: one of their own steps
    (`confirm_goals`, `self_review`, `read_result`), or `targets` / `figures` not in yet."""

    kind: str
    due: date | None = None
    names: tuple[str, ...] = ()
    link: str | None = None


@dataclass
class MinePage:
    employee: Employee
    choices: list[Appraisal]  # the picker: this person's appraisals the viewer may open
    appraisal: Appraisal
    shown: bool  # the result is published: total, grade and sections may be shown
    today: date
    elapsed: Decimal | None  # % of the cycle's period gone; None once published
    lines: list[ItemLine]
    groups: dict[str, Decimal | None]
    waits: list[Wait] = field(default_factory=list)
    result: Result | None = None  # only when shown
    comments: list[Comment] = field(default_factory=list)
    trend: list[TrendRow] = field(default_factory=list)
    dashboard: Dashboard = field(default_factory=Dashboard)

    @property
    def process(self) -> list[ItemLine]:
        return [line for line in self.lines if line.kind == PROCESS]

    @property
    def results(self) -> list[ItemLine]:
        return [line for line in self.lines if line.kind == RESULT]


# -- small pure parts ------------------------------------------------------------------------


def local_today(session: Session, org_id: int) -> date:
    """Today on the organization's clock (a cycle's days are its local days)."""
    return session.get(Organization, org_id).today()


def elapsed_share(cycle: Cycle, today: date) -> Decimal:
    """The % of the cycle's days gone by the end of `today`: 0 before it starts, 100 after."""
    days = (cycle.ends_on - cycle.starts_on).days + 1
    gone = min(max((today - cycle.starts_on).days + 1, 0), days)
    return to_cent(Decimal(gone) * 100 / Decimal(days))


def _actual(item: Item, inputs: dict[str, Any]) -> Decimal | None:
    """The figure an item with one rater scores (a group's average is no one's figure)."""
    if len(item.raters) != 1 or item.raters[0] in GROUPS:
        return None
    return stored_number((inputs.get(item.raters[0]) or {}).get(item.key))


# -- loading ---------------------------------------------------------------------------------


def appraisals_of(session: Session, org_id: int, employee_id: int) -> list[Appraisal]:
    """Every appraisal of the person, newest cycle first, with what scoring them reads."""
    parameters = {"org_id": org_id, "employee_id": employee_id}
    return list(session.scalars(_appraisals_of_one(), parameters).unique())


@cache
def _appraisals_of_one() -> Select[tuple[Appraisal]]:
    """Built once per process (issue 20: building a statement costs as much as running it)."""
    return (
        select(Appraisal)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(
            Appraisal.organization_id == bindparam("org_id", type_=Integer),
            Appraisal.employee_id == bindparam("employee_id", type_=Integer),
        )
        .options(*ONE_APPRAISAL_READS, selectinload(Appraisal.reviews))
        .order_by(Cycle.starts_on.desc(), Cycle.id.desc())
    )


def choose(appraisals: list[Appraisal], cycle_id: int | None) -> Appraisal | None:
    """The asked cycle's appraisal (None: not one of these); without one the latest in
    progress, else the latest published."""
    if cycle_id is not None:
        return next((a for a in appraisals if a.cycle_id == cycle_id), None)
    running = [a for a in appraisals if a.state not in RESULT_SHOWN]
    return (running or appraisals or [None])[0]


# -- the page --------------------------------------------------------------------------------


def my_performance(
    session: Session, viewer: Viewer, cycle_id: int | None, today: date, link: Link
) -> MinePage | None:
    """The viewer's own dashboard (they have an employee record); None when `cycle_id` is not
    a cycle of theirs, or they have no appraisal yet and none was asked for."""
    if viewer.employee_id is None:
        return None
    appraisals = appraisals_of(session, viewer.org_id, viewer.employee_id)
    chosen = choose(appraisals, cycle_id)
    if chosen is None:
        return None
    return _page(session, viewer, appraisals, appraisals, chosen, today, link)


def person_report(
    session: Session,
    viewer: Viewer,
    employee_id: int,
    cycle_id: int | None,
    today: date,
    link: Link,
) -> MinePage | None:
    """A person's report for HR or their manager (the person themself too): only the
    appraisals on which the viewer is one of those; None (a 404) for anything else."""
    everything = appraisals_of(session, viewer.org_id, employee_id)
    readable = [a for a in everything if relations(a, viewer) & (REPORT_READERS | {"employee"})]
    chosen = choose(readable, cycle_id)
    if chosen is None:
        return None
    return _page(session, viewer, everything, readable, chosen, today, link)


def _page(
    session: Session,
    viewer: Viewer,
    everything: list[Appraisal],
    choices: list[Appraisal],
    chosen: Appraisal,
    today: date,
    link: Link,
) -> MinePage:
    rels = relations(chosen, viewer)
    shown = chosen.state in RESULT_SHOWN
    result = shown_result(chosen, rels)
    lines = item_lines(
        chosen, result, visible_inputs(chosen, rels), computed_keys(session, chosen.cycle), link
    )
    page = MinePage(
        employee=chosen.employee,
        choices=choices,
        appraisal=chosen,
        shown=shown,
        today=today,
        elapsed=None if shown else elapsed_share(chosen.cycle, today),
        lines=lines,
        groups={
            PROCESS: weighted_mean((x.weight, x.attainment) for x in lines if x.kind == PROCESS),
            RESULT: weighted_mean((x.weight, x.attainment) for x in lines if x.kind == RESULT),
        },
        waits=waits(chosen, result, shown, today, link) if "employee" in rels else [],
        result=result if shown else None,
        comments=written_feedback(chosen, rels) if shown else [],
        trend=published_trend(everything, chosen),
    )
    page.dashboard = charts(page, link)
    return page


def item_lines(
    appraisal: Appraisal,
    result: Result,
    inputs: dict[str, Any],
    computed: frozenset[str],
    link: Link,
) -> list[ItemLine]:
    """Every item that counts in the total, in the template's order, as the viewer sees it."""
    template = appraisal_template(appraisal)
    targets = inputs.get("targets") or {}
    lines = []
    for section in template.sections:
        if section.key in result.not_applicable:
            continue
        for key in section.items:
            item = template.items[key]
            if not item.counts or key in result.not_applicable:
                continue
            kind = item_kind(item, computed)
            score = exact(result.items.get(key))
            lines.append(
                ItemLine(
                    key=key,
                    name=item.name or key,
                    section=section.name or section.key,
                    kind=kind,
                    unit=item.unit or "",
                    target=item.target
                    if item.target is not None
                    else stored_number(targets.get(key)),
                    actual=_actual(item, inputs),
                    score=score,
                    attainment=attainment(score),
                    weight=section.weight * item.weight / 100,
                    drill=link("runtime.computed_figure", id=appraisal.id, key=key)
                    if kind == PROCESS
                    else link("runtime.appraisal", id=appraisal.id),
                )
            )
    return lines


def waits(appraisal: Appraisal, result: Result, shown: bool, today: date, link: Link) -> list[Wait]:
    """The person's own open steps (as "My tasks" lists them), then the targets and figures
    their result still lacks."""
    steps = {
        "confirm_goals": link("runtime.appraisal", id=appraisal.id),
        "self_review": link("runtime.review", id=appraisal.id, rater="self"),
        "read_result": link("runtime.result", id=appraisal.id),
    }
    found = [Wait(t.kind, t.due, (), steps.get(t.kind)) for t in own_tasks(appraisal, today)]
    if shown:
        return found
    template = appraisal_template(appraisal)
    names = {key: label_text(item.name) or key for key, item in template.items.items()}
    unset = tuple(names.get(f.key, f.key) for f in missing_targets(appraisal))
    if unset:
        found.append(Wait("targets", appraisal.cycle.goals_due, unset, steps["confirm_goals"]))
    figures = tuple(
        dict.fromkeys(
            names.get(m["key"], m["key"]) for m in result.missing_inputs if m["rater"] == "data"
        )
    )
    if figures:
        found.append(Wait("figures", None, figures, steps["confirm_goals"]))
    return found


def published_trend(appraisals: list[Appraisal], chosen: Appraisal) -> list[TrendRow]:
    """The person's published results up to the chosen cycle's end, oldest first: the
    official totals (`final_result`), as their result pages show them."""
    rows = [
        a for a in appraisals if a.state in RESULT_SHOWN and a.cycle.ends_on <= chosen.cycle.ends_on
    ]
    rows.sort(key=lambda a: (a.cycle.ends_on, a.cycle.starts_on, a.cycle_id))
    found = []
    for a in rows:
        official = final_result(a)
        found.append(TrendRow(a.cycle.name, exact(official.total), official.grade, a.id))
    return found


# -- the charts ------------------------------------------------------------------------------


def charts(page: MinePage, link: Link) -> Dashboard:
    """The page's charts (always the same keys; a chart with nothing to show says why)."""
    board = Dashboard()
    elapsed = page.elapsed
    board.add(
        _items_chart(
            "process", _("Process items"), page.process, elapsed, _("No process items here.")
        )
    )
    board.add(
        _items_chart("results", _("Result items"), page.results, elapsed, _("No result items."))
    )
    group_series = [
        Series(_("Attainment"), [page.groups[PROCESS], page.groups[RESULT]]),
    ]
    if elapsed is not None:
        group_series.append(Series(_("Time elapsed"), [elapsed, elapsed]))
    board.add(
        Chart(
            key="groups",
            kind="bar",
            title=_("Process vs result"),
            labels=[_("Process items"), _("Result items")],
            series=group_series,
            unit="%",
            empty=_("No target items yet."),
        )
    )
    board.add(_sections_chart(page))
    template = appraisal_template(page.appraisal)
    board.add(
        trend_chart(page.trend, template, lambda row: link("runtime.result", id=row.appraisal_id))
    )
    return board


def _items_chart(
    key: str, title: str, lines: list[ItemLine], elapsed: Decimal | None, empty: str
) -> Chart:
    series = [
        Series(_("Attainment"), [x.attainment for x in lines], drill=[x.drill for x in lines])
    ]
    if elapsed is not None:
        series.append(Series(_("Time elapsed"), [elapsed] * len(lines)))
    return Chart(
        key=key,
        kind="hbar",
        title=title,
        labels=[label_text(x.name) for x in lines],
        series=series,
        unit="%",
        empty=empty,
    )


def _sections_chart(page: MinePage) -> Chart:
    """The sections' scores as % of full marks: a radar from three sections, else bars.
    Empty until the result is published."""
    result = page.result
    template = appraisal_template(page.appraisal)
    sections = [s for s in template.sections if s.counts] if result is not None else []
    values = [attainment(exact(result.sections.get(s.key))) for s in sections] if result else []
    top = max((v for v in values if v is not None), default=FULL_MARKS)
    return Chart(
        key="sections",
        kind="radar" if len(sections) >= 3 else "bar",
        title=_("Sections"),
        labels=[label_text(s.name) or s.key for s in sections],
        series=[Series(_("Section score"), values)],
        unit="%",
        axis_max=max(top, FULL_MARKS),
        empty=_("Shown once the result is published."),
    )
