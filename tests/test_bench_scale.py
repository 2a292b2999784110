"""The scale bench's own helpers (issue 20): the organization it measures has the shape it
claims, the load test reads wrk's answer, the collector is put back, statements are counted,
and gunicorn.conf.py reads its collector settings. No timing is asserted."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select, text

from appraisal.models import Cycle, Employee, User
from bench.loadtest import Session, lua_script, parse_wrk
from bench.scale import (
    DIVISION_HEADS,
    Statements,
    build_scale_organization,
    collector,
    profile_top,
    ratio_line,
)

WRK_OUTPUT = """Running 30s test @ http://127.0.0.1:8000
  2 threads and 50 connections
  9000 requests in 30.00s, 90.00MB read
Requests/sec:    300.00
RESULT requests=9000 seconds=30.000 non2xx=3 errors=1
RESULT p50=80.5 p95=140.2 p99=210.0 max=400.0
"""


def test_the_organization_is_a_chain_of_teams_under_one_top_manager(db, client):
    org = build_scale_organization(db, 200, slug="shape", load_managers=3)
    db.commit()
    rows = db.execute(
        select(Employee.number, Employee.id, Employee.manager_id).where(
            Employee.organization_id == org.org_id
        )
    ).all()
    assert len(rows) == 200
    number_of = {id_: number for number, id_, _boss in rows}
    boss = {number: number_of.get(manager) for number, _id, manager in rows}
    top = [n for n, b in boss.items() if b is None]
    assert top == ["E000000"]  # everyone else is below the top manager
    for number in boss:
        chain, seen = number, 0
        while boss[chain] is not None and seen < 5:
            chain, seen = boss[chain], seen + 1
        assert chain == "E000000" and seen <= 3, number
    divisions = {n for n, b in boss.items() if b == "E000000"}
    assert len(divisions) == DIVISION_HEADS
    first_head = f"E{1 + DIVISION_HEADS:06d}"
    assert sorted(org.team_numbers) == sorted(n for n, b in boss.items() if b == first_head)
    assert org.numbers == sorted(boss)
    cycles = db.scalars(select(Cycle.state).where(Cycle.organization_id == org.org_id)).all()
    assert cycles == ["planning", "planning"]
    linked = db.scalars(select(User.email).join(Employee, Employee.user_id == User.id)).all()
    assert set(org.load_logins) | {org.logins["boss"], org.logins["employee"]} == set(linked)
    for email in (org.logins["hr"], org.logins["manager"]):
        client.post("/logout")
        answer = client.post(
            "/login", data={"email": email, "password": "bench-dashboard-password"}
        )
        assert answer.status_code == 302, email


def test_wrk_output_is_read_from_the_lua_summary():
    found = parse_wrk(WRK_OUTPUT)
    assert found["rps"] == 300
    assert (found["p50_ms"], found["p95_ms"], found["p99_ms"]) == (80.5, 140.2, 210.0)
    assert found["failed"] == 4  # non-2xx/3xx answers and socket errors alike
    with pytest.raises(RuntimeError, match="no result"):
        parse_wrk("Running 30s test\nunable to connect")


def test_the_lua_script_rotates_every_session():
    script = lua_script([Session("session=a1", "/appraisals/7"), Session("session=b2", "/x/8")])
    assert 'cookie = "session=a1", appraisal = "/appraisals/7"' in script
    assert 'cookie = "session=b2", appraisal = "/x/8"' in script
    assert "function request()" in script and "function done(" in script
    assert "%" not in script.replace("%d", "").replace("%.", "").replace("% #", "")


def test_the_collector_is_put_back_after_each_mode():
    before = gc.get_threshold()
    for mode in ("default", "frozen", "tuned"):
        with collector(mode):
            if mode != "default":
                assert gc.get_freeze_count() > 0
            if mode == "tuned":
                assert gc.get_threshold()[0] == 50_000
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0


def test_statements_are_counted_only_inside_the_block(app):
    engine = app.extensions["appraisal.engine"]
    with Statements(engine) as counted, engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        connection.execute(text("SELECT 2"))
    with engine.connect() as connection:
        connection.execute(text("SELECT 3"))
    assert counted.count == 2


def test_a_profile_names_the_heaviest_functions_first():
    def heavy() -> int:
        return sum(i * i for i in range(200_000))

    lines = profile_top(heavy, limit=3)
    assert len(lines) == 3
    assert any("genexpr" in line or "heavy" in line or "sum" in line for line in lines)


def test_a_ratio_far_above_its_goal_is_marked_missed():
    assert ratio_line("page", 100, 110, 1, "ms").endswith("ok")
    assert ratio_line("page", 100, 1_500, 1, "ms").endswith("MISSED")
    assert ratio_line("export", 1.0, 11.0, 10, "s").endswith("ok")


def _gunicorn_settings():
    path = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_freezes_start_up_objects_unless_told_not_to():
    settings = _gunicorn_settings()
    assert settings.collector_settings({}) == (True, (50_000, 20, 20))
    assert settings.collector_settings(
        {"APPRAISAL_GC_FREEZE": "0", "APPRAISAL_GC_THRESHOLD": ""}
    ) == (False, None)
    assert settings.collector_settings({"APPRAISAL_GC_THRESHOLD": "700,10,10"})[1] == (700, 10, 10)


def test_a_long_request_over_its_limit_is_marked_even_when_linear():
    assert "MISSED (over 5 s)" in ratio_line("import", 2.0, 20.0, 10, "s", limit=5)
    assert ratio_line("import", 0.2, 2.0, 10, "s", limit=5).endswith("ok")
