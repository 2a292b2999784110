"""Figures (`data` inputs) and targets for a whole cycle at once, keyed by employee number
and item key: the HR grid, the managers' target grid, and later file imports and the API all
come through here. All or nothing: one bad value and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ... import audit
from ...bulk import collector_paused, insert_in_bulk, update_in_bulk
from ...concurrency import EditConflict
from ...db import in_chunks
from ...errors import ServiceError
from ...i18n import label_text
from ...labels import in_english
from ...models import Appraisal, Cycle, Employee, Review, SchemeMetric
from ...notifications import events
from ...rules import CompiledTemplate, Result, typed_number
from ...scopes import EVERYWHERE, Reach
from ...states import AppraisalState, CycleState
from .. import workflow
from ..compiled import appraisal_template, version_template
from ..render import Field, parse_value, role_fields, target_fields
from ..reviews.access import (
    EMPLOYEE_WHO_SIGNS_IN,
    Viewer,
    final_result,
    managed_by,
    relations,
)
from ..reviews.inputs import (
    check_targets,
    check_values,
    missing_targets,
    parse_values,
    scored_with,
)
from ..reviews.reviews import refresh_result
from .targets import SplitRefused, split_target, sum_matches


@dataclass(frozen=True)
class Entry:
    """One value for one employee's item; `value` is typed text or a number.

    `expected` is what the sender last saw stored (the text a grid showed, "" for blank), or
    None when it states no expectation (file imports, API writes without a precondition).
    """

    employee_number: str
    key: str
    value: Any
    row: int | None = None
    expected: Any = None


#: What a cell's refusal says: a catalogue string, worded in the reader's language when shown.
Message = LazyString | str


@dataclass(frozen=True)
class EntryError:
    employee_number: str
    key: str
    message: Message
    row: int | None = None


class EntriesRefused(ServiceError):
    def __init__(self, errors: list[EntryError]) -> None:
        super().__init__(
            _l("%(count)d values need correcting; nothing was saved.", count=len(errors))
        )
        self.errors = errors


class CellsChanged(EditConflict):
    """Cells someone else changed since the sender loaded them: nothing was saved. `errors`
    marks them (and any invalid cell) by employee number and key; `current` holds the text
    now stored in each conflicting cell, which the grid shows as its new starting point."""

    def __init__(self, errors: list[EntryError], current: dict[tuple[str, str], str]) -> None:
        super().__init__(
            current,
            _l(
                "%(count)d values were changed by someone else since you opened this page; "
                "nothing was saved. Your values are kept: compare them with the saved ones and "
                "save again.",
                count=len(current),
            ),
        )
        self.errors = errors


def require_open(cycle: Cycle) -> None:
    if cycle.state == CycleState.CLOSED:
        raise ServiceError(_l("The cycle is closed; nothing can change."))


def cycle_appraisals_query(cycle: Cycle) -> Select[tuple[Appraisal]]:
    """A cycle's appraisals by employee number, with what their pages and results read."""
    return (
        select(Appraisal)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.cycle_id == cycle.id)
        .options(
            selectinload(Appraisal.employee).joinedload(Employee.department),
            selectinload(Appraisal.employee).joinedload(Employee.position),
            EMPLOYEE_WHO_SIGNS_IN,  # who signs in: `reviews.relations`
            selectinload(Appraisal.manager),
            selectinload(Appraisal.reviews),
            selectinload(Appraisal.template_version),
            selectinload(Appraisal.cycle),
        )
        .order_by(Employee.number)
    )


def cycle_appraisals(session: Session, cycle: Cycle, where: Reach = EVERYWHERE) -> list[Appraisal]:
    """The cycle's appraisals (inside `where`, a scoped reader's reach)."""
    query = cycle_appraisals_query(cycle)
    if not where.everywhere:
        query = query.where(where.clause(Employee.department_id))
    return list(session.scalars(query))


