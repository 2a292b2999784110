"""Photos taken in the field: checked, cleaned and stored before the record that names them.

An upload is read up to the size limit and no further, then decoded for real by Pillow
(the file name and the declared type prove nothing): only JPEG, PNG and WebP, and no image
of more pixels than the limit is ever decoded (decompression bombs). What is stored is a new
JPEG drawn from the decoded pixels: turned upright by its EXIF orientation, at most 1600 px
on the long edge, plus a thumbnail of at most 320 px; no metadata survives the re-encoding
(camera, time, serial numbers, location), except the GPS block when the photos field keeps
the location *and* the employee's consent for that form's location purpose is in force.

Like a record, a photo carries a uuid made by the phone: sending it again (no signal, the
outbox replaying) answers with the photo already stored. Files live in the app's storage
under an unguessable key per organization; a photo is only ever served through its row, to
someone who sees its employee's records (`access.sees_records_of`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageCms, ImageOps
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import audit
from ...errors import ServiceError
from ...models import ActivityType, Employee, Photo, utcnow
from ...storage import Storage, Unavailable, new_key
from ..reviews.access import Viewer
from .access import sees_records_of
from .consent import granted
from .records import UUID, compiled_version, location_purpose

#: What Pillow may try to decode; every other decoder it has stays unused (MPO is how Pillow
#: names a camera JPEG carrying a second, preview image).
FORMATS = ("JPEG", "PNG", "WEBP")
DECODED = {"JPEG", "MPO", "PNG", "WEBP"}
LONG_EDGE = 1600
THUMB_EDGE = 320
QUALITY = 85
THUMB_QUALITY = 80
CONTENT_TYPE = "image/jpeg"
#: Unattached photos older than this are removed by `appraisal photos prune`.
KEEP_UNATTACHED = timedelta(days=1)
#: ISO-BMFF brands of HEIF/HEIC/AVIF files (bytes 8-12, after "ftyp").
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

NOT_AN_IMAGE = _l("This is not a photo that can be read: send a JPEG, PNG or WebP image.")
HEIC = _l(
    "HEIC photos (the iPhone's own format) are not supported. Take the photo with the form's "
    "camera button, which sends JPEG, or set the camera's format to “Most Compatible”."
)
UNAVAILABLE = _l(
    "Photos cannot be stored or read right now; nothing was saved. Try again in a moment."
)
DAMAGED = _l("The photo could not be read to the end; it may be damaged or cut off. Take it again.")


class PhotoRefused(ServiceError):
    """An upload that is not stored; `errors` maps a form field to its message, `status` is
    what the upload routes answer (422, or 413 for a photo over the size limit)."""

    def __init__(self, field: str, message: Any, status: int = 422) -> None:
        super().__init__(message, field)
        self.errors = {field: message}
        self.status = status


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(int(config["PHOTO_MAX_BYTES"]), int(config["PHOTO_MAX_PIXELS"]))


@dataclass(frozen=True)
class Upload:
    """What a phone sends: the photo's uuid, the file, and the activity form and photos field
    it is for (which say whether its location may be kept; unknown ones keep nothing)."""

    uuid: str
    file: IO[bytes] | None
    type_key: str = ""
    field_key: str = ""


@dataclass(frozen=True)
class Cleaned:
    """A decoded photo drawn again as JPEG: the full image and its thumbnail."""

    full: bytes
    thumb: bytes
    width: int
    height: int
    kept_location: bool


@dataclass(frozen=True)
class Received:
    photo: Photo
    created: bool  # False: this uuid was already stored for this employee, nothing changed


# -- the image ---------------------------------------------------------------------------------


def read_limited(file: IO[bytes] | None, max_bytes: int) -> bytes:
    """The upload's bytes, reading one byte past the limit at most."""
    data = file.read(max_bytes + 1) if file is not None else b""
    if len(data) > max_bytes:
        raise PhotoRefused(
            "photo",
            _l("The photo is too large: at most %(mb)s MB.", mb=_megabytes(max_bytes)),
            413,
        )
    if not data:
        raise PhotoRefused("photo", _l("No photo was sent."))
    return data


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.3g}"


