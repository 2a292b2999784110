"""Field records in the evidence timeline: a record of the cycle's period shows, named by
its form in the reader's language, with its status and a link to it; one outside the period
does not, nor one the viewer may not read (their person has moved to another manager)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import url_for

from appraisal.runtime.continuous import timeline as evidence
from tests.runtime.conftest import appraisal_of

ZH = {"Accept-Language": "zh-CN"}


def _records(page: str) -> list[str]:
    section = page[page.index('id="evidence-timeline"') :]
    section = section[: section.index("</section>")]
    return re.findall(r'<li[^>]*data-kind="record".*?</li>', section, re.S)


def test_a_record_of_the_period_shows_and_one_outside_does_not(
    app, client, auth, db, company, launched, visits, record
):
    shown = record(customer=visits[0].id, outcome="won")
    record(customer=visits[1].id, at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC))  # before the cycle
    appraisal = appraisal_of(db, company, "ann")
    appraisal.state = "manager_review"
    db.commit()
    auth.login("boss@acme.example")
    url = f"/appraisals/{appraisal.id}/review/manager"
    entries = _records(client.get(url).text)
    assert len(entries) == 1
    (entry,) = entries
    with app.test_request_context():
        link = url_for("runtime.field_record", uuid=shown.uuid)
    assert f'href="{link}"' in entry
    text = re.sub(r"<[^>]+>", " ", entry)
    assert "2026-11-02" in text and "Customer visit" in text
    assert "客户拜访" in re.sub(r"<[^>]+>", " ", _records(client.get(url, headers=ZH).text)[0])


def test_a_record_the_viewer_may_not_read_stays_out(db, company, launched, visits, record):
    record(customer=visits[0].id)
    appraisal = appraisal_of(db, company, "ann")
    kinds = lambda who: [  # noqa: E731
        e.kind
        for e in evidence.timeline(
            db, appraisal, company.viewer(db, who), frozenset({"manager"})
        ).entries
    ]
    assert "record" in kinds("boss@acme.example")
    company.people["ann"].manager_id = company.people["olga"].id
    db.commit()
    assert "record" not in kinds("boss@acme.example")  # Bo no longer sees Ann's records
    assert "record" in kinds("olga@acme.example")
