"""Backups as files in BACKUP_DIR, made by the job worker: by hand from the backups page or
on the instance's schedule (daily or weekly, keeping the newest N scheduled ones).

A backup holds every organization's data (and everyone's password hashes), so it is an
*instance* administrator's, never an organization's HR admin's: `can_back_up`. The directory
is the record: a file's name says when and how it was made, and its manifest is inside.
Callers commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ..backup import BackupRefused
from ..models import BackupEvery, BackupSchedule, User, utcnow
from .crypto import is_encrypted

SCHEDULE_ID = 1
NAME = re.compile(r"appraisal-(\d{8}-\d{6})-(manual|scheduled)\.backup")
PERIODS = {BackupEvery.DAILY: timedelta(days=1), BackupEvery.WEEKLY: timedelta(days=7)}
#: A scheduled backup is due a little before its period is over, so an hourly check
#: does not let "daily" slip by an hour a day.
SLACK = timedelta(minutes=30)


def can_back_up(user: User | None) -> bool:
    """Only an active instance administrator: a backup is every organization's data."""
    return bool(user is not None and user.active and user.instance_admin)


@dataclass(frozen=True)
class StoredBackup:
    name: str
    made_at: datetime
    scheduled: bool
    size: int
    encrypted: bool


def new_name(now: datetime, scheduled: bool) -> str:
    kind = "scheduled" if scheduled else "manual"
    return f"appraisal-{now.astimezone(UTC):%Y%m%d-%H%M%S}-{kind}.backup"


def listed(directory: Path) -> list[StoredBackup]:
    """The backups in `directory`, newest first (files of other names are not ours)."""
    found = []
    for path in directory.glob("appraisal-*.backup") if directory.is_dir() else []:
        match = NAME.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        made = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        found.append(
            StoredBackup(
                path.name,
                made,
                match.group(2) == "scheduled",
                path.stat().st_size,
                is_encrypted(path),
            )
        )
    return sorted(found, key=lambda backup: backup.name, reverse=True)


def path_of(directory: Path, name: str) -> Path:
    """The file of a listed backup; any other name (a path, `..`) is not found."""
    if NAME.fullmatch(name) is None or not (directory / name).is_file():
        raise FileNotFoundError(name)
    return directory / name


def schedule(session: Session) -> BackupSchedule:
    """The instance's schedule (off until an administrator sets it)."""
    found = session.get(BackupSchedule, SCHEDULE_ID)
    if found is None:
        found = BackupSchedule(id=SCHEDULE_ID, every=BackupEvery.NEVER.value, keep=7)
        session.add(found)
        session.flush()
    return found


def set_schedule(session: Session, user: User, every: str, keep: int) -> BackupSchedule:
    if not can_back_up(user):
        raise BackupRefused("only an instance administrator sets the backup schedule")
    found = schedule(session)
    found.every, found.keep = BackupEvery(every).value, keep
    found.updated_by_id, found.updated_at = user.id, utcnow()
    return found


def due(every: str, backups: list[StoredBackup], now: datetime) -> bool:
    """Whether a scheduled backup is due: its period has (nearly) passed since the last."""
    period = PERIODS.get(BackupEvery(every))
    if period is None:
        return False
    last = next((backup.made_at for backup in backups if backup.scheduled), None)
    return last is None or now - last >= period - SLACK


def prune(directory: Path, keep: int) -> list[str]:
    """Delete the scheduled backups beyond the newest `keep`; those made by hand stay
    (someone made them for a reason, and deletes them themselves)."""
    old = [backup for backup in listed(directory) if backup.scheduled][keep:]
    for backup in old:
        (directory / backup.name).unlink(missing_ok=True)
    return [backup.name for backup in old]
