"""The 企业微信 group robot and the 钉钉 custom robot: JSON posted to the robot's webhook.

- 企业微信: `{"msgtype": "markdown", "markdown": {"content": …}}`, answered `{"errcode": 0}`.
- 钉钉: the same idea with `{"title", "text"}`; when the robot has a signing secret the URL
  carries `timestamp` (ms) and `sign`: the URL-encoded base64 HMAC-SHA256 of
  "timestamp\\nsecret" keyed by the secret (DingTalk refuses a timestamp over an hour old).

Both robots take about 20 messages a minute, so a robot gets at most one post per delivery
run (the messages due for it are merged into one digest) and at most `PER_MINUTE` posts in
any rolling minute, counted from its outbox rows; when its minute is full its messages wait
until the minute frees. A network error, a 5xx or an error code is retried with the
delivery back-off (a rate-limit code waits a minute); a robot turned off or deleted, or one
no longer posting the kind, skips the message (a deleted robot's messages go with it).

User text reaches a group chat: every rendered word is Markdown-escaped, and the webhook's
host is checked (`webhook_problem`, also before each post) so the server only ever posts to
the robots' own hosts (an SSRF guard), never following a redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...encryption import DecryptionFailed, Keys, decrypt, keys_from_config
from ...models import Organization, OutboxMessage, Robot, as_utc
from ...states import Channel, DeliveryStatus
from ..catalogue import KINDS
from ..delivery import merged, postpone, retry, sender, sent, skipped
from ..render import Words, public_link, words

log = logging.getLogger(__name__)
#: Posts a robot may receive in any rolling minute (both platforms allow about 20).
PER_MINUTE = 20
WINDOW = timedelta(seconds=60)
#: The error codes meaning "too many messages": wait a minute before trying again.
RATE_LIMITED = {Channel.DINGTALK: 130101, Channel.WECOM: 45009}
RATE_LIMIT_WAIT = timedelta(seconds=60)
#: The most UTF-8 bytes of Markdown a post carries (企业微信 takes 4,096, 钉钉 20,000); a
#: digest holds the messages that fit, the others wait for the next run.
MAX_BYTES = {Channel.WECOM: 4000, Channel.DINGTALK: 18000}
#: The only hosts a robot's webhook may name, unless NOTIFICATIONS_ROBOT_HOSTS adds one.
HOSTS = {Channel.WECOM: "qyapi.weixin.qq.com", Channel.DINGTALK: "oapi.dingtalk.com"}
TIMEOUT_SECONDS = 10
#: The most of a robot's answer that is read (the answers are a few dozen bytes).
MAX_ANSWER_BYTES = 64 * 1024
MAX_URL_LENGTH = 1000
#: What a webhook URL is made of: printable ASCII without spaces or backslashes (what the
#: platforms show and the HTTP client can send; a pasted Chinese word or a control
#: character made it raise).
URL_CHARACTERS = re.compile(r"[!-\[\]-~]+")

#: The Markdown characters that mean something wherever they stand (emphasis, code, links,
#: headings, tables, strike-through, tags and 企业微信 mentions `<@id>`), escaped with a
#: backslash; others (`-`, `.`, `(`) are left alone so dates and amounts read as typed.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~<>])")
#: A list or quote marker at the start of a line ("- ", "+ ", "1. ").
LINE_MARKER = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s|$)", re.M)
#: An HTML entity (`&lt;`), which a renderer would turn into its character.
ENTITY = re.compile(r"&(?=#?\w+;)")


@dataclass(frozen=True)
class Target:
    """A robot as a post needs it: its webhook and secret, decrypted."""

    channel: str
    url: str
    secret: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the robot said: `error` is None when it took the message; `text` is its answer
    as shown after a test message (never the URL, which holds the robot's token)."""

    error: str | None
    text: str = ""
    rate_limited: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


# -- the webhook ------------------------------------------------------------------------------


def allowed_hosts(config: Mapping[str, Any]) -> frozenset[str]:
    """NOTIFICATIONS_ROBOT_HOSTS: hosts besides the robots' own (a relay, a test server)."""
    text = config.get("NOTIFICATIONS_ROBOT_HOSTS") or ""
    return frozenset(h.strip().lower() for h in text.split(",") if h.strip())