def appraisals_of_numbers(
    session: Session, cycle: Cycle, numbers: Iterable[str]
) -> list[Appraisal]:
    """The cycle's appraisals of these employee numbers only: a save of a hundred figures
    reads a hundred appraisals, whatever the size of the cycle."""
    found: list[Appraisal] = []
    for chunk in in_chunks(sorted(set(numbers))):
        found.extend(
            session.scalars(cycle_appraisals_query(cycle).where(Employee.number.in_(chunk)))
        )
    return found


def figure_fields(cycle: Cycle) -> list[Field]:
    return role_fields(version_template(cycle.scheme.template_version), "data")


def cycle_target_fields(cycle: Cycle) -> list[Field]:
    return target_fields(version_template(cycle.scheme.template_version))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _data_review(appraisal: Appraisal) -> Review | None:
    return next((r for r in appraisal.reviews if r.slot == "data"), None)


def make_figures_reviews(session: Session, appraisals: Sequence[Appraisal]) -> None:
    """Give each of these appraisals (loaded with their reviews) that has no figures review
    an empty one, made in one statement and put in its loaded collection as if loaded with
    it: a cycle's first figures are ten thousand new reviews, which the flush inserts one
    statement each (10,000 statements to set a 10k cycle's figures; 16 of a 64 s first
    metric recompute on PostgreSQL, profiled). `_writable_data_review` then finds them."""
    lacking = list({a.id: a for a in appraisals if _data_review(a) is None}.values())
    if not lacking:
        return
    insert_in_bulk(
        session,
        Review.__table__,
        [
            {
                "organization_id": a.organization_id,
                "appraisal_id": a.id,
                "slot": "data",
                "rater": "data",
            }
            for a in lacking
        ],
    )
    made = {}
    for chunk in in_chunks([a.id for a in lacking]):
        query = select(Review).where(Review.appraisal_id.in_(chunk), Review.slot == "data")
        made.update((review.appraisal_id, review) for review in session.scalars(query))
    for appraisal in lacking:
        set_committed_value(appraisal, "reviews", [*appraisal.reviews, made[appraisal.id]])


def _writable_data_review(appraisal: Appraisal) -> Review:
    """The appraisal's figures, made on first write."""
    review = _data_review(appraisal)
    if review is None:
        review = Review(organization_id=appraisal.organization_id, slot="data", rater="data")
        appraisal.reviews.append(review)
    return review


def stored_figures(appraisal: Appraisal) -> dict[str, Any]:
    review = _data_review(appraisal)
    return dict(review.values) if review else {}


def stored_targets(appraisal: Appraisal) -> dict[str, Any]:
    return dict(appraisal.targets or {})


def grid_cells(appraisals: list[Appraisal], prefix: str) -> dict[str, str]:
    """The text each cell of a grid shows (`<prefix>|<number>|<key>`), which the page also
    sends back as what it loaded, so a save can tell what the user changed."""
    stored = stored_figures if prefix == "fig" else stored_targets
    return {
        f"{prefix}|{a.employee.number}|{key}": _text(value)
        for a in appraisals
        for key, value in stored(a).items()
    }


def _by_number(appraisals: list[Appraisal]) -> dict[str, Appraisal]:
    return {a.employee.number: a for a in appraisals}


def _rows_by_value(entries: list[Entry]) -> dict[tuple[str, str], int | None]:
    """Where each (employee number, key) came from, looked up per error without a scan."""
    rows: dict[tuple[str, str], int | None] = {}
    for entry in entries:
        rows.setdefault((entry.employee_number, entry.key), entry.row)
    return rows


def _refused(entry: Entry, message: Message) -> EntryError:
    return EntryError(entry.employee_number, entry.key, message, entry.row)


def _parsed(field: Field, text: Any) -> Any:
    return parse_value(field.kind, _text(text), field.options)


def _unchanged(entry: Entry, field: Field | None, stored: Any) -> bool:
    """A cell the sender did not change: typed as the page showed it or, without a page, as
    stored. Such cells are neither checked nor written (a published colleague's unchanged
    row does not block the grid, and a colleague's later change is not reverted)."""
    if field is None:
        return False  # not an input of this form: checked, and refused
    shown = stored if entry.expected is None else _parsed(field, entry.expected)
    return _parsed(field, entry.value) == shown


