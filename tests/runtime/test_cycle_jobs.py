"""Issue 19: a large cycle's files are prepared by a job (after a POST: a link starts no
job) whose page offers the download to the person who asked and the organization's HR only;
a large figures file is applied by a job, all or nothing."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from sqlalchemy import select

from appraisal import import_jobs
from appraisal.models import Job, Review, User
from appraisal.runtime.cycles import background
from tests.runtime.conftest import appraisal_of


@pytest.fixture
def large(monkeypatch):
    """Every cycle counts as large, and every file (the thresholds are 2,000)."""
    monkeypatch.setattr(background, "LARGE_EXPORT_APPRAISALS", 0)
    monkeypatch.setattr(import_jobs, "LARGE_IMPORT_ROWS", 1)


def _english(db, email):
    db.scalar(select(User).where(User.email == email)).language = "en"
    db.commit()


def test_a_large_cycles_payroll_file_is_prepared_by_a_job_and_downloaded(
    client, auth, db, company, launched, large
):
    _english(db, "hr@acme.example")
    auth.login("hr@acme.example")
    url = f"/cycles/{launched.id}/results.csv"
    offer = client.get(url)
    assert offer.status_code == 200
    assert "is prepared in the background" in offer.text
    assert f'action="{url}"' in offer.text
    assert db.scalar(select(Job.id)) is None  # following the link started nothing
    started = client.post(url)
    assert started.status_code == 302
    job_url = started.headers["Location"]
    job = db.get(Job, int(job_url.rsplit("/", 1)[1]))
    assert (job.kind, job.status) == ("exports.cycle", "done")  # the tests' queue is immediate
    assert job.params == {"cycle_id": launched.id, "table": "results", "fmt": "csv"}
    page = client.get(job_url).text
    assert "The file is ready: 6 rows." in page
    assert f'href="/jobs/{job.id}/file"' in page
    download = client.get(f"/jobs/{job.id}/file")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="cycle-{launched.id}-results.csv"'
    )
    assert download.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert sorted(r["employee_number"] for r in rows) == [
        "A001",
        "B001",
        "O001",
        "O002",
        "P001",
        "Q001",
    ]


def test_a_prepared_file_is_for_its_owner_and_the_organizations_hr_only(
    client, auth, db, make, company, launched, large
):
    make.member(company.org, "hr2@acme.example", roles=("admin",))
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    auth.login("imp@acme.example")  # an implementer fetches the figures sheet
    started = client.post(f"/cycles/{launched.id}/figures/sheet.xlsx")
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    auth.logout()
    for email, status in (
        ("imp@acme.example", 200),
        ("hr2@acme.example", 200),
        ("hr@acme.example", 200),
        ("boss@acme.example", 404),  # a manager of the same organization
        ("ann@acme.example", 404),
        ("hr@other.example", 404),
    ):
        auth.login(email)
        assert client.get(f"/jobs/{job_id}/file").status_code == status, email
        auth.logout()


def test_a_job_without_a_file_or_not_done_offers_no_download(client, auth, db, company):
    auth.login("hr@acme.example")
    hr = db.scalar(select(User).where(User.email == "hr@acme.example"))
    for status, result in (("running", None), ("done", {"rows": 0}), ("failed", None)):
        job = Job(
            organization_id=company.org.id,
            user_id=hr.id,
            kind="exports.cycle",
            status=status,
            params={"cycle_id": 1},
            result=result,
        )
        db.add(job)
        db.commit()
        assert client.get(f"/jobs/{job.id}/file").status_code == 404, status
        assert 'id="job-download"' not in client.get(f"/jobs/{job.id}").text


def test_a_pruned_file_is_a_404_not_a_500(client, auth, db, company, launched, large):
    auth.login("hr@acme.example")
    job_url = client.post(f"/cycles/{launched.id}/feedback.xlsx").headers["Location"]
    job = db.get(Job, int(job_url.rsplit("/", 1)[1]))
    assert job.status == "done" and job.result["filename"].endswith("-feedback.xlsx")
    shutil.rmtree(client.application.config["STORAGE_DIR"])
    assert client.get(f"/jobs/{job.id}/file").status_code == 404


def test_a_small_cycles_file_is_sent_at_once(client, auth, db, company, launched):
    auth.login("hr@acme.example")
    response = client.get(f"/cycles/{launched.id}/results.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert db.scalar(select(Job.id)) is None


FIGURES = "工号,销售额,Collection rate\nA001,112000,96\nP001,,90\n"
FIGURES_MAPPING = {
    "map_employee_number": "工号",
    "map_data:sales": "销售额",
    "map_data:collection": "Collection rate",
}


def _figures_upload(client, cycle_id, text):
    response = client.post(
        f"/cycles/{cycle_id}/figures/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), "figures.csv"), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def test_a_large_figures_file_is_applied_by_a_job(client, auth, db, company, launched, large):
    _english(db, "hr@acme.example")
    auth.login("hr@acme.example")
    url = _figures_upload(client, launched.id, FIGURES)
    started = client.post(url, data={"action": "apply", **FIGURES_MAPPING})
    assert started.status_code == 302 and started.headers["Location"].startswith("/jobs/")
    job = db.get(Job, int(started.headers["Location"].rsplit("/", 1)[1]))
    assert (job.kind, job.status, job.result) == (
        "imports.figures",
        "done",
        {"values": 3, "changed": 3},
    )
    ann = appraisal_of(db, company, "ann")
    assert next(r for r in ann.reviews if r.slot == "data").values == {
        "sales": 112000,
        "collection": 96,
    }
    page = client.get(started.headers["Location"]).text
    assert "Figures imported: 3 values changed." in page
    assert f'href="/cycles/{launched.id}/figures"' in page


def test_a_bad_value_fails_the_figures_job_and_saves_nothing(
    client, auth, db, company, launched, large
):
    _english(db, "hr@acme.example")
    auth.login("hr@acme.example")
    url = _figures_upload(client, launched.id, FIGURES + "Q001,lots,90\n")
    started = client.post(url, data={"action": "apply", **FIGURES_MAPPING})
    job = db.get(Job, int(started.headers["Location"].rsplit("/", 1)[1]))
    assert job.status == "failed"
    assert job.message.startswith("1 values need correcting; nothing was saved. row 4, sales:")
    db.expire_all()
    assert db.scalar(select(Review).where(Review.slot == "data")) is None
    page = client.get(started.headers["Location"]).text
    assert f'href="/cycles/{launched.id}/figures/import"' in page
