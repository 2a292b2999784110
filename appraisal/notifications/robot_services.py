"""HR's group robots: add, change, turn off and delete a 企业微信 or 钉钉 robot, send it a
test message, and re-encrypt every robot's secrets under the newest key.

The webhook URL (it holds the robot's token) and the 钉钉 signing secret are stored
encrypted and never shown back: a page says whether they are set, and leaving a field empty
keeps what is stored. A robot posts only the kinds the catalogue calls `robot_safe` (a
group chat is no place for a result or an appeal), whatever is posted to the server.
Services take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..concurrency import expect_version
from ..db import get_in_org
from ..encryption import DecryptionFailed, Keys, decrypt, encrypt, rotate
from ..errors import ServiceError
from ..labels import CHANNEL
from ..models import Department, Organization, Robot
from ..states import ROBOT_CHANNELS, Channel
from .catalogue import KINDS
from .channels import robots as channel

#: A robot's platform as HR reads it (the channels' own labels).
ROBOT_CHANNEL = {channel_: CHANNEL[channel_] for channel_ in ROBOT_CHANNELS}
#: The languages a group can read, each named in itself (as the language menu names them).
ROBOT_LANGUAGES = (("zh", "中文"), ("en", "English"))
NAME_LIMIT = 120
SECRET_LIMIT = 200


def robot_kinds() -> list[tuple[str, Any]]:
    """The kinds a robot may post, with their labels: the catalogue's `robot_safe` ones."""
    return [(key, kind.label) for key, kind in KINDS.items() if kind.robot_safe]


