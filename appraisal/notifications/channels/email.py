"""E-mail over SMTP: each due message goes to its person in their language, as plain text
and HTML, over one connection per run; a person who chose the daily digest gets one e-mail
listing everything due for them in the run.

Placeholder values are user text (a cycle's or a person's name), so the HTML part is an
autoescaped template and no header carries a line break from them (`one_line`). The SMTP
server's answer decides what comes next: a 4xx or a lost connection is tried again later
(`delivery.retry`), a 5xx for one recipient fails that message only (`delivery.failed`).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import in_chunks
from ...models import Membership, NotificationPreference, Organization, OutboxMessage, User
from ...states import Channel
from .. import render
from ..catalogue import fill
from ..delivery import failed, merged, retry, sender, sent, skipped

log = logging.getLogger(__name__)

#: Headers are 7-bit and every body is quoted-printable or base64: no server needs 8BITMIME.
POLICY = default_policy.clone(cte_type="7bit")
SECURITY = ("starttls", "ssl", "none")
#: Anything that would end a header line (CR, LF, the Unicode line and paragraph separators…)
#: or is another control character.
LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")

NOT_CONFIGURED = _l("E-mail is not configured (MAIL_SERVER is not set).")
NO_ADDRESS = _l("The recipient has no usable e-mail address.")
INACTIVE = _l("The recipient's account is inactive or no longer in the organization.")
DIGEST_SUBJECT = _l("{organization}: {count} notifications")
DIGEST_INTRO = _l("Hello {name}, here is what needs your attention:")


@dataclass
class Item:
    """One notification inside an e-mail: its words and the link to its task."""

    message: OutboxMessage
    subject: str
    body: str
    link: str | None


@dataclass
class Letter:
    """One e-mail to one person: a single notification, or a daily digest of several."""

    user: User
    address: Address
    organization: Organization
    language: str
    items: list[Item] = field(default_factory=list)

    @property
    def messages(self) -> list[OutboxMessage]:
        return [item.message for item in self.items]

    @property
    def digest(self) -> bool:
        return len(self.items) > 1


@sender(Channel.EMAIL)
def send(session: Session, messages: list[OutboxMessage], now: datetime) -> None:
    """Send the run's e-mail messages and mark each (sent, merged into a digest, skipped,
    retried or failed)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        for message in messages:
            skipped(message, str(NOT_CONFIGURED))
        return
    letters = list(_letters(session, messages, config))
    if not letters:
        return
    with closing(Postbox(config)) as postbox:
        for letter in letters:
            _post(postbox, letter, now, config)


def one_line(text: str) -> str:
    """`text` fit for a header: every line break or control character becomes one space, so
    user text can never start a header of its own."""
    return LINE_BREAKS.sub(" ", text).strip()


