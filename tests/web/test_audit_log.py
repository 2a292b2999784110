"""The organization's audit log: where each event came from, the hash chain and its check,
sign-ins, token use and downloads logged, the page (filters, keyset pages, export, who may
read it), and that nothing in the app updates or deletes an event."""

from __future__ import annotations

import ast
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from appraisal import audit
from appraisal.models import AuditEvent, AuditHead, User
from tests.conftest import PASSWORD

APP = Path(__file__).resolve().parents[2] / "appraisal"
WRITES = ("update", "delete")
AUDIT_MODELS = ("AuditEvent", "AuditHead")


@pytest.fixture
def acme(make):
    org = make.org("acme", "Acme Ltd")
    make.member(org, "hr@acme.example", roles=("admin",))
    make.member(org, "boss@acme.example", roles=("manager",))
    return org


def _events(db, org_id, action=None):
    db.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.organization_id == org_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return db.scalars(stmt.order_by(AuditEvent.seq)).all()


def _seed(db, org_id, count=4):
    for n in range(count):
        audit.record(db, org_id, None, "department.saved", "department", n + 1, name=f"D{n}")
    db.commit()


# -- the chain --------------------------------------------------------------------------------


def test_events_are_numbered_and_chained_per_organization(db, acme, make):
    other = make.org("globex")
    _seed(db, acme.id, 3)
    _seed(db, other.id, 2)
    mine = _events(db, acme.id)
    assert [e.seq for e in mine] == [1, 2, 3]
    assert mine[1].prev_hash == mine[0].hash and mine[2].prev_hash == mine[1].hash
    assert [e.seq for e in _events(db, other.id)] == [1, 2]
    assert db.get(AuditHead, acme.id).hash == mine[-1].hash
    assert audit.verify(db) == []


def test_verify_finds_an_edited_event(db, acme):
    _seed(db, acme.id)
    db.execute(
        update(AuditEvent)
        .where(AuditEvent.organization_id == acme.id, AuditEvent.seq == 2)
        .values(detail={"name": "forged"})
    )
    db.commit()
    (found,) = audit.verify(db)
    assert (found.organization_id, found.seq, found.reason) == (
        acme.id,
        2,
        "its content was changed",
    )


def test_verify_finds_a_deleted_event_and_a_deleted_tail(db, acme):
    _seed(db, acme.id)
    db.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    db.commit()
    assert audit.verify(db)[0].seq == 2
    db.execute(delete(AuditEvent).where(AuditEvent.seq >= 3))
    db.commit()  # 1 is intact, but the head says 4
    (found,) = audit.verify(db)
    assert found.seq == 2 and found.event_id is None


def test_verify_finds_an_inserted_event(db, acme):
    _seed(db, acme.id)
    last = _events(db, acme.id)[-1]
    db.add(
        AuditEvent(
            organization_id=acme.id,
            seq=5,
            action="department.deleted",
            entity="department",
            detail={},
            prev_hash=last.hash,
            hash="f" * 64,
        )
    )
    db.commit()
    (found,) = audit.verify(db)
    assert found.seq == 5


def test_two_transactions_never_chain_onto_the_same_event(app, db, acme):
    """The second writer waits for the first's head lock, then continues from its event."""
    maker = app.extensions["appraisal.sessionmaker"]
    first, second = maker(), maker()
    audit.record(first, acme.id, None, "department.saved", "department", 1)
    first.flush()  # holds the head until commit
    done = threading.Event()

    def other() -> None:
        audit.record(second, acme.id, None, "department.saved", "department", 2)
        second.commit()
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    time.sleep(0.3)
    assert not done.is_set()  # waiting for the first
    first.commit()
    thread.join(timeout=20)
    first.close(), second.close()
    events = _events(db, acme.id)
    assert [(e.seq, e.entity_id) for e in events] == [(1, 1), (2, 2)]
    assert events[1].prev_hash == events[0].hash
    assert audit.verify(db) == []