def _stale(entry: Entry, field: Field | None, stored: Any) -> bool:
    """A changed cell whose stored value is no longer what the sender loaded (unless it
    already is what they typed)."""
    if entry.expected is None or field is None:
        return False
    return stored not in (_parsed(field, entry.expected), _parsed(field, entry.value))


def _changed_meanwhile(entry: Entry, stored: Any, by: str | None) -> EntryError:
    now = _text(stored) or "—"
    if by:
        message = _l("Changed meanwhile to %(value)s by %(name)s", value=now, name=by)
    else:
        message = _l("Changed meanwhile to %(value)s", value=now)
    return _refused(entry, message)


@dataclass(frozen=True)
class _Cells:
    """What a kind of grid cell is: where its value is stored, the inputs it may hold, why
    an appraisal is not the sender's (`hidden`) or not open to change (`locked`), and who
    last changed it, where known."""

    stored: Callable[[Appraisal], dict[str, Any]]
    fields: Callable[[CompiledTemplate], list[Field]]
    hidden: Callable[[Appraisal | None], Message | None]
    locked: Callable[[Appraisal], Message | None]
    by: Callable[[Appraisal], str | None]
    computed: frozenset[str] = frozenset()  # items a metric fills: never typed


@dataclass
class _Sorted:
    """Entries sorted by what a save must do with them."""

    errors: list[EntryError] = field(default_factory=list)
    stale: list[EntryError] = field(default_factory=list)
    current: dict[tuple[str, str], str] = field(default_factory=dict)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # number → key → typed


def _same(one: Any, other: Any) -> bool:
    """Whether two given values say the same (112000, "112000" and "112000.0" do)."""
    texts = _text(one).strip(), _text(other).strip()
    try:
        return Decimal(texts[0]) == Decimal(texts[1])
    except (InvalidOperation, ValueError):
        return texts[0] == texts[1]


def _clashing(entries: list[Entry]) -> set[tuple[str, str]]:
    """Cells given twice with different values (a file listing an employee on two rows, a
    request naming a cell twice): which one is meant cannot be guessed, so neither is saved
    (before, the last silently won); each is refused at its own row. The same value twice
    is harmless."""
    first: dict[tuple[str, str], Entry] = {}
    clashing: set[tuple[str, str]] = set()
    for entry in entries:
        cell = (entry.employee_number, entry.key)
        earlier = first.setdefault(cell, entry)
        if earlier is not entry and not _same(earlier.value, entry.value):
            clashing.add(cell)
    return clashing


def _sort(entries: list[Entry], appraisals: dict[str, Appraisal], cells: _Cells) -> _Sorted:
    """Find the cells that changed; refuse those that may not change and those someone else
    changed since they were loaded. Unchanged cells are left alone."""
    found = _Sorted()
    fields: dict[int, dict[str, Field]] = {}
    clashing = _clashing(entries)
    for entry in entries:
        if (entry.employee_number, entry.key) in clashing:
            found.errors.append(_refused(entry, _l("Given more than once with different values")))
            continue
        appraisal = appraisals.get(entry.employee_number)
        hidden = cells.hidden(appraisal)
        if hidden is not None:
            found.errors.append(_refused(entry, hidden))
            continue
        assert appraisal is not None  # `hidden` refuses a missing one
        if appraisal.template_version_id not in fields:
            fields[appraisal.template_version_id] = {
                f.key: f for f in cells.fields(appraisal_template(appraisal))
            }
        stored = cells.stored(appraisal).get(entry.key)
        field_ = fields[appraisal.template_version_id].get(entry.key)
        if _unchanged(entry, field_, stored):
            continue
        locked = cells.locked(appraisal)
        if entry.key in cells.computed:
            found.errors.append(_refused(entry, COMPUTED_REFUSAL))
        elif locked is not None:
            found.errors.append(_refused(entry, locked))
        elif _stale(entry, field_, stored):
            found.stale.append(_changed_meanwhile(entry, stored, cells.by(appraisal)))
            found.current[(entry.employee_number, entry.key)] = _text(stored)
        else:
            found.changed.setdefault(entry.employee_number, {})[entry.key] = entry.value
    return found


