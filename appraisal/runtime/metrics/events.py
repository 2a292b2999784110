"""Business events other systems push (CRM, OA, ticketing), and the people they name.

One service for every way in (the API's batches, a CSV/XLSX file): each event is checked
whole first (its source, external id, kind, time, person reference and typed attributes),
and a batch with any problem saves nothing and reports every problem by index and field.
An event is unique by (source, external id): one already stored, or repeated further down
the same batch, changes nothing and is answered `unchanged`. The person is found by the
mapping HR made for that source's reference, else by employee number, else by e-mail;
someone not found is `held` (kept, for HR to map on the held-people screen), never dropped.
Storing or mapping events recomputes the metrics of the people they touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, tuple_, update
from sqlalchemy.orm import Session, joinedload

from ... import audit
from ...concurrency import EditConflict
from ...db import LIKE_ESCAPE, contains_pattern, in_chunks
from ...errors import ServiceError
from ...i18n import in_language
from ...inputs import bad_text
from ...models import Employee, ExternalEvent, ExternalPerson, Organization, User, utcnow
from ...paging import Page, paginate
from ...rules import EVENT_KINDS, check_event_attributes
from ...states import EventStatus
from ..fieldwork.records import CLOCK_SKEW, EARLIEST, employee_by_number, local_moment
from .compute import refresh_employees

SOURCE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
EXTERNAL_ID_MAX = 120
#: The ways an event may name its person, as `person_ref` stores them ("email:li@x.cn").
PERSON_KINDS = ("employee_number", "email", "user_id")
PERSON_REF_MAX = 200
#: Database lookups take at most this many values in one IN list.


@dataclass(frozen=True)
class EventProblem:
    index: int  # the event's place in the batch (0-based; a file's rows add their offset)
    field: str  # "occurred_at", "person", "attributes.amount", …
    message: Any  # worded when shown, in the reader's language


class EventsRefused(ServiceError):
    """A batch with problems; nothing of it was saved."""

    def __init__(self, problems: list[EventProblem]) -> None:
        super().__init__(
            _l("%(count)d values need correcting; nothing was saved.", count=len(problems))
        )
        self.problems = problems


@dataclass(frozen=True)
class EventOutcome:
    index: int
    source: str
    external_id: str
    status: str  # matched | held (stored now) | unchanged (stored before, or earlier in the batch)


@dataclass
class Received:
    outcomes: list[EventOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def created(self) -> int:
        return sum(1 for o in self.outcomes if o.status != "unchanged")


@dataclass
class _Checked:
    index: int
    source: str
    external_id: str
    kind: str
    moment: datetime
    person_ref: str
    attributes: dict[str, Any]


def person_ref(kind: str, value: str) -> str:
    """How a reference is stored: `employee_number:E0012`, `email:li@x.cn`, `user_id:u-7`."""
    return f"{kind}:{value.lower() if kind == 'email' else value}"


def receive_events(
    session: Session,
    org_id: int,
    batch: Sequence[Mapping[str, Any]],
    user_id: int | None,
    *,
    dry_run: bool = False,
    via: str = "api",
) -> Received:
    """Check every event, then (unless `dry_run`) store the new ones and recompute the people
    they touched; raises `EventsRefused` with every problem when any event is wrong."""
    organization = session.get(Organization, org_id)
    zone = ZoneInfo(organization.time_zone)
    problems: list[EventProblem] = []
    checked: list[_Checked] = []
    for index, raw in enumerate(batch):
        event = _check(index, raw, zone, problems)
        if event is not None:
            checked.append(event)
    stored = _stored_ids(session, org_id, {(e.source, e.external_id) for e in checked})
    received = Received()
    fresh: list[_Checked] = []
    for event in checked:
        key = (event.source, event.external_id)
        if key in stored:
            received.outcomes.append(EventOutcome(event.index, *key, "unchanged"))
            continue
        stored.add(key)
        fresh.append(event)
    if problems:
        raise EventsRefused(sorted(problems, key=lambda p: p.index))
    people = resolve_people(session, org_id, {(e.source, e.person_ref) for e in fresh})
    touched: set[int] = set()
    rows = []
    for event in fresh:
        employee_id = people.get((event.source, event.person_ref))
        status = EventStatus.MATCHED if employee_id is not None else EventStatus.HELD
        received.outcomes.append(
            EventOutcome(event.index, event.source, event.external_id, status.value)
        )
        if employee_id is not None:
            touched.add(employee_id)
        rows.append(
            ExternalEvent(
                organization_id=org_id,
                source=event.source,
                external_id=event.external_id,
                kind=event.kind,
                occurred_at=event.moment,
                occurred_on=event.moment.astimezone(zone).date(),
                person_ref=event.person_ref,
                employee_id=employee_id,
                attributes=event.attributes,
                status=status.value,
            )
        )
    received.outcomes.sort(key=lambda o: o.index)
    if dry_run:
        return received
    # Two senders storing the same id at once meet the unique key at flush: the caller's
    # `lost_updates` answers 409 and the retry finds it stored (no savepoint; see records.py).
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "event.received",
        "organization",
        org_id,
        via=via,
        matched=received.count("matched"),
        held=received.count("held"),
        unchanged=received.count("unchanged"),
    )
    _recompute(session, org_id, touched)
    return received


def _check(
    index: int, raw: Mapping[str, Any], zone: ZoneInfo, problems: list[EventProblem]
) -> _Checked | None:
    """One event's values, or None with its problems added (every one, not the first)."""
    found: list[EventProblem] = []

    def problem(name: str, message: Any) -> None:
        found.append(EventProblem(index, name, message))

    source = _text(raw.get("source")).lower()
    if not source:
        problem("source", _l("Name the system the event comes from."))
    elif not SOURCE.fullmatch(source):
        problem(
            "source",
            _l(
                "Use up to 40 letters a–z, digits, “-”, “_” or “.”, starting with a letter or "
                "digit."
            ),
        )
    external_id = _text(raw.get("external_id"))
    if not external_id:
        problem("external_id", _l("Give the event's id in that system."))
    elif len(external_id) > EXTERNAL_ID_MAX or bad_text(external_id, multiline=False):
        problem("external_id", _l("Use at most 120 characters, on one line."))
    kind = _text(raw.get("kind"))
    if kind not in EVENT_KINDS:
        problem("kind", _l("Not a known kind of event (%(kinds)s).", kinds=", ".join(EVENT_KINDS)))
    moment = _moment(raw.get("occurred_at"), zone, problem)
    reference = _person(raw.get("person"), problem)
    attributes: dict[str, Any] = {}
    given = raw.get("attributes") or {}
    if not isinstance(given, Mapping):
        problem("attributes", _l("Give the attributes as an object."))
    elif kind in EVENT_KINDS:
        values = check_event_attributes(kind, given)
        attributes = dict(values.values)
        for p in values.problems:
            problem(f"attributes.{p.field}", in_language(p.message, p.message_zh))
    problems.extend(found)
    if found or moment is None or reference is None:
        return None
    return _Checked(index, source, external_id, kind, moment, reference, attributes)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _moment(value: Any, zone: ZoneInfo, problem) -> datetime | None:
    """The moment in UTC: a time with an offset as given, one without on the organization's
    clock (a spreadsheet's cells have none)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = _text(value)
        if not text:
            problem("occurred_at", _l("Give the time the event happened."))
            return None
        try:
            moment = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            problem(
                "occurred_at",
                _l("Not a time: use ISO 8601, e.g. 2026-03-31T23:30:00+08:00 or 2026-03-31 23:30."),
            )
            return None
    day = moment.date()  # compared before any conversion: no overflow at the calendar's ends
    if day < EARLIEST:
        problem("occurred_at", _l("This time is before %(year)s.", year=EARLIEST.year))
        return None
    now = utcnow()
    if day > now.date() + timedelta(days=2):
        problem("occurred_at", _l("This time is in the future."))
        return None
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    if moment > now + CLOCK_SKEW:
        problem("occurred_at", _l("This time is in the future."))
        return None
    return moment


def _person(value: Any, problem) -> str | None:
    """The stored reference of `{"employee_number": …}`, `{"email": …}` or `{"user_id": …}`."""
    if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in PERSON_KINDS:
        problem(
            "person",
            _l("Name the person by exactly one of employee_number, email or user_id."),
        )
        return None
    kind, given = next(iter(value.items()))
    text = _text(given) if isinstance(given, str | int) and not isinstance(given, bool) else ""
    if not text:
        problem(f"person.{kind}", _l("Give the reference."))
        return None
    reference = person_ref(kind, text)
    if len(reference) > PERSON_REF_MAX or bad_text(text, multiline=False):
        problem(f"person.{kind}", _l("Use at most 180 characters, on one line."))
        return None
    return reference


def _stored_ids(session: Session, org_id: int, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (source, external id) pairs are stored already, in bounded lookups."""
    found: set[tuple[str, str]] = set()
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    for source, ids in by_source.items():
        ids.sort()
        for chunk in in_chunks(ids):
            found.update(
                (source, external_id)
                for external_id in session.scalars(
                    select(ExternalEvent.external_id).where(
                        ExternalEvent.organization_id == org_id,
                        ExternalEvent.source == source,
                        ExternalEvent.external_id.in_(chunk),
                    )
                )
            )
    return found