class RobotRefused(ServiceError):
    """Values that cannot be saved: `errors` maps a field to its message."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(_l("Some values need correcting; nothing was saved."))
        self.errors = dict(errors)


@dataclass(frozen=True)
class RobotValues:
    """What HR typed. An empty `webhook` or `secret` keeps the stored one (`clear_secret`
    removes the secret); `department_id` None is the whole organization."""

    name: str
    channel: str
    webhook: str = ""
    secret: str = ""
    clear_secret: bool = False
    department_id: int | None = None
    language: str = "zh"
    kinds: list[str] = field(default_factory=list)


def list_robots(session: Session, org_id: int) -> list[Robot]:
    return list(
        session.scalars(
            select(Robot).where(Robot.organization_id == org_id).order_by(Robot.name, Robot.id)
        )
    )


def department_names(session: Session, org_id: int) -> dict[int, str]:
    """The organization's departments by id (the list names a robot's department)."""
    return dict(
        session.execute(
            select(Department.id, Department.name).where(Department.organization_id == org_id)
        ).all()
    )


def stored_webhook(robot: Robot | None, keys: Keys) -> str | None:
    """The stored webhook as a page shows it: host and path, never the token in its query."""
    if robot is None:
        return None
    try:
        return channel.shown_webhook(decrypt(robot.webhook_encrypted, keys))
    except DecryptionFailed:
        return gettext("(stored, but no key of ENCRYPTION_KEYS opens it)")


def check_robot(
    session: Session,
    org_id: int,
    values: RobotValues,
    robot: Robot | None,
    hosts: Iterable[str],
) -> dict[str, Any]:
    """Every problem with `values`, by field (empty: they can be saved)."""
    errors: dict[str, Any] = {}
    channel_ = robot.channel if robot is not None else values.channel
    name = values.name.strip()
    if not name:
        errors["name"] = _l("Give the robot a name (e.g. the group chat's).")
    elif len(name) > NAME_LIMIT:
        errors["name"] = _l("At most %(n)d characters.", n=NAME_LIMIT)
    if channel_ not in ROBOT_CHANNELS:
        errors["channel"] = _l("Choose WeCom (企业微信) or DingTalk (钉钉).")
    webhook = values.webhook.strip()
    if webhook:
        if problem := channel.webhook_problem(channel_, webhook, hosts):
            errors["webhook"] = problem
    elif robot is None:
        errors["webhook"] = _l("Paste the robot's webhook URL.")
    secret = values.secret.strip()
    if secret and channel_ != Channel.DINGTALK:
        errors["secret"] = _l("Only a DingTalk robot has a signing secret.")
    elif len(secret) > SECRET_LIMIT or (secret and not secret.isascii()):
        errors["secret"] = _l("Paste the secret exactly as DingTalk shows it (it starts with SEC).")
    if values.department_id is not None and (
        get_in_org(session, Department, org_id, values.department_id) is None
    ):
        errors["department_id"] = _l("Choose one of the organization's departments.")
    if values.language not in dict(ROBOT_LANGUAGES):
        errors["language"] = _l("Choose the group's language.")
    allowed = dict(robot_kinds())
    if not values.kinds:
        errors["kinds"] = _l("Choose at least one kind of message.")
    elif any(kind not in allowed for kind in values.kinds):
        errors["kinds"] = _l(
            "A group robot posts only task and deadline messages; private ones (results, "
            "appeals, interviews) go to the person alone."
        )
    return errors


def _robot_fields(robot: Robot | None) -> dict[str, Any]:
    """What the robot form edits; the webhook and secret under names `audit` keeps secret."""
    if robot is None:
        return {}
    return {
        "name": robot.name,
        "department_id": robot.department_id,
        "language": robot.language,
        "kinds": list(robot.kinds or []),
        "webhook_url": robot.webhook_encrypted,
        "secret": robot.secret_encrypted,
    }


def save_robot(
    session: Session,
    org_id: int,
    values: RobotValues,
    keys: Keys,
    hosts: Iterable[str] = (),
    robot: Robot | None = None,
    version: int | None = None,
    user_id: int | None = None,
) -> Robot:
    """Add a robot, or change `robot` (as the page at `version` showed it)."""
    expect_version(robot, version)
    hosts = tuple(hosts)
    errors = check_robot(session, org_id, values, robot, hosts)
    if errors:
        raise RobotRefused(errors)
    created = robot is None
    before = _robot_fields(robot)
    if robot is None:
        robot = Robot(organization_id=org_id, channel=values.channel)
        session.add(robot)
    robot.name = values.name.strip()
    robot.department_id = values.department_id
    robot.language = values.language
    robot.kinds = [key for key, _label in robot_kinds() if key in values.kinds]
    webhook, secret = values.webhook.strip(), values.secret.strip()
    if webhook and not _holds(robot.webhook_encrypted, webhook, keys):
        robot.webhook_encrypted = encrypt(webhook, keys)
    if secret and not _holds(robot.secret_encrypted, secret, keys):
        robot.secret_encrypted = encrypt(secret, keys)
    elif values.clear_secret:
        robot.secret_encrypted = None
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "robot.created" if created else "robot.saved",
        "robot",
        robot.id,
        name=robot.name,
        channel=robot.channel,
        kinds=robot.kinds,
        changes=audit.changes(before, _robot_fields(robot)),
    )
    return robot


def _holds(token: str | None, text: str, keys: Keys) -> bool:
    """Whether `token` already encrypts `text`. Each encryption gives a new token, so the
    same webhook or secret pasted again would otherwise be logged as changed."""
    if token is None:
        return False
    try:
        return decrypt(token, keys) == text
    except DecryptionFailed:
        return False


def set_robot_active(
    session: Session, robot: Robot, active: bool, version: int | None, user_id: int | None
) -> Robot:
    """Turn a robot off (its waiting messages are skipped) or on again."""
    expect_version(robot, version)
    if robot.active != active:
        robot.active = active
        audit.record(
            session,
            robot.organization_id,
            user_id,
            "robot.turned_on" if active else "robot.turned_off",
            "robot",
            robot.id,
            name=robot.name,
        )
    return robot


def delete_robot(session: Session, robot: Robot, version: int | None, user_id: int | None) -> None:
    """Delete a robot; its delivery log goes with it (the outbox rows cascade)."""
    expect_version(robot, version)
    audit.record(
        session,
        robot.organization_id,
        user_id,
        "robot.deleted",
        "robot",
        robot.id,
        name=robot.name,
        channel=robot.channel,
    )
    session.delete(robot)
    session.flush()


def send_test(session: Session, robot: Robot, keys: Keys, hosts: Iterable[str]) -> channel.Answer:
    """Post a test message to the robot now, in its language; the robot's answer."""
    try:
        target = channel.target_for(robot, keys)
    except DecryptionFailed:
        return channel.Answer(gettext("The stored webhook cannot be decrypted (ENCRYPTION_KEYS)."))
    if problem := channel.webhook_problem(robot.channel, target.url, hosts):
        return channel.Answer(str(problem))
    organization = session.get(Organization, robot.organization_id)
    with force_locale(robot.language):
        title = gettext("Test message")
        body = gettext(
            "%(organization)s will post its notifications to this group here.",
            organization=organization.name if organization else "",
        )
    text = f"#### {channel.escape_markdown(title)}\n\n{channel.escape_markdown(body)}"
    return channel.post(target, title, text)


def rotate_secrets(session: Session, keys: Keys) -> int:
    """Every robot's webhook and secret re-encrypted with the first key (after a new key was
    put first in ENCRYPTION_KEYS); how many robots. `DecryptionFailed` if a key is missing."""
    count = 0
    for robot in session.scalars(select(Robot).order_by(Robot.id)):
        robot.webhook_encrypted = rotate(robot.webhook_encrypted, keys)
        if robot.secret_encrypted:
            robot.secret_encrypted = rotate(robot.secret_encrypted, keys)
        count += 1
    session.flush()
    return count
