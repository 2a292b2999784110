"""The backup jobs: one an instance administrator starts from the backups page, and the
periodic check that makes the scheduled one when it is due and keeps the newest N.

A passphrase typed on the page never reaches the database: it waits in the queue's store,
encrypted with the app's keys under a random reference, and the job takes it out (huey's
`get` removes it) as it starts.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..backup import BackupRefused
from ..db import get_engine
from ..encryption import decrypt, encrypt, keys_from_config
from ..jobs.queue import queue
from ..jobs.registry import Progress, periodic, tracked
from ..models import Job, User
from ..storage import get_storage
from . import archive, services

KIND = "backup.archive"
SCHEDULED = "backup.scheduled"


def recent(session: Session, limit: int = 10) -> list[Job]:
    """The latest backup jobs, made by hand or by the schedule, for the backups page."""
    query = select(Job).where(Job.kind.in_((KIND, SCHEDULED))).order_by(Job.id.desc())
    return list(session.scalars(query.limit(limit)))


def directory() -> Path:
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def keep_passphrase(passphrase: str) -> str:
    """Put the passphrase in the queue's store for the job; the reference to pass it by."""
    reference = secrets.token_urlsafe(18)
    token = encrypt(passphrase, keys_from_config(current_app.config))
    queue().huey.put(f"backup-passphrase:{reference}", token)
    return reference


def _take_passphrase(reference: str) -> str:
    token = queue().huey.get(f"backup-passphrase:{reference}")
    if token is None:
        raise BackupRefused(_l("The passphrase was not kept for this backup; start it again."))
    return decrypt(token, keys_from_config(current_app.config))


def _make(scheduled: bool, passphrase: str | None, progress: Progress) -> dict[str, Any]:
    folder = directory()
    name = services.new_name(datetime.now(UTC), scheduled)
    manifest = archive.make(
        get_engine(),
        folder / name,
        get_storage(),
        passphrase=passphrase,
        progress=progress,
        pg_dump=current_app.config.get("PG_DUMP"),
    )
    return {
        "name": name,
        "encrypted": bool(passphrase),
        "tables": len(manifest["tables"]),
        "rows": sum(manifest["tables"].values()),
        "files": manifest["files"],
        "files_note": manifest["files_note"],
    }


def _outcome(result: dict[str, Any]) -> str:
    words = _(
        "Backup %(name)s made: %(rows)s rows in %(tables)s tables, %(files)s stored files.",
        name=result["name"],
        rows=result["rows"],
        tables=result["tables"],
        files=result["files"],
    )
    if result.get("encrypted"):
        words += " " + _("It is encrypted: keep the passphrase, nobody can open it without.")
    if result.get("files_note"):
        words += " " + _("Stored files are in a bucket: back it up with the bucket's own tools.")
    return words


@tracked(KIND, outcome=_outcome, back=lambda job: url_for("backups.index"), allowed=None)
def backup_now(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """A backup an instance administrator asked for (checked again now: the right may have
    been taken away since)."""
    reference = (job.params or {}).get("passphrase_ref")
    passphrase = _take_passphrase(reference) if reference else None
    if not services.can_back_up(session.get(User, job.user_id) if job.user_id else None):
        raise BackupRefused(_l("You may no longer do this."))
    return _make(scheduled=False, passphrase=passphrase, progress=progress)


@periodic(SCHEDULED, every="BACKUP_CHECK_MINUTES")
def scheduled_backup(session: Session, progress: Progress) -> dict[str, Any]:
    """The scheduled backup when it is due, then the oldest scheduled ones beyond `keep` go."""
    plan = services.schedule(session)
    folder = directory()
    made = None
    if services.due(plan.every, services.listed(folder), datetime.now(UTC)):
        made = _make(True, current_app.config.get("BACKUP_PASSPHRASE"), progress)
    removed = services.prune(folder, plan.keep) if made else []
    return {"made": made, "removed": removed}
