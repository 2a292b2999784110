"""Calibration, publication and closing of a cycle (design §5, §8).

HR reads the grade distribution per department and overall against the cycle's
forced-distribution quotas, overrides grades with a reason (kept apart from the computed grade,
so recalculation never loses it), locks the calibration, publishes per cycle or department,
and closes the cycle once nothing is unfinished.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import audit
from ...charts import Chart, Series, percent
from ...concurrency import expect_version
from ...errors import ServiceError
from ...models import Appraisal, AppraisalState, Cycle, CycleState, Department, Employee, utcnow
from ...notifications import events
from ...scopes import EVERYWHERE, Reach
from ...states import UNPUBLISHED
from .. import workflow
from ..cycles.figures import cycle_appraisals, require_open
from ..cycles.lists import FINAL_GRADE
from ..metrics.compute import freeze_cycle

ZERO = Decimal("0.0")
QUOTA_LINE = re.compile(r"\s*([A-Za-z+ ]+?)\s*(<=|>=|≤|≥)\s*(\d+(?:\.\d+)?)\s*%?\s*")


@dataclass(frozen=True)
class Quota:
    grades: tuple[str, ...]
    limit: str  # "max" | "min"
    percent: float

    @property
    def label(self) -> str:
        return f"{'+'.join(self.grades)} {'≤' if self.limit == 'max' else '≥'} {self.percent:g}%"


def grade_names(cycle: Cycle) -> list[str]:
    return [g["grade"] for g in cycle.scheme.template_version.definition.get("grades", [])]


def parse_quotas(text: str, grades: list[str]) -> list[Quota]:
    """`S <= 10`, `A <= 20`, `C+D >= 5`: one quota a line; refused with the line's number."""
    quotas = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = QUOTA_LINE.fullmatch(line)
        if match is None:
            raise ServiceError(
                _l("Line %(n)d: write a quota like S <= 10 or C+D >= 5.", n=number), "quotas"
            )
        names = tuple(g.strip() for g in match[1].split("+") if g.strip())
        unknown = [g for g in names if g not in grades]
        if unknown:
            raise ServiceError(
                _l("Line %(n)d: there is no grade %(grade)s.", n=number, grade=unknown[0]), "quotas"
            )
        percent = float(match[3])
        if percent > 100:
            raise ServiceError(_l("Line %(n)d: a quota cannot exceed 100 %%.", n=number), "quotas")
        quotas.append(Quota(names, "max" if match[2] in ("<=", "≤") else "min", percent))
    return quotas


def limit_of(quota: Quota) -> Decimal:
    """The quota's percentage as the decimal it was typed as (shares compare with it)."""
    return Decimal(str(quota.percent))


def quotas_of(cycle: Cycle) -> list[Quota]:
    return [Quota(tuple(q["grades"]), q["limit"], q["percent"]) for q in cycle.quotas or []]


def quotas_text(cycle: Cycle) -> str:
    symbol = {"max": "<=", "min": ">="}
    return "\n".join(
        f"{'+'.join(q.grades)} {symbol[q.limit]} {q.percent:g}" for q in quotas_of(cycle)
    )


def save_quotas(
    session: Session,
    cycle: Cycle,
    text: str,
    user_id: int | None,
    version: int | None = None,
    two_level: bool | None = None,
) -> None:
    """`version`: the cycle's version the form showed (None: no expectation); `two_level`:
    whether department heads calibrate first (None: unchanged)."""
    require_open(cycle)
    if cycle.calibration_locked_at is not None:
        raise ServiceError(_l("The calibration is locked."), "quotas")
    expect_version(cycle, version)
    quotas = parse_quotas(text, grade_names(cycle))
    before = _quota_fields(cycle)
    cycle.quotas = [
        {"grades": list(q.grades), "limit": q.limit, "percent": q.percent} for q in quotas
    ]
    if two_level is not None:
        cycle.two_level_calibration = two_level
    audit.record(
        session,
        cycle.organization_id,
        user_id,
        "cycle.quotas_set",
        "cycle",
        cycle.id,
        changes=audit.changes(before, _quota_fields(cycle)),
    )


