"""Work plans, check-ins and feedback are reached from the top bar by everyone who uses
them: an employee proposes her own plan and praises a colleague, not only a manager."""

from __future__ import annotations

import re

import pytest


def _bar(html: str) -> str:
    return re.search(r'<nav class="navbar.*?</nav>', html, re.S).group(0)


@pytest.mark.parametrize("email", ["ann@acme.example", "boss@acme.example", "hr@acme.example"])
def test_everyone_reaches_work_plans_from_the_top_bar_once(client, auth, company, email):
    auth.login(email)
    bar = _bar(client.get("/tasks").text)
    assert bar.count('href="/plans"') == 1, email


def test_the_plans_page_leads_on_to_check_ins_and_feedback(client, auth, company):
    auth.login("ann@acme.example")
    page = client.get("/plans").text
    assert 'href="/checkins"' in page and 'href="/feedback"' in page
