"""The restore drill: a backup restored into a scratch database and checked, with one
command (`appraisal backups drill FILE --into URL`).

Checks, each reported: the database restored intact (SQLite's `PRAGMA integrity_check`;
pg_restore finishing without an error), the row count of every table equal to the backup's
manifest, every archived file a plain file under a valid key and as many as the manifest
says, and a sample of appraisal results recomputed by the engine equal to the stored total
and grade. The live database is never touched; the scratch one must be new or empty.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..backup import BackupRefused
from ..db import make_engine
from ..encryption import Keys
from ..models import Appraisal
from ..storage import BadKey, check_key
from . import archive

SAMPLE = 50


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    manifest: dict[str, Any]
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))


def _empty_target(url: str) -> None:
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            path = Path(engine.url.database or "")
            if not engine.url.database or (path.exists() and path.stat().st_size > 0):
                raise BackupRefused(f"the scratch database {path} must be a new file")
            return
        with engine.connect() as connection:
            if inspect(connection).get_table_names():
                raise BackupRefused(
                    "the scratch database is not empty: give a new, empty database "
                    "(the drill never writes over data)"
                )
    finally:
        engine.dispose()


def _restore_database(tar, member, manifest, url: str, pg_restore: str | None, report) -> None:
    target = make_url(url)
    dialect = target.get_backend_name()
    if dialect != manifest["dialect"]:
        raise BackupRefused(
            f"a {manifest['dialect']} backup restores into a {manifest['dialect']} database, "
            f"not {dialect}"
        )
    source = tar.extractfile(member)
    if dialect == "sqlite":
        path = Path(target.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            shutil.copyfileobj(source, out)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                found = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        except DBAPIError as error:  # not a database at all ("file is not a database")
            found = [str(error.orig)]
        finally:
            engine.dispose()
        report.add("integrity", found == ["ok"], "PRAGMA integrity_check: " + "; ".join(found))
        return
    program = archive.tool("pg_restore", pg_restore)
    with tempfile.NamedTemporaryFile(suffix=".pgdump") as dump:
        shutil.copyfileobj(source, dump)
        dump.flush()
        done = subprocess.run(  # noqa: S603 - a fixed program and arguments
            [
                program,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={target.database}",
                dump.name,
            ],
            env=archive.libpq_env(target),
            capture_output=True,
            text=True,
            check=False,
        )
    report.add(
        "integrity",
        done.returncode == 0,
        "pg_restore finished without an error"
        if done.returncode == 0
        else f"pg_restore failed: {done.stderr.strip()[-500:]}",
    )


def _check_files(tar, manifest, report) -> None:
    count, bad = 0, []
    while (member := tar.next()) is not None:  # iterating the tar would start again
        name = member.name.removeprefix(archive.FILES)
        try:
            if not member.name.startswith(archive.FILES) or not member.isfile():
                raise BadKey(member.name)
            check_key(name)
        except BadKey:
            bad.append(member.name)
        count += 1
    expected = manifest.get("files", 0)
    ok = not bad and count == expected
    detail = f"{count} stored file(s), the manifest says {expected}"
    if bad:
        detail += f"; unexpected entries: {', '.join(bad[:5])}"
    report.add("files", ok, detail)


def _check_counts(url: str, keys: Keys, manifest, report) -> None:
    engine = make_engine(url, keys)
    try:
        with engine.connect() as connection:
            found = archive.count_rows(connection)
    finally:
        engine.dispose()
    expected = manifest["tables"]
    wrong = [
        f"{table}: {found.get(table)} (manifest {expected.get(table)})"
        for table in sorted(set(found) | set(expected))
        if found.get(table) != expected.get(table)
    ]
    report.add(
        "row counts",
        not wrong,
        f"{len(expected)} tables, {sum(expected.values())} rows as in the manifest"
        if not wrong
        else "differ from the manifest: " + "; ".join(wrong[:10]),
    )


def recompute_sample(session: Session, size: int = SAMPLE) -> tuple[int, list[str]]:
    """Up to `size` scored appraisals spread over the table, each scored again by the engine:
    how many were checked, and those whose stored total or grade differ."""
    from ..runtime.reviews.access import final_result  # the engine's official path

    ids = list(
        session.scalars(
            select(Appraisal.id).where(Appraisal.total.is_not(None)).order_by(Appraisal.id)
        )
    )
    step = max(1, len(ids) // size) if ids else 1
    chosen = ids[::step][:size]
    wrong = []
    for appraisal_id in chosen:
        appraisal = session.get(Appraisal, appraisal_id)
        result = final_result(appraisal)
        total = None if result.total is None else Decimal(str(result.total))
        if total != appraisal.total or result.computed_grade != appraisal.grade:
            wrong.append(
                f"appraisal {appraisal_id}: stored {appraisal.total} {appraisal.grade}, "
                f"recomputed {total} {result.computed_grade}"
            )
    return len(chosen), wrong


def _check_results(url: str, keys: Keys, size: int, report) -> None:
    engine = make_engine(url, keys)
    try:
        with Session(engine) as session:
            checked, wrong = recompute_sample(session, size)
    finally:
        engine.dispose()
    report.add(
        "results",
        not wrong,
        f"{checked} appraisal result(s) recomputed equal to the stored ones"
        if not wrong
        else "recomputed results differ: " + "; ".join(wrong[:10]),
    )


def drill(
    path: Path,
    url: str,
    keys: Keys,
    *,
    passphrase: str | None = None,
    sample: int = SAMPLE,
    pg_restore: str | None = None,
) -> Report:
    """Restore the backup at `path` into the scratch database `url` and check it."""
    _empty_target(url)
    with archive.opened(path, passphrase) as tar:
        manifest = archive.read_manifest(tar)
        report = Report(manifest)
        member = tar.next()
        if member is None or member.name != manifest["database"] or not member.isfile():
            raise BackupRefused("the backup holds no database")
        _restore_database(tar, member, manifest, url, pg_restore, report)
        _check_files(tar, manifest, report)
    if report.checks[0].ok:
        _check_counts(url, keys, manifest, report)
        try:
            _check_results(url, keys, sample, report)
        except SQLAlchemyError as error:  # an intact database, but not this application's
            report.add("results", False, f"the appraisals cannot be read: {_first_line(error)}")
    return report


def _first_line(error: SQLAlchemyError) -> str:
    """The database's own words for an error, without SQLAlchemy's statement and links."""
    return str(getattr(error, "orig", None) or error).splitlines()[0]
