"""A notification's words in a language: HR's own template for the kind where the
organization has one, else the catalogue's default, with the placeholders filled in.

The in-app centre draws an entry when it is read (in the reader's language now); the
delivery job draws an outbox message when it sends it, and keeps what it sent.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MessageTemplate
from .catalogue import KINDS, STEPS, fill


@dataclass(frozen=True)
class Words:
    subject: str
    body: str


def template_for(session: Session, org_id: int, kind: str, language: str) -> MessageTemplate | None:
    """HR's own words for `kind` in `language`, if they wrote some."""
    return session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.organization_id == org_id,
            MessageTemplate.kind == kind,
            MessageTemplate.language == language,
        )
    )


def default_words(kind: str, language: str) -> Words:
    """The catalogue's words for `kind` in `language`, placeholders unfilled."""
    with force_locale(language):
        return Words(str(KINDS[kind].subject), str(KINDS[kind].body))


def values_for(context: dict[str, Any], language: str, **common: str) -> dict[str, str]:
    """The placeholder values as a reader of `language` reads them (a step's code becomes
    its name); every value is text, inserted as it is."""
    values = {key: "" if value is None else str(value) for key, value in context.items()}
    if "step" in values and values["step"] in STEPS:
        with force_locale(language):
            values["step"] = str(STEPS[values["step"]])
    values.update(common)
    return values


def words(
    session: Session,
    org_id: int,
    kind: str,
    language: str,
    context: dict[str, Any],
    **common: str,
) -> Words:
    """The subject and body of a `kind` message in `language`, filled with `context` and
    the `common` values (`name`, `organization`)."""
    own = template_for(session, org_id, kind, language)
    text = Words(own.subject, own.body) if own is not None else default_words(kind, language)
    values = values_for(context, language, **common)
    return Words(fill(text.subject, values), fill(text.body, values))


def public_link(link: str | None, public_url: str | None) -> str | None:
    """The address of an app path for someone outside the app (an e-mail, a group chat):
    None without PUBLIC_URL, or for anything but a path of ours."""
    if not link or not public_url or not link.startswith("/"):
        return None
    return public_url.rstrip("/") + urllib.parse.quote(link, safe="/?&=%#:;,+-._~")
