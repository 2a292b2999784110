"""HR's set-up of notifications: its own words for each kind (saved, reset, previewed) and
the delivery log it reads. Services take a session and never commit.

A template is `{placeholder}` text, not a template language: only the kind's placeholders
are replaced (by `catalogue.fill`, with plain values), anything else (`{{ 7*7 }}`) stays as
typed, and a `{word}` the kind does not know is refused when saved, so HR never sends a
message with a hole in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..concurrency import NO_ROW_YET, expect_version
from ..db import LIKE_ESCAPE, contains_pattern, in_chunks
from ..errors import ServiceError
from ..models import (
    Appraisal,
    Employee,
    MessageTemplate,
    Organization,
    OutboxMessage,
    Review,
    Robot,
    User,
)
from ..models.accounts import LANGUAGES
from ..models.base import as_utc
from ..paging import Page, paginate
from ..runtime.reviews.access import GROUPS
from ..states import NotificationKind
from .catalogue import KINDS, PLACEHOLDER, fill, unknown_placeholders
from .events import invitation_key
from .render import Words, default_words, template_for, values_for
from .services import email_key

#: A subject is one line of at most this many characters (the column's width).
SUBJECT_MAX = 200
#: A body fits a group robot's message with room for the values (企业微信: 4,096 bytes).
BODY_MAX = 1000

#: What the preview fills the placeholders with, in the template's language.
EXAMPLES: dict[str, Any] = {
    "name": _l("Li Lei"),
    "cycle": _l("2026 Q4"),
    "employee": _l("Han Meimei"),
    "due": "2026-12-10",
    "step": "self",  # a code: `render.values_for` turns it into its name
    "days": "3",
    "count": "5",
    "decision": _l("result upheld"),
    "when": "2026-12-15 14:00",
    "plan": _l("Improvement plan of Han Meimei"),
    "day": "2026-12-01",
}


class TemplateRefused(ServiceError):
    """Words that cannot be saved (or previewed): `errors` maps a field (`subject`, `body`)
    to why."""

    def __init__(self, errors: dict[str, str], message: Any = None) -> None:
        super().__init__(message or _l("Some values need correcting; nothing was saved."))
        self.errors = errors


# -- templates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A kind's words in one language as the overview shows them."""

    kind: str
    language: str
    subject: str
    body: str
    own: bool  # HR's words (else the catalogue's default)
    version: int  # the row's version; `concurrency.NO_ROW_YET` (0) while there is none


def kinds() -> list[str]:
    """Every kind, in the catalogue's order."""
    return list(KINDS)


def shown(session: Session, org_id: int, kind: str, language: str) -> Shown:
    """HR's words for `kind` in `language`, or the default (marked as such)."""
    return _shown(kind, language, template_for(session, org_id, kind, language))


def _shown(kind: str, language: str, own: MessageTemplate | None) -> Shown:
    if own is not None:
        return Shown(kind, language, own.subject, own.body, True, own.version)
    words = default_words(kind, language)
    return Shown(kind, language, words.subject, words.body, False, NO_ROW_YET)


def overview(session: Session, org_id: int) -> list[list[Shown]]:
    """Every kind with its words in each language (one query for HR's rows)."""
    rows = {
        (t.kind, t.language): t
        for t in session.scalars(
            select(MessageTemplate).where(MessageTemplate.organization_id == org_id)
        )
    }
    return [
        [_shown(kind, language, rows.get((kind, language))) for language in LANGUAGES]
        for kind in KINDS
    ]


def parts(text: str) -> list[tuple[str, bool]]:
    """`text` cut into plain pieces and placeholders (`{cycle}`: True), for a page that
    marks the placeholders."""
    pieces = PLACEHOLDER.split(text)  # text, name, text, name, ..., text
    return [
        (f"{{{piece}}}" if odd else piece, bool(odd))
        for odd, piece in ((i % 2, p) for i, p in enumerate(pieces))
        if piece
    ]


def placeholders(kind: str) -> tuple[str, ...]:
    """What a `kind`'s words may use, `{name}` and `{organization}` first."""
    return KINDS[kind].allowed


