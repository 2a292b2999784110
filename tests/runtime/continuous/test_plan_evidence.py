"""Progress evidence as files and photos: photos go through the field-photo pipeline (decoded,
metadata stripped), documents through the upload limits, both served only to the people who
may read the plan (404 for another team's manager, a colleague, another organization), never
through the field-photo route, kept by the photo pruning; a refused upload saves nothing."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from appraisal.models import Photo, PlanFile, PlanItem, PlanUpdate
from appraisal.runtime.continuous import evidence
from appraisal.runtime.fieldwork.photos import prune_unattached
from tests import photo_images as images
from tests.conftest import field_errors

from .test_plans import _plan, proposed  # noqa: F401 - the fixture

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture
def agreed(client, auth, db, proposed):  # noqa: F811
    auth.login("boss@acme.example")
    client.post(
        f"/plans/{proposed}/move", data={"action": "agree", "version": _plan(db, proposed).version}
    )
    auth.logout()
    return proposed


def _post(client, db, plan_id, files=(), photos=(), note="Visited all stores"):
    item = db.scalar(select(PlanItem).where(PlanItem.plan_id == plan_id))
    data = {"item_id": str(item.id), "note": note, "progress": "50"}
    data["files"] = [(io.BytesIO(body), name) for name, body in files]
    data["photos"] = [(io.BytesIO(body), name) for name, body in photos]
    return client.post(f"/plans/{plan_id}/updates", data=data, content_type="multipart/form-data")


def _stored(app) -> list[Path]:
    return [p for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()]


def test_files_and_photos_are_stored_with_the_update_and_shown_on_the_plan(
    app, client, auth, db, company, agreed
):
    auth.login("ann@acme.example")
    response = _post(
        client,
        db,
        agreed,
        files=[("报告.pdf", PDF), ("plan.docx", docx())],
        photos=[("shop.jpg", images.camera_jpeg())],
    )
    assert response.status_code == 302, field_errors(response.text)
    update = db.scalar(select(PlanUpdate).where(PlanUpdate.plan_id == agreed))
    assert [(f.filename, f.size_bytes) for f in update.files] == [
        ("报告.pdf", len(PDF)),
        ("plan.docx", len(docx())),
    ]
    (photo,) = update.photos
    assert photo.plan_update_id == update.id and photo.record_id is None
    page = client.get(f"/plans/{agreed}").text
    for file in update.files:
        assert f"/plans/{agreed}/files/{file.id}" in page
    assert f"/plans/{agreed}/photos/{photo.id}" in page
    # the photo was cleaned by the field-photo pipeline: upright, no camera metadata
    served = client.get(f"/plans/{agreed}/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.height > image.width
        assert not image.getexif()
    downloaded = client.get(f"/plans/{agreed}/files/{update.files[0].id}")
    assert downloaded.status_code == 200 and downloaded.data == PDF
    assert downloaded.mimetype == "application/pdf"
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("ann@acme.example", 200),
        ("boss@acme.example", 200),
        ("hr@acme.example", 200),
        ("pat@acme.example", 404),  # a colleague in the same team
        ("olga@acme.example", 404),  # another team's manager
        ("x@other.example", 404),  # another organization's admin
    ],
)
def test_evidence_is_served_only_to_who_may_read_the_plan(
    client, auth, db, make, company, agreed, who, status
):
    other = make.org("other", "Other")
    make.member(other, "x@other.example", roles=("admin",))
    auth.login("ann@acme.example")
    _post(client, db, agreed, files=[("a.pdf", PDF)], photos=[("p.png", images.png())])
    auth.logout()
    file = db.scalar(select(PlanFile))
    photo = db.scalar(select(Photo))
    auth.login(who)
    assert client.get(f"/plans/{agreed}/files/{file.id}").status_code == status
    assert client.get(f"/plans/{agreed}/photos/{photo.id}").status_code == status
    assert client.get(f"/plans/{agreed}/photos/{photo.id}?size=thumb").status_code == status


def test_evidence_is_never_served_through_another_plan_or_the_field_photo_route(
    client, auth, db, company, agreed
):
    auth.login("ann@acme.example")
    _post(client, db, agreed, files=[("a.pdf", PDF)], photos=[("p.png", images.png())])
    other = client.post(
        "/plans",
        data={"employee_id": company.people["ann"].id, "period": "quarter", "day": "2026-01-05"},
    )
    other_id = int(other.headers["Location"].rsplit("/", 1)[1])
    file, photo = db.scalar(select(PlanFile)), db.scalar(select(Photo))
    assert client.get(f"/plans/{other_id}/files/{file.id}").status_code == 404
    assert client.get(f"/plans/{other_id}/photos/{photo.id}").status_code == 404
    auth.logout()
    auth.login("boss@acme.example")  # sees Ann's field records, not her plan photos that way
    assert client.get(f"/field/photos/{photo.uuid}").status_code == 404


@pytest.mark.parametrize(
    ("files", "photos", "field", "message"),
    [
        ([("run.exe", b"MZ\x90\x00")], [], "files", "PDF"),
        ([("fake.pdf", b"<script>alert(1)</script>")], [], "files", "PDF"),
        ([("macro.docx", b"PK\x03\x04 not a zip")], [], "files", "PDF"),
        ([("big.pdf", b"%PDF-" + b"0" * 2000)], [], "files", "is larger than"),
        ([("a.pdf", PDF)], [("note.jpg", b"just text")], "photos", "JPEG"),
        (
            [("a.pdf", PDF)],
            [("x.png", images.png()), ("y.jpg", images.truncated_jpeg())],
            "photos",
            "",
        ),
    ],
    ids=["exe", "not-a-pdf", "broken-docx", "too-large", "not-a-photo", "second-photo-damaged"],
)
def test_a_refused_upload_is_named_at_its_field_and_saves_nothing(
    app, client, auth, db, company, agreed, files, photos, field, message, monkeypatch
):
    monkeypatch.setattr(evidence, "MAX_UPLOAD_BYTES", 2000)  # the limit, without 8 MB bodies
    auth.login("ann@acme.example")
    response = _post(client, db, agreed, files=files, photos=photos, note="Kept note")
    assert response.status_code == 422
    assert "Kept note" in response.text  # what was typed is kept
    html = response.text
    assert f'id="{field}"' in html and any(message in e for e in field_errors(html)), field_errors(
        html
    )
    assert db.scalar(select(func.count()).select_from(PlanUpdate)) == 0
    assert db.scalar(select(func.count()).select_from(PlanFile)) == 0
    assert db.scalar(select(func.count()).select_from(Photo)) == 0
    assert _stored(app) == []  # no stray file in the storage


def test_pruning_keeps_plan_evidence_photos(client, auth, db, company, agreed):
    auth.login("ann@acme.example")
    _post(client, db, agreed, photos=[("p.png", images.png())])
    photo = db.scalar(select(Photo))
    photo.created_at -= timedelta(days=3)
    db.commit()
    assert prune_unattached(db) == []
    db.commit()
    assert db.scalar(select(func.count()).select_from(Photo)) == 1