def test_many_writers_at_once_keep_one_unbroken_chain(app, db, acme):
    """Eight sessions recording and committing at the same time, ten events each: numbers
    1..80 with no gap or repeat, every event chained onto the one before, verify clean."""
    maker = app.extensions["appraisal.sessionmaker"]
    start, failures = threading.Barrier(8), []

    def writer(n: int) -> None:
        session = maker()
        try:
            start.wait(timeout=20)
            for i in range(10):
                audit.record(session, acme.id, None, "department.saved", "department", n * 100 + i)
                session.commit()
        except Exception as error:  # reported to the test below
            failures.append(repr(error))
        finally:
            session.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    events = _events(db, acme.id)
    assert [e.seq for e in events] == list(range(1, 81))
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    assert len({e.entity_id for e in events}) == 80
    assert audit.verify(db) == []


def test_the_cli_reports_the_first_broken_link(runner, db, acme):
    _seed(db, acme.id)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "4 events, intact" in ok.output
    db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(ip="10.9.9.9"))
    db.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"organization {acme.id}: broken at number 3" in broken.output


# -- what is logged ---------------------------------------------------------------------------


def test_sign_in_sign_out_and_failures_are_logged_with_where_from(client, auth, db, acme):
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 " + "x" * 400
    auth.login("hr@acme.example", "not-the-password")
    auth.login("nobody@acme.example", "secret-typed")
    auth.login("hr@acme.example")
    auth.logout()
    events = _events(db, acme.id)
    assert [e.action for e in events] == [
        "auth.sign_in_failed",
        "auth.signed_in",
        "auth.signed_out",
    ]
    failed, signed_in, _out = events
    assert failed.user_id is None and failed.detail == {"reason": "password"}
    assert signed_in.ip == "127.0.0.1" and len(signed_in.user_agent) == 200
    everything = repr([(e.detail, e.entity_id) for e in db.scalars(select(AuditEvent))])
    assert "not-the-password" not in everything and "secret-typed" not in everything
    assert "nobody" not in everything  # an unknown login name is kept nowhere


def test_the_address_is_the_one_the_trusted_proxy_saw(database_url, tmp_path, make, db):
    from appraisal import create_app

    org = make.org("acme")
    make.member(org, "hr@acme.example")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "WTF_CSRF_ENABLED": False,
            "LOG_FORMAT": "plain",
            "STORAGE_DIR": str(tmp_path),
            "TRUSTED_PROXIES": 1,
        }
    )
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}  # the left one is the client's claim
    app.test_client().post(
        "/login", data={"email": "hr@acme.example", "password": PASSWORD}, headers=headers
    )
    app.extensions["appraisal.engine"].dispose()
    assert _events(db, org.id, "auth.signed_in")[0].ip == "203.0.113.7"


def test_every_download_is_logged_with_its_rows(client, auth, db, acme, make):
    make.employee(acme, "E1")
    make.employee(acme, "E2")
    auth.login("hr@acme.example")
    assert client.get("/people/employees/export.csv").status_code == 200
    (event,) = _events(db, acme.id, "export.downloaded")
    assert event.detail["file"] == "employees.csv" and event.detail["rows"] == 2
    assert event.user_id is not None and event.ip == "127.0.0.1"


def test_a_download_on_a_read_only_database_is_served_and_the_miss_logged(
    client, auth, freeze, acme, caplog
):
    auth.login("hr@acme.example")
    freeze.read_only()
    assert client.get("/people/employees/export.csv").status_code == 200
    assert any("Could not audit the download" in r.getMessage() for r in caplog.records)