def webhook_problem(channel: str, url: str, extra_hosts: Iterable[str] = ()) -> Any:
    """Why `url` may not be this channel's webhook (a lazy message), or None. An https URL
    on the channel's own host; a host of NOTIFICATIONS_ROBOT_HOSTS may also use http."""
    if not url or len(url) > MAX_URL_LENGTH or not URL_CHARACTERS.fullmatch(url):
        return _l("Enter the webhook URL exactly as the robot's settings show it.")
    try:
        parts = urllib.parse.urlsplit(url)
        host, _port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return _l("Enter the webhook URL exactly as the robot's settings show it.")
    extra = host in {h.lower() for h in extra_hosts}
    if parts.scheme not in (("https", "http") if extra else ("https",)):
        return _l("The webhook URL must start with https://.")
    if parts.username is not None or parts.password is not None or parts.fragment:
        return _l("Enter the webhook URL exactly as the robot's settings show it.")
    if host != HOSTS.get(channel) and not extra:
        return _l(
            "A webhook of this robot must be on %(host)s (the platform's own address).",
            host=HOSTS.get(channel, "?"),
        )
    return None


def shown_webhook(url: str) -> str:
    """The webhook as a page shows it: its host and path, never its token."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def target_for(robot: Robot, keys: Keys) -> Target:
    """The robot's webhook and secret, decrypted (`DecryptionFailed` if no key opens them)."""
    secret = decrypt(robot.secret_encrypted, keys) if robot.secret_encrypted else None
    return Target(robot.channel, decrypt(robot.webhook_encrypted, keys), secret or None)


# -- one post ---------------------------------------------------------------------------------


