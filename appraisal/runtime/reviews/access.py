"""Who may see and do what on an appraisal: the viewer, how they stand to it (`relations`),
and the inputs and scores each viewer may see (the anonymity rule). One place decides it,
so pages, the API, exports and written feedback cannot disagree."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BindParameter, ColumnElement, Integer, Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ...errors import ServiceError
from ...models import (
    Appraisal,
    AppraisalState,
    Cycle,
    CycleState,
    Employee,
    Membership,
    Organization,
    Review,
    Role,
    TemplateVersion,
    User,
)
from ...rules import NA, CompiledTemplate, Result, score
from ...scopes import EVERYWHERE, NOWHERE, POWER, Reach, grants_of, reach
from ...states import RESULT_SHOWN
from .. import workflow
from ..compiled import appraisal_template
from ..render import fills

GROUPS = {"peer": "peers", "subordinate": "subordinates"}

#: Relations that see everything that counts, as HR does (a `reader` acts on nothing).
OFFICIAL = frozenset({"hr", "manager", "reader"})


SINGLE_RATERS = ("data", "self", "manager", "hr")


REFUSALS = {
    "not_allowed": _l("You cannot do this on this appraisal."),
    "wrong_state": _l("This step is already done or not open yet; nothing was changed."),
    "reason_required": _l("Give a reason."),
    "unknown_action": _l("Unknown action."),
}


CLOSED = _l("The cycle is closed; nothing can change.")


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the runtime sees them in one organization."""

    user_id: int | None
    org_id: int
    is_hr: bool  # organization-wide HR (lists of everyone); scoped HR is `hr_reach`
    employee_id: int | None
    #: Everyone below them, where managers see the chain (a `Chain`, asked as needed).
    reports: AbstractSet[int] = frozenset()
    #: Where a scoped role acts as HR on single appraisals (an HR business partner).
    hr_reach: Reach = NOWHERE
    #: Where a role reads appraisals as HR does without acting (department heads, auditors).
    read_reach: Reach = NOWHERE

    @property
    def results_reach(self) -> Reach:
        """Where the viewer reads results as HR does (lists, dashboards): everywhere for
        HR, the scoped readers' subtrees, nowhere for anyone else."""
        return EVERYWHERE if self.is_hr else self.read_reach


def viewer_for(
    session: Session,
    org_id: int,
    user_id: int,
    roles: frozenset[str],
    known: tuple[int | None, bool] | None = None,
) -> Viewer:
    """The viewer with `roles` (the request's effective roles: a change never counts a
    read-only role) and the department subtrees their scoped roles reach. `known` is their
    employee id and whether managers see their chain when the caller knows them (pages read
    them with the sign-in: every page builds a viewer, so each statement here is paid by
    every request, issue 20); else one statement finds them."""
    if known is None:
        row = session.execute(_viewer_row(), {"user_id": user_id, "org_id": org_id}).first()
        known = (row[0], row[1]) if row is not None else (None, False)
    employee_id, chain = known
    below = chain and employee_id is not None
    reports: AbstractSet[int] = Chain(session, org_id, employee_id) if below else frozenset()
    is_hr = Role.ADMIN in roles
    if is_hr or not roles & (POWER["read_results"].roles - {Role.ADMIN}):
        return Viewer(user_id, org_id, is_hr, employee_id, reports)
    grants = grants_of(session, org_id, user_id)
    return Viewer(
        user_id,
        org_id,
        False,
        employee_id,
        reports,
        hr_reach=reach(session, org_id, grants, "hr_steps", roles),
        read_reach=reach(session, org_id, grants, "read_results", roles),
    )


@cache
def _viewer_row() -> Select:
    """The employee record and the chain flag (one row at most: an account is one employee
    per organization); built once per process, like `sessions.load_user`'s statement."""
    return (
        select(Employee.id, Organization.managers_see_chain)
        .select_from(Organization)
        .outerjoin(
            Employee,
            and_(
                Employee.organization_id == Organization.id,
                Employee.user_id == bindparam("user_id"),
            ),
        )
        .where(Organization.id == bindparam("org_id"))
    )


def chain_below(session: Session, org_id: int, manager_id: int) -> AbstractSet[int]:
    """Everyone below a manager where the organization lets managers see their chain (the
    `Viewer.reports` of that manager, a `Chain`); nobody otherwise."""
    chain = session.scalar(select(Organization.managers_see_chain).where(Organization.id == org_id))
    return Chain(session, org_id, manager_id) if chain else frozenset()