def _problems(
    number: str, problems: dict[str, Any], rows: dict[tuple[str, str], int | None]
) -> list[EntryError]:
    """The engine's messages for one employee's cells, each at the file row it came from
    (looked up, not searched: a file of 50,000 rows with an error each stays linear)."""
    return [
        EntryError(number, key, message, rows.get((number, key)))
        for name, message in problems.items()
        for key in [name.split(".", 1)[-1]]
    ]


def _refuse(found: _Sorted, errors: list[EntryError]) -> None:
    if found.stale:
        raise CellsChanged(found.stale + errors, found.current)
    if errors:
        raise EntriesRefused(errors)


#: What typing a computed figure answers (a grid, a file, the API alike).
COMPUTED_REFUSAL = _l(
    "This figure is computed by a metric; HR can override it with a reason on the figures page"
)


def _no_such_figure(appraisal: Appraisal | None) -> Message | None:
    if appraisal is None:
        return _l("No appraisal in this cycle for this employee number")
    return None


def _figures_locked(appraisal: Appraisal) -> Message | None:
    if not workflow.can_edit("data", appraisal.state, {"hr"}):
        return _l("This appraisal is past calibration")
    if appraisal.employee.status != "active":
        return _l("This employee has left")
    return None


def _figures_by(appraisal: Appraisal) -> str | None:
    review = _data_review(appraisal)
    return review.updated_by.name if review is not None and review.updated_by else None


def computed_keys(session: Session, cycle: Cycle) -> frozenset[str]:
    """The cycle's `data` items a metric fills (bound on its scheme)."""
    return frozenset(session.scalars(_computed_keys(), {"scheme_id": cycle.scheme_id}))


@cache
def _computed_keys() -> Select[tuple[str]]:
    """Built once per process: every appraisal page asks (issue 20)."""
    scheme_id = bindparam("scheme_id", type_=Integer)
    return select(SchemeMetric.item_key).where(SchemeMetric.scheme_id == scheme_id)


def _write_in_bulk(session: Session, appraisals: list[Appraisal]) -> None:
    """The saved appraisals and their reviews in a statement per table and shape, not one
    per row (a whole cycle's figures are ten thousand rows); a row changed meanwhile still
    refuses the save (`StaleDataError`, as at a flush)."""
    update_in_bulk(session, [*appraisals, *(r for a in appraisals for r in a.reviews)])


