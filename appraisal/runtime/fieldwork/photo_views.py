"""Photo upload and download for the phone pages (JSON in, JPEG out; no HTML page).

The upload answers as the contract says: 201 with the stored photo, 200 when its uuid was
already stored for this employee, 422 (or 413) with `{"errors": {field: message}}`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, jsonify, request

from ...access import is_member, require
from ...db import get_session
from ...storage import Missing, Unavailable, get_storage
from ..web import Routes, current_viewer
from . import photos

routes = Routes()


@routes.route("/field/photos", methods=["POST"])
@require(is_member)
def field_photo_upload() -> Any:
    db = get_session()
    sent = request.files.get("photo")
    upload = photos.Upload(
        uuid=request.form.get("uuid", ""),
        file=sent.stream if sent is not None else None,
        type_key=request.form.get("type", ""),
        field_key=request.form.get("field", ""),
    )
    try:
        received = photos.receive_photo(
            db,
            current_viewer(),
            upload,
            get_storage(),
            photos.Limits.from_config(current_app.config),
        )
    except photos.PhotoRefused as refused:
        db.rollback()
        return jsonify(errors={k: str(v) for k, v in refused.errors.items()}), refused.status
    except Unavailable:
        db.rollback()
        current_app.logger.exception("A photo could not be stored")
        return jsonify(errors={"photo": str(photos.UNAVAILABLE)}), 503
    db.commit()
    return jsonify(photos.describe(received.photo)), 201 if received.created else 200


@routes.route("/field/photos/<uuid>")
@require(is_member)
def field_photo(uuid: str) -> Any:
    photo = photos.load_photo(get_session(), current_viewer(), uuid)
    if photo is None:
        abort(404)
    try:
        return photo_response(photo, request.args.get("size") == "thumb")
    except Unavailable:
        current_app.logger.exception("A photo could not be read")
        return jsonify(errors={"photo": str(photos.UNAVAILABLE)}), 503


def photo_response(photo: Any, thumb: bool) -> Response:
    """The stored JPEG, never sniffed and never kept by a shared cache (a file gone from
    the storage is a 404; a storage out of reach raises `storage.Unavailable`)."""
    try:
        data = photos.photo_bytes(get_storage(), photo, thumb)
    except Missing:
        abort(404)
    response = Response(data, mimetype=photo.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'inline; filename="{photo.uuid}.jpg"'
    return response