def managed_by(
    manager_id: int | BindParameter[int],
    below: AbstractSet[int] | bool = frozenset(),
    org_id: int | BindParameter[int] | None = None,
) -> ColumnElement[bool]:
    """The SQL twin of `relations`' manager test, for lists: appraisals whose manager is
    `manager_id` or, where the chain is seen (`below`: their ids, or True), someone below
    them; never their own. With `org_id` the chain is asked of the database (`chain_query`)
    rather than sent as a list of ids: a top manager's chain is the whole company, and ten
    thousand bound parameters make every row's test slow. The ids may be bound parameters,
    for a statement built once (`tasks._team_ids`)."""
    managers = Appraisal.manager_id == manager_id
    if below:
        chain = below if org_id is None else chain_query(org_id, manager_id)
        managers = or_(managers, Appraisal.manager_id.in_(chain))
    return and_(managers, Appraisal.employee_id != manager_id)


def chain_query(
    org_id: int | BindParameter[int], boss_id: int | BindParameter[int]
) -> Select[tuple[int]]:
    """The ids of everyone below `boss_id` through their managers, as a recursive query
    over the manager index; the boss is never one of them.

    UNION ALL, not UNION: each employee has one manager, so a walk down from the boss meets
    nobody twice unless it comes back to the boss (a loop in bad data can only be entered
    through the boss), and leaving the boss out of every step ends that loop. UNION would
    check each of a top manager's 10,000 ids against the ones already found: twice the
    time on SQLite."""
    not_boss = Employee.id != boss_id
    first = select(Employee.id).where(
        Employee.organization_id == org_id, Employee.manager_id == boss_id, not_boss
    )
    below = first.cte("below", recursive=True)
    below = below.union_all(
        select(Employee.id).where(
            Employee.organization_id == org_id, Employee.manager_id == below.c.id, not_boss
        )
    )
    return select(below.c.id)


def _everyone_below(session: Session, org_id: int, boss_id: int) -> frozenset[int]:
    """Everyone below `boss_id` (`chain_query`): a request costs the size of the chain,
    not of the organization."""
    return frozenset(session.scalars(chain_query(org_id, boss_id)))


