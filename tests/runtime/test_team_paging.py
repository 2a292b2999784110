"""Issue 20: "My team" comes a page at a time, chosen by the database, and a manager who
sees their chain reaches everyone below through the pages (and HR the manager-less)."""

from __future__ import annotations

import re

from appraisal.models import Organization
from appraisal.runtime.cycles import tasks


def _names(html: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/appraisals/\d+">([^<]+)</a>', html)


def test_the_team_pages_through_the_chain(client, auth, db, company, launched, monkeypatch):
    monkeypatch.setattr(tasks, "TEAM_ROWS", 2)
    olga, bo = company.people["olga"], company.people["bo"]
    # Olga → Bo → Ann, Pat, Quinn; Olga → Oscar (Bo's own appraisal keeps the manager he
    # had at launch: none)
    bo.manager_id = olga.id
    db.get(Organization, company.org.id).managers_see_chain = True
    db.commit()
    auth.login("olga@acme.example")
    seen = []
    for page in (1, 2):
        html = client.get("/team", query_string={"page": page}).text
        seen += _names(html)
    assert sorted(seen) == ["Ann", "Oscar", "Pat", "Quinn"]
    assert "1 / 2" in client.get("/team").text

    auth.logout()
    auth.login("boss@acme.example")  # Bo sees his own reports, never himself or Olga
    assert sorted(_names(client.get("/team").text)) == ["Ann", "Pat"]
    assert sorted(_names(client.get("/team?page=2").text)) == ["Quinn"]


def test_hr_sees_the_manager_less_on_the_team_page(client, auth, db, company, launched):
    auth.login("hr@acme.example")
    # Bo and Olga have no manager: HR does their manager's part
    assert sorted(_names(client.get("/team").text)) == ["Bo", "Olga"]
