"""Evidence of plan progress: documents and photos sent with a progress update.

Photos go through the field-photo pipeline (`fieldwork.photos.receive_photo`: decoded for
real, resized, metadata stripped) and are owned by their update (`Photo.plan_update_id`), so
the pruning of photos no record took leaves them alone. Documents (PDF and office files) are
read up to the upload limit (`uploads.MAX_UPLOAD_BYTES`), recognised by their bytes as well
as their name, and stored as sent under an unguessable key. Both are served only through the
plan the caller loaded for someone who may read it (`plans.load_plan`), documents always as
a download.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import unicodedata
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import ServiceError
from ...models import Photo, PlanFile, PlanUpdate, WorkPlan
from ...storage import Storage, Unavailable, new_key
from ...uploads import MAX_UPLOAD_BYTES
from ..fieldwork import photos as field_photos
from ..reviews.access import Viewer

MAX_FILES = 5
MAX_PHOTOS = 5
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the legacy office formats' container


@dataclass(frozen=True)
class FileType:
    content_type: str
    part: str = ""  # an OOXML package's folder of its main part ("word/")


#: What may be attached, by the name's extension; the bytes must agree.
FILE_TYPES = {
    ".pdf": FileType("application/pdf"),
    ".doc": FileType("application/msword"),
    ".xls": FileType("application/vnd.ms-excel"),
    ".ppt": FileType("application/vnd.ms-powerpoint"),
    ".docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/"
    ),
    ".xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/"),
    ".pptx": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "ppt/"
    ),
}


@dataclass(frozen=True)
class Sent:
    """What came with a progress update: documents (name, stream) and photos (streams), and
    where they are kept."""

    storage: Storage
    limits: field_photos.Limits
    files: Sequence[tuple[str, IO[bytes]]] = ()
    photos: Sequence[IO[bytes]] = ()


def clean_filename(name: str) -> str:
    """The file's own name without folders or control characters, at most 200 characters
    (its extension kept)."""
    base = PurePath(str(name).replace("\\", "/")).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    stem, dot, extension = base.rpartition(".")
    if dot and len(extension) <= 10:
        return stem[: 199 - len(extension)] + "." + extension
    return base[:200]


def check_document(name: str, data: bytes) -> FileType:
    """The document's type when its name and its bytes agree; else a refusal at `files`."""
    extension = PurePath(name).suffix.lower()
    kind = FILE_TYPES.get(extension)
    if kind is None or not _looks_like(kind, extension, data):
        raise ServiceError(
            _l(
                "%(name)s is not a document that can be attached: send a PDF, Word, Excel or "
                "PowerPoint file (photos go in the photos field).",
                name=name,
            ),
            "files",
        )
    return kind


def _looks_like(kind: FileType, extension: str, data: bytes) -> bool:
    if extension == ".pdf":
        return data.startswith(b"%PDF-")
    if not kind.part:
        return data.startswith(OLE2)
    try:  # only the package's directory is read, nothing is decompressed
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith(kind.part) for n in names)


def _read(name: str, stream: IO[bytes]) -> bytes:
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ServiceError(
            _l(
                "%(name)s is larger than %(mb)s MB; send a smaller file.",
                name=name,
                mb=f"{MAX_UPLOAD_BYTES / 1024 / 1024:.3g}",
            ),
            "files",
        )
    if not data:
        raise ServiceError(_l("%(name)s is empty.", name=name), "files")
    return data


def attach(session: Session, viewer: Viewer, update: PlanUpdate, sent: Sent) -> None:
    """Check and store the update's documents and photos and attach them to it. Every
    document is checked before anything is stored; when anything is refused, what this call
    stored already is removed again and the refusal raised, so nothing is half-saved."""
    if len(sent.files) > MAX_FILES:
        raise ServiceError(_l("At most %(count)s files at a time.", count=MAX_FILES), "files")
    if len(sent.photos) > MAX_PHOTOS:
        raise ServiceError(_l("At most %(count)s photos at a time.", count=MAX_PHOTOS), "photos")
    documents = []
    for raw_name, stream in sent.files:
        name = clean_filename(raw_name) or "file"
        data = _read(name, stream)
        documents.append((name, data, check_document(name, data)))
    stored: list[str] = []
    photo_keys: list[str] = []
    try:
        for name, data, kind in documents:
            key = new_key("plan-files", str(update.organization_id), suffix=_suffix(name))
            sent.storage.put(key, data, kind.content_type)
            stored.append(key)
            update.files.append(
                PlanFile(
                    organization_id=update.organization_id,
                    storage_key=key,
                    filename=name,
                    content_type=kind.content_type,
                    size_bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    uploaded_by_id=viewer.user_id,
                )
            )
        for stream in sent.photos:
            upload = field_photos.Upload(str(uuid.uuid4()), stream)
            try:
                photo = field_photos.receive_photo(
                    session, viewer, upload, sent.storage, sent.limits
                ).photo
            except field_photos.PhotoRefused as refused:
                raise ServiceError(next(iter(refused.errors.values())), "photos") from None
            photo_keys.append(photo.storage_key)
            photo.plan_update_id = update.id
        session.flush()
    except Unavailable:
        _remove(sent.storage, stored, photo_keys)
        raise ServiceError(field_photos.UNAVAILABLE, "files") from None
    except BaseException:
        _remove(sent.storage, stored, photo_keys)
        raise


def _suffix(name: str) -> str:
    return PurePath(name).suffix.lower()


def _remove(storage: Storage, keys: list[str], photo_keys: list[str]) -> None:
    with contextlib.suppress(Unavailable):
        for key in keys:
            storage.delete(key)
        field_photos.delete_files(storage, photo_keys)


# -- reading -------------------------------------------------------------------------------------


def load_file(session: Session, plan: WorkPlan, file_id: int) -> PlanFile | None:
    """A document of this plan (loaded for someone who may read it); None otherwise."""
    return session.scalar(
        select(PlanFile)
        .join(PlanUpdate, PlanUpdate.id == PlanFile.plan_update_id)
        .where(
            PlanFile.organization_id == plan.organization_id,
            PlanFile.id == file_id,
            PlanUpdate.plan_id == plan.id,
        )
    )


def load_photo(session: Session, plan: WorkPlan, photo_id: int) -> Photo | None:
    """A photo of this plan (loaded for someone who may read it); None otherwise."""
    return session.scalar(
        select(Photo)
        .join(PlanUpdate, PlanUpdate.id == Photo.plan_update_id)
        .where(
            Photo.organization_id == plan.organization_id,
            Photo.id == photo_id,
            PlanUpdate.plan_id == plan.id,
        )
    )


def file_bytes(storage: Storage, file: PlanFile) -> bytes:
    """The stored document, read through its row (a key never comes from a request)."""
    return storage.get(file.storage_key)
