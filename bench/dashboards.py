"""Dashboards at scale (issue 18): an organization of 10,000 employees in a department tree
with managers, one cycle in progress (every step, totals and grades where there are some,
overdue deadlines) and two closed cycles with appeals. Times HR's organization dashboard
(whole organization and one department), the people list behind a bar, a manager's team
dashboard, HR's team dashboard of everyone and an employee's own page: median of several
requests through the app, goal < 1 s each.

`build_organization` makes the data set (bulk core inserts) and returns its ids and sign-ins,
so the employee's and the manager's dashboards can be timed on the same organization.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from bench.common import bench_app, dispose

PEOPLE = int(os.environ.get("BENCH_DASHBOARD_PEOPLE", 10_000))
RUNS = 7
PASSWORD = "bench-dashboard-password"  # noqa: S105 - a throw-away database
DIVISIONS, TEAMS_EACH = 10, 5  # 10 divisions × 5 teams below each: 60 departments
GRADES = [("S", 95), ("A", 85), ("B", 70), ("C", 60), ("D", 0)]
# The running cycle's spread over the steps (shares of 100).
SPREAD = [
    ("goal_setting", 10),
    ("self_review", 25),
    ("manager_review", 25),
    ("calibration", 20),
    ("published", 10),
    ("acknowledged", 10),
]
DASHBOARD_KEYS = (
    "dashboard_org_ms",
    "dashboard_department_ms",
    "dashboard_people_ms",
    "dashboard_team_ms",
    "dashboard_team_hr_ms",
    "dashboard_mine_ms",
)


def template() -> dict:
    scale = [
        {"value": v, "label": str(v), "score": s}
        for v, s in [(5, 100), (4, 85), (3, 70), (2, 50), (1, 30)]
    ]
    return {
        "format": "appraisal-template/1",
        "key": "dashboard-bench",
        "name": {"en": "Dashboard bench", "zh": "看板基准"},
        "staff": "any",
        "period": "quarter",
        "rater_weights": {"self": 20, "manager": 80},
        "scales": {"five": scale},
        "sections": [
            {
                "key": "results",
                "name": "Results",
                "weight": 60,
                "items": [
                    {
                        "key": "sales",
                        "name": "Sales",
                        "type": "number",
                        "raters": ["data"],
                        "weight": 100,
                        "scoring": {"method": "ratio", "cap": 120},
                    }
                ],
            },
            {
                "key": "behaviour",
                "name": "Behaviour",
                "weight": 40,
                "items": [
                    {
                        "key": "care",
                        "name": "Care",
                        "type": "rating",
                        "scale": "five",
                        "raters": ["self", "manager"],
                        "weight": 100,
                        "scoring": {"method": "rating"},
                    }
                ],
            },
        ],
        "grades": [{"grade": g, "min": m} for g, m in GRADES],
    }


@dataclass
class DataSet:
    """What `build_organization` made: ids to point requests at, and who can sign in."""

    org_id: int
    running_cycle_id: int
    closed_cycle_ids: list[int]
    department_ids: list[int]  # divisions first, then their teams
    division_id: int  # one division (with its teams): a department filter
    employee_ids: list[int]
    manager_ids: list[int]  # one manager per team
    logins: dict[str, str] = field(default_factory=dict)  # role → e-mail; PASSWORD for all
    manager_employee_id: int | None = None  # the manager who signs in
    employee_employee_id: int | None = None  # the employee who signs in (in that team)


def _grade(total: Decimal) -> str:
    return next(g for g, low in GRADES if total >= low)


def organization_with_scheme(db, slug: str, definition: dict, accounts: dict[str, set[str]]):
    """A new organization with an account per e-mail of `accounts` (its roles; `PASSWORD`
    for all) and a scheme on `definition`, published: (organization, membership by e-mail,
    template version, scheme)."""
    from appraisal.builder import services as builder
    from appraisal.runtime.cycles import cycles
    from appraisal.users import services as users

    org = users.get_or_create_organization(db, slug, slug.title())
    members = {
        email: users.add_member(
            db, org.id, email=email, name=email.split("@")[0], password=PASSWORD, roles=roles
        ).membership
        for email, roles in accounts.items()
    }
    draft = builder.import_template(db, org.id, None, definition)
    version = builder.publish(db, draft, None)
    scheme = cycles.save_scheme(
        db,
        org.id,
        None,
        name=slug.title(),
        template_version_id=version.id,
        staff_kind="any",
        period="quarter",
        department_ids=[],
        position_ids=[],
        user_id=None,
    )
    return org, members, version, scheme


def add_departments(db, org_id: int) -> tuple[list[int], list[int]]:
    """`DIVISIONS` divisions with `TEAMS_EACH` teams below each: (division ids, team ids)."""
    from sqlalchemy import insert, select

    from appraisal.models import Department

    db.execute(
        insert(Department),
        [
            {"organization_id": org_id, "name": f"事业部{d}", "code": f"D{d}"}
            for d in range(DIVISIONS)
        ],
    )
    divisions = list(
        db.scalars(
            select(Department.id)
            .where(Department.organization_id == org_id)
            .order_by(Department.id)
        )
    )
    db.execute(
        insert(Department),
        [
            {"organization_id": org_id, "name": f"事业部{d}-组{t}", "parent_id": division}
            for d, division in enumerate(divisions)
            for t in range(TEAMS_EACH)
        ],
    )
    teams = list(
        db.scalars(
            select(Department.id)
            .where(Department.organization_id == org_id, Department.parent_id.is_not(None))
            .order_by(Department.id)
        )
    )
    return divisions, teams


def build_organization(db, people: int = PEOPLE, slug: str = "dashboards") -> DataSet:
    """An organization of `people` employees with three cycles, by bulk inserts (the caller
    commits). Sign-ins: HR (`hr`), one team's manager (`manager`) and one of their reports
    (`employee`), all with `PASSWORD`."""
    from sqlalchemy import insert, select

    from appraisal.models import Appeal, Appraisal, Cycle, Employee

    rng = random.Random(18)
    logins = {role: f"{role}@{slug}.example" for role in ("hr", "manager", "employee")}
    org, members, version, scheme = organization_with_scheme(
        db,
        slug,
        template(),
        {
            email: {"hr": {"admin"}, "manager": {"manager", "employee"}}.get(role, {"employee"})
            for role, email in logins.items()
        },
    )
    members = {role: members[email] for role, email in logins.items()}
    divisions, teams = add_departments(db, org.id)
    # One manager per team (reporting to nobody), inserted first; everyone else reports to
    # their team's manager. The first team's manager and first report sign in.
    heads = min(len(teams), people)

    def person(n: int, **rest) -> dict:
        return {
            "organization_id": org.id,
            "number": f"E{n:05d}",
            "name": f"员工{n}",
            "department_id": teams[n % len(teams)],
            **rest,
        }

    db.execute(
        insert(Employee),
        [person(n, user_id=members["manager"].user_id if n == 0 else None) for n in range(heads)],
    )
    head_ids = list(
        db.scalars(
            select(Employee.id).where(Employee.organization_id == org.id).order_by(Employee.id)
        )
    )
    managers = dict(zip(teams, head_ids, strict=False))
    if people > heads:
        db.execute(
            insert(Employee),
            [
                person(
                    n,
                    manager_id=managers[teams[n % len(teams)]],
                    user_id=members["employee"].user_id if n == len(teams) else None,
                )
                for n in range(heads, people)
            ],
        )
    employees = list(
        db.scalars(
            select(Employee.id).where(Employee.organization_id == org.id).order_by(Employee.id)
        )
    )
    manager_of = dict(
        db.execute(
            select(Employee.id, Employee.manager_id).where(
                Employee.organization_id == org.id, Employee.manager_id.is_not(None)
            )
        ).all()
    )
    boss = head_ids[0]
    report = next((e for e, m in manager_of.items() if m == boss), None)
    today = date.today()
    specs = [
        ("2026-Q2", today - timedelta(days=270), "closed"),
        ("2026-Q3", today - timedelta(days=180), "closed"),
        ("2026-Q4", today - timedelta(days=60), "running"),
    ]
    made = []
    for name, starts, state in specs:
        cycle = Cycle(
            organization_id=org.id,
            scheme_id=scheme.id,
            name=name,
            starts_on=starts,
            ends_on=starts + timedelta(days=89),
            goals_due=starts + timedelta(days=14),
            self_review_due=starts + timedelta(days=45),
            manager_review_due=starts + timedelta(days=75),
            state=state,
            quotas=[
                {"grades": ["S"], "limit": "max", "percent": 10.0},
                {"grades": ["C", "D"], "limit": "min", "percent": 5.0},
            ],
        )
        db.add(cycle)
        made.append(cycle)
    db.flush()
    steps = [s for s, weight in SPREAD for _ in range(weight)]
    for cycle in made:
        running = cycle.state == "running"
        rows = []
        for n, employee in enumerate(employees):
            state = steps[n % len(steps)] if running else "acknowledged"
            scored = state in ("calibration", "published", "acknowledged")
            total = Decimal(rng.randint(5500, 10400)) / 100 if scored else None
            rows.append(
                {
                    "organization_id": org.id,
                    "cycle_id": cycle.id,
                    "employee_id": employee,
                    "manager_id": manager_of.get(employee),
                    "template_version_id": version.id,
                    "state": state,
                    "targets": {"sales": 100000},
                    "total": total,
                    "grade": _grade(total) if total is not None else None,
                    "override_grade": "A" if scored and n % 97 == 0 else None,
                    "complete": scored,
                    "published_at": cycle.starts_on
                    if state in ("published", "acknowledged")
                    else None,
                }
            )
        for start in range(0, len(rows), 5_000):
            db.execute(insert(Appraisal), rows[start : start + 5_000])
    closed_ids = [c.id for c in made if c.state == "closed"]
    appealed = list(
        db.scalars(
            select(Appraisal.id).where(Appraisal.cycle_id.in_(closed_ids)).order_by(Appraisal.id)
        )
    )[::33]
    if appealed:
        db.execute(
            insert(Appeal),
            [
                {
                    "organization_id": org.id,
                    "appraisal_id": a,
                    "reason": "复核数据",
                    "status": "upheld" if i % 2 else "open",
                }
                for i, a in enumerate(appealed)
            ],
        )
    db.flush()
    return DataSet(
        org_id=org.id,
        running_cycle_id=made[-1].id,
        closed_cycle_ids=closed_ids,
        department_ids=divisions + teams,
        division_id=divisions[0],
        employee_ids=employees,
        manager_ids=list(managers.values()),
        logins=logins,
        manager_employee_id=boss,
        employee_employee_id=report,
    )


def timed_get(client, path: str, runs: int = RUNS) -> float:
    """Median milliseconds of `runs` GETs of `path` (after one unmeasured request)."""
    assert client.get(path).status_code == 200, path
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
        response.close()
    return statistics.median(times) * 1000


def bench_dashboards(url: str | None = None) -> dict[str, float]:
    from appraisal.db import get_session

    app = bench_app(url, name="dashboards")
    with app.app_context():
        db = get_session()
        started = time.perf_counter()
        data = build_organization(db)
        db.commit()
        loaded = time.perf_counter() - started
    clients = {}
    for role, email in data.logins.items():
        clients[role] = app.test_client()
        clients[role].post("/login", data={"email": email, "password": PASSWORD})
    client = clients["hr"]
    cycle = data.running_cycle_id
    figures = {
        "dashboard_load_s": loaded,
        "dashboard_org_ms": timed_get(client, f"/dashboards/organization?cycle={cycle}"),
        "dashboard_department_ms": timed_get(
            client, f"/dashboards/organization?cycle={cycle}&department={data.division_id}"
        ),
        "dashboard_people_ms": timed_get(
            client, f"/dashboards/organization/people?cycle={cycle}&state=manager_review&page=20"
        ),
        # a manager's team; HR's team dashboard for the whole organization (the engine scores
        # at most its cap of people, the rest is grouped queries); an employee's own page
        "dashboard_team_ms": timed_get(clients["manager"], f"/dashboards/team?cycle={cycle}"),
        "dashboard_team_hr_ms": timed_get(client, f"/dashboards/team?cycle={cycle}"),
        "dashboard_mine_ms": timed_get(clients["employee"], f"/dashboards/mine?cycle={cycle}"),
    }
    dispose(app)
    return figures


def print_dashboards(figures: dict[str, float]) -> None:
    if "dashboard_org_ms" not in figures:
        return
    worst = max(figures[k] for k in DASHBOARD_KEYS)
    print(
        f"HR's organization dashboard at {PEOPLE:,} employees × 3 cycles (loaded in "
        f"{figures['dashboard_load_s']:.0f} s), median of {RUNS}: whole organization "
        f"{figures['dashboard_org_ms']:.0f} ms, one division "
        f"{figures['dashboard_department_ms']:.0f} ms, people list "
        f"{figures['dashboard_people_ms']:.0f} ms; a manager's team "
        f"{figures['dashboard_team_ms']:.0f} ms, HR's team dashboard "
        f"{figures['dashboard_team_hr_ms']:.0f} ms, an employee's own "
        f"{figures['dashboard_mine_ms']:.0f} ms (goal < 1,000 ms each) "
        f"{'ok' if worst < 1000 else 'MISSED'}"
    )