@collector_paused()  # a whole cycle's figures: 10,000 scorings, twice as fast
def set_figures(session: Session, cycle: Cycle, entries: list[Entry], user_id: int | None) -> int:
    """Save the figures that changed; returns how many. Blank text clears a figure.

    All or nothing: a cell that may not change (one a metric computes, too), an invalid
    value, or a cell someone else changed since the sender loaded it (`Entry.expected`)
    refuses the whole save.
    """
    require_open(cycle)
    appraisals = _by_number(
        appraisals_of_numbers(session, cycle, (e.employee_number for e in entries))
    )
    cells = _Cells(
        stored_figures,
        lambda template: role_fields(template, "data"),
        _no_such_figure,
        _figures_locked,
        _figures_by,
        computed_keys(session, cycle),
    )
    found = _sort(entries, appraisals, cells)
    rows = _rows_by_value(entries)
    errors = list(found.errors)
    updates: list[tuple[Appraisal, dict[str, Any], Result]] = []
    changed = 0
    for number, typed in found.changed.items():
        appraisal = appraisals[number]
        template = appraisal_template(appraisal)
        fields = role_fields(template, "data")
        current = stored_figures(appraisal)
        raw = {f"data.{k}": _text(v) for k, v in current.items()} | {
            f"data.{k}": _text(v) for k, v in typed.items()
        }
        # One scoring with the rest of the appraisal, as a review's save and a metric's
        # values are checked: the engine's complaints, then (saved as they are) its result.
        trial = scored_with(appraisal, "data", parse_values(fields, raw))
        values, problems = check_values(template, "data", fields, raw, trial)
        # Only the cells sent are judged: a stored figure its target later made unscorable
        # shows on the appraisal, and must not block a save of the person's other figures.
        sent = {f"data.{key}" for key in typed}
        errors += _problems(number, {n: m for n, m in problems.items() if n in sent}, rows)
        changed += sum(1 for k in typed if values.get(k) != current.get(k))
        updates.append((appraisal, values, trial))
    _refuse(found, errors)
    make_figures_reviews(session, [appraisal for appraisal, _values, _trial in updates])
    for appraisal, values, trial in updates:
        review = _writable_data_review(appraisal)
        if review.values != values:
            review.values = values
            review.updated_by_id = user_id
        refresh_result(appraisal, trial)
    _write_in_bulk(session, [appraisal for appraisal, _values, _trial in updates])
    audit.record(
        session,
        cycle.organization_id,
        user_id,
        "cycle.figures_set",
        "cycle",
        cycle.id,
        values=len(entries),
        changed=changed,
    )
    return changed


def changes_figures(appraisal: Appraisal, figures: dict[str, Decimal | None]) -> bool:
    """Whether `put_computed` would write these values (they differ from the stored ones once
    read as the items read them): only those appraisals get a figures review made."""
    fields = role_fields(appraisal_template(appraisal), "data")
    current = stored_figures(appraisal)
    raw = {f"data.{k}": _text(v) for k, v in current.items()} | {
        f"data.{k}": _text(v) for k, v in figures.items()
    }
    return parse_values(fields, raw) != current


def put_computed(appraisal: Appraisal, figures: dict[str, Decimal | None]) -> dict[str, Message]:
    """Write metric values into an appraisal's figures, checked as typed figures are; a value
    the item refuses (out of its range...) is left out and its message returned by key. The
    caller decides the appraisal may change (`metrics.compute.computable`). Scored once
    when every value is accepted: a cycle's recompute writes thousands of these."""
    template = appraisal_template(appraisal)
    fields = role_fields(template, "data")
    current = stored_figures(appraisal)
    raw = {f"data.{k}": _text(v) for k, v in current.items()} | {
        f"data.{k}": _text(v) for k, v in figures.items()
    }
    values = parse_values(fields, raw)
    if values == current:
        return {}
    review = _writable_data_review(appraisal)
    review.values = values
    result = final_result(appraisal)
    _values, problems = check_values(template, "data", fields, raw, result)
    refused = {
        key: message
        for name, message in problems.items()
        if (key := name.split(".", 1)[-1]) in figures
    }
    if refused:
        for key in refused:
            values.pop(key, None)
            if current.get(key) is not None:
                values[key] = current[key]
        review.values = dict(values)
    review.updated_by_id = None
    refresh_result(appraisal, None if refused else result)
    return refused


