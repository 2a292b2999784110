"""Issue 20, the load test: what every signed-in page pays before doing its own work. The
sign-in (session, user, memberships, organizations, roles, the employee record, the bell's
count) is one statement, and the top bar's menu is drawn once per language and flags; none
of it may outlive a change: the next request sees a changed role, a removed membership or
employee record, a new notification."""

from __future__ import annotations

import re

import pytest
from flask import render_template
from jinja2 import meta
from sqlalchemy import select

from appraisal.layout import MENU_FLAGS
from appraisal.models import Employee, Membership, UserSession
from tests.conftest import statements_sent
from tests.notifications.test_centre import bell, tell


@pytest.fixture
def bare_pages(app):
    """A signed-in view that draws nothing, and one that draws the layout alone."""

    def bare():
        return "bare"

    def layout():
        return render_template("base.html")

    app.add_url_rule("/_bare", view_func=bare)
    app.add_url_rule("/_layout", view_func=layout)


@pytest.fixture
def hr(make):
    org = make.org("acme", "Acme")
    make.member(org, "hr@acme.example", roles=("admin",))
    make.employee(org, "E1", user_id=make.db.scalar(select(Membership.user_id)))
    return org


def test_a_signed_in_page_reads_its_sign_in_in_one_statement(app, client, auth, hr, bare_pages):
    auth.login("hr@acme.example")
    for path in ("/_bare", "/_layout"):
        client.get(path)  # anything done once per process is done
        with statements_sent(app) as seen:
            assert client.get(path).status_code == 200
        assert len(seen) == 1, (path, seen)
    page = client.get("/_layout").text
    assert 'id="nav-setup"' in page and 'id="nav-field"' in page  # admin, employee record
    assert bell(page) == (None, "0 unread notifications")


def test_a_change_of_role_or_employee_record_shows_in_the_next_menu(client, auth, db, hr):
    auth.login("hr@acme.example")
    assert 'id="nav-setup"' in client.get("/").text
    membership = db.scalar(select(Membership))
    membership.set_roles({"employee"})
    db.commit()
    page = client.get("/").text
    assert 'id="nav-setup"' not in page and 'id="nav-field-today"' in page
    db.scalar(select(Employee)).user_id = None
    db.commit()
    page = client.get("/").text
    assert 'id="nav-field"' not in page and 'id="nav-tasks"' in page


def test_the_menu_speaks_the_language_of_each_page(client, auth, hr):
    auth.login("hr@acme.example")
    assert ">Set-up</button>" in client.get("/").text
    client.post("/language", data={"language": "zh"})
    page = client.get("/").text
    assert ">Set-up</button>" not in page and 'id="nav-setup"' in page


def test_a_removed_membership_or_ended_session_counts_on_the_next_request(
    client, auth, db, hr, bare_pages
):
    auth.login("hr@acme.example")
    assert client.get("/_layout").text.count('id="nav-tasks"') == 1
    db.scalar(select(Membership)).active = False
    db.commit()
    page = client.get("/_layout").text
    assert 'id="nav-tasks"' not in page and 'id="nav-bell"' not in page
    assert client.get("/").status_code == 200  # signed in, a member of nothing
    db.execute(UserSession.__table__.delete())
    db.commit()
    assert client.get("/").status_code == 302  # to the sign-in page


def test_the_bell_counts_what_arrived_since_the_last_page(client, auth, db, hr):
    auth.login("hr@acme.example")
    assert bell(client.get("/").text) == (None, "0 unread notifications")
    user_id = db.scalar(select(Membership.user_id))
    tell(db, hr, [user_id], 2)
    assert bell(client.get("/").text) == ("2", "2 unread notifications")


#: What a fragment may read besides its own values: the same for everyone in a language.
SAME_FOR_EVERYONE = {"url_for", "_", "gettext", "ngettext", "bootstrap"}


def test_fragments_read_nothing_but_their_values(app):
    """A cached fragment that read the request, the session or the user would show one
    person's page to another: the key holds only the values it is given."""
    env = app.jinja_env
    base = env.loader.get_source(env, "base.html")[0]
    fragments = {name: set() for name in re.findall(r'fragment\("([^"]+)"', base)}
    fragments["_bell.html"] = {"unread"}
    fragments["_menu.html"] = {*MENU_FLAGS, "member", "team_lead"}
    assert set(fragments) == {"_head.html", "_bell.html", "_menu.html", "_tail.html"}
    for name, values in fragments.items():
        read = meta.find_undeclared_variables(env.parse(env.loader.get_source(env, name)[0]))
        assert read <= values | SAME_FOR_EVERYONE, (name, read - values - SAME_FOR_EVERYONE)
