"""Issue 19: a large customer file's apply step is a job (the threshold lowered here: it is
2,000 rows), all or nothing, its page saying what came of it."""

from __future__ import annotations

from sqlalchemy import select

from appraisal import import_jobs
from appraisal.models import Customer, Job, User

from .test_customers_import import HEADER, _browser, _count, _guessed, _post, _upload


def test_a_large_customer_file_is_applied_by_a_job(app, db, field, monkeypatch):
    monkeypatch.setattr(import_jobs, "LARGE_IMPORT_ROWS", 1)
    db.scalar(select(User).where(User.email == "hr@acme.example")).language = "en"
    db.commit()
    client = _browser(app)
    before = _count(db)
    bad = _upload(
        client, (HEADER + "C101,甲店,,门店,F1,,,,是\nC102,乙店,,门店,Z9,,,,是\n").encode()
    )
    failed = _post(client, bad, "apply", _guessed(client, bad))
    job = db.get(Job, int(failed.headers["Location"].rsplit("/", 1)[1]))
    assert (job.kind, job.status) == ("imports.customers", "failed")
    assert "row 3" in job.message and _count(db) == before  # all or nothing
    good = _upload(
        client, (HEADER + "C101,甲店,,门店,F1,,,,是\nC102,乙店,,门店,M1,,,,是\n").encode()
    )
    done = _post(client, good, "apply", _guessed(client, good))
    job_url = done.headers["Location"]
    job = db.get(Job, int(job_url.rsplit("/", 1)[1]))
    assert (job.status, job.result) == ("done", {"created": 2, "updated": 0, "unchanged": 0})
    assert (job.done, job.total) == (2, 2)
    db.expire_all()
    assert db.scalar(select(Customer.name).where(Customer.code == "C102")) == "乙店"
    page = client.get(job_url).text
    assert "Import done: 2 created, 0 updated, 0 unchanged." in page
    assert 'id="job-back" href="/customers"' in page