class Chain(AbstractSet[int]):
    """Everyone below a manager (`Viewer.reports` where managers see their chain), asked of
    the database only as far as a page needs it. A top manager's chain is the whole company,
    so: whether anyone is below is one indexed row; a lookup walks up from that one person
    (`_is_below`: as many rows as levels); lists put the chain inside their own SQL
    (`among`, `managed_by`); the ids themselves load only when someone lists them, or
    after `WALKS` lookups on one page. Equal, as a set, to the same ids."""

    #: Lookups answered by walking up before the page is better served by loading the ids.
    WALKS = 16

    def __init__(self, session: Session, org_id: int, boss_id: int) -> None:
        self._session, self._org_id, self._boss_id = session, org_id, boss_id
        self._walked: dict[object, bool] = {}

    def query(self) -> Select[tuple[int]]:
        """The chain's ids as a query, to put inside a list's own statement."""
        return chain_query(self._org_id, self._boss_id)

    @cached_property
    def _anyone(self) -> bool:
        first = select(Employee.id).where(
            Employee.organization_id == self._org_id, Employee.manager_id == self._boss_id
        )
        return self._session.scalar(first.limit(1)) is not None

    @cached_property
    def _ids(self) -> frozenset[int]:
        return _everyone_below(self._session, self._org_id, self._boss_id)

    def __bool__(self) -> bool:
        return self._anyone

    def __contains__(self, employee_id: object) -> bool:
        if "_ids" in self.__dict__ or len(self._walked) >= self.WALKS:
            return employee_id in self._ids
        if not isinstance(employee_id, int) or isinstance(employee_id, bool):
            return False
        if employee_id not in self._walked:
            self._walked[employee_id] = _is_below(
                self._session, self._org_id, self._boss_id, employee_id
            )
        return self._walked[employee_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    __hash__ = AbstractSet._hash  # a viewer stays hashable, as with a frozenset

    @classmethod
    def _from_iterable(cls, ids: Iterable[int]) -> frozenset[int]:
        return frozenset(ids)  # what `|`, `&` and `-` give: plain ids


def _is_below(session: Session, org_id: int, boss_id: int, employee_id: int) -> bool:
    """Whether `employee_id` is in `boss_id`'s chain (`chain_query`), walking up from them
    through their managers until the boss: a path up that reaches the boss is the same path
    down. UNION ends a loop in bad data that does not pass through the boss."""
    if employee_id == boss_id:
        return False
    up = (
        select(Employee.id, Employee.manager_id)
        .where(Employee.organization_id == org_id, Employee.id == employee_id)
        .cte("up", recursive=True)
    )
    up = up.union(
        select(Employee.id, Employee.manager_id).where(
            Employee.organization_id == org_id,
            Employee.id == up.c.manager_id,
            up.c.manager_id != boss_id,
        )
    )
    found = select(up.c.id).where(up.c.manager_id == boss_id).limit(1)
    return session.scalar(found) is not None


def among(column: ColumnElement[Any], reports: AbstractSet[int]) -> ColumnElement[bool]:
    """SQL: `column` holds one of `reports` (a viewer's reports). A chain goes inside the
    statement as its recursive query, never as thousands of bound ids."""
    if isinstance(reports, Chain):
        return column.in_(reports.query())
    return column.in_(reports)


#: What `signs_in` reads of an appraisal's employee (their account and its memberships),
#: joined into the employees' own statement: one statement, not three, on every page that
#: asks who signs in (issue 20).
EMPLOYEE_WHO_SIGNS_IN = (
    selectinload(Appraisal.employee).joinedload(Employee.user).joinedload(User.memberships)
)


#: What a page about one appraisal (or a person's few) reads with it, joined into the
#: appraisal's own statement (a related load is a statement of its own, about half a
#: millisecond of a page each): the employee and who signs in (`relations`; an account's
#: memberships are joined rows, so the result must be read whole and made `unique()`), the
#: manager, the cycle and its scheme, the template version (compiled once per process: its
#: definition is read only then). Reviews are the caller's to add.
ONE_APPRAISAL_READS = (
    joinedload(Appraisal.employee).joinedload(Employee.department),
    joinedload(Appraisal.employee).joinedload(Employee.user).joinedload(User.memberships),
    joinedload(Appraisal.manager),
    joinedload(Appraisal.cycle).joinedload(Cycle.scheme),
    joinedload(Appraisal.template_version).defer(TemplateVersion.definition),
)


def signs_in(employee: Employee) -> bool:
    """Whether the employee has an active account in their organization: only then do they
    take their own steps; otherwise HR or their manager acts for them."""
    user = employee.user if employee.user_id is not None else None
    return (
        user is not None
        and user.active
        and any(
            m.organization_id == employee.organization_id and m.active for m in user.memberships
        )
    )


def signs_in_clause() -> ColumnElement[bool]:
    """SQL over `Employee`, the twin of `signs_in`: an active account with an active
    membership in the employee's organization."""
    return (
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == Employee.user_id,
            User.active.is_(True),
            Membership.organization_id == Employee.organization_id,
            Membership.active.is_(True),
        )
        .exists()
    )


def self_review_path(appraisal: Appraisal, template: CompiledTemplate | None = None) -> str:
    """Who writes this appraisal's self-review: see `workflow.self_review_path`. `template`:
    the appraisal's compiled template, when the caller has it in hand already."""
    return workflow.self_review_path(
        fills(template if template is not None else appraisal_template(appraisal), "self"),
        signs_in(appraisal.employee),
        appraisal.cycle.scheme.skip_self_review_without_sign_in,
    )


def skipped_steps(appraisal: Appraisal, template: CompiledTemplate | None = None) -> frozenset[str]:
    return workflow.skipped_steps(self_review_path(appraisal, template))


def relations(appraisal: Appraisal, viewer: Viewer) -> frozenset[str]:
    """How the viewer stands to this appraisal (`standing`, read off the appraisal)."""
    return standing(
        viewer,
        employee_id=appraisal.employee_id,
        department_id=appraisal.employee.department_id,
        manager_id=appraisal.manager_id,
        reviewer=any(
            r.reviewer_id == viewer.user_id and r.rater in GROUPS for r in appraisal.reviews
        ),
        signs_in=lambda: signs_in(appraisal.employee),
    )


