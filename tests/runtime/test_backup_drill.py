"""Issue 22: a backup made as the app runs restores into a scratch database and passes the
restore drill (integrity, row counts against the manifest, stored files, results
recomputed equal) — on SQLite, and on PostgreSQL when the tests run there
(APPRAISAL_TEST_DATABASE_URL). A wrong passphrase, a manifest that does not match and a
stored result that does not match are each caught with a clear message."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from appraisal.backup import BackupRefused
from appraisal.backups import archive, crypto
from appraisal.backups.drill import drill
from appraisal.db import get_engine
from appraisal.encryption import keys_from_config
from appraisal.storage import get_storage
from tests.runtime.conftest import appraisal_of

PASSPHRASE = "correct horse battery staple 马"


@pytest.fixture
def scratch(app, tmp_path):
    """A URL for a new, empty scratch database of the test database's kind."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    name = f"drill_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _backup(app, path, passphrase=None):
    with app.app_context():
        get_storage().put("photos/1/a.jpg", b"\xff\xd8 a photo", "image/jpeg")
        return archive.make(get_engine(), path, get_storage(), passphrase=passphrase)


def test_a_backup_restores_into_a_scratch_database_and_passes_the_drill(
    app, db, company, calibrating, tmp_path, scratch
):
    path = tmp_path / "b.backup"
    manifest = _backup(app, path, PASSPHRASE)
    assert crypto.is_encrypted(path) and b"Acme" not in path.read_bytes()
    assert manifest["tables"]["appraisals"] == 6 and manifest["files"] == 1
    with app.app_context():
        report = drill(path, scratch, keys_from_config(app.config), passphrase=PASSPHRASE)
    assert [(c.name, c.ok) for c in report.checks] == [
        ("integrity", True),
        ("files", True),
        ("row counts", True),
        ("results", True),
    ], report.checks
    assert "1 appraisal result(s) recomputed equal" in report.checks[3].detail
    restored = create_engine(scratch)
    with restored.connect() as connection:
        slug = connection.execute(text("SELECT slug FROM organizations")).scalar()
    restored.dispose()
    assert slug == "acme"


def test_the_drill_command_reports_each_check(app, db, company, calibrating, tmp_path, scratch):
    path = tmp_path / "b.backup"
    _backup(app, path)
    result = app.test_cli_runner().invoke(args=["backups", "drill", str(path), "--into", scratch])
    assert result.exit_code == 0, result.output
    assert "[ok] row counts" in result.output and "The restore drill passed." in result.output
    again = app.test_cli_runner().invoke(args=["backups", "drill", str(path), "--into", scratch])
    assert again.exit_code == 1
    assert "never writes over data" in again.output or "must be a new file" in again.output


def test_a_wrong_passphrase_is_refused_with_a_clear_message(app, db, company, tmp_path, scratch):
    path = tmp_path / "b.backup"
    _backup(app, path, PASSPHRASE)
    with app.app_context(), pytest.raises(BackupRefused) as refused:
        drill(path, scratch, keys_from_config(app.config), passphrase="not the passphrase")
    assert "the passphrase does not open this backup" in str(refused.value)
    result = app.test_cli_runner().invoke(
        args=["backups", "drill", str(path), "--into", scratch], input="nope\n"
    )
    assert result.exit_code == 1 and "passphrase does not open" in result.output


def _with_manifest(path, out, change):
    """The backup at `path` copied to `out` with its manifest changed by `change`."""
    with tarfile.open(path) as source, tarfile.open(out, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == archive.MANIFEST:
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


def test_a_manifest_that_does_not_match_the_database_fails_the_drill(
    app, db, company, tmp_path, scratch
):
    path, forged = tmp_path / "b.backup", tmp_path / "forged.backup"
    _backup(app, path)

    def one_more(manifest):
        manifest["tables"]["employees"] += 1
        manifest["files"] = 2

    _with_manifest(path, forged, one_more)
    with app.app_context():
        report = drill(forged, scratch, keys_from_config(app.config))
    failed = {c.name: c.detail for c in report.checks if not c.ok}
    assert not report.ok and set(failed) == {"row counts", "files"}
    assert "employees: 6 (manifest 7)" in failed["row counts"]


def test_a_stored_result_the_engine_does_not_reproduce_fails_the_drill(
    app, db, company, calibrating, tmp_path, scratch
):
    ann = appraisal_of(db, company, "ann")
    ann.total = ann.total + 1  # a cache that drifted from its inputs
    db.commit()
    path = tmp_path / "b.backup"
    _backup(app, path)
    with app.app_context():
        report = drill(path, scratch, keys_from_config(app.config))
    assert [c.name for c in report.checks if not c.ok] == ["results"]
    assert f"appraisal {ann.id}: stored {ann.total}" in report.checks[3].detail


def _tar(out, members):
    """A tar at `out` of (name, bytes or a callable changing the TarInfo) pairs."""
    with tarfile.open(out, "w") as target:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if callable(data):
                data(info)
                target.addfile(info)
                continue
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))


