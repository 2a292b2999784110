"""Scale (issue 20): the same organization at 1,000 and 10,000 employees (one launched cycle of
a realistic scheme; teams of about 50 under ten division heads under one top manager), each
figure at both sizes with the 10k/1k ratio against its goal: about 1 for what one request
touches, about 10 for what covers the whole cycle.

1. request cost: an API PUT of 100 people's figures, a manager's targets grid (~50 reports:
   shown and saved), a manager's "My team" and, with "managers see their chain" on, theirs and
   the top manager's (time and bytes);
2. HR's full-cycle pages (calibration, figures grid, cycle page, launch preview) and the
   payroll CSV/XLSX export (time and bytes);
3. the same full-cycle items with the collector as it is, after `gc.freeze()`, and frozen with
   higher thresholds (`GC_THRESHOLDS`), side by side;
4. statements (and time) to set every employee's figures;
5. 25-item appraisals scored per second on the runtime path (`final_result` of a loaded
   appraisal: compiled template by version, official inputs, score) next to the engine alone;
6. the load test (bench/loadtest.py: gunicorn + PostgreSQL + wrk);
7. long requests: the figures import (checked, then applied) and the launch, whole cycle;
8. the goal cascade (issue 21): three goals of the cycle's period (company → divisions →
   teams → everyone), "My goals" of an employee, a team lead and HR, and a goal's tree for
   the team lead and HR (time and statements).

Environment: BENCH_SCALE_SIZES (default "1000,10000"), BENCH_SCALE_RUNS (requests per
per-request item, 5), BENCH_SCALE_FULL_RUNS (per full-cycle item, 2), BENCH_SCALE_LOAD=0 skips
the load test, BENCH_SCALE_PROFILE=1 (or `--profile`) prints the top functions of each item
at the largest size.
"""

from __future__ import annotations

import cProfile
import csv
import gc
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bench.common import bench_app, dispose, median_seconds, paired_per_call, per_call
from bench.dashboards import PASSWORD, add_departments, organization_with_scheme

SIZES = tuple(int(s) for s in os.environ.get("BENCH_SCALE_SIZES", "1000,10000").split(","))
RUNS = int(os.environ.get("BENCH_SCALE_RUNS", 5))
FULL_RUNS = int(os.environ.get("BENCH_SCALE_FULL_RUNS", 2))
TEAM = 50  # reports per team head
DIVISION_HEADS = 10
PUT_PEOPLE = 100
GC_THRESHOLDS = (50_000, 20, 20)
LONG_LIMIT_S = 5  # "a few seconds": longer work runs as a job with progress
GRADES = [("S", 95), ("A", 85), ("B", 70), ("C", 60), ("D", 0)]
SPREAD = [  # the launched cycle's spread over the steps once figures are in (shares of 100)
    ("goal_setting", 5),
    ("self_review", 20),
    ("manager_review", 25),
    ("calibration", 40),
    ("published", 10),
]
DATA_KEYS = ("sales", "collection", "margin", "complaints")

#: (key, label, goal of the 10k/1k ratio); per-request items aim at 1, full-cycle ones at 10.
REQUEST_ITEMS = (
    ("put_figures_100", "API PUT of 100 people's figures", 1),
    ("targets_grid", "manager's targets grid (~50 reports)", 1),
    ("targets_save", "manager's targets saved (~50 reports)", 1),
    ("team", "manager's My team", 1),
    ("team_chain", "manager's My team, chain on", 1),
    ("team_top_chain", "top manager's My team, chain on", 1),
)
FULL_ITEMS = (
    ("calibration", "calibration page", 10),
    ("figures_grid", "figures grid", 10),
    ("cycle_page", "cycle page", 10),
    ("preview", "launch preview (cycle page, planning)", 10),
    ("results_csv", "payroll CSV", 10),
    ("results_xlsx", "payroll XLSX", 10),
)
LONG_ITEMS = (
    ("set_all_figures", "set every figure (service)", 10),
    ("import_check", "figures import, checked", 10),
    ("import_apply", "figures import, applied", 10),
    ("launch", "cycle launch (POST, everyone covered)", 10),
)
GOAL_ITEMS = (
    ("goals_employee", "an employee's My goals", 1),
    ("goals_lead", "a team lead's My goals", 1),
    ("goals_hr", "HR's My goals (the company)", 10),
    ("goal_tree_lead", "a goal's tree, its team lead", 10),  # shows the company's actual
    ("goal_tree_hr", "a goal's tree, HR (a page of 200 lines)", 10),
)
GOAL_KEYS = (("sales", 50), ("margin", 30), ("collection", 20))  # goal types and weights
GOAL_LEAF_TARGET = Decimal(100_000)
#: as is; gc.freeze(); frozen + GC_THRESHOLDS (BENCH_SCALE_GC picks some)
GC_MODES = tuple(os.environ.get("BENCH_SCALE_GC", "default,frozen,tuned").split(","))