def resolve_people(
    session: Session, org_id: int, refs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """(source, person_ref) → employee id for those that can be told: HR's mapping for that
    source first, then the employee number, then the e-mail of the employee or of its
    sign-in. An e-mail two employees share tells nobody."""
    refs = set(refs)
    found: dict[tuple[str, str], int] = {}
    for chunk in in_chunks(sorted(refs)):
        found.update(
            ((row.source, row.reference), row.employee_id)
            for row in session.execute(
                select(
                    ExternalPerson.source, ExternalPerson.reference, ExternalPerson.employee_id
                ).where(
                    ExternalPerson.organization_id == org_id,
                    tuple_(ExternalPerson.source, ExternalPerson.reference).in_(chunk),
                )
            )
        )
    left = [(s, r) for s, r in refs if (s, r) not in found]
    numbers = {r.split(":", 1)[1] for _s, r in left if r.startswith("employee_number:")}
    emails = {r.split(":", 1)[1] for _s, r in left if r.startswith("email:")}
    by_number = _by_numbers(session, org_id, numbers)
    by_email = _by_emails(session, org_id, emails)
    for source, ref in left:
        kind, value = ref.split(":", 1)
        employee_id = (by_number if kind == "employee_number" else by_email).get(value)
        if kind != "user_id" and employee_id is not None:
            found[(source, ref)] = employee_id
    return found


def _by_numbers(session: Session, org_id: int, numbers: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in in_chunks(sorted(numbers)):
        found.update(
            session.execute(
                select(Employee.number, Employee.id).where(
                    Employee.organization_id == org_id, Employee.number.in_(chunk)
                )
            ).all()
        )
    return found


def _by_emails(session: Session, org_id: int, emails: set[str]) -> dict[str, int]:
    """Lower-cased e-mail → employee id, from the employee's own e-mail or its sign-in's;
    an address that names two employees is left out."""
    owners: dict[str, set[int]] = {}
    for chunk in in_chunks(sorted(emails)):
        own = select(func.lower(Employee.email), Employee.id).where(
            Employee.organization_id == org_id, func.lower(Employee.email).in_(chunk)
        )
        signed_in = (
            select(func.lower(User.email), Employee.id)
            .join(User, User.id == Employee.user_id)
            .where(Employee.organization_id == org_id, func.lower(User.email).in_(chunk))
        )
        for statement in (own, signed_in):
            for email, employee_id in session.execute(statement):
                owners.setdefault(email, set()).add(employee_id)
    return {email: ids.pop() for email, ids in owners.items() if len(ids) == 1}


def _recompute(session: Session, org_id: int, employee_ids: set[int]) -> None:
    """The metrics of the people whose events changed, in the same transaction."""
    if employee_ids:
        refresh_employees(session, org_id, sorted(employee_ids))


# -- reading: the list, the API ---------------------------------------------------------------


@dataclass(frozen=True)
class EventFilters:
    source: str = ""
    kind: str = ""
    status: str = ""
    person: str = ""  # part of the reference, or of the employee's number or name
    received_since: datetime | None = None


def events_query(org_id: int, filters: EventFilters = EventFilters()) -> Select[Any]:
    """The organization's events the filters select, newest first, with their employee."""
    stmt = (
        select(ExternalEvent)
        .outerjoin(Employee, Employee.id == ExternalEvent.employee_id)
        .options(joinedload(ExternalEvent.employee))
        .where(ExternalEvent.organization_id == org_id)
    )
    if filters.source:
        stmt = stmt.where(ExternalEvent.source == filters.source.strip().lower())
    if filters.kind:
        stmt = stmt.where(ExternalEvent.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(ExternalEvent.status == filters.status)
    if filters.person.strip():
        pattern = contains_pattern(filters.person)
        stmt = stmt.where(
            or_(
                ExternalEvent.person_ref.ilike(pattern, escape=LIKE_ESCAPE),
                Employee.number.ilike(pattern, escape=LIKE_ESCAPE),
                Employee.name.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if filters.received_since is not None:
        return stmt.where(ExternalEvent.received_at >= filters.received_since).order_by(
            ExternalEvent.received_at, ExternalEvent.id
        )
    return stmt.order_by(ExternalEvent.occurred_at.desc(), ExternalEvent.id.desc())


def list_events(
    session: Session, org_id: int, filters: EventFilters, page: int = 1, per_page: int = 50
) -> Page[ExternalEvent]:
    return paginate(session, events_query(org_id, filters), page, per_page)


def sources(session: Session, org_id: int) -> list[str]:
    """The sources that sent something, for the filters."""
    return list(
        session.scalars(
            select(ExternalEvent.source)
            .where(ExternalEvent.organization_id == org_id)
            .distinct()
            .order_by(ExternalEvent.source)
        )
    )


# -- held people: grouped, mapped, set aside ---------------------------------------------------


@dataclass(frozen=True)
class HeldGroup:
    source: str
    person_ref: str
    count: int
    first: datetime
    last: datetime
    kinds: tuple[str, ...]

    @property
    def reference(self) -> str:
        """The reference as the other system gave it, without its kind."""
        return self.person_ref.split(":", 1)[-1]

    @property
    def ref_kind(self) -> str:
        return self.person_ref.split(":", 1)[0]


def held_groups(
    session: Session, org_id: int, page: int = 1, per_page: int = 20, source: str = ""
) -> Page[HeldGroup]:
    """The held events by (source, reference), most events first; only the page's groups
    (and their kinds) are read."""
    held = [ExternalEvent.organization_id == org_id, ExternalEvent.status == EventStatus.HELD]
    if source:
        held.append(ExternalEvent.source == source.strip().lower())
    stmt = (
        select(
            ExternalEvent.source,
            ExternalEvent.person_ref,
            func.count().label("count"),
            func.min(ExternalEvent.occurred_at).label("first"),
            func.max(ExternalEvent.occurred_at).label("last"),
        )
        .where(*held)
        .group_by(ExternalEvent.source, ExternalEvent.person_ref)
        .order_by(func.count().desc(), ExternalEvent.source, ExternalEvent.person_ref)
    )
    found = paginate(session, stmt, page, per_page, rows=True)
    rows = found.items
    kinds: dict[tuple[str, str], list[str]] = {}
    if rows:
        for source_, ref, kind in session.execute(
            select(ExternalEvent.source, ExternalEvent.person_ref, ExternalEvent.kind)
            .where(
                *held,
                tuple_(ExternalEvent.source, ExternalEvent.person_ref).in_(
                    [(r.source, r.person_ref) for r in rows]
                ),
            )
            .distinct()
            .order_by(ExternalEvent.kind)
        ):
            kinds.setdefault((source_, ref), []).append(kind)
    organization = session.get(Organization, org_id)
    groups = [
        HeldGroup(
            r.source,
            r.person_ref,
            r.count,
            local_moment(organization, r.first),
            local_moment(organization, r.last),
            tuple(kinds.get((r.source, r.person_ref), ())),
        )
        for r in rows
    ]
    return Page(items=groups, page=found.page, per_page=per_page, total=found.total)


def held_group(session: Session, org_id: int, source: str, ref: str) -> HeldGroup | None:
    """One group of held events; None when it has none (mapped, set aside, or never here)."""
    rows = session.execute(
        select(ExternalEvent.kind, ExternalEvent.occurred_at).where(
            ExternalEvent.organization_id == org_id,
            ExternalEvent.status == EventStatus.HELD,
            ExternalEvent.source == source,
            ExternalEvent.person_ref == ref,
        )
    ).all()
    if not rows:
        return None
    organization = session.get(Organization, org_id)
    moments = [local_moment(organization, r.occurred_at) for r in rows]
    kinds = tuple(sorted({r.kind for r in rows}))
    return HeldGroup(source, ref, len(rows), min(moments), max(moments), kinds)


def group_exists(session: Session, org_id: int, source: str, ref: str) -> bool:
    """Whether any event (of any status) came with this reference: one that is no longer
    held was handled by someone (409); one that never came is not found (404)."""
    return (
        session.scalar(
            select(ExternalEvent.id)
            .where(
                ExternalEvent.organization_id == org_id,
                ExternalEvent.source == source,
                ExternalEvent.person_ref == ref,
            )
            .limit(1)
        )
        is not None
    )


ALREADY_HANDLED = _l(
    "Someone else has already mapped or set aside these events; the list below shows what is "
    "still waiting."
)


def map_person(
    session: Session,
    org_id: int,
    source: str,
    ref: str,
    employee_number: str,
    user_id: int | None,
) -> int:
    """Say who a reference is: remember it (the next events with it match at once), count
    its held events for that employee and recompute them. Returns how many events moved."""
    number = _text(employee_number)
    employee = employee_by_number(session, org_id, number) if number else None
    if employee is None:
        raise ServiceError(_l("No employee has this number."), "employee_number")
    mapped = session.scalar(
        select(ExternalPerson).where(
            ExternalPerson.organization_id == org_id,
            ExternalPerson.source == source,
            ExternalPerson.reference == ref,
        )
    )
    if mapped is not None:
        raise EditConflict(mapped, ALREADY_HANDLED)
    moved = _settle(session, org_id, source, ref, EventStatus.MATCHED, employee.id)
    session.add(
        ExternalPerson(
            organization_id=org_id,
            source=source,
            reference=ref,
            employee_id=employee.id,
            created_by_id=user_id,
        )
    )
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "event.person_mapped",
        "employee",
        employee.id,
        source=source,
        reference=ref,
        events=moved,
    )
    _recompute(session, org_id, {employee.id})
    return moved


def set_aside(session: Session, org_id: int, source: str, ref: str, user_id: int | None) -> int:
    """Not one of ours: the group's held events are dismissed (kept, so that sending them
    again still changes nothing)."""
    moved = _settle(session, org_id, source, ref, EventStatus.DISMISSED, None)
    audit.record(
        session,
        org_id,
        user_id,
        "event.set_aside",
        "organization",
        org_id,
        source=source,
        reference=ref,
        events=moved,
    )
    return moved


def _settle(
    session: Session,
    org_id: int,
    source: str,
    ref: str,
    status: EventStatus,
    employee_id: int | None,
) -> int:
    """Move the group's held events on, in one statement that only takes rows still held:
    when another HR person handled the group first, nothing is left and this is a conflict."""
    moved = session.execute(
        update(ExternalEvent)
        .where(
            ExternalEvent.organization_id == org_id,
            ExternalEvent.status == EventStatus.HELD,
            ExternalEvent.source == source,
            ExternalEvent.person_ref == ref,
        )
        .values(status=status.value, employee_id=employee_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise EditConflict(None, ALREADY_HANDLED)
    return moved


def event_counts(session: Session, org_id: int) -> dict[str, int]:
    """How many events per status, for the pages' headings."""
    return dict(
        session.execute(
            select(ExternalEvent.status, func.count())
            .where(ExternalEvent.organization_id == org_id)
            .group_by(ExternalEvent.status)
        ).all()
    )


def kind_label(kind: str) -> Any:
    activity = EVENT_KINDS.get(kind)
    return activity.name if activity is not None else kind