def usable_address(user: User) -> Address | None:
    """The person's mailbox, or None when the stored address could not be sent to."""
    email = (user.email or "").strip()
    if LINE_BREAKS.search(email) or email.count("@") != 1 or parseaddr(email)[1] != email:
        return None
    local, _, domain = email.partition("@")
    if not local or "." not in domain:
        return None
    try:
        return Address(display_name=one_line(user.name or ""), addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        return None


# -- who gets what ---------------------------------------------------------------------------


def _letters(
    session: Session, messages: list[OutboxMessage], config: Mapping[str, Any]
) -> Iterator[Letter]:
    """The run's e-mails: a message alone, or a digest person's messages of one organization
    together; messages nobody can receive are skipped here."""
    user_ids = sorted({m.user_id for m in messages if m.user_id is not None})
    users = _by_id(session, User, user_ids)
    members = _active_members(session, user_ids)
    digesting = _digesting(session, user_ids)
    organizations = _by_id(session, Organization, sorted({m.organization_id for m in messages}))
    groups: dict[tuple[Any, ...], list[OutboxMessage]] = {}
    for message in messages:
        if message.user_id in digesting:
            key: tuple[Any, ...] = ("digest", message.user_id, message.organization_id)
        else:
            key = ("one", message.id)
        groups.setdefault(key, []).append(message)
    for group in groups.values():
        first = group[0]
        user = users.get(first.user_id) if first.user_id is not None else None
        if user is None or not user.active or (user.id, first.organization_id) not in members:
            _skip(group, INACTIVE)
            continue
        address = usable_address(user)
        if address is None:
            _skip(group, NO_ADDRESS)
            continue
        language = first.language if first.language in config["LANGUAGES"] else None
        letter = Letter(
            user,
            address,
            organizations[first.organization_id],
            language or config["BABEL_DEFAULT_LOCALE"],
        )
        for message in group:
            words = render.words(
                session,
                message.organization_id,
                message.kind,
                letter.language,
                message.context or {},
                name=user.name,
                organization=letter.organization.name,
            )
            link = render.public_link(message.link, config.get("PUBLIC_URL"))
            letter.items.append(Item(message, words.subject, words.body, link))
        yield letter


def _skip(messages: Iterable[OutboxMessage], reason: object) -> None:
    for message in messages:
        skipped(message, str(reason))


def _by_id(session: Session, model: Any, ids: list[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for chunk in in_chunks(ids):
        for row in session.scalars(select(model).where(model.id.in_(chunk))):
            found[row.id] = row
    return found


def _active_members(session: Session, user_ids: list[int]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for chunk in in_chunks(user_ids):
        rows = session.execute(
            select(Membership.user_id, Membership.organization_id).where(
                Membership.user_id.in_(chunk), Membership.active
            )
        )
        found.update((user_id, org_id) for user_id, org_id in rows)
    return found


def _digesting(session: Session, user_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in in_chunks(user_ids):
        found.update(
            session.scalars(
                select(NotificationPreference.user_id).where(
                    NotificationPreference.user_id.in_(chunk), NotificationPreference.daily_digest
                )
            )
        )
    return found


# -- the e-mail ------------------------------------------------------------------------------


def compose(
    letter: Letter, now: datetime, config: Mapping[str, Any]
) -> tuple[EmailMessage, str, str]:
    """The e-mail (plain text and HTML alternatives), its subject and its text."""
    values = {
        "name": letter.user.name,
        "organization": letter.organization.name,
        "count": str(len(letter.items)),
    }
    with force_locale(letter.language):
        if letter.digest:
            subject = fill(str(DIGEST_SUBJECT), values)
            intro = fill(str(DIGEST_INTRO), values)
        else:
            subject, intro = letter.items[0].subject, None
        subject = one_line(subject)
        page = {
            "subject": subject,
            "intro": intro,
            "items": letter.items,
            "digest": letter.digest,
            "organization": letter.organization.name,
            "language": letter.language,
        }
        env = current_app.jinja_env
        text = env.get_template("notifications/email/message.txt").render(page)
        html = env.get_template("notifications/email/message.html").render(page)
    sender_address = str(config["MAIL_SENDER"])
    domain = parseaddr(sender_address)[1].rpartition("@")[2] or "localhost"
    email = EmailMessage(policy=POLICY)
    email["Subject"] = subject
    email["From"] = one_line(sender_address)
    email["To"] = letter.address
    email["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
    email["Message-ID"] = make_msgid(domain=one_line(domain))
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    # After the body: `set_content` clears every Content-* header set before it.
    email["Content-Language"] = letter.language
    return email, subject, text


# -- sending ---------------------------------------------------------------------------------


class Postbox:
    """The run's one SMTP connection, opened when the first e-mail is ready; once it has
    failed (server down, a dropped line), the rest of the run is retried later at once
    instead of waiting for a time-out each."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.broken: str | None = None

    def open(self) -> smtplib.SMTP | None:
        """The connection, or None once it has failed (`broken` says why)."""
        if self.smtp is None and self.broken is None:
            try:
                self.smtp = connect(self.config)
            except (smtplib.SMTPException, OSError, ValueError) as error:
                self.fail(error)
        return self.smtp

    def fail(self, error: Exception) -> None:
        """The connection is gone (or never came): the run's other e-mails wait."""
        self.broken = f"{type(error).__name__}: {error}"
        log.warning("E-mail not sent (%s); the run's other e-mails wait", self.broken)
        self.close()

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()
        self.smtp = None


def connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    """An SMTP session as MAIL_* say: SMTPS, STARTTLS (certificate checked) or plain, with
    a login when MAIL_USERNAME is set."""
    security = str(config.get("MAIL_SECURITY") or "none").lower()
    if security not in SECURITY:
        raise ValueError(f"MAIL_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
    host, port = str(config["MAIL_SERVER"]), int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT_SECONDS"])
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if security == "starttls":
            smtp.starttls(context=context)
        if config.get("MAIL_USERNAME"):
            smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _post(postbox: Postbox, letter: Letter, now: datetime, config: Mapping[str, Any]) -> None:
    """Send one e-mail and mark its messages by what the server answered."""
    smtp = postbox.open()
    if smtp is None:
        _retry(letter, now, str(postbox.broken))
        return
    email, subject, text = compose(letter, now, config)
    try:
        smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()), (0, b""))
        _answered(letter, now, code, answer)
    except smtplib.SMTPResponseException as error:  # the sender or the content refused
        _answered(letter, now, error.smtp_code, error.smtp_error)
    except smtplib.SMTPNotSupportedError as error:  # a non-ASCII address, no SMTPUTF8
        for message in letter.messages:
            failed(message, str(error))
    except (smtplib.SMTPException, OSError) as error:  # the line dropped
        postbox.fail(error)
        _retry(letter, now, str(postbox.broken))
    else:
        first, *rest = letter.items
        sent(first.message, now, subject, text)
        for item in rest:
            item.message.subject, item.message.body = item.subject, item.body
            merged(item.message, first.message, now)


def _answered(letter: Letter, now: datetime, code: int, answer: bytes | str) -> None:
    """A server's refusal: 5xx is final for these messages, anything else is tried again."""
    error = _words(code, answer)
    log.warning("E-mail to user %s refused: %s", letter.user.id, error)
    for message in letter.messages:
        if 500 <= code < 600:
            failed(message, error)
        else:
            retry(message, now, error)


def _retry(letter: Letter, now: datetime, error: str) -> None:
    for message in letter.messages:
        retry(message, now, error)


def _words(code: int, answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return f"SMTP {code} {text}".strip()