def scheme_template() -> dict:
    """A scheme an SME uses: four KPIs fed by figures (three against a target), four
    behaviours rated by the employee and the manager, an HR bonus, grades and a pay
    coefficient."""
    scale = [
        {"value": v, "label": str(v), "score": s}
        for v, s in [(5, 100), (4, 85), (3, 70), (2, 50), (1, 30)]
    ]

    def kpi(key: str, name: str, weight: int, scoring: dict) -> dict:
        return {
            "key": key,
            "name": name,
            "type": "number",
            "raters": ["data"],
            "weight": weight,
            "scoring": scoring,
        }

    def rating(key: str, name: str) -> dict:
        return {
            "key": key,
            "name": name,
            "type": "rating",
            "scale": "five",
            "raters": ["self", "manager"],
            "weight": 25,
            "scoring": {"method": "rating"},
        }

    return {
        "format": "appraisal-template/1",
        "key": "scale-bench",
        "name": {"en": "Scale bench", "zh": "规模基准"},
        "staff": "any",
        "period": "quarter",
        "rater_weights": {"self": 20, "manager": 80},
        "scales": {"five": scale},
        "sections": [
            {
                "key": "results",
                "name": {"en": "Results", "zh": "业绩"},
                "weight": 70,
                "items": [
                    kpi("sales", "销售额", 40, {"method": "ratio", "cap": 120}),
                    kpi(
                        "collection",
                        "回款率",
                        30,
                        {"method": "linear", "points": [[0, 0], [80, 60], [100, 100]]},
                    ),
                    kpi(
                        "margin",
                        "毛利",
                        20,
                        {
                            "method": "bands",
                            "on": "achievement",
                            "bands": [
                                {"min": 100, "score": 100},
                                {"min": 90, "score": 85},
                                {"min": 0, "score": 50},
                            ],
                        },
                    ),
                    kpi("complaints", "客诉", 10, {"method": "deduction", "per_unit": 10}),
                ],
            },
            {
                "key": "behaviour",
                "name": {"en": "Behaviour", "zh": "行为"},
                "weight": 30,
                "items": [
                    rating("care", "客户导向"),
                    rating("teamwork", "团队协作"),
                    rating("ownership", "责任心"),
                    rating("learning", "学习成长"),
                ],
            },
        ],
        "adjustments": [
            {"key": "award", "kind": "bonus", "name": "Award", "raters": ["hr"], "max": 5}
        ],
        "grades": [{"grade": g, "min": m} for g, m in GRADES],
        "outputs": [
            {
                "key": "coefficient",
                "formula": "LOOKUP(grade, ['S','A','B','C','D'], [1.5, 1.2, 1, 0.8, 0])",
            }
        ],
    }


TARGETS = {"sales": 100_000, "margin": 30_000}  # collection is scored on its own figure


@dataclass
class ScaleOrg:
    """What `build_scale_organization` made; every account signs in with `PASSWORD`."""

    org_id: int
    cycle_id: int  # to launch
    planning_cycle_id: int  # the next quarter's, left in planning: its page is the preview
    numbers: list[str]  # every employee number, in order
    team_numbers: list[str]  # the signed-in manager's reports
    logins: dict[str, str]  # hr, boss (the top manager), manager, employee → e-mail
    load_logins: list[str] = field(default_factory=list)  # team heads, for the load test