@collector_paused()  # as set_figures
def set_targets(session: Session, cycle: Cycle, entries: list[Entry], viewer: Viewer) -> int:
    """Save the targets that changed, for employees whose goals the viewer may set; all or
    nothing as `set_figures`."""
    require_open(cycle)
    appraisals = _by_number(
        appraisals_of_numbers(session, cycle, (e.employee_number for e in entries))
    )

    def hidden(appraisal: Appraisal | None) -> Message | None:
        if appraisal is None or not relations(appraisal, viewer) & {"manager", "hr"}:
            return _l("No appraisal of your team has this employee number")
        return None

    def locked(appraisal: Appraisal) -> Message | None:
        if not workflow.can_edit("targets", appraisal.state, relations(appraisal, viewer)):
            return _l("Goals are already confirmed; ask HR to reopen")
        return None

    found = _sort(
        entries, appraisals, _Cells(stored_targets, target_fields, hidden, locked, lambda a: None)
    )
    rows = _rows_by_value(entries)
    errors = list(found.errors)
    updates = []
    changed = 0
    for number, typed in found.changed.items():
        appraisal = appraisals[number]
        current = stored_targets(appraisal)
        raw = {f"targets.{k}": _text(v) for k, v in current.items()} | {
            f"targets.{k}": _text(v) for k, v in typed.items()
        }
        targets, problems = check_targets(appraisal_template(appraisal), raw)
        errors += _problems(number, problems, rows)
        changed += sum(1 for k in typed if targets.get(k) != current.get(k))
        updates.append((appraisal, targets))
    _refuse(found, errors)
    completed = []
    for appraisal, targets in updates:
        if appraisal.targets != targets:
            was_missing = bool(missing_targets(appraisal))
            appraisal.targets = targets
            refresh_result(appraisal)
            if was_missing and not missing_targets(appraisal):
                completed.append(appraisal)
    _write_in_bulk(session, [appraisal for appraisal, _targets in updates])
    events.goals_to_confirm(session, completed)
    audit.record(
        session,
        cycle.organization_id,
        viewer.user_id,
        "cycle.targets_set",
        "cycle",
        cycle.id,
        values=len(entries),
        changed=changed,
    )
    return changed


def team_appraisals(session: Session, cycle: Cycle, viewer: Viewer) -> list[Appraisal]:
    """The appraisals of a cycle whose targets the viewer sets: their team (chosen by the
    database, so a manager's grid reads their team only), or all for HR."""
    if viewer.is_hr:
        return cycle_appraisals(session, cycle)
    if viewer.employee_id is None:
        return []
    team = cycle_appraisals_query(cycle).where(
        managed_by(viewer.employee_id, viewer.reports, viewer.org_id)
    )
    return [a for a in session.scalars(team) if relations(a, viewer) & {"manager", "hr"}]


def cycle_before(
    session: Session, org_id: int, day: date, except_id: int | None = None
) -> Cycle | None:
    """The launched cycle that ended last before `day`: "last period" for a split's basis."""
    return session.scalar(
        select(Cycle)
        .where(
            Cycle.organization_id == org_id,
            Cycle.id != (except_id or -1),
            Cycle.ends_on < day,
            Cycle.launched_at.is_not(None),
        )
        .order_by(Cycle.ends_on.desc())
        .limit(1)
    )


def figures_by_employee(
    session: Session,
    cycles: Iterable[Cycle],
    key: str,
    employee_ids: Iterable[int] | None = None,
) -> dict[int, Decimal]:
    """Each employee's stored figure for `key` (`figures_by_key` of one key)."""
    return figures_by_key(session, cycles, (key,), employee_ids)[key]


def figures_by_key(
    session: Session,
    cycles: Iterable[Cycle],
    keys: Iterable[str],
    employee_ids: Iterable[int] | None = None,
) -> dict[str, dict[int, Decimal]]:
    """For each of `keys`, each employee's stored figure (typed, imported or computed by a
    metric), added up over `cycles`; people without one are left out, never counted as 0.
    Reads only (employee, the figures review's values) in one statement over the cycles,
    narrowed to `employee_ids` when given (in IN-list chunks), whatever the number of keys:
    the goal pages read a period's goal types together, and loading a 10k cycle's
    appraisals with their relations cost seconds per goal type."""
    found: dict[str, dict[int, Decimal]] = {key: {} for key in keys}
    cycle_ids = [cycle.id for cycle in cycles]
    if not cycle_ids or not found:
        return found
    query = (
        select(Appraisal.employee_id, Review.values)
        .join(Review, (Review.appraisal_id == Appraisal.id) & (Review.slot == "data"))
        .where(Appraisal.cycle_id.in_(cycle_ids))
    )
    if employee_ids is None:
        rows = list(session.execute(query))
    else:
        rows = [
            row
            for chunk in in_chunks(sorted(set(employee_ids)))
            for row in session.execute(query.where(Appraisal.employee_id.in_(chunk)))
        ]
    for employee_id, values in rows:
        given = values or {}
        for key, by_employee in found.items():
            value = given.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                figure = Decimal(str(value))
                by_employee[employee_id] = by_employee.get(employee_id, Decimal(0)) + figure
    return found


