"""`/api/v1/photos`: a token holder uploads their own field photo (multipart, checked and
cleaned exactly as the phone's upload is) and reads a photo whose employee's records they
see. Routes on the API blueprint; `api.init_app` imports this module before registering it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from ..access import can_use_api
from ..db import get_session
from ..runtime.fieldwork import photos
from ..runtime.fieldwork.photo_views import photo_response
from ..runtime.reviews.access import Viewer, viewer_for
from ..storage import Unavailable, get_storage
from .spec import BINARY, operation
from .views import ApiError, bp, require_role


class PhotoUpload(Schema):
    uuid = fields.String(
        required=True, metadata={"description": "The photo's id, made by the client (UUID)"}
    )
    photo = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "A JPEG, PNG or WebP image; stored as a cleaned JPEG",
        },
    )
    type = fields.String(metadata={"description": "The activity type's key the photo is for"})
    field = fields.String(
        metadata={
            "description": "The photos field's key; with `type`, says whether the photo's "
            "location may be kept (the field keeps it and the employee consented)"
        }
    )


class PhotoQuery(Schema):
    size = fields.String(
        validate=validate.OneOf(["full", "thumb"]),
        metadata={"description": "`thumb`: at most 320 px on the long edge"},
    )


class PhotoOut(Schema):
    uuid = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)


def _viewer() -> Viewer:
    token = g.api.token
    return viewer_for(get_session(), token.organization_id, token.user_id, g.api.roles)


@bp.post("/photos")
@operation(
    "/photos",
    "post",
    summary="Upload one of the token holder's own field photos (idempotent by uuid: 200 "
    "when that uuid is already stored)",
    body=PhotoUpload,
    body_type="multipart/form-data",
    response=PhotoOut,
    status=201,
    errors=("400", "401", "403", "413", "422"),
)
def photo_upload() -> Any:
    require_role(can_use_api)
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
            db, _viewer(), upload, get_storage(), photos.Limits.from_config(current_app.config)
        )
    except Unavailable:
        db.rollback()
        current_app.logger.exception("A photo could not be stored")
        raise ApiError(503, "storage_unavailable", photos.UNAVAILABLE) from None
    except photos.PhotoRefused as refused:
        db.rollback()
        details = [{"path": k, "message": v} for k, v in refused.errors.items()]
        if refused.status == 413:
            raise ApiError(413, "too_large", refused.message, details) from None
        raise ApiError(
            422, "refused", _l("The photo was refused; nothing was saved."), details
        ) from None
    db.commit()
    body = PhotoOut().dump(photos.describe(received.photo))
    return jsonify(body), 201 if received.created else 200


@bp.get("/photos/<uuid>")
@operation(
    "/photos/{uuid}",
    "get",
    summary="A field photo as JPEG (`?size=thumb`: at most 320 px), if its employee's "
    "records are the token holder's to see",
    response=BINARY,
    response_type="image/jpeg",
    query=PhotoQuery,
    errors=("401", "403", "404"),
)
def photo_download(uuid: str) -> Any:
    require_role(can_use_api)
    photo = photos.load_photo(get_session(), _viewer(), uuid)
    if photo is None:
        raise ApiError(404, "not_found", _l("No such photo in this organization."))
    try:
        return photo_response(photo, request.args.get("size") == "thumb")
    except Unavailable:
        current_app.logger.exception("A photo could not be read")
        raise ApiError(503, "storage_unavailable", photos.UNAVAILABLE) from None
