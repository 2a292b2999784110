"""The API on a database that cannot take writes: reads keep working (a token's
`last_used_at` is best-effort), writes get 503 in the error envelope."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from appraisal.api import tokens
from appraisal.models import ApiToken, as_utc, utcnow
from tests.web.test_unwritable_database import UNWRITABLE_EN

# -- the API -----------------------------------------------------------------------------------


def test_api_reads_work_on_a_read_only_database(client, freeze, company, launched, token_for):
    headers = token_for("hr@acme.example")
    freeze.read_only()
    response = client.get("/api/v1/cycles", headers=headers)
    assert response.status_code == 200
    assert [c["id"] for c in response.get_json()["items"]] == [launched.id]
    assert (
        client.get(f"/api/v1/cycles/{launched.id}/appraisals", headers=headers).status_code == 200
    )


def test_api_reads_work_on_a_full_database(client, freeze, company, launched, token_for):
    headers = token_for("hr@acme.example")
    freeze.full()
    assert client.get("/api/v1/cycles", headers=headers).status_code == 200


def test_api_writes_on_a_read_only_database_get_503_in_the_error_envelope(
    client, freeze, db, company, launched, token_for
):
    headers = token_for("imp@acme.example")
    freeze.read_only()
    response = client.put(
        f"/api/v1/cycles/{launched.id}/figures",
        json={"figures": [{"employee_number": "A001", "key": "sales", "value": 1}]},
        headers=headers,
    )
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "database_read_only"
    assert error["message"].startswith(UNWRITABLE_EN)
    assert error["details"] == []


# -- last_used_at ------------------------------------------------------------------------------


def test_a_token_records_its_use_at_most_every_few_minutes(
    client, db, company, launched, token_for, monkeypatch
):
    headers = token_for("hr@acme.example")
    assert client.get("/api/v1/cycles", headers=headers).status_code == 200
    token = db.scalar(select(ApiToken))
    first = as_utc(token.last_used_at)
    assert utcnow() - first < timedelta(seconds=30)

    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(tokens, "utcnow", lambda: later)
    assert client.get("/api/v1/cycles", headers=headers).status_code == 200
    db.refresh(token)
    assert as_utc(token.last_used_at) == first  # not a write on every request

    much_later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(tokens, "utcnow", lambda: much_later)
    assert client.get("/api/v1/cycles", headers=headers).status_code == 200
    db.refresh(token)
    assert as_utc(token.last_used_at) == much_later


def test_a_failed_last_used_at_write_is_logged_not_raised(
    app, client, freeze, company, launched, token_for, caplog
):
    headers = token_for("hr@acme.example")
    freeze.read_only()
    with caplog.at_level(logging.WARNING, logger="appraisal"):
        assert client.get("/api/v1/cycles", headers=headers).status_code == 200
        assert client.get("/api/v1/cycles", headers=headers).status_code == 200
    warnings = [r for r in caplog.records if "last_used_at" in r.getMessage()]
    assert len(warnings) == 1  # tried once per interval, not on every request