def previous_actuals(session: Session, cycle: Cycle, key: str) -> dict[str, float]:
    """Last cycle's figure for `key` per employee number, as a basis for splitting targets."""
    earlier = cycle_before(session, cycle.organization_id, cycle.starts_on, cycle.id)
    if earlier is None:
        return {}
    numbers = {a.employee_id: a.employee.number for a in cycle_appraisals(session, earlier)}
    return {
        numbers[employee_id]: float(value)
        for employee_id, value in figures_by_employee(session, [earlier], key).items()
    }


# -- team targets ------------------------------------------------------------------------------

SPLIT_REFUSALS = {
    "no_members": _l("There is nobody to split the target among."),
    "negative": _l("Targets and basis values cannot be negative."),
    "no_basis": _l("Enter a basis (for example last period's actual) for at least one member."),
}


def plain(number: float) -> str:
    """12000.5 and 90000 rather than 1.20005e+04 and 90000.00."""
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _team_total(text: str) -> float:
    number = typed_number(text)
    if number is None:
        raise ServiceError(_l("The team target must be a number."))
    return float(number)


def locked_targets(team: list[Appraisal], key: str) -> list[float]:
    """Targets of members whose goals are confirmed: they count, but are not split again."""
    return [
        float(a.targets[key])
        for a in team
        if a.state != AppraisalState.GOAL_SETTING
        and isinstance((a.targets or {}).get(key), int | float)
    ]


def check_team_total(
    team: list[Appraisal], key: str, total_text: str, entries: list[Entry]
) -> None:
    """The team's targets for `key` (confirmed ones and those typed) must add up to the total."""
    total = _team_total(total_text)
    shares = locked_targets(team, key)
    for entry in entries:
        if entry.key == key and str(entry.value).strip():
            share = typed_number(entry.value)
            if share is None:
                return  # the grid reports the bad cell itself
            shares.append(float(share))
    if not sum_matches(total, shares):
        raise ServiceError(
            _l(
                "The targets for %(key)s add up to %(sum)s, not the team target %(total)s.",
                key=key,
                sum=plain(sum(shares)),
                total=plain(total),
            )
        )


@dataclass(frozen=True)
class Split:
    amount: float  # what was split: the team total less the confirmed targets
    shares: dict[str, float]  # by employee number


def split_team_target(
    session: Session,
    cycle: Cycle,
    team: list[Appraisal],
    key: str,
    total_text: str,
    method: str,
    basis_text: dict[str, str],
) -> Split:
    """Shares of a team target among the members whose goals are still open: equal, in
    proportion to typed basis values, or to last period's actual figures."""
    if key not in {f.key for f in cycle_target_fields(cycle)}:
        raise ServiceError(_l("Choose the item to split."))
    amount = _team_total(total_text) - sum(locked_targets(team, key))
    numbers = [a.employee.number for a in team if a.state == AppraisalState.GOAL_SETTING]
    basis: dict[str, float] | None = None
    if method == "last_actual":
        basis = previous_actuals(session, cycle, key)
    elif method == "proportional":
        typed = {n: typed_number(basis_text.get(n) or 0) for n in numbers}
        if None in typed.values():
            raise ServiceError(_l("Basis values must be numbers."))
        basis = {n: float(number) for n, number in typed.items() if number is not None}
    try:
        return Split(amount, split_target(amount, numbers, basis))
    except SplitRefused as refused:
        raise ServiceError(SPLIT_REFUSALS[refused.code]) from None


# -- from files ----------------------------------------------------------------------------------