def _quota_fields(cycle: Cycle) -> dict[str, Any]:
    """What the quota form edits, the quotas as people wrote them."""
    return {
        "quotas": [q.label for q in quotas_of(cycle)],
        "two_level_calibration": cycle.two_level_calibration,
    }


@dataclass(frozen=True)
class Distribution:
    """Final grades of one group (the whole cycle or a department) against the quotas."""

    name: str
    total: int
    counts: dict[str, int]
    shares: dict[str, Decimal]  # percent, one decimal, rounded half away from zero
    violations: list[str]


def distribute(
    name: str, grades: list[str | None], names: list[str], quotas: list[Quota]
) -> Distribution:
    """Counts and shares per grade (appraisals without a grade yet are left out), and every
    quota the group breaks."""
    return distribute_counts(name, Counter(g for g in grades if g), names, quotas)


def distribute_counts(
    name: str, counts: Mapping[str, int], names: list[str], quotas: list[Quota]
) -> Distribution:
    """`distribute` from counts per final grade (a grouped query's answer: the organization
    dashboard counts in SQL what the calibration page counts from its list)."""
    counts = Counter({g: n for g, n in counts.items() if g})
    total = sum(counts.values())
    shares = {g: percent(counts[g], total) or ZERO for g in names}
    violations = []
    for quota in quotas:
        share = percent(sum(counts[g] for g in quota.grades), total) or ZERO
        broken = share > limit_of(quota) if quota.limit == "max" else share < limit_of(quota)
        if total and broken:
            violations.append(f"{quota.label}: {share.normalize():f}%")
    return Distribution(name, total, {g: counts[g] for g in names}, shares, violations)


def distributions(session: Session, cycle: Cycle, where: Reach = EVERYWHERE) -> list[Distribution]:
    """The whole cycle (inside `where`, a scoped viewer's reach) first, then each department:
    counted by the database (one grouped query), so the page costs the same at 100 or
    10,000 employees."""
    names, quotas = grade_names(cycle), quotas_of(cycle)
    department = func.coalesce(Department.name, "—")
    counts: dict[str, Counter[str]] = {}
    overall: Counter[str] = Counter()
    for name, grade, count in session.execute(
        select(department, FINAL_GRADE, func.count())
        .select_from(Appraisal)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .outerjoin(Department, Department.id == Employee.department_id)
        .where(Appraisal.cycle_id == cycle.id, where.clause(Employee.department_id))
        .group_by(department, FINAL_GRADE)
    ):
        counts.setdefault(name, Counter())
        if grade:
            counts[name][grade] += count
            overall[grade] += count
    first = distribute_counts("", overall, names, quotas)
    return [first] + [distribute_counts(n, c, names, quotas) for n, c in sorted(counts.items())]


def publishable_count(
    session: Session, cycle: Cycle, department_id: int | None = None, where: Reach = EVERYWHERE
) -> int:
    """How many appraisals a publication (of one department, or all inside `where`) would
    publish."""
    query = (
        select(func.count())
        .select_from(Appraisal)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(
            Appraisal.cycle_id == cycle.id,
            Appraisal.state == AppraisalState.CALIBRATION,
            where.clause(Employee.department_id),
        )
    )
    if department_id is not None:
        query = query.where(Employee.department_id == department_id)
    return session.scalar(query) or 0


