"""Field work at scale: recording throughput through the API (activities/s, batches of 500)
and the team's day at 10,000 activities a day (a manager's page and HR's first page)."""

from __future__ import annotations

import time
import uuid as uuids
from datetime import UTC, datetime, timedelta

from bench.common import bench_app, dispose

DAY = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
PEOPLE = 400  # 25 records each: 10,000 a day
TEAM = 10  # people per manager
PASSWORD = "bench-field-password"  # noqa: S105 - a throw-away database
VISIT = {
    "format": "activity/1",
    "key": "visit",
    "name": {"zh": "客户拜访", "en": "Customer visit"},
    "kind": "visit",
    "review": True,
    "fields": [
        {"key": "customer", "label": "客户", "type": "customer", "required": True},
        {"key": "note", "label": "纪要", "type": "text"},
        {"key": "where", "label": "位置", "type": "location", "purpose": "visit"},
    ],
}


def bench_fieldwork() -> dict[str, float]:
    from appraisal.api.tokens import create_token
    from appraisal.db import get_session
    from appraisal.models import ActivityType, ActivityTypeVersion, Customer, Employee
    from appraisal.users import services as users

    app = bench_app(name="field")
    with app.app_context():
        db = get_session()
        org = users.get_or_create_organization(db, "field", "Field")
        hr = users.add_member(
            db, org.id, email="hr@field.example", name="HR", password=PASSWORD, roles={"admin"}
        ).membership
        boss = users.add_member(
            db,
            org.id,
            email="boss@field.example",
            name="Boss",
            password=PASSWORD,
            roles={"manager"},
        ).membership
        managers = [
            Employee(organization_id=org.id, number=f"M{m:03d}", name=f"经理{m}")
            for m in range(PEOPLE // TEAM)
        ]
        managers[0].user_id = boss.user_id
        db.add_all(managers)
        db.flush()
        people = [
            Employee(
                organization_id=org.id,
                number=f"P{n:04d}",
                name=f"员工{n}",
                manager_id=managers[n // TEAM].id,
            )
            for n in range(PEOPLE)
        ]
        db.add_all(people)
        visit = ActivityType(organization_id=org.id, key="visit")
        db.add(visit)
        db.flush()
        db.add(
            ActivityTypeVersion(
                organization_id=org.id, activity_type_id=visit.id, version=1, definition=VISIT
            )
        )
        shops = [Customer(organization_id=org.id, code=f"C{c}", name=f"门店{c}") for c in range(50)]
        db.add_all(shops)
        db.flush()
        shop_ids = [s.id for s in shops]
        secret = create_token(db, org.id, hr.user_id, "bench").secret
        db.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    items = [
        {
            "uuid": str(uuids.uuid4()),
            "type": "visit",
            "occurred_at": (DAY + timedelta(minutes=i % 600)).isoformat(),
            "values": {"customer": shop_ids[i % 50], "note": f"第{i}次拜访"},
            "employee": f"P{i % PEOPLE:04d}",
        }
        for i in range(PEOPLE * 25)
    ]
    started = time.perf_counter()
    for start in range(0, len(items), 500):
        response = client.post(
            "/api/v1/activities", json={"activities": items[start : start + 500]}, headers=headers
        )
        assert response.status_code == 201, response.json
    rate = len(items) / (time.perf_counter() - started)
    client.post("/login", data={"email": "boss@field.example", "password": PASSWORD})
    manager_ms = _best(lambda: client.get("/field/team?day=2026-03-10")) * 1000
    client.post("/logout")
    client.post("/login", data={"email": "hr@field.example", "password": PASSWORD})
    hr_ms = _best(lambda: client.get("/field/team?day=2026-03-10")) * 1000
    dispose(app)
    return {
        "record_api_per_second": rate,
        "team_day_manager_ms": manager_ms,
        "team_day_hr_ms": hr_ms,
    }


def _best(request, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = request()
        assert response.status_code == 200, response.status_code
        times.append(time.perf_counter() - started)
    return min(times)
