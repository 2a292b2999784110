"""The organization's audit log: the page HR reads (`views`), the download trail (every
file the app hands out is an `export.downloaded` event) and `appraisal audit verify`, which
recomputes the hash chain (`audit.verify`)."""

from __future__ import annotations

import logging
import re

import click
from flask import Flask, g, request
from flask.cli import AppGroup
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from .. import audit
from ..access import current_membership
from ..db import get_engine, get_session

log = logging.getLogger("appraisal")

_FILENAME = re.compile(r'filename="([^"]*)"')


def _downloader() -> tuple[int, int] | None:
    """(organization, user) of who is downloading, or None (nobody signed in). The API's
    token name is already on the request session's `Origin`."""
    holder = g.get("api")
    if holder is not None:
        return holder.token.organization_id, holder.token.user_id
    membership = current_membership()
    if membership is not None and current_user.is_authenticated:
        return membership.organization_id, current_user.id
    return None


def record_download(response: Response) -> Response:
    """Every attachment (an export, a job's file, a template's JSON) is an audit event with
    what it was and how many rows it held. It is incidental to a read, so, like a token's
    `last_used_at`, it is written in a short transaction of its own and a database that
    refuses it is logged, not fatal: a read-only database still serves reads."""
    disposition = response.headers.get("Content-Disposition", "")
    who = _downloader() if response.status_code == 200 and "attachment" in disposition else None
    if who is None:
        return response
    org_id, user_id = who
    found = _FILENAME.search(disposition)
    detail = {
        "file": found.group(1) if found else "",
        "endpoint": request.endpoint or "",
        "rows": getattr(response, "rows", None),
        "filters": {k: v[:200] for k, v in request.args.items() if k not in ("page", "before")},
    }
    origin = get_session().info.get(audit.ORIGIN) or audit.Origin()
    try:
        with get_engine().begin() as connection, Session(bind=connection) as session:
            audit.set_origin(session, origin)
            audit.record(session, org_id, user_id, "export.downloaded", "export", **detail)
            session.flush()
    except SQLAlchemyError as error:
        log.warning("Could not audit the download of %s: %s", detail["file"], error)
    return response


@click.group("audit", cls=AppGroup)
def audit_cli() -> None:
    """The organizations' audit logs."""


@audit_cli.command("verify")
@click.option("--org", "org_id", type=int, help="Only this organization (its id).")
def verify_command(org_id: int | None) -> None:
    """Recompute every hash chain; exit 1 naming the first broken link of each."""
    session = get_session()
    breaks = audit.verify(session, org_id)
    for found in breaks:
        where = f"event #{found.event_id}" if found.event_id else "the end of the chain"
        click.echo(
            f"organization {found.organization_id}: broken at number {found.seq} "
            f"({where}): {found.reason}",
            err=True,
        )
    if breaks:
        raise SystemExit(1)
    checked = [org_id] if org_id else audit.chained_organizations(session)
    for org in checked:
        seq, digest, _at = audit.head_of(session, org)
        click.echo(f"organization {org}: {seq} events, intact; head {digest}")


def init_app(app: Flask) -> None:
    from .services import changes_of
    from .views import bp

    app.register_blueprint(bp)
    app.add_template_global(changes_of, "audit_changes")  # each row's history shows them too
    app.after_request(record_download)
    app.cli.add_command(audit_cli)