def test_token_use_is_logged_once_per_interval_and_writes_name_the_token(client, runner, db, acme):
    created = runner.invoke(args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"])
    token = {"Authorization": f"Bearer {created.output.strip()}"}
    for _ in range(3):
        assert client.get("/api/v1/cycles", headers=token).status_code == 200
    (used,) = _events(db, acme.id, "token.used")
    assert used.token_name and used.detail["path"] == "/api/v1/cycles"
    assert used.ip == "127.0.0.1"


# -- the page ---------------------------------------------------------------------------------


def test_the_page_filters_by_person_action_entity_and_period(client, auth, db, acme):
    _seed(db, acme.id, 2)
    auth.login("hr@acme.example")
    page = client.get("/audit").get_data(as_text=True)
    assert page.count("data-seq=") == 3  # two saves and the sign-in
    by_action = client.get("/audit?action=auth.signed_in").get_data(as_text=True)
    assert by_action.count("data-seq=") == 1 and "hr@acme.example" in by_action
    by_entity = client.get("/audit?entity=department").get_data(as_text=True)
    assert by_entity.count("data-seq=") == 2
    by_person = client.get("/audit?person=hr%40acme").get_data(as_text=True)
    assert by_person.count("data-seq=") == 1
    assert (
        client.get("/audit?since=2001-01-01&until=2001-01-02")
        .get_data(as_text=True)
        .count("data-seq=")
        == 0
    )
    bad = client.get("/audit?since=yesterday")
    assert bad.status_code == 422 and 'data-error-for="since"' in bad.get_data(as_text=True)


def test_the_page_shows_before_and_after(client, auth, db, acme):
    audit.record(
        db,
        acme.id,
        None,
        "department.saved",
        "department",
        1,
        changes=audit.changes({"name": "Sales"}, {"name": "Retail sales"}),
    )
    db.commit()
    auth.login("hr@acme.example")
    html = client.get("/audit?entity=department").get_data(as_text=True)
    assert "<del><samp>Sales</samp></del> → <ins><samp>Retail sales</samp></ins>" in html


def test_pages_go_back_by_keyset(client, auth, db, acme):
    _seed(db, acme.id, 60)
    auth.login("hr@acme.example")
    first = client.get("/audit?entity=department").get_data(as_text=True)
    assert first.count("data-seq=") == 50 and 'data-seq="60"' in first
    second = client.get("/audit?entity=department&before=11").get_data(as_text=True)
    assert second.count("data-seq=") == 10 and 'id="audit-older"' not in second


def test_only_admins_read_it_and_only_their_organizations(client, auth, db, acme, make):
    other = make.org("globex")
    audit.record(db, other.id, None, "department.saved", "department", 1, name="SECRET-GLOBEX")
    db.commit()
    auth.login("boss@acme.example")
    assert client.get("/audit").status_code == 403
    assert client.get("/audit.csv").status_code == 403
    auth.logout()
    auth.login("hr@acme.example")
    assert "SECRET-GLOBEX" not in client.get("/audit").get_data(as_text=True)
    assert b"SECRET-GLOBEX" not in client.get("/audit.csv").data


def test_the_export_keeps_formulas_as_text(client, auth, db, acme):
    hr = db.scalar(select(User).where(User.email == "hr@acme.example"))
    hr.name = '=HYPERLINK("http://evil.example")'
    audit.record(db, acme.id, hr.id, "department.saved", "department", 1, name="Sales")
    db.commit()
    auth.login("hr@acme.example")
    text = client.get("/audit.csv").data.decode("utf-8-sig")
    assert "department.saved" in text
    assert "'=HYPERLINK" in text and ',"=HYPERLINK' not in text
    assert client.get("/audit.xlsx").status_code == 200


def test_the_page_speaks_chinese(client, auth, db, acme):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    auth.login("hr@acme.example")
    html = client.get("/audit").get_data(as_text=True)
    assert "审计日志" in html and "登录" in html


# -- append-only ------------------------------------------------------------------------------


def test_nothing_in_the_app_updates_or_deletes_an_audit_event():
    """No statement anywhere in the package changes `AuditEvent` rows other than adding
    them; the audit page's routes only read."""
    offending = []
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts or path == APP / "models" / "audit.py":
            continue  # 0023 numbers the old events; the chain's head moves on each append
        for node in ast.walk(ast.parse(path.read_text())):
            writes = isinstance(node, ast.Call) and getattr(node.func, "id", "") in WRITES
            if writes and any(getattr(a, "id", None) in AUDIT_MODELS for a in node.args):
                offending.append(f"{path}:{node.lineno}")
    assert offending == []


def test_the_log_pages_only_read(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("auditlog.")]
    assert rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


# -- completeness -----------------------------------------------------------------------------

#: Public service functions that write rows without an audit event, and why.
NOT_AUDITED = {
    "audit.py:record": "writes the audit event itself",
    "backups/services.py:schedule": "creates the instance's default schedule (off) when first "
    "read; backups belong to the instance, not to an organization's log",
    "auth/sessions.py:start_session": "the sign-in is audited by auth.services.authenticate",
    "jobs/services.py:create": "a job's own row is its record: who asked, when, what, outcome",
    "jobs/services.py:claim_period": "the queue's bookkeeping for periodic jobs, no one's act",
    "notifications/preferences.py:save_preferences": "a person's own notification choices",
    "people/imports.py:remember_mapping": "remembers column choices; the import is audited",
    "runtime/fieldwork/photos.py:prune_unattached": "removes uploads never attached to a record",
    "users/services.py:get_or_create_organization": "its callers (wizard, demo, CLI) record "
    "organization.created; tests arrange with it",
}


def _writes_and_records(tree: ast.Module) -> dict[str, tuple[bool, bool]]:
    """For each function: does it write (session.add/delete, execute(update/delete/insert))
    and does it record (audit.record, record_for_account, or a function of the module
    that does)?"""
    found: dict[str, tuple[bool, bool, set[str]]] = {}
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        writes = records = False
        calls: set[str] = set()
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            calls.add(name)
            target = getattr(func, "value", None)
            if name in ("add", "add_all", "delete") and getattr(target, "id", "") in (
                "session",
                "db",
            ):
                writes = True
            first = node.args[0] if node.args else None
            if name == "execute" and isinstance(first, ast.Call):
                writes |= getattr(first.func, "id", "") in ("update", "delete", "insert")
            records |= name in ("record", "record_for_account")
        found[fn.name] = (writes, records, calls)
    recording = {name for name, (_w, r, _c) in found.items() if r}
    for _ in range(3):  # helpers that call helpers that record
        recording |= {n for n, (_w, _r, calls) in found.items() if calls & recording}
    return {name: (w, name in recording) for name, (w, _r, _c) in found.items()}


def test_every_service_that_writes_records_an_audit_event():
    """A new service that changes rows and records nothing fails here, until it records or
    is listed in `NOT_AUDITED` with a reason. Views, rules and migrations are not services."""
    silent = set()
    for path in sorted(APP.rglob("*.py")):
        if "migrations" in path.parts or "rules" in path.parts or path.name.endswith("views.py"):
            continue
        for name, (writes, records) in _writes_and_records(ast.parse(path.read_text())).items():
            if writes and not records and not name.startswith("_"):
                silent.add(f"{path.relative_to(APP)}:{name}")
    assert silent == set(NOT_AUDITED)


def test_every_action_is_offered_under_a_named_group():
    """Each action's area leads to an entity with words (`forms.AREA_ENTITY`): an action
    without one would head a group with no name, and that group replaced "All" in the
    select, so the log page refused its own default filter."""
    from appraisal.auditlog.forms import AREA_ENTITY
    from appraisal.labels import AUDIT_ACTION, AUDIT_ENTITY, RECORDED_BEFORE

    areas = {code.split(".")[0] for code in AUDIT_ACTION if code not in RECORDED_BEFORE}
    assert sorted(a for a in areas if AREA_ENTITY.get(a, a) not in AUDIT_ENTITY) == []