def check_words(kind: str, subject: str, body: str) -> dict[str, str]:
    """Why these words cannot be saved, per field (empty: they can)."""
    problems: dict[str, str] = {}
    for field, text, limit in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX)):
        if not text.strip():
            problems[field] = gettext("Write something here.")
        elif len(text) > limit:
            problems[field] = gettext(
                "At most %(limit)d characters (this has %(count)d).", limit=limit, count=len(text)
            )
        elif field == "subject" and ("\n" in text or "\r" in text):
            problems[field] = gettext("The subject is one line.")
        elif unknown := unknown_placeholders(kind, text):
            problems[field] = gettext(
                "Unknown placeholder: %(names)s. This message may use: %(allowed)s.",
                names=", ".join(f"{{{name}}}" for name in unknown),
                allowed=", ".join(f"{{{name}}}" for name in placeholders(kind)),
            )
    return problems


def preview(kind: str, language: str, subject: str, body: str, organization: str) -> Words:
    """The words as a recipient would read them, with example values; refused, like a
    save, when they cannot be saved. The values are plain text: escape them."""
    problems = check_words(kind, subject, body)
    if problems:
        raise TemplateRefused(problems, _l("Correct the words to see them filled in."))
    with force_locale(language):
        examples = {key: str(value) for key, value in EXAMPLES.items()}
    values = values_for(examples, language, organization=organization)
    return Words(fill(subject, values), fill(body, values))


def save_template(
    session: Session,
    org_id: int,
    kind: str,
    language: str,
    subject: str,
    body: str,
    version: int | None,
    user_id: int | None,
) -> MessageTemplate:
    """HR's words for `kind` in `language` (replacing earlier ones), refused when empty, too
    long or using a placeholder the kind does not know; 409 when someone saved or reset them
    since the page was opened (`version`: what it showed, 0 for the default)."""
    if kind not in KINDS or language not in LANGUAGES:
        raise ServiceError(gettext("There is no such message."))
    problems = check_words(kind, subject, body)
    if problems:
        raise TemplateRefused(problems)
    row = template_for(session, org_id, kind, language)
    expect_version(row, version)
    before = audit.snapshot(row, ("subject", "body"))
    if row is None:
        row = MessageTemplate(organization_id=org_id, kind=kind, language=language)
        session.add(row)
    row.subject, row.body = subject, body
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "message_template.saved",
        "message_template",
        row.id,
        kind=kind,
        language=language,
        changes=audit.changes(before, audit.snapshot(row, ("subject", "body"))),
    )
    return row


def reset_template(
    session: Session, org_id: int, kind: str, language: str, version: int | None, user_id: int
) -> bool:
    """Back to the catalogue's words (HR's row deleted); False when they were the default
    already. 409 when HR's words changed since the page showed them."""
    row = template_for(session, org_id, kind, language)
    if row is None:
        return False
    expect_version(row, version)
    session.delete(row)
    audit.record(
        session,
        org_id,
        user_id,
        "message_template.reset",
        "message_template",
        row.id,
        kind=kind,
        language=language,
    )
    return True


# -- the delivery log --------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilters:
    channel: str = ""
    status: str = ""
    kind: str = ""
    person: str = ""  # part of a person's name, e-mail or employee number, or a robot's name
    since: date | None = None  # organization's days, both ends included
    until: date | None = None


#: The log's columns (the page's and the file's), as `LogRow` holds them.
LOG_COLUMNS = {
    "when": _l("When"),
    "channel": _l("Channel"),
    "recipient": _l("Recipient"),
    "kind": _l("Kind"),
    "status": _l("Status"),
    "attempts": _l("Attempts"),
    "last_error": _l("Last error"),
    "subject": _l("Subject sent"),
}


@dataclass(frozen=True)
class LogRow:
    """One outbox message as the log shows it (`at` in the organization's time)."""

    id: int
    at: datetime
    channel: str
    recipient: str
    kind: str
    status: str
    attempts: int
    last_error: str
    subject: str


