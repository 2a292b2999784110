"""The load test of issue 20: gunicorn (gunicorn.conf.py, the production settings) against
PostgreSQL 15 at 10,000 employees, 50 signed-in managers in closed loop over the pages they use
(home, My team, a report's appraisal, their own dashboard), driven by wrk with a Lua script
that rotates their session cookies. Goal: ≥ 300 requests/s on 2 cores, p95 < 150 ms.

PostgreSQL: APPRAISAL_BENCH_PG_URL (an empty database) or, without it, a throw-away cluster
this module starts (initdb in a temporary folder, as the `postgres` user when run as root).
Each collector setting of gunicorn.conf.py in BENCH_LOAD_GC (default "off,on": Python's
collector, then frozen with the thresholds) is one run of BENCH_LOAD_SECONDS (30) after a
warm-up. BENCH_LOAD_PEOPLE (10000), BENCH_LOAD_CLIENTS (50), BENCH_LOAD_WORKERS and
BENCH_LOAD_THREADS (gunicorn.conf.py's defaults unless set).
"""

from __future__ import annotations

import glob
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = int(os.environ.get("BENCH_LOAD_PEOPLE", 10_000))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", 50))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", 30))
GOAL_RPS, GOAL_P95_MS = 300, 150
GC_SETTINGS = {  # name → gunicorn.conf.py's environment
    "off": {"APPRAISAL_GC_FREEZE": "0", "APPRAISAL_GC_THRESHOLD": ""},
    "on": {},  # its defaults: frozen after start-up, higher thresholds
}

LUA = """
-- %(count)d signed-in managers; each request takes the next one's cookie and, every round,
-- the next page: home, My team, one of their reports' appraisals, their dashboard.
local sessions = {
%(sessions)s
}
local pages = {"/", "/team", "appraisal", "/dashboards/mine"}
local counter = 0

function setup(thread)
  thread:set("offset", %(count)d * 7 * (setup_threads or 0))
  setup_threads = (setup_threads or 0) + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  local who = sessions[(counter %% #sessions) + 1]
  local page = pages[(math.floor(counter / #sessions) %% #pages) + 1]
  if page == "appraisal" then page = who.appraisal end
  return wrk.format("GET", page, {["Cookie"] = who.cookie})
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d seconds=%%.3f non2xx=%%d errors=%%d\\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("RESULT p50=%%.1f p95=%%.1f p99=%%.1f max=%%.1f\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


@dataclass
class Session:
    cookie: str
    appraisal: str  # the path of one of their reports' appraisals


def lua_script(sessions: list[Session]) -> str:
    rows = ",\n".join(f'  {{cookie = "{s.cookie}", appraisal = "{s.appraisal}"}}' for s in sessions)
    return LUA % {"count": len(sessions), "sessions": rows}


def parse_wrk(output: str) -> dict[str, float]:
    """The figures the Lua `done` printed: requests/s, p50/p95/p99/max in ms, failures."""
    found = dict(
        re.findall(r"(\w+)=([\d.]+)", " ".join(re.findall(r"^RESULT (.*)$", output, re.M)))
    )
    if "requests" not in found:
        raise RuntimeError(f"wrk printed no result:\n{output[-2000:]}")
    return {
        "rps": float(found["requests"]) / float(found["seconds"]),
        "p50_ms": float(found["p50"]),
        "p95_ms": float(found["p95"]),
        "p99_ms": float(found["p99"]),
        "max_ms": float(found["max"]),
        "failed": float(found["non2xx"]) + float(found["errors"]),
        "requests": float(found["requests"]),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)  # noqa: S603


@contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL URL: APPRAISAL_BENCH_PG_URL, or a cluster started here and removed after."""
    url = os.environ.get("APPRAISAL_BENCH_PG_URL")
    if url:
        yield url
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")]
    if not found or not found[-1]:
        raise RuntimeError("no PostgreSQL (initdb) here; set APPRAISAL_BENCH_PG_URL")
    bin_dir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="scalebench_pg_"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"])
    settings = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_postgres(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            settings,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ]
    )
    try:
        _as_postgres([str(bin_dir / "createdb"), "-h", str(folder), "-p", str(port), "bench"])
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def prepare(url: str) -> tuple[list[tuple[str, str]], float]:
    """The organization at `PEOPLE` on `url`, its cycle launched and moved along; the sign-ins
    of `CLIENTS` team heads with one report's appraisal path each, and the seconds it took."""
    from sqlalchemy import select

    from appraisal.db import get_session
    from appraisal.models import Appraisal, Cycle, Employee, User
    from appraisal.runtime.cycles import cycles
    from bench.common import bench_app, dispose
    from bench.scale import TARGETS, build_scale_organization, spread_states

    started = time.perf_counter()
    app = bench_app(url)
    with app.app_context():
        db = get_session()
        org = build_scale_organization(db, PEOPLE, slug="load", load_managers=CLIENTS)
        cycle = db.get(Cycle, org.cycle_id)
        for appraisal in cycles.launch_cycle(db, cycle, set(), None):
            appraisal.targets = dict(TARGETS)
        db.commit()
        spread_states(db, org.cycle_id)
        db.commit()
        pages = []
        for email in org.load_logins:
            head = db.scalar(select(Employee.id).join(User).where(User.email == email))
            report = db.scalar(
                select(Appraisal.id)
                .where(Appraisal.cycle_id == org.cycle_id, Appraisal.manager_id == head)
                .order_by(Appraisal.id)
            )
            pages.append((email, f"/appraisals/{report}"))
    dispose(app)
    return pages, time.perf_counter() - started


