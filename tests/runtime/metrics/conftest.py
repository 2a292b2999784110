"""An organization with a few employees for the business-event tests, tokens per role, and
the metric recompute observed (a stand-in until `metrics.compute` exists on this branch)."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from appraisal.models import Position
from tests.api.conftest import token_for  # noqa: F401 - shared fixture

COMPUTE = "appraisal.runtime.metrics.compute"


@pytest.fixture(autouse=True)
def refreshed(monkeypatch) -> list[tuple[int, list[int]]]:
    """The (organization, employee ids) each recompute was asked for."""
    calls: list[tuple[int, list[int]]] = []
    if importlib.util.find_spec(COMPUTE) is None:
        stand_in = types.ModuleType(COMPUTE)
        stand_in.refresh_employees = lambda session, org_id, ids: calls.append((org_id, list(ids)))
        monkeypatch.setitem(sys.modules, COMPUTE, stand_in)
    else:
        module = importlib.import_module(COMPUTE)
        real = module.refresh_employees

        def observed(session, org_id, ids):
            calls.append((org_id, list(ids)))
            return real(session, org_id, ids)

        monkeypatch.setattr(module, "refresh_employees", observed)
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