def _manifest(**changes):
    found = {
        "format": archive.FORMAT,
        "created_at": "2026-11-30T00:00:00+00:00",
        "dialect": "sqlite",
        "database": "database.sqlite",
        "tables": {},
        "files": 0,
    }
    return json.dumps(found | changes).encode()


def _sqlite(beside, *statements):
    """The bytes of a small SQLite database made by `statements` (not this application's)."""
    path = beside.with_suffix(".made.sqlite")
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return path.read_bytes()


def _symlink(info):
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"


MALFORMED = {
    "an empty file": lambda p: p.write_bytes(b""),
    "random bytes": lambda p: p.write_bytes(bytes(range(256)) * 64),
    "a tar without a manifest": lambda p: _tar(p, [("database.sqlite", b"x")]),
    "a manifest that is not JSON": lambda p: _tar(p, [(archive.MANIFEST, b"{not json")]),
    "a manifest that is a list": lambda p: _tar(p, [(archive.MANIFEST, b"[1, 2]")]),
    "a huge manifest": lambda p: _tar(p, [(archive.MANIFEST, b" " * (3 << 20) + b"{}")]),
    "a manifest without a dialect": lambda p: _tar(
        p, [(archive.MANIFEST, _manifest(dialect=None)), ("database.sqlite", b"x")]
    ),
    "tables that are not counts": lambda p: _tar(
        p, [(archive.MANIFEST, _manifest(tables=[1], files="many")), ("database.sqlite", b"x")]
    ),
    "a database that is a link": lambda p: _tar(
        p, [(archive.MANIFEST, _manifest()), ("database.sqlite", _symlink)]
    ),
    "a database that is not one": lambda p: _tar(
        p, [(archive.MANIFEST, _manifest()), ("database.sqlite", b"not a database" * 100)]
    ),
    "a manifest without table counts": lambda p: _tar(
        p,
        [
            (archive.MANIFEST, _manifest(tables=None).replace(b', "tables": null', b"")),
            ("database.sqlite", _sqlite(p, "CREATE TABLE a (x)")),
        ],
    ),
    "a manifest nested too deep": lambda p: _tar(
        p, [(archive.MANIFEST, b"[" * 100_000 + b"]" * 100_000)]
    ),
    "an empty database": lambda p: _tar(
        p, [(archive.MANIFEST, _manifest()), ("database.sqlite", b"")]
    ),
    "a database of another application": lambda p: _tar(
        p,
        [
            (archive.MANIFEST, _manifest(tables={"a": 0})),
            ("database.sqlite", _sqlite(p, "CREATE TABLE a (x)")),
        ],
    ),
    "appraisals of another shape": lambda p: _tar(
        p,
        [
            (archive.MANIFEST, _manifest(tables={"appraisals": 1})),
            (
                "database.sqlite",
                _sqlite(
                    p,
                    "CREATE TABLE appraisals (id INTEGER PRIMARY KEY, total TEXT)",
                    "INSERT INTO appraisals VALUES (1, 'x')",
                ),
            ),
        ],
    ),
}


@pytest.mark.parametrize("shape", MALFORMED)
def test_a_malformed_backup_is_refused_with_a_clear_message(app, tmp_path, shape):
    """Whatever the file holds, the drill ends with a message and exit status 1, never a
    traceback, and reads no more than a manifest's limit into memory."""
    path = tmp_path / "bad.backup"
    MALFORMED[shape](path)
    scratch = f"sqlite:///{tmp_path / 'scratch.sqlite'}"
    result = app.test_cli_runner().invoke(args=["backups", "drill", str(path), "--into", scratch])
    assert result.exit_code == 1, (shape, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        shape,
        repr(result.exception),
    )
    assert "Error:" in result.output and "Traceback" not in result.output, result.output
    if shape == "a huge manifest":
        assert "the manifest is too large" in result.output  # refused before it is read


def test_a_truncated_backup_is_refused(app, db, company, tmp_path):
    path, cut = tmp_path / "b.backup", tmp_path / "cut.backup"
    _backup(app, path)
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    scratch = f"sqlite:///{tmp_path / 'scratch2.sqlite'}"
    result = app.test_cli_runner().invoke(args=["backups", "drill", str(cut), "--into", scratch])
    assert result.exit_code == 1 and "Error:" in result.output, result.output
