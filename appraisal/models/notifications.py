"""Notifications (`appraisal/notifications`): what people are told, and how it reaches them.

An event (a task assigned, a deadline, an appeal…) becomes a `Notification` in each
recipient's in-app centre and an `OutboxMessage` per other channel: the person's e-mail, and
the group robots (企业微信, 钉钉) of their organization or department. The outbox is the
delivery log: a message is sent by a job, retried with back-off, merged into a digest when
a robot would be flooded, and never sent twice (its `dedupe_key` is unique).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..states import Channel, DeliveryStatus, NotificationKind
from .base import Base, OrganizationScoped, Versioned, one_of, utcnow


class Notification(OrganizationScoped, Base):
    """One entry of a person's in-app centre (the bell). Its words are drawn when read, in
    the reader's language, from `kind` and `context`; `link` is the task's page (a path)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    #: The event once per person: telling it again finds this key taken and adds nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        one_of("kind", NotificationKind, "kind"),
    )


class OutboxMessage(OrganizationScoped, Base):
    """A message waiting for (or past) delivery on one channel: to a person (`user_id`) by
    e-mail, or to a group robot (`robot_id`). `subject` and `body` are what was sent, drawn at
    sending time in `language`; `attempts` and `last_error` are the delivery log HR reads."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    robot_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_robots.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(40))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    #: Unique over the whole outbox: `channel:recipient:event`, so an event is sent once.
    dedupe_key: Mapped[str] = mapped_column(String(240), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING)
    #: Not before this moment: the end of the person's quiet hours, a retry's back-off, or
    #: the minute a robot may speak again.
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    #: The digest message this one was merged into (a robot's burst, a daily digest).
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_outbox.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_notification_outbox_due", "status", "not_before"),
        Index("ix_notification_outbox_org_created", "organization_id", "created_at"),
        Index("ix_notification_outbox_robot", "robot_id"),
        Index("ix_notification_outbox_user", "user_id"),
        one_of("channel", Channel, "channel"),
        one_of("status", DeliveryStatus, "status"),
    )


class NotificationPreference(Versioned, Base):
    """A person's choices: the channels of each kind (`channels`: kind → list of personal
    channels; a kind not listed keeps the catalogue's default), quiet hours in the
    organization's time zone (e-mail waits until they end; the bell is silent anyway), and a
    daily digest instead of one e-mail per event. The language is the account's own."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channels: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    quiet_from: Mapped[time | None]
    quiet_until: Mapped[time | None]
    daily_digest: Mapped[bool] = mapped_column(default=False)


class Robot(Versioned, OrganizationScoped, Base):
    """A 企业微信 group robot or a 钉钉 custom robot: it posts the `kinds` chosen for the
    people of its department's subtree (or of the whole organization when it has none). The
    webhook URL and the 钉钉 signing secret are stored encrypted (`appraisal.encryption`)."""

    __tablename__ = "notification_robots"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    webhook_encrypted: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The language its chat reads (a group's, not a person's).
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (one_of("channel", (Channel.WECOM, Channel.DINGTALK), "channel"),)


class MessageTemplate(Versioned, OrganizationScoped, Base):
    """HR's own words for a kind in a language, in place of the catalogue's default. Only
    the kind's placeholders may appear (`{name}`), checked when saved."""

    __tablename__ = "notification_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("organization_id", "kind", "language"),
        one_of("kind", NotificationKind, "kind"),
    )
