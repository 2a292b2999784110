"""Backups of an SQLite database with SQLite's online backup API (safe while the app runs),
and of the stored files (photos) when they live in the local directory.

The files go into a tar beside the database copy (`<backup>.files.tar`), written after the
database: a photo's file is stored before its row is committed, so every photo the copied
database knows is in the archive (newer files are merely extra). With an S3-compatible
bucket, the files are not copied: the commands say so, and the bucket is backed up with
the store's own tools (versioning, replication).

A restore is not: it would replace the database under a running app, which would go on as if
the writes it had acknowledged were still there. It refuses while any process serves the
database (`serving`). PostgreSQL installations use `pg_dump` / `pg_restore` (see README,
Backups); these commands say so rather than half-doing it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from . import serving
from .db import sqlite_file
from .errors import ServiceError
from .storage import BadKey, LocalStorage, Storage, check_key

PAGES_PER_STEP = 256


class BackupRefused(ServiceError):
    """A backup or restore that cannot be done safely (the command says why)."""


def sqlite_path(engine: Engine) -> Path:
    path = sqlite_file(engine)
    if path is None:
        raise BackupRefused(
            "backup and restore work on SQLite files; for PostgreSQL use pg_dump and "
            "pg_restore (README, Backups)"
        )
    return path


def copy_database(
    source: sqlite3.Connection, target: sqlite3.Connection, progress: Any = None
) -> None:
    """SQLite's online backup, page by page, consistent while the app keeps writing."""

    def step(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step)


def files_archive(backup_path: Path) -> Path:
    """Where the stored files of a backup are: a tar beside the database copy."""
    return backup_path.with_name(backup_path.name + ".files.tar")


def backup(
    engine: Engine, destination: Path, progress=None, files: Storage | None = None
) -> list[str]:
    """Copy the live database to `destination` (which must not exist yet), then the local
    files beside it; returns what was done with the files, for the command to say."""
    live = sqlite_path(engine)
    archive = files_archive(destination)
    for path in (destination, archive):
        if path.exists():
            raise BackupRefused(f"{path} exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(live) as source, sqlite3.connect(destination) as target:
        copy_database(source, target, progress)
    source.close()
    target.close()
    if isinstance(files, LocalStorage):
        count = _pack(files.root, archive)
        return [f"Stored files (photos): {count} from {files.root} into {archive}."]
    if files is not None:
        return [
            f"Stored files (photos) are in {files.describe()}, not in this backup: back the "
            "bucket up with the store's own tools (versioning, replication)."
        ]
    return []


def _pack(root: Path, archive: Path) -> int:
    """Every stored file under `root` into a new tar (written aside, then renamed)."""
    count = 0
    handle, temporary = tempfile.mkstemp(dir=archive.parent, prefix=".files-")
    os.close(handle)
    try:
        with tarfile.open(temporary, "w") as tar:
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                key = path.relative_to(root).as_posix()
                if path.is_symlink() or not path.is_file() or path.name.startswith(".part-"):
                    continue
                tar.add(path, arcname=key, recursive=False)
                count += 1
        os.replace(temporary, archive)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _check_archive(archive: Path) -> int:
    """The number of files in a backup's archive, each a plain file under a valid key."""
    try:
        with tarfile.open(archive, "r") as tar:
            members = tar.getmembers()
    except (tarfile.TarError, OSError) as error:
        raise BackupRefused(f"{archive} is not a file archive of a backup: {error}") from None
    for member in members:
        try:
            check_key(member.name)
        except BadKey:
            raise BackupRefused(f"{archive} holds an unexpected entry: {member.name!r}") from None
        if not member.isfile():
            raise BackupRefused(f"{archive} holds an entry that is not a file: {member.name!r}")
    return len(members)


def _unpack(archive: Path, root: Path) -> None:
    """Replace the directory `root` with the archive's files: unpacked beside it, then
    swapped in by renaming, so a failure leaves the old files in place."""
    root.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}-restoring-"))
    try:
        with tarfile.open(archive, "r") as tar:
            tar.extractall(fresh, filter="data")
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    old = root.with_name(f".{root.name}-replaced")
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        root.rename(old)
    fresh.rename(root)
    shutil.rmtree(old, ignore_errors=True)


def _check_backup(path: Path) -> None:
    if not path.is_file():
        raise BackupRefused(f"{path} is not a file")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            found = probe.execute("SELECT version_num FROM alembic_version").fetchone()
        probe.close()
    except sqlite3.DatabaseError:
        found = None
    if not found:
        raise BackupRefused(f"{path} is not a backup of this application")


def restore(
    engine: Engine, source_path: Path, progress=None, files: Storage | None = None
) -> list[str]:
    """Replace the live database's content with the backup's, in one step, and the local
    files with those archived beside it; returns what was done with the files."""
    live = sqlite_path(engine)
    _check_backup(source_path)
    archive = files_archive(source_path)
    root = files.root if isinstance(files, LocalStorage) else None
    count = _check_archive(archive) if root is not None and archive.exists() else None
    try:
        with serving.exclusive(live):
            engine.dispose()  # no pooled connection keeps the old state
            with sqlite3.connect(source_path) as source, sqlite3.connect(live) as target:
                copy_database(source, target, progress)
            source.close()
            target.close()
            if root is not None and count is not None:
                _restore_files(archive, root)
    except serving.Busy:
        raise BackupRefused(
            f"the application is serving {live}: stop it (every worker) first, then restore; "
            "writes it had confirmed would otherwise be lost"
        ) from None
    except OSError as error:
        raise BackupRefused(f"cannot take {serving.lock_path(live)}: {error}") from None
    if root is not None and count is not None:
        return [f"Stored files (photos): {count} restored from {archive} into {root}."]
    if root is not None:
        return [f"No file archive beside the backup ({archive}): stored files left as they are."]
    if files is not None:
        return [
            f"Stored files (photos) are in {files.describe()}; restore them with the store's "
            "own tools if needed."
        ]
    return []


def _restore_files(archive: Path, root: Path) -> None:
    try:
        _unpack(archive, root)
    except (OSError, tarfile.TarError) as error:
        raise BackupRefused(
            f"the database was restored but the files could not be: {error}; the files "
            f"directory {root} was left as it was"
        ) from None