def _zone(session: Session, org_id: int) -> ZoneInfo:
    return ZoneInfo(session.get(Organization, org_id).time_zone)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of the organization's `day`, in UTC: SQLite compares the stored text, which
    is UTC, so a bound in another zone would be hours off there."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def invitations_about(session: Session, org_id: int, user_id: int | None) -> list[str]:
    """The outbox keys of the invitations to review `user_id`'s own appraisals. An HR admin
    is not HR on their own appraisal (its page hides who reviews them), so the log, which
    names each invitation's recipient, leaves these out for them."""
    if user_id is None:
        return []
    reviews = session.execute(
        select(Review.id, Review.reviewer_id)
        .join(Appraisal, Appraisal.id == Review.appraisal_id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(
            Appraisal.organization_id == org_id,
            Employee.user_id == user_id,
            Review.rater.in_(list(GROUPS)),
        )
    )
    kind = NotificationKind.PEER_INVITATION
    return [email_key(reviewer, kind, invitation_key(id_)) for id_, reviewer in reviews]


def log_query(
    session: Session, org_id: int, filters: LogFilters, reader_id: int | None = None
) -> Select[Any]:
    """The organization's outbox messages the filters select, newest first: the equality
    filters and the date range on its own columns, in the order of its (organization,
    created) index, so a page reads its rows from the index end however big the log.
    `reader_id` (the HR admin reading) never sees who was invited to review them."""
    stmt = select(OutboxMessage).where(OutboxMessage.organization_id == org_id)
    for hidden in in_chunks(invitations_about(session, org_id, reader_id)):
        stmt = stmt.where(OutboxMessage.dedupe_key.not_in(hidden))
    for column, value in (
        (OutboxMessage.channel, filters.channel),
        (OutboxMessage.status, filters.status),
        (OutboxMessage.kind, filters.kind),
    ):
        if value:
            stmt = stmt.where(column == value)
    zone = _zone(session, org_id) if filters.since or filters.until else None
    if filters.since:
        stmt = stmt.where(OutboxMessage.created_at >= _local_midnight(filters.since, zone))
    if filters.until:
        end = _local_midnight(filters.until + timedelta(days=1), zone)
        stmt = stmt.where(OutboxMessage.created_at < end)
    if filters.person.strip():
        pattern = contains_pattern(filters.person)
        people = (
            select(User.id)
            .outerjoin(
                Employee, (Employee.user_id == User.id) & (Employee.organization_id == org_id)
            )
            .where(
                or_(
                    User.name.ilike(pattern, escape=LIKE_ESCAPE),
                    User.email.ilike(pattern, escape=LIKE_ESCAPE),
                    Employee.name.ilike(pattern, escape=LIKE_ESCAPE),
                    Employee.number.ilike(pattern, escape=LIKE_ESCAPE),
                )
            )
        )
        robots = select(Robot.id).where(
            Robot.organization_id == org_id, Robot.name.ilike(pattern, escape=LIKE_ESCAPE)
        )
        stmt = stmt.where(
            or_(OutboxMessage.user_id.in_(people), OutboxMessage.robot_id.in_(robots))
        )
    return stmt.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


def _rows(session: Session, org_id: int, messages: list[OutboxMessage]) -> Iterator[LogRow]:
    """The messages with their recipients' names (read for these messages only)."""
    zone = _zone(session, org_id)
    people = {m.user_id for m in messages if m.user_id is not None}
    robots = {m.robot_id for m in messages if m.robot_id is not None}
    names: dict[tuple[str, int], str] = {}
    for chunk in in_chunks(sorted(people)):
        for id_, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(chunk))
        ):
            names["user", id_] = f"{name} <{email}>"
    for chunk in in_chunks(sorted(robots)):
        for id_, name in session.execute(
            select(Robot.id, Robot.name).where(Robot.id.in_(chunk), Robot.organization_id == org_id)
        ):
            names["robot", id_] = name
    for m in messages:
        who = ("user", m.user_id) if m.user_id is not None else ("robot", m.robot_id)
        yield LogRow(
            id=m.id,
            at=as_utc(m.created_at).astimezone(zone),
            channel=m.channel,
            recipient=names.get(who, ""),
            kind=m.kind,
            status=m.status,
            attempts=m.attempts,
            last_error=m.last_error or "",
            subject=m.subject or "",
        )


def delivery_log(
    session: Session,
    org_id: int,
    filters: LogFilters,
    page: int = 1,
    per_page: int = 50,
    reader_id: int | None = None,
) -> Page[LogRow]:
    """One page of the log, as `reader_id` may read it (`log_query`)."""
    stmt = log_query(session, org_id, filters, reader_id)
    found = paginate(session, stmt, page, per_page)
    return replace(found, items=list(_rows(session, org_id, found.items)))


#: An export holds at most this many rows, the newest the filters select (the page says so).
EXPORT_MAX = 50_000


def log_rows(
    session: Session, org_id: int, filters: LogFilters, reader_id: int | None = None
) -> Iterator[LogRow]:
    """The rows the filters select for a file, newest first, read a thousand at a time."""
    stmt = log_query(session, org_id, filters, reader_id).limit(EXPORT_MAX)
    batch: list[OutboxMessage] = []
    for message in session.scalars(stmt.execution_options(yield_per=1000)):
        batch.append(message)
        if len(batch) == 1000:
            yield from _rows(session, org_id, batch)
            batch = []
    yield from _rows(session, org_id, batch)
