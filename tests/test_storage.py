"""The storage interface: a local directory no key can leave, an S3-compatible bucket
(against moto's real HTTP server), the choice made from the configuration, and backups that
carry the local files and put them back."""

from __future__ import annotations

import os
import tarfile

import pytest
from sqlalchemy import select

from appraisal import create_app
from appraisal.db import make_engine
from appraisal.migrate import upgrade
from appraisal.models import Organization
from appraisal.storage import BadKey, LocalStorage, Missing, S3Storage, check_key, new_key
from tests.s3_server import s3_server

BAD_KEYS = [
    "",
    "../outside",
    "photos/../../outside",
    "/etc/passwd",
    "photos//x",
    "photos/./x",
    "photos/..",
    "..",
    ".",
    "photos\\..\\x",
    "C:/x",
    "photos/x\0y",
    "photos/\nx",
    "photos/ x",
    "a" * 201,
    "/".join("a" * 9),
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_leave_the_directory_are_refused(tmp_path, key):
    storage = LocalStorage(tmp_path / "files")
    with pytest.raises(BadKey):
        check_key(key)
    for use in (
        lambda: storage.put(key, b"x", "text/plain"),
        lambda: storage.get(key),
        lambda: storage.delete(key),
        lambda: storage.exists(key),
    ):
        with pytest.raises(BadKey):
            use()
    assert not (tmp_path / "outside").exists()
    assert list(tmp_path.rglob("*")) == []


def test_a_symlink_inside_the_directory_does_not_lead_out(tmp_path):
    root = tmp_path / "files"
    (root / "photos").mkdir(parents=True)
    (tmp_path / "secret").write_text("keep out")
    os.symlink(tmp_path / "secret", root / "photos" / "link")
    os.symlink(tmp_path, root / "up")
    storage = LocalStorage(root)
    for key in ("photos/link", "up/secret"):
        with pytest.raises(BadKey):
            storage.get(key)
        with pytest.raises(BadKey):
            storage.put(key, b"overwritten", "text/plain")
    assert (tmp_path / "secret").read_text() == "keep out"


def test_local_storage_round_trip(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    key = new_key("photos", "7", suffix=".jpg")
    assert key.startswith("photos/7/") and key.endswith(".jpg") and len(key) > 40
    assert new_key("photos", "7") != new_key("photos", "7")
    assert not storage.exists(key)
    storage.put(key, b"\xff\xd8 jpeg", "image/jpeg")
    assert storage.exists(key) and storage.get(key) == b"\xff\xd8 jpeg"
    assert (tmp_path / "files" / key).read_bytes() == b"\xff\xd8 jpeg"
    storage.put(key, b"again", "image/jpeg")  # replaced whole, no temporary left behind
    assert [p.name for p in (tmp_path / "files" / "photos" / "7").iterdir()] == [key.split("/")[-1]]
    storage.delete(key)
    storage.delete(key)  # deleting what is not there is fine
    assert not storage.exists(key)
    with pytest.raises(Missing):
        storage.get(key)


def test_the_app_chooses_its_storage_from_the_configuration(tmp_path, database_url, monkeypatch):
    local = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    chosen = local.extensions["appraisal.storage"]
    assert isinstance(chosen, LocalStorage)
    assert str(chosen.root) == os.path.realpath(os.path.join(local.instance_path, "files"))
    monkeypatch.setenv("APPRAISAL_STORAGE_DIR", str(tmp_path / "elsewhere"))
    moved = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    assert moved.extensions["appraisal.storage"].root == (tmp_path / "elsewhere").resolve()
    monkeypatch.setenv("APPRAISAL_S3_BUCKET", "photos")
    monkeypatch.setenv("APPRAISAL_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("APPRAISAL_S3_PREFIX", "acme/prod")
    s3 = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    bucket = s3.extensions["appraisal.storage"]
    assert isinstance(bucket, S3Storage) and bucket.prefix == "acme/prod/"
    assert "photos" in bucket.describe() and "secret" not in bucket.describe().lower()


def test_a_photo_limit_that_cannot_fit_in_a_request_stops_the_start(database_url):
    with pytest.raises(ValueError, match="PHOTO_MAX_BYTES"):
        create_app(
            {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "k",
                "PHOTO_MAX_BYTES": 10 * 1024 * 1024,
                "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
            }
        )


def test_s3_storage_against_a_real_s3_compatible_server():
    with s3_server() as config:
        storage = S3Storage(
            config["S3_BUCKET"],
            endpoint_url=config["S3_ENDPOINT_URL"],
            region=config["S3_REGION"],
            access_key_id=config["S3_ACCESS_KEY_ID"],
            secret_access_key=config["S3_SECRET_ACCESS_KEY"],
            prefix="/tenant-a/",
        )
        key = new_key("photos", "1", suffix=".jpg")
        assert not storage.exists(key)
        storage.put(key, b"\xff\xd8 bytes", "image/jpeg")
        assert storage.exists(key) and storage.get(key) == b"\xff\xd8 bytes"
        head = storage.client.head_object(Bucket=config["S3_BUCKET"], Key=f"tenant-a/{key}")
        assert head["ContentType"] == "image/jpeg"
        for bad in ("../tenant-b/x", "/x", "a//b"):
            with pytest.raises(BadKey):
                storage.get(bad)
        storage.delete(key)
        assert not storage.exists(key)
        with pytest.raises(Missing):
            storage.get(key)


# -- backups -----------------------------------------------------------------------------------


@pytest.fixture
def file_app(tmp_path):
    """An app on its own SQLite file with its files in a directory of the test's."""
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    upgrade(make_engine(url))
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "k",
            "LOG_FORMAT": "plain",
            "STORAGE_DIR": str(tmp_path / "files"),
        }
    )
    yield app
    app.extensions["appraisal.engine"].dispose()


def test_backup_carries_the_local_files_and_restore_puts_them_back(file_app, tmp_path):
    storage = file_app.extensions["appraisal.storage"]
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        session.add(Organization(slug="acme", name="Acme"))
        session.commit()
    kept = new_key("photos", "1", suffix=".jpg")
    storage.put(kept, b"before", "image/jpeg")
    runner = file_app.test_cli_runner()
    saved = tmp_path / "backups" / "monday.sqlite"
    result = runner.invoke(args=["backup", str(saved)])
    assert result.exit_code == 0, result.output
    archive = tmp_path / "backups" / "monday.sqlite.files.tar"
    assert f"1 from {storage.root} into {archive}" in result.output
    with tarfile.open(archive) as tar:
        assert tar.getnames() == [kept]

    storage.put(kept, b"after", "image/jpeg")
    later = new_key("photos", "1", suffix=".jpg")
    storage.put(later, b"new", "image/jpeg")
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        session.add(Organization(slug="beta", name="Beta"))
        session.commit()

    result = runner.invoke(args=["restore", str(saved), "--yes"])
    assert result.exit_code == 0, result.output
    assert "1 restored from" in result.output
    assert storage.get(kept) == b"before" and not storage.exists(later)
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        assert session.scalars(select(Organization.slug)).all() == ["acme"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    again = runner.invoke(args=["backup", str(saved)])
    assert again.exit_code == 1 and "exists" in again.output


def test_restore_refuses_an_archive_that_would_write_outside(file_app, tmp_path):
    runner = file_app.test_cli_runner()
    saved = tmp_path / "b.sqlite"
    assert runner.invoke(args=["backup", str(saved)]).exit_code == 0
    archive = tmp_path / "b.sqlite.files.tar"
    (tmp_path / "evil").write_text("x")
    with tarfile.open(archive, "w") as tar:
        tar.add(tmp_path / "evil", arcname="../evil-out")
    result = runner.invoke(args=["restore", str(saved), "--yes"])
    assert result.exit_code == 1 and "unexpected entry" in result.output
    assert not (tmp_path.parent / "evil-out").exists()


def test_backup_says_the_files_are_in_the_bucket_with_s3(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    upgrade(make_engine(url))
    with s3_server() as config:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "LOG_FORMAT": "plain", **config})
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.sqlite")])
        app.extensions["appraisal.engine"].dispose()
    assert result.exit_code == 0, result.output
    assert f"in the S3 bucket {config['S3_BUCKET']}" in result.output
    assert "not in this backup" in result.output
    assert not (tmp_path / "b.sqlite.files.tar").exists()