def grades_chart(
    group: Distribution,
    names: list[str],
    quotas: list[Quota],
    drill: Callable[[str], str] | None = None,
    key: str = "grades",
) -> Chart:
    """The grade distribution against the quotas, as one chart: the share of each grade,
    then of each group of grades a quota names (C+D), beside the quota's limit. The
    calibration page and HR's organization dashboard both draw this one."""
    groups = [q.grades for q in quotas if len(q.grades) > 1]
    labels = [*names, *dict.fromkeys("+".join(g) for g in groups)]
    members = {label: tuple(label.split("+")) for label in labels}

    def share(label: str) -> Decimal | None:
        return percent(sum(group.counts.get(g, 0) for g in members[label]), group.total)

    def limit(label: str, kind: str) -> Decimal | None:
        found = [q for q in quotas if q.limit == kind and q.grades == members[label]]
        return limit_of(found[0]) if found else None

    series = [
        Series(
            _("Share"),
            [share(label) for label in labels],
            [drill(label) if drill and label in names else None for label in labels],
        )
    ]
    for kind, name in (("max", _("Quota: at most")), ("min", _("Quota: at least"))):
        if any(q.limit == kind for q in quotas):
            series.append(Series(name, [limit(label, kind) for label in labels]))
    return Chart(
        key,
        "bar",
        _("Grade distribution against quotas"),
        labels,
        series,
        unit="%",
        axis_max=100,
        empty=_("No grades yet."),
    )


def waiting_for_figures(session: Session, cycle: Cycle) -> list[str]:
    """Names of the people whose manager has submitted but whose result still lacks figures
    or HR's values: calibration cannot use them yet."""
    return list(
        session.scalars(
            select(Employee.name)
            .join(Appraisal, Appraisal.employee_id == Employee.id)
            .where(
                Appraisal.cycle_id == cycle.id,
                Appraisal.state == AppraisalState.CALIBRATION,
                Appraisal.complete.is_(False),
            )
            .order_by(Employee.number)
        )
    )


def _refuse_incomplete(names: list[str]) -> None:
    if names:
        raise ServiceError(
            _l(
                "%(count)d results are still waiting for figures or HR's values: %(names)s.",
                count=len(names),
                names=", ".join(names[:10]) + (" …" if len(names) > 10 else ""),
            )
        )


def start_calibration(session: Session, cycle: Cycle, user_id: int | None) -> None:
    """Calibration compares complete results only; it refuses to start while a submitted
    appraisal still waits for figures, and names them."""
    if cycle.state != CycleState.RUNNING:
        raise ServiceError(_l("Only a running cycle goes to calibration."))
    _refuse_incomplete(waiting_for_figures(session, cycle))
    cycle.state = workflow.next_cycle_state(cycle.state, "calibrate")
    audit.record(session, cycle.organization_id, user_id, "cycle.calibration", "cycle", cycle.id)


def override_grade(
    session: Session,
    appraisal: Appraisal,
    grade: str,
    reason: str,
    user_id: int | None,
    version: int | None = None,
    proposal: bool = False,
) -> None:
    """Set (or with an empty grade, clear) a calibrated grade; a reason is always required.
    `version` is the appraisal's version the form showed (None: no expectation). A
    `proposal` (a department head's, in a two-level calibration) is kept beside the grade
    for HR to decide on, and changes nothing official."""
    cycle = appraisal.cycle
    require_open(cycle)
    if cycle.calibration_locked_at is not None:
        raise ServiceError(_l("The calibration is locked."))
    if appraisal.state != AppraisalState.CALIBRATION:
        raise ServiceError(_l("Only appraisals in calibration can be calibrated."))
    expect_version(appraisal, version)
    if user_id is not None and appraisal.employee.user_id == user_id:
        # HR, a partner or a head works in the departments they calibrate: their own grade
        # is decided by someone else, as no one is HR on their own appraisal.
        raise ServiceError(_l("You cannot calibrate your own grade."))
    if grade and grade not in grade_names(cycle):
        raise ServiceError(_l("Choose one of the template's grades."), "grade")
    if not reason.strip():
        raise ServiceError(_l("Give the reason for the change."), "reason")
    if proposal:
        _propose(session, appraisal, grade, reason.strip(), user_id)
        return
    before = {"grade": appraisal.final_grade}
    appraisal.override_grade = grade or None
    appraisal.override_reason = reason.strip() if grade else None
    appraisal.overridden_by_id = user_id if grade else None
    audit.record(
        session,
        appraisal.organization_id,
        user_id,
        "appraisal.grade_overridden",
        "appraisal",
        appraisal.id,
        computed=appraisal.grade,
        changes=audit.changes(before, {"grade": appraisal.final_grade}),
        reason=reason.strip(),
    )