def clean_image(data: bytes, *, max_pixels: int, keep_location: bool) -> Cleaned:
    """Decode `data` and draw it again as JPEG without metadata (GPS kept if asked)."""
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        raise PhotoRefused("photo", HEIC)
    image = _open(data, max_pixels)
    exif = image.getexif()
    gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) if keep_location else {}
    _scale_while_decoding(image)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
        pixels = _rgb(upright)
    except Exception:  # any decoder failure on hostile bytes means "damaged"
        raise PhotoRefused("photo", DAMAGED) from None
    pixels.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    thumb = pixels.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    located = Image.Exif()
    if gps:
        located.get_ifd(ExifTags.IFD.GPSInfo).update(gps)
    return Cleaned(
        full=_jpeg(pixels, QUALITY, located if gps else None),
        thumb=_jpeg(thumb, THUMB_QUALITY, None),
        width=pixels.width,
        height=pixels.height,
        kept_location=bool(gps),
    )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """The image's header read (nothing decoded yet), its pixel count checked."""
    too_many = PhotoRefused(
        "photo",
        _l(
            "The photo has too many pixels: at most %(limit)s million.",
            limit=f"{max_pixels / 1e6:.3g}",
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise too_many from None
        except Exception:  # Pillow's identify fails in many ways on hostile bytes
            raise PhotoRefused("photo", NOT_AN_IMAGE) from None
    if image.format not in DECODED:
        raise PhotoRefused("photo", NOT_AN_IMAGE)
    if image.width * image.height > max_pixels:
        raise too_many
    return image


def _scale_while_decoding(image: Image.Image) -> None:
    """Let a JPEG decode at 1/2, 1/4 or 1/8 scale when that still leaves the long edge
    (far cheaper than decoding 48 megapixels to keep 2.5)."""
    if image.format in ("JPEG", "MPO"):
        scale = LONG_EDGE / max(image.size)
        if scale < 1:
            image.draft("RGB", (round(image.width * scale) + 1, round(image.height * scale) + 1))


def _rgb(image: Image.Image) -> Image.Image:
    """Plain sRGB pixels: transparency laid on white, a colour profile applied, no info."""
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    if icc and image.mode in ("RGB", "CMYK"):
        # a broken profile: the pixels stay as they are
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            image = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


def _jpeg(image: Image.Image, quality: int, exif: Image.Exif | None) -> bytes:
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": quality, "optimize": True}
    if exif is not None:
        options["exif"] = exif
    image.save(out, "JPEG", **options)
    return out.getvalue()


# -- storing -----------------------------------------------------------------------------------


def thumb_key(storage_key: str) -> str:
    return storage_key.removesuffix(".jpg") + "-thumb.jpg"


def keeps_location(session: Session, employee: Employee, type_key: str, field_key: str) -> bool:
    """Whether a photo for this form's field may keep its GPS block: the field asks for it
    and the employee's consent for the form's location purpose is in force."""
    if not type_key or not field_key:
        return False
    activity_type = session.scalar(
        select(ActivityType).where(
            ActivityType.organization_id == employee.organization_id,
            ActivityType.key == type_key,
            ActivityType.archived.is_(False),
        )
    )
    activity = compiled_version(activity_type) if activity_type is not None else None
    field = activity.field(field_key) if activity is not None else None
    if activity is None or field is None or field.type != "photos" or not field.keep_location:
        return False
    return granted(session, employee, location_purpose(activity))


def uploader(session: Session, viewer: Viewer) -> Employee:
    """The employee a signed-in person (or token holder) uploads as: themselves."""
    employee = session.get(Employee, viewer.employee_id) if viewer.employee_id is not None else None
    if employee is None or employee.organization_id != viewer.org_id:
        raise PhotoRefused(
            "photo",
            _l("Only employees upload field photos, and this account is not an employee's."),
        )
    return employee


def receive_photo(
    session: Session, viewer: Viewer, upload: Upload, storage: Storage, limits: Limits
) -> Received:
    """Check, clean and store one photo of the viewer's own; the same uuid again answers
    with the photo already stored. A storage that cannot take it raises
    `storage.Unavailable` (the routes answer 503: try again)."""
    data = read_limited(upload.file, limits.max_bytes)
    uuid = str(upload.uuid).strip().lower()
    if not UUID.fullmatch(uuid):
        raise PhotoRefused("uuid", _l("Not a valid photo id."))
    employee = uploader(session, viewer)
    existing = _existing(session, viewer.org_id, uuid)
    if existing is not None:
        return _already(existing, employee)
    keep = keeps_location(session, employee, upload.type_key, upload.field_key)
    cleaned = clean_image(data, max_pixels=limits.max_pixels, keep_location=keep)
    key = _new_key(viewer.org_id)
    photo = Photo(
        organization_id=viewer.org_id,
        uuid=uuid,
        employee_id=employee.id,
        storage_key=key,
        content_type=CONTENT_TYPE,
        width=cleaned.width,
        height=cleaned.height,
        size_bytes=len(cleaned.full),
        sha256=hashlib.sha256(cleaned.full).hexdigest(),
        kept_location=cleaned.kept_location,
        uploaded_by_id=viewer.user_id,
    )
    # The files first, then the row: a row never names a file that is not there (on SQLite
    # a savepoint's release may already commit), and a store that fails leaves no row.
    _store(storage, key, cleaned)
    try:
        with session.begin_nested():
            session.add(photo)
            session.flush()
    except IntegrityError:  # the same uuid arrived twice at once: the other one won
        delete_files(storage, [key])
        existing = _existing(session, viewer.org_id, uuid)
        if existing is None:
            raise
        return _already(existing, employee)
    except BaseException:
        delete_files(storage, [key])
        raise
    audit.record(
        session,
        viewer.org_id,
        viewer.user_id,
        "photo.uploaded",
        "photo",
        photo.id,
        uuid=uuid,
        employee=employee.number,
        size=photo.size_bytes,
        kept_location=photo.kept_location,
    )
    return Received(photo, True)


def forget_location(storage: Storage, photo: Photo) -> None:
    """Draw a stored photo again without its GPS block: it was kept at upload, but the
    record it joins does not keep it (another form, or the consent was withdrawn since)."""
    with Image.open(io.BytesIO(storage.get(photo.storage_key))) as image:
        image.load()
        full = _jpeg(image.convert("RGB"), QUALITY, None)
    storage.put(photo.storage_key, full, CONTENT_TYPE)
    photo.kept_location = False
    photo.size_bytes = len(full)
    photo.sha256 = hashlib.sha256(full).hexdigest()


def _store(storage: Storage, key: str, cleaned: Cleaned) -> None:
    """Both files or neither (as far as a failing store lets us remove the first)."""
    try:
        storage.put(key, cleaned.full, CONTENT_TYPE)
        storage.put(thumb_key(key), cleaned.thumb, CONTENT_TYPE)
    except Unavailable:
        with contextlib.suppress(Unavailable):
            delete_files(storage, [key])
        raise


def _new_key(org_id: int) -> str:
    return new_key("photos", str(org_id), suffix=".jpg")


def _existing(session: Session, org_id: int, uuid: str) -> Photo | None:
    return session.scalar(select(Photo).where(Photo.organization_id == org_id, Photo.uuid == uuid))


def _already(existing: Photo, employee: Employee) -> Received:
    if existing.employee_id != employee.id:
        raise PhotoRefused("uuid", _l("This photo id is already used."))
    return Received(existing, False)


def describe(photo: Photo) -> dict[str, Any]:
    """What the upload routes answer."""
    return {"uuid": photo.uuid, "width": photo.width, "height": photo.height}


# -- reading and cleaning up -------------------------------------------------------------------


def load_photo(session: Session, viewer: Viewer, uuid: str) -> Photo | None:
    """A photo the viewer may see, by its uuid: its employee's records are the viewer's to
    see. Anything else (another team, another organization, no such photo) is None."""
    uuid = str(uuid).strip().lower()
    if not UUID.fullmatch(uuid):
        return None
    photo = _existing(session, viewer.org_id, uuid)
    if photo is None or photo.plan_update_id is not None:  # plan evidence: through its plan
        return None
    employee = session.get(Employee, photo.employee_id)
    if employee is None or not sees_records_of(viewer, employee):
        return None
    return photo


def photo_bytes(storage: Storage, photo: Photo, thumb: bool = False) -> bytes:
    """The stored JPEG (or its thumbnail), read through the photo's own row: a key is never
    taken from a request."""
    return storage.get(thumb_key(photo.storage_key) if thumb else photo.storage_key)


def prune_unattached(session: Session, older_than: timedelta = KEEP_UNATTACHED) -> list[str]:
    """Remove the rows of photos no record (nor plan progress update) took within
    `older_than` of their upload; the storage keys to delete once the caller has committed
    are returned."""
    stale = session.scalars(
        select(Photo).where(
            Photo.record_id.is_(None),
            Photo.plan_update_id.is_(None),  # a plan's evidence is attached too
            Photo.created_at < utcnow() - older_than,
        )
    ).all()
    keys = [photo.storage_key for photo in stale]
    for photo in stale:
        session.delete(photo)
    session.flush()
    return keys


def delete_files(storage: Storage, keys: Iterable[str]) -> None:
    """Delete photos (and their thumbnails) from the storage."""
    for key in keys:
        storage.delete(key)
        storage.delete(thumb_key(key))