def standing(
    viewer: Viewer,
    *,
    employee_id: int,
    department_id: int | None,
    manager_id: int | None,
    reviewer: bool,
    signs_in: Callable[[], bool],
) -> frozenset[str]:
    """How the viewer stands to an appraisal of `employee_id`. An HR admin is not HR on their
    own appraisal; HR does the manager's part where the employee has no manager; HR and the
    manager act as `proxy` for an employee who has no sign-in (`signs_in`, asked only
    then). `reviewer`: the viewer has a peer or subordinate review on it. Plain values, so a
    list can decide from columns without loading appraisals (`tasks.task_counts`)."""
    found = set()
    own = viewer.employee_id is not None and employee_id == viewer.employee_id
    if own:
        found.add("employee")
    elif viewer.is_hr or viewer.hr_reach.covers(department_id):
        found.add("hr")
        if manager_id is None:
            found.add("manager")
    elif viewer.read_reach.covers(department_id):
        found.add("reader")  # sees what HR sees, acts on nothing
    if viewer.employee_id is not None and manager_id == viewer.employee_id:
        found.add("manager")
    elif not own and manager_id in viewer.reports:
        found.add("manager")  # a manager further up, where the organization allows it
    if reviewer:
        found.add("reviewer")
    if found & {"hr", "manager"} and not signs_in():
        found.add("proxy")
    return frozenset(found)


def load_appraisal(session: Session, viewer: Viewer, id_: int) -> Appraisal | None:
    """The appraisal, only if it is in the viewer's organization and concerns them."""
    parameters = {"id": id_, "org_id": viewer.org_id}
    # every row, made unique: the account's memberships come as joined rows
    appraisal = session.scalars(_one_appraisal(), parameters).unique().one_or_none()
    if appraisal is None or not relations(appraisal, viewer):
        return None
    return appraisal


@cache
def _one_appraisal() -> Select[tuple[Appraisal]]:
    """Built once per process, as `_viewer_row`."""
    return (
        select(Appraisal)
        .where(
            Appraisal.id == bindparam("id", type_=Integer),
            Appraisal.organization_id == bindparam("org_id", type_=Integer),
        )
        .options(
            *ONE_APPRAISAL_READS, selectinload(Appraisal.reviews).selectinload(Review.reviewer)
        )
    )


def slot_for(rater: str, viewer: Viewer) -> str:
    return f"{rater}:{viewer.user_id}" if rater in GROUPS else rater


def find_review(appraisal: Appraisal, slot: str) -> Review | None:
    return next((r for r in appraisal.reviews if r.slot == slot), None)


def require_edit(appraisal: Appraisal, part: str, rels: frozenset[str]) -> None:
    """Refuse a change to `part` (targets, a review, invitations) unless the cycle is open,
    the employee active and the workflow lets one of `rels` edit it now."""
    if appraisal.cycle.state == CycleState.CLOSED:
        raise ServiceError(CLOSED)
    if appraisal.employee.status != "active":
        raise ServiceError(_l("This employee has left; the appraisal is closed to changes."))
    if not workflow.can_edit(part, appraisal.state, rels):
        raise ServiceError(
            REFUSALS["wrong_state"]
            if workflow.EDITABLE[part][1] & rels
            else REFUSALS["not_allowed"]
        )


def _add(inputs: dict[str, Any], rater: str, values: Mapping[str, Any]) -> None:
    if rater in GROUPS:
        inputs[GROUPS[rater]].append(dict(values))
    else:
        inputs[rater] = dict(values)


def official_inputs(
    appraisal: Appraisal, template: CompiledTemplate | None = None
) -> dict[str, Any]:
    """What counts: targets, figures and HR's values as saved; other reviews once submitted;
    a peer or subordinate group only where enough of them answered (`counted_group`). A new
    dict of new dicts each call: the caller may change it. `template`: as `self_review_path`."""
    inputs: dict[str, Any] = {"targets": dict(appraisal.targets or {})}
    if AppraisalState.SELF_REVIEW in skipped_steps(appraisal, template):
        inputs["skipped"] = ["self"]
    submitted: dict[str, list[Mapping[str, Any]]] = {rater: [] for rater in GROUPS}
    for review in appraisal.reviews:  # one pass, each attribute read once
        rater = review.rater
        if rater in SINGLE_RATERS:
            if rater in ("data", "hr") or review.submitted:
                inputs[rater] = dict(review.values)
        elif rater in submitted and review.submitted:
            submitted[rater].append(review.values)
    threshold = appraisal.cycle.anonymity_threshold
    for rater, group in GROUPS.items():
        inputs[group] = counted_group(submitted[rater], threshold)
    return inputs


