"""Issue 19: a large business-event file's apply step is a job (the threshold lowered here:
it is 2,000 rows), with the kind, source and person column the page chose."""

from __future__ import annotations

from sqlalchemy import select

from appraisal import import_jobs
from appraisal.models import Job, User

from .test_event_pages import HEADER, MAPPING, _browser, _events, _upload


def test_a_large_event_file_is_applied_by_a_job(app, db, crm, refreshed, monkeypatch):
    monkeypatch.setattr(import_jobs, "LARGE_IMPORT_ROWS", 1)
    db.scalar(select(User).where(User.email == "hr@acme.example")).language = "en"
    db.commit()
    client = _browser(app)
    form = {"source": "crm", "person_kind": "employee_number", **MAPPING}
    bad = _upload(client, HEADER + "L1,E0012,2026-11-02 09:00,1200,C001\nL2,E0013,never,1,C2\n")
    failed = client.post(bad, data={"action": "apply", **form})
    job = db.get(Job, int(failed.headers["Location"].rsplit("/", 1)[1]))
    assert (job.kind, job.status) == ("imports.events", "failed")
    assert "row 3, Occurred at:" in job.message and _events(db) == {}
    good = _upload(
        client, HEADER + "L1,E0012,2026-11-02 09:00,1200,C001\nL2,U-77,2026-11-03 09:00,80.5,C002\n"
    )
    done = client.post(good, data={"action": "apply", **form})
    job_url = done.headers["Location"]
    job = db.get(Job, int(job_url.rsplit("/", 1)[1]))
    assert job.params["kind"] == "lead_created" and job.params["source"] == "crm"
    assert (job.status, job.result) == ("done", {"matched": 1, "held": 1, "unchanged": 0})
    stored = _events(db)
    assert stored["L1"].attributes == {"amount": "1200.00", "customer": "C001"}
    assert stored["L2"].status == "held"
    page = client.get(job_url).text
    assert "Import done: 1 counted, 1 waiting for a person, 0 unchanged." in page
    assert 'id="job-back" href="/events"' in page