def sign(secret: str, timestamp_ms: int) -> str:
    """钉钉's signature: base64 of HMAC-SHA256("timestamp\\nsecret", key=secret), URL-encoded."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def payload(channel: str, title: str, text: str) -> dict[str, Any]:
    """The JSON body of a Markdown post to `channel`'s robot."""
    if channel == Channel.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: a webhook that sends us elsewhere is not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(target: Target, title: str, text: str, timeout: float = TIMEOUT_SECONDS) -> Answer:
    """Post one Markdown message; never raises for what the network or the robot does."""
    url = target.url
    if target.channel == Channel.DINGTALK and target.secret:
        url = signed_url(url, target.secret, int(time.time() * 1000))
    request = urllib.request.Request(  # noqa: S310 - the URL passed `webhook_problem`
        url,
        data=json.dumps(payload(target.channel, title, text), ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            raw = response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as error:
        body = error.read(MAX_ANSWER_BYTES).decode("utf-8", "replace")
        error.close()
        return Answer(f"HTTP {error.code} {error.reason}", body[:500])
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        return Answer(f"{type(error).__name__}: {reason}")
    except ValueError as error:  # a URL the client cannot send (stored before it was checked)
        return Answer(f"{type(error).__name__}: the webhook URL cannot be sent")
    return _read_answer(target.channel, raw.decode("utf-8", "replace"))


def _read_answer(channel: str, text: str) -> Answer:
    try:
        answer = json.loads(text)
        code = int(answer.get("errcode", -1))
    except (ValueError, TypeError, AttributeError):
        return Answer("the robot's answer is not its JSON", text[:500])
    if code == 0:
        return Answer(None, text[:500])
    message = f"errcode {code}: {answer.get('errmsg', '')}"[:500]
    return Answer(message, text[:500], rate_limited=code == RATE_LIMITED.get(channel))


# -- the words of a post ----------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """User text as literal Markdown: no heading, link, emphasis, tag or mention from it."""
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = ENTITY.sub(r"\\&", text)
    return LINE_MARKER.sub(lambda m: f"{m.group(1)}{m.group(2)[:-1]}\\{m.group(2)[-1]}", text)


def _fit(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore").rstrip("\\") + "…"


def _link(path: str | None, public_url: str | None, language: str) -> str:
    url = public_link(path, public_url)
    if url is None:
        return ""
    with force_locale(language):
        return f" [{escape_markdown(gettext('Open'))}]({url})"


@dataclass(frozen=True)
class Post:
    title: str
    text: str
    #: Each message in the post with the words it was given there (for the delivery log).
    items: list[tuple[OutboxMessage, Words]]


def compose(
    messages: list[tuple[OutboxMessage, Words]],
    channel: str,
    language: str,
    public_url: str | None,
) -> Post:
    """One post: a single message as it is, several as a digest holding those that fit in
    the robot's size limit (the first always, cut if it must be)."""
    limit = MAX_BYTES.get(channel, 4000)
    if len(messages) == 1:
        message, said = messages[0]
        title = escape_markdown(said.subject)
        text = f"#### {title}\n\n{escape_markdown(said.body)}"
        text += _link(message.link, public_url, language)
        return Post(said.subject, _fit(text, limit), messages)
    lines: list[str] = []
    taken: list[tuple[OutboxMessage, Words]] = []
    for message, said in messages:
        line = f"- **{escape_markdown(said.subject)}**  \n  {escape_markdown(said.body)}"
        line += _link(message.link, public_url, language)
        candidate = "\n".join([*lines, line])
        if taken and len(_digest(len(taken) + 1, candidate, language).encode()) > limit:
            break
        lines.append(line)
        taken.append((message, said))
    with force_locale(language):
        title = gettext("%(count)d notifications", count=len(taken))
    return Post(title, _fit(_digest(len(taken), "\n".join(lines), language), limit), taken)


def _digest(count: int, lines: str, language: str) -> str:
    with force_locale(language):
        heading = gettext("%(count)d notifications", count=count)
    return f"#### {escape_markdown(heading)}\n\n{lines}"


# -- the sender -------------------------------------------------------------------------------


def sent_in_window(session: Session, robot_id: int, now: datetime) -> tuple[int, datetime | None]:
    """How many posts the robot received in the minute before `now`, and the first of them.
    A post's head message keeps `not_before` = its sending time (see `_deliver`), so the
    count reads the outbox's (status, not_before) index."""
    count, first = session.execute(
        select(func.count(), func.min(OutboxMessage.sent_at)).where(
            OutboxMessage.status == DeliveryStatus.SENT,
            OutboxMessage.not_before > now - WINDOW,
            OutboxMessage.robot_id == robot_id,
            OutboxMessage.sent_at > now - WINDOW,
        )
    ).one()
    return count, as_utc(first) if first is not None else None


@sender(Channel.WECOM)
@sender(Channel.DINGTALK)
def send(session: Session, messages: list[OutboxMessage], now: datetime) -> None:
    """Each robot's due messages: one post (a digest when several), or a wait."""
    config = current_app.config
    by_robot: dict[int | None, list[OutboxMessage]] = defaultdict(list)
    for message in messages:
        by_robot[message.robot_id].append(message)
    for robot_id, share in by_robot.items():
        if robot_id is None:
            for message in share:
                skipped(message, "no robot")
            continue
        robot = session.get(Robot, robot_id)
        if robot is None:
            # Deleted since the run began: its outbox rows went with it (ON DELETE CASCADE),
            # so there is nothing to post and no row to mark.
            continue
        try:
            _deliver(session, robot, share, now, config)
        except Exception:  # one robot's trouble never stops the run for everyone else's
            log.exception("Robot %s: delivery failed", robot.id)
            for message in share:
                if message.status == DeliveryStatus.PENDING:
                    retry(message, now, "unexpected error (the log has the details)")


def _deliver(
    session: Session,
    robot: Robot,
    share: list[OutboxMessage],
    now: datetime,
    config: Mapping[str, Any],
) -> None:
    if robot.organization_id != share[0].organization_id:
        for message in share:
            skipped(message, "the robot belongs to another organization")
        return
    if not robot.active:
        for message in share:
            skipped(message, "the robot is turned off")
        return
    due = []
    for message in share:
        kind = KINDS.get(message.kind)
        if kind is None or not kind.robot_safe or message.kind not in (robot.kinds or []):
            skipped(message, "the robot no longer posts this kind")
        else:
            due.append(message)
    if not due:
        return
    try:
        target = target_for(robot, keys_from_config(config))
    except (DecryptionFailed, ValueError) as error:
        for message in due:
            retry(message, now, f"{error} (ENCRYPTION_KEYS)")
        return
    problem = webhook_problem(robot.channel, target.url, allowed_hosts(config))
    if problem is not None:
        for message in due:
            skipped(message, f"webhook refused: {problem}")
        return
    count, first = sent_in_window(session, robot.id, now)
    if count >= PER_MINUTE:
        for message in due:
            postpone(message, (first or now) + WINDOW)
        return
    organization = session.get(Organization, robot.organization_id)
    place = organization.name if organization else ""
    # `{name}` in a group post is who has to act (the person the message was raised for)
    said = [
        (
            m,
            words(
                session,
                m.organization_id,
                m.kind,
                m.language,
                m.context or {},
                name=(m.context or {}).get("recipient") or robot.name,
                organization=place,
            ),
        )
        for m in due
    ]
    made = compose(said, robot.channel, robot.language, config.get("PUBLIC_URL"))
    for message in due[len(made.items) :]:
        postpone(message, now)  # did not fit in this post: the next run takes it
    answer = post(target, made.title, made.text)
    if not answer.ok:
        wait = RATE_LIMIT_WAIT if answer.rate_limited else None
        for message, _words in made.items:
            retry(message, now, answer.error or "", wait)
        return
    head = made.items[0][0]
    sent(head, now, made.title, made.text)
    head.not_before = now  # counted in the robot's minute (`sent_in_window`)
    for message, own in made.items[1:]:
        merged(message, head, now)
        message.subject, message.body = own.subject, own.body
