"""The home page shows what needs doing: the viewer's tasks, and for HR the cycles in
progress and the appeals waiting, each with a link."""

from __future__ import annotations

from sqlalchemy import event

from appraisal.models import Appeal
from tests.runtime.conftest import appraisal_of


def test_hr_home_counts_tasks_cycles_and_waiting_appeals(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.state = "published"
    db.add(
        Appeal(organization_id=ann.organization_id, appraisal_id=ann.id, reason="Scrap is wrong")
    )
    db.commit()
    auth.login("hr@acme.example")
    page = client.get("/").text
    cycles = page[page.index('id="home-cycles"') :]
    assert '<span class="display-6" data-count>1</span>' in cycles[:300]
    assert f'href="/cycles/{launched.id}"' in cycles and launched.name in cycles
    appeals = page[page.index('id="home-appeals"') :]
    assert '<span class="display-6" data-count>1</span>' in appeals[:300]
    assert f'href="/appraisals/{ann.id}/result"' in appeals
    assert 'id="home-tasks"' in page


def test_an_employee_sees_their_tasks_only(client, auth, company, launched):
    auth.login("ann@acme.example")
    page = client.get("/").text
    assert 'id="home-tasks"' in page
    assert 'id="home-cycles"' not in page and 'id="home-appeals"' not in page


def test_the_pages_a_manager_uses_most_cost_a_fixed_number_of_statements(
    app, client, auth, launched
):
    """Every statement here is paid by every request of every signed-in user (issue 20):
    the sign-in, the membership, the viewer (employee record and chain flag in one), the
    tasks or team with what they read, the bell. A new per-request query fails this."""
    engine = app.extensions["appraisal.engine"]
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    auth.login("olga@acme.example")
    for path, budget in (("/", 12), ("/team", 12)):
        client.get(path)  # anything done once per process is done
        seen.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(seen) <= budget, (path, len(seen), seen)


def test_the_pages_a_manager_uses_most_build_no_statement_per_request(
    app, client, auth, db, company, launched
):
    """The load test's pages (home, My team, a report's appraisal, the own dashboard) run
    statements built once per process: building one and its cache key costs about what
    running it does (issue 20). Relationship loads are the ORM's own. A statement built in
    a request fails this, with where it came from."""
    from sqlalchemy.orm import Session

    ann = appraisal_of(db, company, "ann")
    auth.login("boss@acme.example")
    paths = ("/", "/team", f"/appraisals/{ann.id}", "/dashboards/mine")
    executed: list[object] = []

    def record(state):
        if not state.is_relationship_load:
            executed.append(state.statement)

    for path in paths:
        assert client.get(path).status_code == 200  # anything done once per process is done
        event.listen(Session, "do_orm_execute", record)
        try:
            executed.clear()
            assert client.get(path).status_code == 200
            first = list(executed)
            executed.clear()
            assert client.get(path).status_code == 200
            again = list(executed)
        finally:
            event.remove(Session, "do_orm_execute", record)
        built = [str(s)[:120] for s in again if not any(s is f for f in first)]
        assert first and built == [], (path, built)
