"""Where the application keeps files (photos now; plan attachments, exports and backups
later): one small interface, two implementations.

- `LocalStorage`: a directory, `<instance>/files` unless `APPRAISAL_STORAGE_DIR` says
  otherwise. Included in `appraisal backup`.
- `S3Storage`: an S3-compatible object store (AWS S3, MinIO, Aliyun OSS, Tencent COS...),
  chosen when `APPRAISAL_S3_BUCKET` is set: for deployments with several app servers,
  which cannot share a directory. Needs the `s3` extra (boto3).

The storage is chosen once per app (`init_app`) and reached through `get_storage()`. Keys
are relative paths of plain segments (`photos/12/AbC.jpg`): the same check runs for both
implementations, so no key can leave the directory (or the bucket's prefix), whatever a
caller passes. Callers name keys themselves, never from what a request says.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

#: One segment of a key: letters, digits, dot, dash, underscore; not `.` or `..`.
SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
MAX_KEY = 200  # the width of `Photo.storage_key`
MAX_DEPTH = 8


class BadKey(ValueError):
    """A key that is not a plain relative path (a programming error, never user input)."""


class Missing(KeyError):
    """Nothing is stored under this key."""


class Unavailable(OSError):
    """The storage cannot be written or read now (a full disk, an unreachable bucket): the
    request is answered 503 and can be tried again; nothing is half-saved."""


def check_key(key: str) -> str:
    """`key` if it is a plain relative path of allowed segments; else `BadKey`."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise BadKey(f"bad storage key: {key!r}")
    parts = key.split("/")
    if len(parts) > MAX_DEPTH or not all(SEGMENT.fullmatch(part) for part in parts):
        raise BadKey(f"bad storage key: {key!r}")
    return key


def new_key(*folders: str, suffix: str = "") -> str:
    """An unguessable key under `folders` (192 random bits): what is stored cannot be found
    by counting, and two uploads never collide."""
    return check_key("/".join([*folders, secrets.token_urlsafe(24) + suffix]))


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; `Missing` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; nothing there is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def describe(self) -> str:
        """Where the files are, for commands' output (never a secret)."""
        ...


class LocalStorage:
    """Files in one directory; each is written to a temporary file and renamed into place,
    so a reader never sees half a file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        """The file for `key`, which must resolve inside the directory (symlinks included)."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise BadKey(f"bad storage key: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        except OSError as error:
            raise Unavailable(str(error)) from error
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise Unavailable(str(error)) from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise Missing(key) from None
        except OSError as error:
            raise Unavailable(str(error)) from error

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def describe(self) -> str:
        return f"the directory {self.root}"


class S3Storage:
    """Objects in a bucket of an S3-compatible store, under an optional key prefix."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
    ) -> None:
        import boto3  # the `s3` extra; only needed when a bucket is configured
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = check_key(prefix.strip("/")) + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    @contextmanager
    def _reaching(self, key: str) -> Iterator[None]:
        """The store's errors as ours: `Missing` for no such key, else `Unavailable`."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise Missing(key) from None
            raise Unavailable(f"{self.describe()}: {error}") from error
        except BotoCoreError as error:
            raise Unavailable(f"{self.describe()}: {error}") from error

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with self._reaching(key):
            self.client.put_object(
                Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        with self._reaching(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
            with answer["Body"] as body:
                return body.read()

    def delete(self, key: str) -> None:
        with self._reaching(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        try:
            with self._reaching(key):
                self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except Missing:
            return False
        return True

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"the S3 bucket {self.bucket}{where} (prefix {self.prefix or '/'})"


def storage_from_config(config: Any, instance_path: str) -> Storage:
    """S3 when a bucket is configured, else the local directory."""
    if config.get("S3_BUCKET"):
        return S3Storage(
            config["S3_BUCKET"],
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
            prefix=config.get("S3_PREFIX") or "",
        )
    return LocalStorage(config.get("STORAGE_DIR") or Path(instance_path) / "files")


def init_app(app: Flask) -> None:
    app.extensions["appraisal.storage"] = storage_from_config(app.config, app.instance_path)


def get_storage() -> Storage:
    """The app's storage: the one way code reaches stored files."""
    return current_app.extensions["appraisal.storage"]