def sign_in(port: int, email: str) -> str:
    """Sign in through the server as a browser does (the form's CSRF token, the POST, the
    first page); the Cookie header that carries the session."""
    from urllib.parse import urlencode

    from bench.dashboards import PASSWORD

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    answer = connection.getresponse()
    page = answer.read().decode()
    cookies = _cookies(answer, {})
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
    connection.request(
        "POST",
        "/login",
        body=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _header(cookies),
        },
    )
    answer = connection.getresponse()
    answer.read()
    if answer.status != 302:
        raise RuntimeError(f"signing in {email}: {answer.status}")
    cookies = _cookies(answer, cookies)
    # The first page, as a browser follows the redirect: the session then holds the chosen
    # organization and the form token, so later requests read it and no longer rewrite it.
    connection.request("GET", "/", headers={"Cookie": _header(cookies)})
    answer = connection.getresponse()
    answer.read()
    cookies = _cookies(answer, cookies)
    connection.close()
    return _header(cookies)


def _header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _cookies(answer, cookies: dict[str, str]) -> dict[str, str]:
    for header in answer.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies


@contextmanager
def gunicorn(url: str, environ: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn with gunicorn.conf.py on a free port, `wsgi:app` on `url`."""
    port = free_port()
    env = (
        os.environ
        | {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-load",
            "APPRAISAL_BIND": f"127.0.0.1:{port}",
            "APPRAISAL_METRICS_SWEEP_MINUTES": "0",
            "APPRAISAL_NOTIFICATIONS_DELIVER_MINUTES": "0",
            "APPRAISAL_NOTIFICATIONS_REMIND_MINUTES": "0",
            "PYTHONPATH": str(ROOT),
        }
        | environ
    )
    for name, setting in (
        ("BENCH_LOAD_WORKERS", "WEB_CONCURRENCY"),
        ("BENCH_LOAD_THREADS", "APPRAISAL_THREADS"),
    ):
        if os.environ.get(name):
            env[setting] = os.environ[name]
    log = tempfile.NamedTemporaryFile("w", prefix="scalebench_gunicorn_", suffix=".log")  # noqa: SIM115
    binary = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn and settings
        [str(binary), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(port, server, log.name)
        yield port, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _wait_until_up(port: int, server: subprocess.Popen, log: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {Path(log).read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer in 60 s: {Path(log).read_text()[-2000:]}")


def worker_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's workers: the master's children."""
    return [
        int(pid)
        for children in glob.glob(f"/proc/{server.pid}/task/*/children")
        for pid in Path(children).read_text().split()
    ]


def worker_memory_mb(server: subprocess.Popen) -> float:
    """The largest resident size of gunicorn's workers, in MB."""
    largest = 0.0
    for pid in worker_pids(server):
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            found = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            if found:
                largest = max(largest, int(found.group(1)) / 1024)
    return largest


def backend_pids(url: str) -> list[int]:
    """PostgreSQL's client backends serving the bench's database (gunicorn's pooled
    connections stay open between requests, so these are the ones that served the load),
    when they run on this machine (a remote server's process ids name nothing here)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            pids = connection.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()
    return [pid for pid in pids if _command(pid) == "postgres"]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still running (Linux's /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / tick
    return found


def cpu_ms_per_request(
    before: dict[int, float], after: dict[int, float], requests: float
) -> float | None:
    """Milliseconds of CPU per request the processes seen in both readings spent between
    them (one that started or ended meanwhile would count its whole life, or nothing);
    None when none was seen (a remote database)."""
    both = before.keys() & after.keys()
    if not both:
        return None
    spent = sum(after[pid] - before[pid] for pid in both)
    return spent / max(requests, 1) * 1000


def run_wrk(port: int, script: Path, seconds: int) -> dict[str, float]:
    answer = subprocess.run(  # noqa: S603
        [  # noqa: S607 - wrk from the PATH
            "wrk",
            "-t2",
            f"-c{CLIENTS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(answer.stdout)


def bench_load() -> dict[str, float]:
    """`scale_load_<setting>_<figure>` per collector setting; nothing (and why) when wrk,
    gunicorn or PostgreSQL is missing."""
    missing = [
        what
        for what, there in (
            ("wrk (apt-get install wrk)", shutil.which("wrk")),
            (
                "gunicorn (pip install '.[prod]')",
                Path(sys.executable).with_name("gunicorn").exists(),
            ),
        )
        if not there
    ]
    if missing:
        print(f"Load test skipped: no {', no '.join(missing)}")
        return {}
    found: dict[str, float] = {}
    settings = os.environ.get("BENCH_LOAD_GC", "off,on").split(",")
    with postgres() as url:
        pages, built = prepare(url)
        found["scale_load_build_s"] = built
        for setting in settings:
            with gunicorn(url, GC_SETTINGS[setting]) as (port, server):
                sessions = [Session(sign_in(port, email), page) for email, page in pages]
                script = Path(tempfile.mkdtemp(prefix="scalebench_wrk_")) / "managers.lua"
                script.write_text(lua_script(sessions))
                run_wrk(port, script, 5)  # warm-up: templates compiled, pools filled
                app_before = cpu_seconds(worker_pids(server))
                database_before = cpu_seconds(backend_pids(url))
                figures = run_wrk(port, script, SECONDS)
                for key, before, now in (
                    ("app_cpu_ms", app_before, cpu_seconds(worker_pids(server))),
                    ("pg_cpu_ms", database_before, cpu_seconds(backend_pids(url))),
                ):
                    spent = cpu_ms_per_request(before, now, figures["requests"])
                    if spent is not None:
                        figures[key] = spent
                figures["worker_mb"] = worker_memory_mb(server)
                shutil.rmtree(script.parent, ignore_errors=True)
            found |= {f"scale_load_{setting}_{k}": v for k, v in figures.items()}
    found["scale_load_rps"] = found[f"scale_load_{settings[-1]}_rps"]
    return found


def print_load(found: dict[str, float]) -> None:
    workers = os.environ.get("BENCH_LOAD_WORKERS") or "one per core"
    threads = os.environ.get("BENCH_LOAD_THREADS") or "4"
    print(
        f"6. Load test: gunicorn ({workers} workers × {threads} threads, gunicorn.conf.py) + "
        f"PostgreSQL at {PEOPLE:,} employees (built in {found['scale_load_build_s']:.0f} s), "
        f"{CLIENTS} signed-in managers in closed loop (wrk, {SECONDS} s) over home, My team, "
        f"an appraisal, their dashboard; goal ≥ {GOAL_RPS} req/s, p95 < {GOAL_P95_MS} ms"
        f" (clients that ask again at once wait {CLIENTS} / throughput on average: the p95"
        f" goal needs well over {CLIENTS * 1000 / GOAL_P95_MS:.0f} req/s)"
    )
    for setting in GC_SETTINGS:
        key = f"scale_load_{setting}_"
        if f"{key}rps" not in found:
            continue
        rps, p95 = found[f"{key}rps"], found[f"{key}p95_ms"]
        verdict = "ok" if rps >= GOAL_RPS and p95 < GOAL_P95_MS else "MISSED"
        print(
            f"  collector {setting:3}: {rps:6.0f} req/s, p50 {found[f'{key}p50_ms']:.0f} ms, "
            f"p95 {p95:.0f} ms, p99 {found[f'{key}p99_ms']:.0f} ms, max "
            f"{found[f'{key}max_ms']:.0f} ms; {found[f'{key}failed']:.0f} failed of "
            f"{found[f'{key}requests']:.0f}; largest worker "
            f"{found[f'{key}worker_mb']:.0f} MB  {verdict}"
        )
        if f"{key}app_cpu_ms" in found:
            database = found.get(f"{key}pg_cpu_ms")
            print(
                f"                 CPU a request: gunicorn's workers "
                f"{found[f'{key}app_cpu_ms']:.1f} ms, PostgreSQL "
                + (f"{database:.1f} ms" if database is not None else "not measured (remote)")
                + f" (two cores give {2000 / GOAL_RPS:.1f} ms a request at {GOAL_RPS} req/s)"
            )