def build_scale_organization(
    db, people: int, slug: str = "scale", load_managers: int = 0
) -> ScaleOrg:
    """One organization of `people` employees (the caller commits): a top manager, ten
    division heads, team heads with about `TEAM` reports each; two cycles of the scheme in
    planning. `load_managers` team heads get an account too (the first is `manager`)."""
    from appraisal.runtime.cycles import cycles

    logins = {role: f"{role}@{slug}.example" for role in ("hr", "boss", "manager", "employee")}
    load_logins = [f"manager{i}@{slug}.example" for i in range(1, load_managers)]
    boss_roles = {"manager", "employee"}
    accounts = {
        logins["hr"]: {"admin"},
        logins["boss"]: boss_roles,
        logins["manager"]: boss_roles,
        logins["employee"]: {"employee"},
    } | dict.fromkeys(load_logins, boss_roles)
    org, members, _version, scheme = organization_with_scheme(db, slug, scheme_template(), accounts)
    _divisions, teams = add_departments(db, org.id)
    heads = max(1, (people - 1 - DIVISION_HEADS) // (TEAM + 1))
    first_head, first_report = 1 + DIVISION_HEADS, 1 + DIVISION_HEADS + heads
    boss_of = dict.fromkeys(range(1, first_head), 0)  # by position: n → their manager's n
    boss_of |= {h: 1 + (h - first_head) % DIVISION_HEADS for h in range(first_head, first_report)}
    boss_of |= {r: first_head + (r - first_report) % heads for r in range(first_report, people)}
    team = [r for r in range(first_report, people) if boss_of[r] == first_head]
    users = {
        0: members[logins["boss"]].user_id,
        first_head: members[logins["manager"]].user_id,
        team[0]: members[logins["employee"]].user_id,
    }
    users |= {first_head + i: members[e].user_id for i, e in enumerate(load_logins, start=1)}

    def team_of(n: int) -> int:  # a team head's department, which their reports share
        head = n if first_head <= n < first_report else boss_of.get(n, n)
        return teams[head % len(teams)]

    ids: dict[int, int] = {}
    layers = [range(1), range(1, first_head), range(first_head, first_report)]
    layers += [range(s, min(people, s + 5_000)) for s in range(first_report, people, 5_000)]
    for layer in layers:
        _insert_people(db, org.id, layer, ids, boss_of, users, team_of)
    numbers = [f"E{n:06d}" for n in range(people)]
    start = date.today() - timedelta(days=30)
    made = []
    for name, starts in (("2026-Q4", start), ("2027-Q1", start + timedelta(days=92))):
        made.append(
            cycles.create_cycle(
                db,
                scheme,
                name=name,
                dates=cycles.CycleDates(
                    starts,
                    starts + timedelta(days=89),
                    starts + timedelta(days=14),
                    starts + timedelta(days=45),
                    starts + timedelta(days=75),
                ),
                anonymity_threshold=3,
                user_id=None,
            )
        )
    db.flush()
    return ScaleOrg(
        org_id=org.id,
        cycle_id=made[0].id,
        planning_cycle_id=made[1].id,
        numbers=numbers,
        team_numbers=[numbers[r] for r in team],
        logins=logins,
        load_logins=[logins["manager"], *load_logins],
    )


def _insert_people(db, org_id: int, layer: range, ids: dict[int, int], boss_of, users, team_of):
    """Insert the people of `layer` (positions), whose managers are in already; note their ids."""
    from sqlalchemy import insert, select

    from appraisal.models import Employee

    db.execute(
        insert(Employee),
        [
            {
                "organization_id": org_id,
                "number": f"E{n:06d}",
                "name": f"员工{n}",
                "department_id": team_of(n),
                "manager_id": ids[boss_of[n]] if n in boss_of else None,
                "user_id": users.get(n),
            }
            for n in layer
        ],
    )
    numbers = {f"E{n:06d}": n for n in layer}
    found = db.execute(
        select(Employee.number, Employee.id).where(
            Employee.organization_id == org_id, Employee.number.in_(list(numbers))
        )
    )
    ids |= {numbers[number]: id_ for number, id_ in found}


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, (email, response.status_code)
    return client


def _checked(response, path: str, ok: tuple[int, ...] = (200,)):
    if response.status_code not in ok:
        raise AssertionError(f"{path}: {response.status_code} {response.get_data(True)[:300]}")
    return response


class _Noted(dict):
    """A dict of figures that prints each one as it comes (BENCH_SCALE_VERBOSE=1)."""

    def __init__(self, people: int) -> None:
        super().__init__()
        self.people = people
        self.verbose = os.environ.get("BENCH_SCALE_VERBOSE") == "1"

    def __setitem__(self, key: str, value: float) -> None:
        super().__setitem__(key, value)
        if self.verbose:
            print(f"  {self.people:,}: {key} = {value:.4g}", flush=True)


@dataclass
class Measured:
    seconds: float
    size: int = 0  # bytes of the answer


def measure(
    request: Callable[[int], Any],
    runs: int,
    path: str,
    ok=(200,),
    warm: int = 1,
    profiles: dict[str, list[str]] | None = None,
) -> Measured:
    """Median seconds of `runs` calls of `request(run)` after `warm` unmeasured ones; the
    bytes of the last answer. With `profiles`, one more unmeasured call is profiled there
    (under `path`)."""
    answers: list[int] = []

    def once() -> None:
        response = _checked(request(len(answers)), path, ok)
        answers.append(len(response.get_data()))
        response.close()

    if profiles is not None:  # a request like the measured ones: templates compiled first
        for _ in range(warm):
            once()
        profiles[path] = profile_top(once)
        warm = 0
    seconds = median_seconds(once, runs=runs, warm=warm)
    return Measured(seconds, answers[-1])


@contextmanager
def collector(mode: str) -> Iterator[None]:
    """The garbage collector as `mode` says, for the block: as is (`default`), with every
    object alive now frozen out of its generations (`frozen`: what a server's worker does
    after building the app), or frozen with `GC_THRESHOLDS` (`tuned`)."""
    before = gc.get_threshold()
    gc.collect()
    if mode in ("frozen", "tuned"):
        gc.freeze()
    if mode == "tuned":
        gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def profile_top(call: Callable[[], Any], limit: int = 12) -> list[str]:
    """The functions `call` spends most of its own time in: `limit` lines of
    "own s  total s  calls  where", heaviest first."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        call()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:limit]
    lines = []
    for (filename, line, name), (_calls, calls, own, total, _callers) in rows:
        where = _short(filename)
        lines.append(f"{own:7.3f} {total:7.3f} {calls:8d}  {where}:{line}({name})")
    return lines


def _short(filename: str) -> str:
    for marker in ("site-packages/", "appraisal/", "lib/python"):
        if marker in filename:
            return filename[filename.index(marker) :].replace("site-packages/", "")
    return filename


class Statements:
    """Counts the statements an engine sends (`before_cursor_execute`) inside `with`."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0

    def _seen(self, *_args) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def _figures_csv(numbers: list[str], bump: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["number", *DATA_KEYS])
    for n, number in enumerate(numbers):
        writer.writerow(
            [number, 90_000 + (n * 37 + bump) % 30_000, 80 + n % 25, 28_000 + n % 5_000, n % 3]
        )
    return out.getvalue().encode()


def spread_states(db, cycle_id: int) -> None:
    """Move the launched cycle's appraisals along the steps, with totals and grades where
    a step has them, as a cycle in its calibration weeks looks."""
    from sqlalchemy import select, update

    from appraisal.models import Appraisal

    steps = [s for s, weight in SPREAD for _ in range(weight)]
    rows = []
    ids = db.execute(
        select(Appraisal.id, Appraisal.version)
        .where(Appraisal.cycle_id == cycle_id)
        .order_by(Appraisal.id)
    )
    for n, (appraisal, version) in enumerate(ids):
        state = steps[n % len(steps)]
        scored = state in ("calibration", "published")
        total = Decimal(5500 + (n * 7919) % 4900) / 100 if scored else None
        rows.append(
            {
                "id": appraisal,
                "version": version,
                "state": state,
                "total": total,
                "grade": next(g for g, low in GRADES if total >= low) if scored else None,
                "complete": scored,
            }
        )
    db.execute(update(Appraisal), rows)


def measure_size(
    people: int, profile: bool = False
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Every figure at one size by key (`<item>_s`, `<item>_kb`), and the profiles asked for."""
    from sqlalchemy import select, update

    from appraisal.api.tokens import create_token
    from appraisal.db import get_session
    from appraisal.models import Cycle, Organization, User
    from appraisal.runtime.cycles import figures

    out: dict[str, float] = _Noted(people)
    profiles: dict[str, list[str]] = {}
    app = bench_app(name=f"scale{people}")
    engine = app.extensions["appraisal.engine"]
    started = time.perf_counter()
    with app.app_context():
        db = get_session()
        org = build_scale_organization(db, people)
        hr_user = db.scalar(select(User.id).where(User.email == org.logins["hr"]))
        secret = create_token(db, org.org_id, hr_user, "bench").secret
        db.commit()
    out["build_s"] = time.perf_counter() - started
    hr = signed_in(app, org.logins["hr"])
    cycle = org.cycle_id

    profiling = profiles if profile else None
    # 7. the launch: everyone the scheme covers (a rule, no exceptions typed)
    began = time.perf_counter()
    _checked(hr.post(f"/cycles/{cycle}/launch", data={"leave_out": ""}), "launch", (302,))
    out["launch_s"] = time.perf_counter() - began
    with app.app_context():
        db = get_session()
        assert db.get(Cycle, cycle).state == "running", "the launch did not happen"
        from appraisal.models import Appraisal

        db.execute(update(Appraisal).where(Appraisal.cycle_id == cycle).values(targets=TARGETS))
        db.commit()

    # 1. what one request costs
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    step = max(1, people // PUT_PEOPLE)
    put_numbers = org.numbers[::step][:PUT_PEOPLE]

    def put(run: int):
        body = {
            "figures": [
                {"employee_number": n, "key": "sales", "value": str(95_000 + run * 10 + i)}
                for i, n in enumerate(put_numbers)
            ]
        }
        return api.put(f"/api/v1/cycles/{cycle}/figures", json=body, headers=headers)

    manager = signed_in(app, org.logins["manager"])
    boss = signed_in(app, org.logins["boss"])
    targets_path = f"/cycles/{cycle}/targets"

    def save_targets(run: int):
        form = {
            f"tgt|{n}|sales": str(100_000 + run * 10 + i) for i, n in enumerate(org.team_numbers)
        }
        return manager.post(targets_path, data=form)

    def get(client, path: str):
        return lambda _run: client.get(path)

    request_items: dict[str, tuple[Callable[[int], Any], tuple[int, ...]]] = {
        "put_figures_100": (put, (200,)),
        "targets_grid": (get(manager, targets_path), (200,)),
        "targets_save": (save_targets, (302,)),
        "team": (get(manager, "/team"), (200,)),
    }
    for key, (request, ok) in request_items.items():
        measured = measure(request, RUNS, key, ok, profiles=profiling)
        out[f"{key}_s"], out[f"{key}_kb"] = measured.seconds, measured.size / 1024
    with app.app_context():
        db = get_session()
        db.execute(
            update(Organization)
            .where(Organization.id == org.org_id)
            .values(managers_see_chain=True)
        )
        db.commit()
    for key, client in (("team_chain", manager), ("team_top_chain", boss)):
        measured = measure(get(client, "/team"), RUNS, key, profiles=profiling)
        out[f"{key}_s"], out[f"{key}_kb"] = measured.seconds, measured.size / 1024

    # 4. statements to set every figure, through the service the grid and the API use
    with app.app_context():
        db = get_session()
        entries = [
            figures.Entry(number, key, str(value))
            for n, number in enumerate(org.numbers)
            for key, value in zip(
                DATA_KEYS, (99_000 + n % 7_000, 85 + n % 20, 31_000, n % 2), strict=True
            )
        ]
        began = time.perf_counter()
        with Statements(engine) as statements:
            figures.set_figures(db, db.get(Cycle, cycle), entries, None)
            db.commit()
        out["set_all_figures_s"] = time.perf_counter() - began
        out["set_all_figures_statements"] = float(statements.count)

    # 7. the figures import of the whole cycle: upload, check, apply
    upload = hr.post(
        f"/cycles/{cycle}/figures/import",
        data={
            "file": (io.BytesIO(_figures_csv(org.numbers, 1)), "figures.csv"),
            "encoding": "auto",
        },
        content_type="multipart/form-data",
    )
    mapping_path = _checked(upload, "import upload", (302,)).headers["Location"]
    mapping = {"map_employee_number": "number"} | {f"map_data:{k}": k for k in DATA_KEYS}
    began = time.perf_counter()
    _checked(hr.post(mapping_path, data=mapping), "import check")
    out["import_check_s"] = time.perf_counter() - began
    began = time.perf_counter()
    _checked(hr.post(mapping_path, data=mapping | {"action": "apply"}), "import apply", (302,))
    out["import_apply_s"] = time.perf_counter() - began

    # 2. and 3. HR's full-cycle pages, with the collector in each mode
    with app.app_context():
        db = get_session()
        spread_states(db, cycle)
        db.commit()
    full_paths = {
        "calibration": f"/cycles/{cycle}/calibration",
        "figures_grid": f"/cycles/{cycle}/figures",
        "cycle_page": f"/cycles/{cycle}",
        "preview": f"/cycles/{org.planning_cycle_id}",
        "results_csv": f"/cycles/{cycle}/results.csv",
        "results_xlsx": f"/cycles/{cycle}/results.xlsx",
    }
    for first, mode in enumerate(GC_MODES, start=1):  # warmed up by the first mode
        with collector(mode):
            for key, path in full_paths.items():
                measured = measure(
                    get(hr, path),
                    FULL_RUNS,
                    key,
                    warm=1 if first == 1 else 0,
                    profiles=profiling if first == 1 else None,
                )
                suffix = "" if mode == "default" else f"_{mode}"
                out[f"{key}{suffix}_s"] = measured.seconds
                out[f"{key}_kb"] = measured.size / 1024

    # 8. the goal cascade's pages (last: its goal teams are departments of their own)
    measure_goals(app, engine, org, out, profiling)
    dispose(app)
    return out, profiles


def add_goals(db, org_id: int, cycle_id: int) -> list[int]:
    """The cycle's period's goals (`GOAL_KEYS`) by bulk inserts, each a tree as the company
    is run: the company (the top manager's own leaf under it), its divisions led by their
    heads (each head's leaf under their division), a goal team per team head (a department
    of its own under the head's division: about `TEAM` people at any size) with the head's
    and their reports' leaves. Every node adds up (`GOAL_LEAF_TARGET` a person). The goals'
    ids."""
    from sqlalchemy import insert, select

    from appraisal.models import Cycle, Department, Employee, Goal, GoalNode

    cycle = db.get(Cycle, cycle_id)
    departments = select(Department.id, Department.parent_id).where(
        Department.organization_id == org_id
    )
    parent_of = {id_: parent for id_, parent in db.execute(departments)}
    people = db.execute(
        select(Employee.id, Employee.number, Employee.department_id, Employee.manager_id)
        .where(Employee.organization_id == org_id)
        .order_by(Employee.id)
    ).all()
    boss = next(p.id for p in people if p.manager_id is None)
    divisions = sorted(d for d, parent in parent_of.items() if parent is None)
    division_heads = [p.id for p in people if p.manager_id == boss]
    division_of_head = dict(zip(division_heads, divisions, strict=False))
    heads = [p for p in people if p.manager_id in division_of_head]
    reports: dict[int, list[int]] = {}
    for p in people:
        reports.setdefault(p.manager_id, []).append(p.id)
    db.execute(
        insert(Department),
        [
            {
                "organization_id": org_id,
                "name": f"目标组 {h.number}",
                "parent_id": parent_of[h.department_id],
            }
            for h in heads
        ],
    )
    team_of_head = dict(
        zip(
            [h.id for h in heads],
            db.scalars(
                select(Department.id)
                .where(Department.organization_id == org_id, Department.name.like("目标组 %"))
                .order_by(Department.id)
            ),
            strict=True,
        )
    )
    division_of_team = {team_of_head[h.id]: parent_of[h.department_id] for h in heads}
    team_target = {
        team_of_head[h.id]: GOAL_LEAF_TARGET * (1 + len(reports.get(h.id, []))) for h in heads
    }
    division_target = {
        d: GOAL_LEAF_TARGET
        + sum((v for t, v in team_target.items() if division_of_team[t] == d), Decimal(0))
        for d in divisions
    }
    db.execute(
        insert(Goal),
        [
            {
                "organization_id": org_id,
                "key": key,
                "name": key.title(),
                "unit": "",
                "weight": Decimal(weight),
                "starts_on": cycle.starts_on,
                "ends_on": cycle.ends_on,
            }
            for key, weight in GOAL_KEYS
        ],
    )
    goals = list(
        db.scalars(
            select(Goal.id)
            .where(Goal.organization_id == org_id, Goal.starts_on == cycle.starts_on)
            .order_by(Goal.id)
        )
    )

    def node(goal: int, parent: int, target: Decimal, **owner: int | None) -> dict:
        return {
            "organization_id": org_id,
            "goal_id": goal,
            "parent_id": parent,
            "target": target,
            "department_id": None,
            "employee_id": None,
            "lead_id": None,
        } | owner

    def nodes() -> dict[tuple[int, int | None], int]:
        """(goal, department) → the id of each goal's company and department nodes."""
        query = select(GoalNode.goal_id, GoalNode.department_id, GoalNode.id).where(
            GoalNode.goal_id.in_(goals), GoalNode.employee_id.is_(None)
        )
        return {(goal, department): id_ for goal, department, id_ in db.execute(query)}

    total = GOAL_LEAF_TARGET + sum(division_target.values(), Decimal(0))
    db.execute(insert(GoalNode), [node(g, None, total) for g in goals])
    made = nodes()
    db.execute(
        insert(GoalNode),
        [node(g, made[g, None], GOAL_LEAF_TARGET, employee_id=boss) for g in goals]
        + [
            node(g, made[g, None], division_target[d], department_id=d, lead_id=head)
            for g in goals
            for head, d in division_of_head.items()
        ],
    )
    made = nodes()
    db.execute(
        insert(GoalNode),
        [
            node(g, made[g, d], GOAL_LEAF_TARGET, employee_id=head)
            for g in goals
            for head, d in division_of_head.items()
        ]
        + [
            node(g, made[g, division_of_team[t]], team_target[t], department_id=t, lead_id=head)
            for g in goals
            for head, t in team_of_head.items()
        ],
    )
    made = nodes()
    db.execute(
        insert(GoalNode),
        [
            node(g, made[g, t], GOAL_LEAF_TARGET, employee_id=person)
            for g in goals
            for head, t in team_of_head.items()
            for person in [head, *reports.get(head, [])]
        ],
    )
    return goals


def measure_goals(app, engine, org: ScaleOrg, out: dict[str, float], profiles=None) -> None:
    """Item 8 (`GOAL_ITEMS`), once every figure of the cycle is set: the goals are added,
    then each page is counted (statements of one request) and timed."""
    from appraisal.db import get_session

    with app.app_context():
        db = get_session()
        began = time.perf_counter()
        goal_ids = add_goals(db, org.org_id, org.cycle_id)
        db.commit()
        out["goals_build_s"] = time.perf_counter() - began
    hr, manager, employee = (signed_in(app, org.logins[r]) for r in ("hr", "manager", "employee"))
    tree = f"/goals/{goal_ids[0]}"
    pages = {
        "goals_employee": (employee, "/goals", 'id="my-attainment"'),
        "goals_lead": (manager, "/goals", 'id="my-attainment"'),
        "goals_hr": (hr, "/goals", 'id="my-attainment"'),
        "goal_tree_lead": (manager, tree, 'id="goal-tree"'),
        "goal_tree_hr": (hr, tree, 'id="goal-tree"'),
    }
    for key, (client, path, shows) in pages.items():
        with Statements(engine) as statements:  # also the warm-up request
            page = _checked(client.get(path), key).get_data(True)
        assert shows in page and "%" in page, f"{key}: {path} shows no attainment"
        out[f"{key}_statements"] = float(statements.count)
        measured = measure(
            lambda _run, c=client, p=path: c.get(p), RUNS, key, warm=0, profiles=profiles
        )
        out[f"{key}_s"], out[f"{key}_kb"] = measured.seconds, measured.size / 1024


def bench_scoring_paths() -> dict[str, float]:
    """A 25-item appraisal scored by the engine alone (its compiled template in hand) and on
    the runtime path: `final_result` of an appraisal loaded with its reviews, the compiled
    template found by its version (runtime/compiled.py), as lists, exports and sweeps do (no
    explanation read); the same with its explanations read, as a result page does; and the
    whole result made JSON, as the API sends it."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from appraisal.db import get_session
    from appraisal.models import Appraisal, Review
    from appraisal.rules import compile_template, score
    from appraisal.runtime.reviews.access import final_result
    from bench.__main__ import appraisal_inputs, appraisal_template

    definition = appraisal_template()
    inputs = appraisal_inputs(definition)
    compiled = compile_template(definition)
    engine_only = per_call(lambda: score(compiled, inputs))
    engine_explained = per_call(lambda: score(compiled, inputs).explanations)
    app = bench_app(name="scoring")
    with app.app_context():
        db = get_session()
        org = build_scale_organization_light(db, definition)
        appraisal = Appraisal(
            organization_id=org["org_id"],
            cycle_id=org["cycle_id"],
            employee_id=org["employee_id"],
            template_version_id=org["version_id"],
            state="manager_review",
            targets=inputs["targets"],
        )
        db.add(appraisal)
        db.flush()
        for rater in ("data", "self", "manager", "hr"):
            db.add(
                Review(
                    organization_id=org["org_id"],
                    appraisal_id=appraisal.id,
                    slot=rater,
                    rater=rater,
                    values=inputs[rater],
                    status="submitted",
                )
            )
        db.commit()
        db.expunge_all()
        loaded = db.scalar(
            select(Appraisal).options(
                selectinload(Appraisal.reviews),
                selectinload(Appraisal.template_version),
                selectinload(Appraisal.cycle),
            )
        )
        result = final_result(loaded)
        assert result.complete, result.missing
        runtime = per_call(lambda: final_result(loaded))
        explained = per_call(lambda: final_result(loaded).explanations)
        serialised = per_call(lambda: json.dumps(final_result(loaded).to_dict(), default=str))
    dispose(app)
    return {
        "scale_score_engine_us": engine_only * 1e6,
        "scale_score_engine_explained_us": engine_explained * 1e6,
        "scale_score_runtime_us": runtime * 1e6,
        "scale_score_runtime_explained_us": explained * 1e6,
        "scale_score_runtime_json_us": serialised * 1e6,
    }


SCORING_RUNS = int(os.environ.get("BENCH_SCORING_RUNS", 3))
SCORING_GOAL_PER_SECOND = 20_000  # 25-item appraisals a second on one core, runtime path
FORMULA_GOAL_RATIO = 3.0  # a 10-operator formula against Python's own eval of it


def bench_scoring_speed() -> dict[str, float]:
    """The scoring figures of item 5, each the median of SCORING_RUNS measurements: the
    scoring paths and the 10-operator formula against `eval` (float and Decimal inputs)."""
    runs = [bench_scoring_paths() | bench_formula_ratio() for _ in range(SCORING_RUNS)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def bench_formula_ratio() -> dict[str, float]:
    """The 10-operator formula of `make bench` against Python's own `eval` of the same text,
    timed in alternation (float inputs, and the Decimal inputs the scorer passes)."""
    from appraisal.rules import compile_formula
    from appraisal.rules.functions import round_decimal
    from appraisal.rules.numbers import to_decimal
    from bench.__main__ import FORMULA, NAMES, PY_FUNCTIONS, VALUES

    ours = compile_formula(FORMULA, NAMES)
    code = compile(FORMULA, "<trusted>", "eval")
    namespace = {"__builtins__": {}, **PY_FUNCTIONS}
    assert abs(ours.evaluate(VALUES) - eval(code, namespace, VALUES)) < 1e-9
    exact = {k: to_decimal(v) for k, v in VALUES.items()}
    decimal_code = compile(FORMULA.replace("1.5", "K15"), "<trusted>", "eval")
    decimal_namespace = namespace | {
        "ROUND": lambda x, n: round_decimal(x, int(n)),
        "K15": Decimal("1.5"),
    }
    assert ours.evaluate_exact(exact) == eval(decimal_code, decimal_namespace, exact)
    ours_s, eval_s = paired_per_call(
        lambda: ours.evaluate(VALUES), lambda: eval(code, namespace, VALUES)
    )
    ours_exact_s, eval_exact_s = paired_per_call(
        lambda: ours.evaluate_exact(exact), lambda: eval(decimal_code, decimal_namespace, exact)
    )
    return {
        "scale_formula_us": ours_s * 1e6,
        "scale_formula_eval_us": eval_s * 1e6,
        "scale_formula_ratio": ours_s / eval_s,
        "scale_formula_decimal_ratio": ours_exact_s / eval_exact_s,
    }


def print_scoring_speed(found: dict[str, float]) -> None:
    """Item 5's figures next to their goals."""
    engine, runtime = found["scale_score_engine_us"], found["scale_score_runtime_us"]
    rate = 1e6 / runtime
    verdict = "ok" if rate >= SCORING_GOAL_PER_SECOND else "MISSED"
    print(f"5. Scoring, 25-item appraisal, one core (median of {SCORING_RUNS} runs):")
    print(f"   engine alone                    {engine:7.0f} µs  ({1e6 / engine:8,.0f}/s)")
    explained = found["scale_score_engine_explained_us"]
    print(f"   engine, explanations read       {explained:7.0f} µs  ({1e6 / explained:8,.0f}/s)")
    print(
        f"   runtime path (final_result)     {runtime:7.0f} µs  ({rate:8,.0f}/s)  "
        f"goal ≥ {SCORING_GOAL_PER_SECOND:,}/s {verdict}"
    )
    explained = found["scale_score_runtime_explained_us"]
    print(f"   runtime, explanations read      {explained:7.0f} µs  ({1e6 / explained:8,.0f}/s)")
    serialised = found["scale_score_runtime_json_us"]
    print(f"   runtime, whole result as JSON   {serialised:7.0f} µs  ({1e6 / serialised:8,.0f}/s)")
    ratio = found["scale_formula_ratio"]
    print(
        f"   10-operator formula: {found['scale_formula_us']:.2f} µs, Python eval "
        f"{found['scale_formula_eval_us']:.2f} µs: {ratio:.2f}× (goal ≤ {FORMULA_GOAL_RATIO:g}×) "
        f"{'ok' if ratio <= FORMULA_GOAL_RATIO else 'MISSED'}; on Decimal inputs "
        f"{found['scale_formula_decimal_ratio']:.2f}×"
    )


def build_scale_organization_light(db, definition: dict) -> dict[str, int]:
    """One employee in a running cycle of a scheme on `definition`."""
    from appraisal.models import Employee
    from appraisal.runtime.cycles import cycles

    org, _members, version, scheme = organization_with_scheme(db, "scoring", definition, {})
    employee = Employee(organization_id=org.id, number="S1", name="评分")
    db.add(employee)
    start = date.today()
    cycle = cycles.create_cycle(
        db,
        scheme,
        name="Scoring",
        dates=cycles.CycleDates(start, start + timedelta(days=89)),
        anonymity_threshold=3,
        user_id=None,
    )
    db.flush()
    return {
        "org_id": org.id,
        "cycle_id": cycle.id,
        "version_id": version.id,
        "employee_id": employee.id,
    }


def size_label(people: int) -> str:
    return f"{people // 1000}k" if people % 1000 == 0 else str(people)


def wants_profile() -> bool:
    return "--profile" in sys.argv or os.environ.get("BENCH_SCALE_PROFILE") == "1"


def bench_scale() -> dict[str, float]:
    """Every figure at every size (`scale_<size>_<item>_…`), the scoring paths and the load
    test; the profiles of the largest size are printed as they come."""
    found: dict[str, float] = {}
    for people in SIZES:
        started = time.perf_counter()
        measured, profiles = measure_size(people, wants_profile() and people == SIZES[-1])
        print(
            f"scale: {people:,} employees measured in {time.perf_counter() - started:.0f} s: "
            + json.dumps({k: round(v, 4) for k, v in measured.items()}),
            flush=True,
        )
        found |= {f"scale_{size_label(people)}_{k}": v for k, v in measured.items()}
        for key, lines in profiles.items():
            print(f"profile at {people:,}: {key} (own s, total s, calls, function)")
            print("\n".join(f"    {line}" for line in lines))
    found |= bench_scoring_speed()
    if os.environ.get("BENCH_SCALE_LOAD", "1") != "0":
        from bench.loadtest import bench_load

        found |= bench_load()
    return found


def ratio_line(
    label: str, small: float, large: float, goal: float, unit: str, limit: float | None = None
) -> str:
    """One row: the figure at both sizes, their ratio and whether it keeps to its goal (a
    ratio within half again of it, and the larger figure within `limit` if there is one)."""
    ratio = large / small if small else float("inf")
    verdict = "ok" if ratio <= goal * 1.5 else "MISSED"
    if limit is not None and large > limit:
        verdict = f"MISSED (over {limit:g} {unit})"
    digits = _digits(unit)
    return (
        f"  {label:44} {small:10.{digits}f} {large:10.{digits}f} {unit:3} {ratio:6.1f}×  "
        f"(goal ~{goal:g}×) {verdict}"
    )


def _digits(unit: str) -> int:
    return {"ms": 0, "s": 2, "KB": 0, "": 0}.get(unit, 1)


def print_scale(found: dict[str, float]) -> None:
    if len(SIZES) < 2 or f"scale_{size_label(SIZES[0])}_team_s" not in found:
        return
    a, b = size_label(SIZES[0]), size_label(SIZES[-1])
    linear = SIZES[-1] / SIZES[0]

    def pair(key: str) -> tuple[float, float]:
        return found[f"scale_{a}_{key}"], found[f"scale_{b}_{key}"]

    print(
        f"Scale (SQLite, one launched cycle): {SIZES[0]:,} vs {SIZES[-1]:,} employees, "
        f"ratio {b}/{a}"
    )
    print(f"  {'item':44} {a:>10} {b:>10}")
    print("1. Per request (median of", RUNS, "requests; goal: the ratio ~1)")
    for key, label, _goal in REQUEST_ITEMS:
        small, large = pair(f"{key}_s")
        print(ratio_line(label, small * 1000, large * 1000, 1, "ms"))
        small, large = pair(f"{key}_kb")
        if large > 1:
            print(ratio_line("  its answer", small, large, 1, "KB"))
    print(f"2. Full cycle (HR; median of {FULL_RUNS}; goal: the ratio ~{linear:g}, linear)")
    for key, label, _goal in FULL_ITEMS:
        small, large = pair(f"{key}_s")
        print(ratio_line(label, small, large, linear, "s"))
        small, large = pair(f"{key}_kb")
        print(ratio_line("  its answer", small, large, linear, "KB"))
    print(
        f"3. The collector on the full-cycle items: as is / gc.freeze() / frozen + "
        f"set_threshold{GC_THRESHOLDS} (seconds; ratio {b}/{a} in brackets)"
    )
    for key, label, _goal in FULL_ITEMS:
        cells = []
        for mode in GC_MODES:
            suffix = "" if mode == "default" else f"_{mode}"
            small, large = pair(f"{key}{suffix}_s")
            cells.append(f"{small:6.2f} {large:6.2f} ({large / small:4.1f}×)")
        print(f"  {label:36} " + " | ".join(cells))
    totals = {
        mode: sum(
            pair(f"{k}{'' if mode == 'default' else '_' + mode}_s")[1] for k, _l, _g in FULL_ITEMS
        )
        for mode in GC_MODES
    }
    base = totals[GC_MODES[0]]
    print(
        f"  all at {b}: "
        + ", ".join(
            f"{mode} {total:.1f} s ({total / base - 1:+.0%})" for mode, total in totals.items()
        )
    )
    small, large = pair("set_all_figures_statements")
    print(
        f"4. Statements to set every figure: {small:,.0f} at {a}, {large:,.0f} at {b} "
        f"(goal: batched, a few per thousand people)"
    )
    print(f"7. Long requests (goal: under {LONG_LIMIT_S:g} s, or a job with progress)")
    for key, label, _goal in LONG_ITEMS:
        small, large = pair(f"{key}_s")
        print(ratio_line(label, small, large, linear, "s", LONG_LIMIT_S))
    if f"scale_{a}_goals_employee_s" in found:
        print(f"8. The goal cascade (median of {RUNS} requests; statements of one request)")
        for key, label, goal in GOAL_ITEMS:
            small, large = pair(f"{key}_s")
            print(ratio_line(label, small * 1000, large * 1000, goal, "ms"))
            small, large = pair(f"{key}_statements")
            print(ratio_line("  statements", small, large, 1, ""))
    print_scoring_speed(found)
    if "scale_load_rps" in found:
        from bench.loadtest import print_load

        print_load(found)


def scale_against_baseline(found: dict[str, float], baseline: dict[str, float]) -> None:
    """New / recorded for every scale figure that moved by more than a quarter."""
    keys = [k for k in found if k in baseline and not k.endswith("_kb") and baseline[k]]
    moved = [(k, found[k] / baseline[k]) for k in keys if not 0.8 <= found[k] / baseline[k] <= 1.25]
    print(
        f"Against bench/baseline.json: {len(keys) - len(moved)} scale figures within ±25 %"
        + (", these moved (new / recorded; below 1 is faster or fewer):" if moved else "")
    )
    for key, ratio in moved:
        print(f"  {key:40} {ratio:5.2f}")
