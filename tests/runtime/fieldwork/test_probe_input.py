"""An attacker's (or a careless link's) odd input on the field-work pages: ids beyond what
the database holds, dates at the ends of the calendar. Each is a clear answer, never a 500."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

import appraisal
from appraisal.db import MAX_ID, row_id

HUGE = "9" * 30  # beyond a 64-bit integer: the driver overflows if it reaches SQL
BIG = str(2**31)  # beyond PostgreSQL's 32-bit ids (SQLite takes it: both must be fine)
UUID = "12345678-1234-4234-8234-123456789abc"


@pytest.mark.parametrize("number", [HUGE, BIG, "-" + HUGE])
@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("fay", "/field/new/customer_visit?customer={n}"),
        ("hr", "/field/team?department={n}"),
        ("hr", "/field/consents?employee={n}"),
        ("hr", "/customers?rep={n}"),
        ("hr", "/builder/activities/{type_id}/export?version={n}"),
    ],
)
def test_an_id_beyond_the_database_is_simply_not_found(client, auth, field, who, url, number):
    auth.login(f"{who}@acme.example")
    answer = client.get(url.format(n=number, type_id=field["visit"].id))
    assert answer.status_code in (200, 404)


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_history_of_a_month_at_the_calendar_s_end_is_ignored_not_a_crash(
    client, auth, field, month
):
    auth.login("fay@acme.example")
    assert client.get(f"/field/history?month={month}").status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "1000-01-01"])
def test_the_team_s_day_at_the_calendar_s_start_shows_today(client, auth, field, day):
    auth.login("hr@acme.example")
    page = client.get(f"/field/team?day={day}")
    assert page.status_code == 200
    previous = re.search(r'id="day-previous" href="[^"]*day=([0-9-]+)', page.text).group(1)
    assert date.fromisoformat(previous) >= date.today() - timedelta(days=2)


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00+00:00",
        "1800-01-01T00:00:00+08:00",
        "9999-12-31T23:00:00-10:00",
    ],
)
def test_a_record_at_the_calendar_s_ends_is_refused_at_its_time(client, auth, field, moment):
    auth.login("fay@acme.example")
    answer = client.post(
        "/field/sync",
        json={
            "uuid": UUID,
            "type": "customer_visit",
            "occurred_at": moment,
            "values": {"customer": field["shop"].id, "purpose": "demo"},
        },
    )
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"occurred_at"}


def test_the_api_refuses_a_record_from_year_one_with_its_path(client, field, runner):
    made = runner.invoke(args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"])
    headers = {"Authorization": f"Bearer {made.output.strip()}"}
    answer = client.post(
        "/api/v1/activities",
        headers=headers,
        json={
            "activities": [
                {
                    "uuid": UUID,
                    "type": "customer_visit",
                    "occurred_at": "0001-01-01T00:00:00+14:00",
                    "employee": "F1",
                    "values": {"customer": field["shop"].id, "purpose": "demo"},
                }
            ]
        },
    )
    assert answer.status_code == 422
    assert [d["path"] for d in answer.json["error"]["details"]] == ["activities[0].occurred_at"]


def test_every_id_read_from_a_request_goes_through_row_id():
    """The class of the overflow above: `type=int` lets any size through to the driver; ids
    are read with `db.row_id` (pages, versions and toggles are compared in Python only)."""
    package = Path(appraisal.__file__).parent
    read = re.compile(r'request\.(?:args|form)\.get\(\s*"(\w+)"[^)]*type=int\b')
    offenders = [
        f"{path.relative_to(package)}: {name}"
        for path in package.rglob("*.py")
        for name in read.findall(path.read_text(encoding="utf-8"))
        if not (name.endswith("page") or name == "version")
    ]
    assert offenders == []


def test_row_id_takes_what_the_database_holds():
    assert row_id("42") == 42
    assert row_id(str(MAX_ID)) == MAX_ID
    for text in ("0", "-1", str(MAX_ID + 1), HUGE, "x"):
        with pytest.raises(ValueError):
            row_id(text)
