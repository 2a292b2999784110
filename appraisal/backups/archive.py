"""One backup file: a tar of `manifest.json` (first), the database (`database.sqlite`, by
SQLite's online backup API, or `database.pgdump`, pg_dump's custom format) and the stored
files (`files/<key>`) when they live in a local directory; the whole optionally encrypted
with a passphrase (`crypto.py`).

The manifest's row counts are those of the copy itself (SQLite: counted in the copy;
PostgreSQL: counted in the snapshot pg_dump is given), so a restore can be checked against
them exactly while the app keeps writing. No Flask: the engine and the storage are passed in.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, Engine

from ..backup import BackupRefused, copy_database
from ..db import sqlite_file
from ..storage import LocalStorage, Storage
from .crypto import DecryptingReader, EncryptingWriter, WrongPassphrase, is_encrypted

FORMAT = "appraisal-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
FILES = "files/"

Progress = Callable[[int, int], None]


def _quiet(_done: int, _total: int) -> None:
    pass


def libpq_env(url: URL) -> dict[str, str]:
    """pg_dump's and pg_restore's connection, as libpq's variables (the password never on
    a command line, where `ps` shows it)."""
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[name] = str(value)
    for name, value in url.query.items():  # sslmode and friends
        if isinstance(value, str) and name in ("sslmode", "sslrootcert", "host"):
            env["PG" + name.upper()] = value
    return env


def tool(name: str, configured: str | None) -> str:
    """The path of pg_dump / pg_restore, or a refusal that says what to install."""
    found = shutil.which(configured or name)
    if found is None:
        raise BackupRefused(
            f"{name} was not found on the worker's machine: install the PostgreSQL client "
            f"programs (the server's version or newer), or set APPRAISAL_PG_DUMP / "
            f"APPRAISAL_PG_RESTORE to where {name} is"
        )
    return found


def count_rows(connection: Connection) -> dict[str, int]:
    """Every table of the database (the application's and Alembic's) with its row count."""
    counts = {}
    for table in sorted(inspect(connection).get_table_names()):
        quoted = connection.dialect.identifier_preparer.quote(table)
        counts[table] = int(connection.execute(text(f"SELECT COUNT(*) FROM {quoted}")).scalar())  # noqa: S608 - names from the catalogue
    return counts


def _sqlite_dump(engine: Engine, folder: Path, progress: Progress) -> tuple[Path, dict[str, int]]:
    live = sqlite_file(engine)
    if live is None:
        raise BackupRefused("an in-memory database cannot be backed up")
    copy = folder / SQLITE_MEMBER
    with sqlite3.connect(live) as source, sqlite3.connect(copy) as target:
        copy_database(source, target, progress)
    source.close()
    target.close()
    return copy, sqlite_counts(copy)


def sqlite_counts(path: Path) -> dict[str, int]:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return count_rows(connection)
    finally:
        engine.dispose()


def _pg_dump(engine: Engine, folder: Path, pg_dump: str | None) -> tuple[Path, dict[str, int]]:
    """pg_dump of one snapshot, the rows counted in that same snapshot."""
    program = tool("pg_dump", pg_dump)
    out = folder / PG_MEMBER
    with engine.connect() as connection:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        counts = count_rows(connection)
        done = subprocess.run(  # noqa: S603 - a fixed program and arguments
            [
                program,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={out}",
            ],
            env=libpq_env(engine.url),
            capture_output=True,
            text=True,
            check=False,
        )
        connection.rollback()
    if done.returncode != 0:
        raise BackupRefused(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    return out, counts


def _stored_files(files: Storage | None, skip: Path) -> tuple[Path | None, list[Path], str | None]:
    """The local files to archive, and a note when they are elsewhere (a bucket)."""
    if isinstance(files, LocalStorage):
        root = files.root
        inside = skip == root.resolve() or root.resolve() in skip.parents
        paths = [
            path
            for path in (sorted(root.rglob("*")) if root.is_dir() else [])
            if path.is_file()
            and not path.is_symlink()
            and not path.name.startswith(".part-")
            and not (inside and skip in path.resolve().parents)  # backups in the store
        ]
        return root, paths, None
    if files is not None:
        return (
            None,
            [],
            f"stored files are in {files.describe()}: back the bucket up with its own tools",
        )
    return None, [], None


def make(
    engine: Engine,
    destination: Path,
    files: Storage | None,
    *,
    passphrase: str | None = None,
    progress: Progress = _quiet,
    pg_dump: str | None = None,
    revision: str | None = None,
) -> dict[str, Any]:
    """Write the backup to `destination` (written aside, then renamed: a backup that failed
    half-way is never listed); its manifest."""
    if destination.exists():
        raise BackupRefused(f"{destination} exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".making-") as scratch:
        folder = Path(scratch)
        if engine.dialect.name == "sqlite":
            dump, counts = _sqlite_dump(engine, folder, progress)
        elif engine.dialect.name == "postgresql":
            dump, counts = _pg_dump(engine, folder, pg_dump)
        else:
            raise BackupRefused(f"no backup for {engine.dialect.name} databases")
        root, paths, note = _stored_files(files, destination.parent.resolve())
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dialect": engine.dialect.name,
            "revision": revision or _revision(engine),
            "database": dump.name,
            "tables": counts,
            "files": len(paths),
            "files_note": note,
        }
        part = folder / "backup.part"
        with open(part, "wb") as out:
            writer = EncryptingWriter(out, passphrase) if passphrase else out
            with tarfile.open(fileobj=writer, mode="w|") as tar:
                data = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, arcname=dump.name, recursive=False)
                for done, path in enumerate(paths, start=1):
                    tar.add(
                        path, arcname=FILES + path.relative_to(root).as_posix(), recursive=False
                    )
                    progress(done, len(paths))
            if passphrase:
                writer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, destination)
    return manifest


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def opened(path: Path, passphrase: str | None) -> Iterator[tarfile.TarFile]:
    """The backup's tar, read as a stream (members in order, manifest first); decrypted with
    the passphrase when it is encrypted, refused with a clear reason otherwise."""
    if not path.is_file():
        raise BackupRefused(f"{path} is not a file")
    encrypted = is_encrypted(path)
    if encrypted and not passphrase:
        raise BackupRefused(f"{path} is encrypted: give its passphrase")
    with open(path, "rb") as raw:
        try:
            source = DecryptingReader(raw, passphrase) if encrypted else raw
            with tarfile.open(fileobj=source, mode="r|") as tar:
                yield tar
        except WrongPassphrase:
            raise BackupRefused(
                "the passphrase does not open this backup (or the file was altered)"
            ) from None
        except tarfile.TarError as error:
            raise BackupRefused(f"{path} is not a backup of this application: {error}") from None


#: A manifest is a few kilobytes (a row count per table); a larger one is not ours, and is
#: refused before it is read into memory.
MANIFEST_MAX_BYTES = 1 << 20


class ManifestSchema(Schema):
    """What the drill relies on in a manifest; anything else in it is left as it is."""

    class Meta:
        unknown = INCLUDE

    format = fields.String(required=True, validate=validate.Equal(FORMAT))
    created_at = fields.String(required=True)
    dialect = fields.String(required=True, validate=validate.OneOf(["sqlite", "postgresql"]))
    database = fields.String(required=True, validate=validate.OneOf([SQLITE_MEMBER, PG_MEMBER]))
    tables = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(strict=True, validate=validate.Range(0)),
        required=True,
    )
    files = fields.Integer(strict=True, validate=validate.Range(0), load_default=0)


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    """The backup's manifest, checked: a file that is not one of our backups is refused
    with the reason, whatever it holds."""
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupRefused("the backup has no manifest")
    if first.size > MANIFEST_MAX_BYTES:
        raise BackupRefused(f"the manifest is too large ({first.size} bytes): not a backup")
    try:
        found = json.loads(tar.extractfile(first).read())
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        raise BackupRefused("the manifest is not JSON: not a backup of this application") from None
    if not isinstance(found, dict):
        raise BackupRefused("the manifest is not a JSON object: not a backup")
    if found.get("format") != FORMAT:
        raise BackupRefused(f"unknown backup format {found.get('format')!r}")
    try:
        return ManifestSchema().load(found)
    except ValidationError as error:
        raise BackupRefused(f"the manifest is not valid: {error.messages}") from None
