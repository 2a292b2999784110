"""Issue 19, large imports on the queue: the apply step of a file of more than
LARGE_IMPORT_ROWS rows runs as a job with its progress (a real consumer), all or nothing
inside the job (a bad row fails it with its row and nothing is saved), and the job's page
says what came of it and leads back; a small file is still applied in the request."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from appraisal import import_jobs
from appraisal.jobs import queue as jobs_queue
from appraisal.jobs.queue import consumer_in_threads
from appraisal.models import Employee, Job
from appraisal.storage import get_storage

from .conftest import wait_for

HEADER = "工号,姓名,部门,岗位,上级工号,入职日期,状态\n"
MAPPING = {
    "number": "工号",
    "name": "姓名",
    "department": "部门",
    "position": "岗位",
    "manager_number": "上级工号",
    "hire_date": "入职日期",
    "status": "状态",
}
ROWS = import_jobs.LARGE_IMPORT_ROWS + 1


def _file(rows: int, bad_row: int | None = None) -> bytes:
    lines = [HEADER]
    for n in range(1, rows + 1):
        date = "not a date" if n == bad_row else "2020-01-01"
        lines.append(f"E{n:05d},员工{n},销售部,销售代表,,{date},在职\n")
    return "".join(lines).encode("utf-8")


def _mapping_page(client, content: bytes) -> str:
    response = client.post(
        "/people/employees/import",
        data={"file": (io.BytesIO(content), "people.csv"), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def _apply(client, url: str):
    return client.post(url, data={"action": "apply", **{f"map_{k}": v for k, v in MAPPING.items()}})


def _employees(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(Employee.id)))


def _hr(make, auth, db):
    """HR reading English: a job speaks its owner's language."""
    org = make.org("acme")
    make.member(org, "hr@acme.example").user.language = "en"
    db.commit()
    auth.login("hr@acme.example")
    return org


def test_a_large_apply_runs_on_the_queue_with_its_progress(
    real_queue, client, auth, db, make, monkeypatch
):
    _hr(make, auth, db)
    reported: list[tuple[int, int]] = []
    record = jobs_queue.Reporter.__call__
    monkeypatch.setattr(
        jobs_queue.Reporter,
        "__call__",
        lambda self, done, total: reported.append((done, total)) or record(self, done, total),
    )
    url = _mapping_page(client, _file(ROWS))
    response = _apply(client, url)
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert job_url.startswith("/jobs/")
    job = db.get(Job, int(job_url.rsplit("/", 1)[1]))
    assert (job.kind, job.status) == ("imports.employees", "queued")
    key = job.params["input_key"]
    with real_queue.app_context():
        assert get_storage().exists(key)  # the rows wait in the storage for the worker
    assert client.get(url).status_code == 404  # the upload is done with
    assert _employees(db) == 0
    with consumer_in_threads(real_queue, workers=1, periodic=False):
        wait_for(lambda: client.get(f"{job_url}.json").get_json()["finished"], 120)
    db.expire_all()
    job = db.get(Job, job.id)
    assert (job.status, job.done, job.total) == ("done", ROWS, ROWS)
    assert job.result == {"created": ROWS, "updated": 0, "unchanged": 0}
    assert _employees(db) == ROWS
    assert (0, ROWS) in reported and (ROWS, ROWS) in reported and len(reported) > 3
    page = client.get(job_url).text
    assert f"Import done: {ROWS} created, 0 updated, 0 unchanged." in page
    assert 'id="job-back" href="/people/employees"' in page
    with real_queue.app_context():
        assert not get_storage().exists(key)  # the rows are removed once applied


def test_a_bad_row_fails_the_large_apply_and_saves_nothing(real_queue, client, auth, db, make):
    _hr(make, auth, db)
    url = _mapping_page(client, _file(ROWS, bad_row=ROWS - 1))
    job_url = _apply(client, url).headers["Location"]
    with consumer_in_threads(real_queue, workers=1, periodic=False):
        wait_for(lambda: client.get(f"{job_url}.json").get_json()["finished"], 120)
    state = client.get(f"{job_url}.json").get_json()
    assert state["status"] == "failed"
    assert _employees(db) == 0  # all or nothing
    page = client.get(job_url).text
    assert "1 rows need correcting; nothing was saved." in page
    assert f"row {ROWS}, Hire date: &#39;not a date&#39; is not a date" in page
    assert 'id="job-back" href="/people/employees/import"' in page  # send the corrected file


def test_a_small_apply_is_still_done_in_the_request(real_queue, client, auth, db, make):
    _hr(make, auth, db)
    url = _mapping_page(client, _file(3))
    response = _apply(client, url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/people/employees"
    assert _employees(db) == 3  # no consumer runs: it was applied in the request
    assert db.scalar(select(func.count(Job.id))) == 0
