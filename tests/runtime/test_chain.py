"""Managers further up see and review their reports' teams only where HR turned it on."""

from __future__ import annotations

import re

from appraisal.runtime.reviews.access import viewer_for
from tests.conftest import statements_sent
from tests.pages import without_tokens
from tests.runtime.conftest import appraisal_of


def test_a_managers_manager_follows_the_team_only_when_configured(
    client, auth, db, make, company, launched
):
    membership = make.member(company.org, "uma@acme.example", roles=("manager", "employee"))
    uma = make.employee(company.org, "U001", "Uma", user_id=membership.user_id)
    company.people["bo"].manager_id = uma.id
    db.commit()
    ann = appraisal_of(db, company, "ann")

    auth.login("uma@acme.example")
    assert client.get(f"/appraisals/{ann.id}").status_code == 404
    assert "Ann" not in without_tokens(client.get("/team").text)
    auth.logout()

    auth.login("hr@acme.example")
    client.post("/users/settings", data={"managers_see_chain": "on"})
    auth.logout()
    db.refresh(company.org)
    assert company.org.managers_see_chain is True

    auth.login("uma@acme.example")
    assert client.get(f"/appraisals/{ann.id}").status_code == 200
    assert "Ann" in client.get("/team").text
    assert "Set targets" not in client.get("/tasks").text  # tasks stay with the direct manager
    response = client.post(
        f"/appraisals/{ann.id}/targets", data={"targets.sales": "90000", "version": ann.version}
    )
    assert response.status_code == 302
    db.refresh(ann)
    assert ann.targets == {"sales": 90000}
    oscar = appraisal_of(db, company, "oscar")  # Olga's team is not below Uma
    assert client.get(f"/appraisals/{oscar.id}").status_code == 404


def test_only_hr_changes_the_setting(client, auth, db, company):
    auth.login("boss@acme.example")
    assert client.post("/users/settings", data={"managers_see_chain": "on"}).status_code == 403
    db.refresh(company.org)
    assert company.org.managers_see_chain is False


def test_the_chain_is_asked_of_the_database_only_as_far_as_a_page_needs(
    app, client, auth, db, make, company, launched
):
    """A manager's chain answers as the set of everyone below them; My team puts it in SQL
    and never loads the ids (a top manager's chain is the whole company), while a lookup
    loads them once."""
    membership = make.member(company.org, "uma@acme.example", roles=("manager", "employee"))
    uma = make.employee(company.org, "U001", "Uma", user_id=membership.user_id)
    company.people["bo"].manager_id = uma.id
    company.org.managers_see_chain = True
    db.commit()
    below_bo = {e.id for e in company.people.values() if e.manager_id == company.people["bo"].id}
    assert below_bo

    viewer = viewer_for(db, company.org.id, membership.user_id, frozenset({"manager"}))
    assert viewer.reports == frozenset({company.people["bo"].id, *below_bo})
    assert company.people["bo"].id in viewer.reports and uma.id not in viewer.reports
    nobody = make.member(company.org, "vic@acme.example", roles=("manager", "employee"))
    make.employee(company.org, "V001", "Vic", user_id=nobody.user_id)
    db.commit()
    alone = viewer_for(db, company.org.id, nobody.user_id, frozenset({"manager"}))
    assert not alone.reports and len(alone.reports) == 0
    hash(viewer)  # a viewer is still a value
    assert viewer.reports | {uma.id} == frozenset({uma.id, *viewer.reports})  # plain ids

    auth.login("uma@acme.example")
    for path in CHAIN_PAGES:
        with statements_sent(app) as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        loads = [s for s in seen if re.search(r"\)\s*SELECT below\.id\s+FROM below\b", s)]
        assert not loads, (path, loads)  # the chain goes inside the page's own statements
    assert "Ann" in client.get("/team").text
    fresh = viewer_for(db, company.org.id, membership.user_id, frozenset({"manager"}))
    with statements_sent(app) as seen:
        assert uma.id not in fresh.reports  # a lookup walks up from that one person
        assert company.people["ann"].id in fresh.reports
        assert company.people["ann"].id in fresh.reports  # ... once
    walks = [s for s in seen if re.search(r"RECURSIVE up\b", s)]
    assert len(walks) == 1 and len(seen) == 1, seen  # one walk: Uma is the boss herself


#: A manager's pages that follow their chain: none loads the chain's ids (a top manager's
#: chain is the whole company; their home page took a second at 10,000 employees).
CHAIN_PAGES = (
    "/",
    "/tasks",
    "/team",
    "/dashboards/team",
    "/dashboards/mine",
    "/feedback",
    "/checkins",
    "/plans",
    "/field/team",
)


def test_a_reporting_loop_in_bad_data_ends_and_never_counts_the_boss(db, make, company):
    """Imports and forms refuse reporting loops, but a restored or hand-edited database may
    hold one (the database itself refuses only being one's own manager): the chain still
    ends, holds everyone below once, and never the boss."""
    from appraisal.runtime.reviews.access import Chain, chain_below, chain_query

    org = company.org
    org.managers_see_chain = True
    ava = make.employee(org, "L001", "Ava")
    ben = make.employee(org, "L002", "Ben")
    cai = make.employee(org, "L003", "Cai")
    dan = make.employee(org, "L004", "Dan")
    ava.manager_id, ben.manager_id, cai.manager_id = ben.id, ava.id, ben.id  # Ava ⇄ Ben
    dan.manager_id = cai.id
    db.commit()

    # Read with a limit, a query that went round the loop would show repeats, not hang here.
    assert sorted(db.scalars(chain_query(org.id, ava.id).limit(30))) == [ben.id, cai.id, dan.id]
    assert chain_below(db, org.id, ava.id) == {ben.id, cai.id, dan.id}
    assert chain_below(db, org.id, ben.id) == {ava.id, cai.id, dan.id}
    assert chain_below(db, org.id, cai.id) == {dan.id}
    everyone = [ava.id, ben.id, cai.id, dan.id, *(e.id for e in company.people.values())]
    for boss in (ava, ben, cai, dan):
        loaded = frozenset(Chain(db, org.id, boss.id))
        walked = Chain(db, org.id, boss.id)  # each lookup walks up from that one person
        assert {e for e in everyone if e in walked} == loaded, boss.name
    assert Chain(db, org.id, ava.id) == {ben.id, cai.id, dan.id}