def counted_group(answers: list[Mapping[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """The part of a peer or subordinate group's answers that counts: each item or
    adjustment only where at least `threshold` of them gave it a value (an n/a mark is not a
    value). Below that the group is treated as not given, as design §5 does when nobody
    answered, so no figure anywhere (total, grade, pay, trend, API, export) rests on fewer
    people than the threshold and nothing can be differenced to recover one rating."""
    if not answers:  # most appraisals have no peers or subordinates
        return []
    given = Counter(k for a in answers for k, v in a.items() if v is not None and v != NA)
    kept = [{k: v for k, v in a.items() if given[k] >= threshold} for a in answers]
    return [a for a in kept if a]


def visible_inputs(
    appraisal: Appraisal,
    rels: frozenset[str],
    own_rater: str | None = None,
    own_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The inputs a viewer may see, with their own unsaved values in place of their review.

    HR and the manager see everything that counts. The appraisee sees targets, figures and
    their own review; once published, everything that counts. Before publication they see
    no peer or subordinate scores at all, even from the threshold: the next answer would
    move an average they watched and so reveal that one rating. A peer sees only their own
    review.
    """
    published = appraisal.state in RESULT_SHOWN
    if rels & OFFICIAL or ("employee" in rels and published):
        inputs = official_inputs(appraisal)
    elif "employee" in rels:
        inputs = {"targets": dict(appraisal.targets or {}), "peers": [], "subordinates": []}
        for review in appraisal.reviews:
            if review.rater in ("data", "self"):
                _add(inputs, review.rater, review.values)
    else:
        inputs = {"peers": [], "subordinates": []}
    if own_rater is not None and own_values is not None:
        if own_rater in GROUPS:
            inputs[GROUPS[own_rater]] = [dict(own_values)]
        else:
            inputs[own_rater] = dict(own_values)
    return inputs


def final_result(appraisal: Appraisal, explain: bool = False) -> Result:
    """The official result: what counts, with HR's calibrated grade (if any) in place of the
    computed one (kept as `computed_grade`), so outputs such as the pay coefficient follow
    it. Every surface reads this: pages, trend, API, exports; the stored total and grade
    are its cache for lists (`refresh_result`). `explain`: the caller shows how each score
    came about, so it is worked out at once rather than by scoring again when read."""
    template = appraisal_template(appraisal)
    return score(
        template,
        official_inputs(appraisal, template),
        appraisal.override_grade,
        explain=explain,
        handed_over=True,  # made for this scoring alone
    )


def shown_result(
    appraisal: Appraisal,
    rels: frozenset[str],
    own_rater: str | None = None,
    own_values: Mapping[str, Any] | None = None,
) -> Result:
    """The result as this viewer may see it. Without typed values, for HR, the manager and
    the appraisee of a published result it is `final_result`; with typed values it is the
    live panel's what-if. Anyone but HR and the manager gets peer and subordinate groups as
    an average and a count, never the single scores."""
    official = rels & OFFICIAL or ("employee" in rels and appraisal.state in RESULT_SHOWN)
    if own_rater is None and official:
        result = final_result(appraisal, explain=True)
    else:
        inputs = visible_inputs(appraisal, rels, own_rater, own_values)
        result = score(
            appraisal_template(appraisal), inputs, appraisal.override_grade, explain=True
        )
    return result if rels & OFFICIAL else _averages_only(result)


def _averages_only(result: Result) -> Result:
    """The result without the single scores inside a group's average. Only what changes is
    copied (the result may be the appraisal's own, which stays whole): a deep copy of every
    explanation was a tenth of the appraisal page (issue 20)."""
    items = result.explanations.get("items")
    if not items:
        return result
    explanations = {
        **result.explanations,
        "items": {k: _group_averages(v) for k, v in items.items()},
    }
    return dataclasses.replace(result, explanations=explanations)


def _group_averages(item: dict[str, Any]) -> dict[str, Any]:
    raters = item.get("raters") or {}
    groups = [rater for rater in raters if rater in GROUPS]
    if not groups:
        return item
    shown = dict(raters)
    for rater in groups:
        entry = shown[rater] = {k: v for k, v in raters[rater].items() if k != "scores"}
        if "count" in entry:  # the engine's working lists the single scores too
            entry["how"] = f"average of {entry['count']} scores"
            entry["how_zh"] = f"{entry['count']} 个评分的平均值"
    return {**item, "raters": shown}