def _propose(
    session: Session, appraisal: Appraisal, grade: str, reason: str, user_id: int | None
) -> None:
    before = appraisal.proposed_grade
    appraisal.proposed_grade = grade or None
    appraisal.proposed_reason = reason if grade else None
    appraisal.proposed_by_id = user_id if grade else None
    audit.record(
        session,
        appraisal.organization_id,
        user_id,
        "appraisal.grade_proposed",
        "appraisal",
        appraisal.id,
        computed=appraisal.grade,
        changes=audit.changes(
            {"proposed_grade": before}, {"proposed_grade": appraisal.proposed_grade}
        ),
        reason=reason,
    )


def proposes(cycle: Cycle, decides: bool) -> bool:
    """Whether a calibrator's change is a proposal: in a two-level calibration, when they
    do not decide as HR does for that appraisal (a department head)."""
    return cycle.two_level_calibration and not decides


def lock(session: Session, cycle: Cycle, user_id: int | None) -> None:
    require_open(cycle)
    if cycle.state != CycleState.CALIBRATION:
        raise ServiceError(_l("Start the calibration first."))
    if cycle.calibration_locked_at is None:
        cycle.calibration_locked_at = utcnow()
        audit.record(session, cycle.organization_id, user_id, "cycle.locked", "cycle", cycle.id)


def publishable(appraisals: list[Appraisal], department_id: int | None = None) -> list[Appraisal]:
    """The appraisals a publication (of one department, or all) would publish."""
    return [
        a
        for a in appraisals
        if a.state == AppraisalState.CALIBRATION
        and (department_id is None or a.employee.department_id == department_id)
    ]


def violations(groups: list[Distribution]) -> list[str]:
    """Every broken quota, the whole cycle's first, each department's named."""
    return [f"{g.name}: {v}" if g.name else v for g in groups for v in g.violations]


def publish(
    session: Session,
    cycle: Cycle,
    user_id: int | None,
    department_id: int | None = None,
    where: Reach = EVERYWHERE,
) -> int:
    """Publish the calibrated appraisals (of one department, or all inside `where`, a scoped
    publisher's reach); returns how many."""
    require_open(cycle)
    if cycle.calibration_locked_at is None:
        raise ServiceError(_l("Lock the calibration before publishing."))
    appraisals = cycle_appraisals(session, cycle)
    chosen = [
        a for a in publishable(appraisals, department_id) if where.covers(a.employee.department_id)
    ]
    _refuse_incomplete([a.employee.name for a in chosen if not a.complete])
    now = utcnow()
    for appraisal in chosen:
        appraisal.state = workflow.next_state(appraisal.state, "publish", {"hr"})
        appraisal.published_at = now
    if all(a.state not in UNPUBLISHED for a in appraisals):
        cycle.state = workflow.next_cycle_state(cycle.state, "publish")
    audit.record(
        session,
        cycle.organization_id,
        user_id,
        "cycle.published",
        "cycle",
        cycle.id,
        appraisals=len(chosen),
        department_id=department_id,
    )
    events.results_published(session, chosen)
    return len(chosen)


def close(session: Session, cycle: Cycle, user_id: int | None) -> None:
    require_open(cycle)
    unfinished = [a for a in cycle_appraisals(session, cycle) if a.state in UNPUBLISHED]
    if unfinished:
        raise ServiceError(
            _l(
                "%(count)d appraisals are not published yet, for example %(name)s; the cycle "
                "cannot close.",
                count=len(unfinished),
                name=unfinished[0].employee.name,
            )
        )
    cycle.state = workflow.next_cycle_state(cycle.state, "close")
    cycle.closed_at = utcnow()
    freeze_cycle(session, cycle)
    audit.record(session, cycle.organization_id, user_id, "cycle.closed", "cycle", cycle.id)
