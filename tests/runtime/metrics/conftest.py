"""A launched cycle (2026-10-01..12-31, Asia/Shanghai) whose template's `sales` figure is
filled by a metric, a published "customer visit" form and customers assigned to Ann."""

from __future__ import annotations

import types
import uuid
from datetime import UTC, datetime

import pytest

from appraisal.models import ActivityType, ActivityTypeVersion, Customer, Metric, Position
from appraisal.runtime.fieldwork.records import record_activity
from appraisal.runtime.metrics import events
from appraisal.runtime.reviews.access import viewer_for
from tests.api.conftest import token_for  # noqa: F401 - tokens per role, for the events API

VISIT = {
    "format": "activity/1",
    "key": "customer_visit",
    "name": {"zh": "客户拜访", "en": "Customer visit"},
    "kind": "visit",
    "fields": [
        {"key": "customer", "label": "Customer", "type": "customer", "required": True},
        {
            "key": "outcome",
            "label": "Outcome",
            "type": "choice",
            "options": [{"key": "won", "label": "Won"}, {"key": "met", "label": "Met"}],
        },
        {"key": "amount", "label": "Amount", "type": "money"},
        {"key": "arrived", "label": "Arrived", "type": "datetime"},
        {"key": "left", "label": "Left", "type": "datetime"},
    ],
}


def metric_definition(key: str, **rest) -> dict:
    return {"format": "metric/1", "key": key, "name": {"en": key, "zh": key}, **rest}


@pytest.fixture
def visits(db, company):
    org = company.org
    visit = ActivityType(organization_id=org.id, key="customer_visit")
    db.add(visit)
    db.flush()
    db.add(
        ActivityTypeVersion(
            organization_id=org.id, activity_type_id=visit.id, version=1, definition=VISIT
        )
    )
    customers = [
        Customer(organization_id=org.id, code=f"C{n}", name=f"Shop {n}") for n in range(1, 5)
    ]
    db.add_all(customers)
    db.flush()
    for customer in customers[:3]:
        customer.reps.append(company.people["ann"])
    db.commit()
    return customers


@pytest.fixture
def add_metric(db, company):
    def add(key: str, **definition) -> Metric:
        metric = Metric(
            organization_id=company.org.id,
            key=key,
            definition=metric_definition(key, **definition),
        )
        db.add(metric)
        db.commit()
        return metric

    return add


@pytest.fixture
def record(db, company):
    """Ann (or another) records a visit through the service, as her phone would."""

    def make(key="ann", at=datetime(2026, 11, 2, 2, 0, tzinfo=UTC), **values):
        person = company.people[key]
        viewer = viewer_for(db, company.org.id, person.user_id, frozenset({"employee"}))
        done = record_activity(
            db,
            viewer,
            person,
            uuid=str(uuid.uuid4()),
            type_key="customer_visit",
            values={k: str(v) for k, v in values.items()},
            occurred_at=at,
        )
        db.commit()
        return done.record

    return make


# -- business events ---------------------------------------------------------------------------


@pytest.fixture
def refreshed(monkeypatch) -> list[tuple[int, list[int]]]:
    """The (organization, employee ids) each metric recompute was asked for."""
    calls: list[tuple[int, list[int]]] = []
    real = events.refresh_employees

    def observed(session, org_id, ids):
        calls.append((org_id, list(ids)))
        return real(session, org_id, ids)

    monkeypatch.setattr(events, "refresh_employees", observed)
    return calls


@pytest.fixture
def crm(db, make):
    """Acme (Asia/Shanghai): HR, an implementer, a manager and two reps; Beta elsewhere."""
    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=("admin",))
    make.member(org, "imp@acme.example", roles=("implementer",))
    rep = Position(organization_id=org.id, name="Sales rep", staff_kind="field")
    db.add(rep)
    db.commit()
    boss_login = make.member(org, "boss@acme.example", roles=("manager", "employee"))
    boss = make.employee(org, "B001", "Bo", user_id=boss_login.user_id)
    li_login = make.member(org, "li.sign-in@acme.example", roles=("employee",))
    li = make.employee(
        org,
        "E0012",
        "李雷",
        email="Li.Lei@acme.example",
        user_id=li_login.user_id,
        manager_id=boss.id,
        position_id=rep.id,
    )
    han = make.employee(org, "E0013", "韩梅梅", manager_id=boss.id, position_id=rep.id)
    beta = make.org("beta")
    make.member(beta, "hr@beta.example", roles=("admin",))
    other = make.employee(beta, "E0012", "Someone else")
    return types.SimpleNamespace(org=org, li=li, han=han, boss=boss, beta=beta, other=other)
