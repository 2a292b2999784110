"""`/api/v1/photos`: the token holder's own photo in (checked as the phone's upload is), a
photo out for whoever sees its employee's records; both in the OpenAPI document; the whole
path through a real S3-compatible server."""

from __future__ import annotations

import io
import uuid as uuids

import pytest
from openapi_spec_validator import validate
from PIL import Image
from sqlalchemy import func, select

from appraisal.models import Photo
from appraisal.runtime.fieldwork.records import record_activity
from appraisal.storage import storage_from_config
from tests import photo_images as images
from tests.runtime.fieldwork.conftest import field  # noqa: F401 - the field team
from tests.s3_server import CREDENTIALS, free_port, s3_server


@pytest.fixture
def hr_employee(make, field):  # noqa: F811
    """HR is also an employee of the organization (and so has photos of their own)."""
    return make.employee(field["org"], "H1", "Hana", user_id=field["hr"].user_id)


def upload(client, headers, data, uuid=None, **fields):
    form = {"uuid": uuid or str(uuids.uuid4()), "photo": (io.BytesIO(data), "p.jpg"), **fields}
    return client.post(
        "/api/v1/photos", data=form, headers=headers, content_type="multipart/form-data"
    )


def test_a_token_holder_uploads_their_own_photo_once(client, db, token_for, hr_employee):
    headers = token_for("hr@acme.example")
    uuid = str(uuids.uuid4())
    first = upload(client, headers, images.camera_jpeg(), uuid, type="customer_visit")
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"uuid": uuid, "width": 800, "height": 1600}
    again = upload(client, headers, images.png(), uuid)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    photo = db.scalar(select(Photo))
    assert photo.employee_id == hr_employee.id
    got = client.get(f"/api/v1/photos/{uuid}", headers=headers)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in got.headers["Cache-Control"] and "no-store" in got.headers["Cache-Control"]
    assert Image.open(io.BytesIO(got.data)).size == (800, 1600)
    thumb = client.get(f"/api/v1/photos/{uuid}?size=thumb", headers=headers)
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 320


def test_refusals_use_the_api_envelope_and_store_nothing(client, db, app, token_for, field):  # noqa: F811
    headers = token_for("hr@acme.example")
    not_employee = upload(client, headers, images.png())
    assert not_employee.status_code == 422
    assert not_employee.get_json()["error"]["code"] == "refused"
    assert not_employee.get_json()["error"]["details"][0]["path"] == "photo"


@pytest.mark.usefixtures("hr_employee")
def test_bad_files_and_oversized_ones(client, db, app, token_for):
    headers = token_for("hr@acme.example")
    bad = upload(client, headers, b"GIF89a not really")
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"] == [
        {
            "path": "photo",
            "message": "This is not a photo that can be read: send a JPEG, PNG or WebP image.",
        }
    ]
    app.config["PHOTO_MAX_BYTES"] = 50_000
    big = upload(client, headers, images.camera_jpeg(4000, 3000, quality=100))
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "too_large"
    bad_id = upload(client, headers, images.png(), uuid="1; DROP TABLE photos")
    assert bad_id.status_code == 422
    assert bad_id.get_json()["error"]["details"][0]["path"] == "uuid"
    assert db.scalar(select(func.count()).select_from(Photo)) == 0


def test_who_may_read_a_photo_through_the_api(client, db, make, token_for, field):  # noqa: F811
    fays = str(uuids.uuid4())
    fay = field["people"]["F1"]
    auth_client = client.application.test_client()
    auth_client.post("/login", data={"email": "fay@acme.example", "password": "correct-horse-9"})
    form = {"uuid": fays, "photo": (io.BytesIO(images.png()), "p.png")}
    assert auth_client.post("/field/photos", data=form).status_code == 201
    assert db.scalar(select(Photo.employee_id)) == fay.id
    hr = token_for("hr@acme.example")
    assert client.get(f"/api/v1/photos/{fays}", headers=hr).status_code == 200
    # an implementer who is an employee elsewhere in the team tree sees only their own
    implementer = make.member(field["org"], "imp@acme.example", roles=("implementer",))
    make.employee(field["org"], "I1", "Ivy", user_id=implementer.user_id)
    denied = client.get(f"/api/v1/photos/{fays}", headers=token_for("imp@acme.example"))
    assert denied.status_code == 404 and denied.get_json()["error"]["code"] == "not_found"
    beta = make.org("beta")
    make.member(beta, "hr@beta.example", roles=("admin",))
    other = token_for("hr@beta.example", "beta")
    assert client.get(f"/api/v1/photos/{fays}", headers=other).status_code == 404
    assert client.get(f"/api/v1/photos/{uuids.uuid4()}", headers=hr).status_code == 404
    assert client.get("/api/v1/photos/not-a-uuid", headers=hr).status_code == 404
    assert client.get(f"/api/v1/photos/{fays}").status_code == 401


def test_the_photo_operations_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    upload_op = document["paths"]["/photos"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert {"201", "413", "422"} <= set(upload_op["responses"])
    download = document["paths"]["/photos/{uuid}"]["get"]
    assert "image/jpeg" in download["responses"]["200"]["content"]
    (path_parameter,) = [p for p in download["parameters"] if p["in"] == "path"]
    assert path_parameter["schema"]["format"] == "uuid"


def test_upload_record_download_through_a_real_s3_server(
    client,
    db,
    app,
    token_for,
    field,  # noqa: F811
    hr_employee,
):
    headers = token_for("hr@acme.example")
    with s3_server() as config:
        app.extensions["appraisal.storage"] = storage_from_config(config, app.instance_path)
        bucket = app.extensions["appraisal.storage"]
        uuid = str(uuids.uuid4())
        assert upload(client, headers, images.webp(), uuid).status_code == 201
        photo = db.scalar(select(Photo))
        assert bucket.exists(photo.storage_key)
        # HR records a visit for themselves with the photo (HR may record through the API)
        hr_employee.position_id = field["people"]["F1"].position_id
        db.commit()
        recorded = record_activity(
            db,
            field["viewer"](user_id=field["hr"].user_id, roles=("admin",)),
            hr_employee,
            uuid=str(uuids.uuid4()),
            type_key="customer_visit",
            values={"customer": field["shop"].id, "purpose": "demo", "photos": [uuid]},
        )
        db.commit()
        assert [p.uuid for p in recorded.record.photos] == [uuid]
        got = client.get(f"/api/v1/photos/{uuid}", headers=headers)
        assert got.status_code == 200 and got.data == bucket.get(photo.storage_key)


@pytest.mark.usefixtures("hr_employee")
def test_a_store_out_of_reach_is_a_503_in_the_envelope(client, db, app, token_for):
    unreachable = {
        **CREDENTIALS,
        "S3_BUCKET": "b",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }
    app.extensions["appraisal.storage"] = storage_from_config(unreachable, app.instance_path)
    response = upload(client, token_for("hr@acme.example"), images.png())
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert db.scalar(select(func.count()).select_from(Photo)) == 0