NUMBER_ALIASES = ("employee_number", "employee number", "number", "工号", "员工编号", "编号")


def file_columns(cycle: Cycle, with_targets: bool) -> list[tuple[str, Any]]:
    """What a figures file may hold: the employee number, each `data` item and adjustment,
    and (for HR) each per-employee target."""
    columns: list[tuple[str, Any]] = [("employee_number", _l("Employee number"))]
    columns += [(f"data:{f.key}", f.label) for f in figure_fields(cycle)]
    if with_targets:
        columns += [
            (
                f"target:{f.key}",
                {"en": f"Target: {_name(f.label, 'en')}", "zh": f"目标：{_name(f.label, 'zh')}"},
            )
            for f in cycle_target_fields(cycle)
        ]
    return columns


def file_sheet(
    session: Session, cycle: Cycle, with_targets: bool
) -> tuple[list[str], list[list[Any]]]:
    """The import's file with what is stored now, one row per employee, to fill in and import
    back: headers in the user's language (English: the names the import reads as keys)."""
    columns = file_columns(cycle, with_targets)
    if in_english():
        header = [name.removeprefix("data:") for name, _label in columns]
    else:
        header = [label_text(label) for _name, label in columns]
    rows = []
    for appraisal in cycle_appraisals(session, cycle):
        stored = {"data": stored_figures(appraisal), "target": stored_targets(appraisal)}
        rows.append(
            [appraisal.employee.number]
            + [
                stored[kind].get(key)
                for kind, _colon, key in (n.partition(":") for n, _ in columns[1:])
            ]
        )
    return header, rows


def _name(label: Any, language: str) -> str:
    return label.get(language) or label.get("en") or "" if isinstance(label, dict) else str(label)


def guess_file_mapping(
    header: list[str], columns: list[tuple[str, Any]], remembered: dict[str, str]
) -> dict[str, str]:
    """Our column → the file's: remembered, else matched by key or name (any language)."""
    lowered = {h.strip().lower(): h for h in header}
    mapping = {}
    for name, label in columns:
        if remembered.get(name) in header:
            mapping[name] = remembered[name]
            continue
        prefix, _colon, key = name.partition(":")
        if name == "employee_number":
            candidates = list(NUMBER_ALIASES)
        elif prefix == "data":
            candidates = [key, _name(label, "zh"), _name(label, "en")]
        else:  # a target's column is never the figure's own (`sales` is the figure)
            candidates = [name, _name(label, "zh"), _name(label, "en")]
        for candidate in candidates:
            if candidate and candidate.strip().lower() in lowered:
                mapping[name] = lowered[candidate.strip().lower()]
                break
    return mapping


def file_mapping_problems(mapping: dict[str, str]) -> dict[str, Message]:
    problems: dict[str, Message] = {}
    if not mapping.get("employee_number"):
        problems["employee_number"] = _l("choose the column that holds this")
    if len(mapping) < 2 and "employee_number" not in problems:
        problems["employee_number"] = _l("map at least one figure column")
    used: dict[str, str] = {}
    for name, column in mapping.items():
        if column in used:
            problems[name] = _l(
                "column %(column)s is already mapped to %(field)s",
                column=column,
                field=used[column],
            )
        used[column] = name
    return problems


def entries_from_file(
    header: list[str], rows: list[list[str]], mapping: dict[str, str]
) -> tuple[list[Entry], list[Entry]]:
    """Figure and target entries, each with its file row (the header is row 1). A blank cell
    leaves the value as it is rather than clearing it."""
    number_at = header.index(mapping["employee_number"])
    columns = [
        (*name.split(":", 1), header.index(column))
        for name, column in mapping.items()
        if name != "employee_number"
    ]
    found: dict[str, list[Entry]] = {"data": [], "target": []}
    for index, row in enumerate(rows, start=2):
        number = row[number_at].strip()
        for kind, key, at in columns:
            value = row[at].strip()
            if value:
                found[kind].append(Entry(number, key, value, row=index))
    return found["data"], found["target"]
