"""The packs as data, loading them (twice), the demo organizations, the command line and
the new-organization wizard."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from appraisal.builder.services import definition_problems
from appraisal.demo import DEMO_PASSWORD
from appraisal.models import (
    Appraisal,
    Cycle,
    Employee,
    Indicator,
    Membership,
    Organization,
    Review,
    Template,
    TemplateVersion,
    User,
)
from appraisal.packs import all_packs, pack_names, read_pack
from appraisal.packs.demo import load_demo_organization
from appraisal.packs.loading import load_pack
from tests.conftest import field_errors

PACKS = ["manufacturing", "retail", "services"]


def test_three_packs_ship():
    assert pack_names() == PACKS


@pytest.mark.parametrize("name", PACKS)
def test_pack_content_is_complete_and_valid(name):
    pack = read_pack(name)
    assert len(pack.indicators) >= 20
    assert {"result", "process", "behaviour"} <= {i["category"] for i in pack.indicators}
    for indicator in pack.indicators:
        assert indicator["name"]["zh"] and indicator["name"]["en"], indicator["key"]
        assert indicator["description"] and indicator["direction"] in ("higher", "lower")
    assert len(pack.templates) >= 3
    assert {"office", "field"} <= {t["staff"] for t in pack.templates}
    library = {i["key"] for i in pack.indicators}
    for definition in pack.templates:
        assert definition_problems(definition) == [], definition["key"]
        items = [it for s in definition["sections"] for it in s["items"]]
        measured = [it for it in items if it["scoring"]["method"] != "none"]
        assert {it["indicator"] for it in measured} <= library  # comments are no indicator
        # written feedback wherever people rate: optional strengths and areas to improve by
        # exactly those raters; any other comment only from people who rate
        writers = {r for it in measured for r in it["raters"]} & {"manager", "peer", "subordinate"}
        comments = {it["key"]: it for it in items if it["type"] == "text"}
        for key in ("strengths", "improvements"):
            assert key in comments, definition["key"]
            assert set(comments[key]["raters"]) == writers
            assert comments[key].get("required") is not True
        for comment in comments.values():
            assert set(comment["raters"]) <= writers
        rationale = pack.rationale(definition["key"])
        assert rationale and "设计说明" in rationale and "rationale" not in rationale
        assert "rationale" in pack.rationale(definition["key"], "en")
    people = pack.demo["employees"]
    assert 20 <= len(people) <= 40
    numbers = {p[0] for p in people}
    assert all(p[4] is None or p[4] in numbers for p in people)
    assert {"admin", "implementer", "manager", "employee", "peer"} <= set(pack.demo["logins"])


@pytest.mark.parametrize("name", PACKS)
def test_loading_twice_adds_nothing_the_second_time(db, make, name):
    org = make.org("acme")
    pack = read_pack(name)
    first = load_pack(db, org.id, pack, None)
    db.commit()
    assert len(first.indicators.added) == len(pack.indicators)
    assert len(first.templates.added) == len(pack.templates)
    second = load_pack(db, org.id, pack, None)
    db.commit()
    assert second.indicators.added == [] and second.templates.added == []
    assert len(second.indicators.skipped) == len(pack.indicators)
    assert len(second.templates.skipped) == len(pack.templates)
    assert db.scalar(select(func.count(Indicator.id))) == len(pack.indicators)
    assert db.scalar(select(func.count(TemplateVersion.id))) == len(pack.templates)


def test_an_adapted_template_is_reported_not_overwritten(db, make):
    org = make.org("acme")
    pack = read_pack("retail")
    load_pack(db, org.id, pack, None)
    template = db.scalar(select(Template).where(Template.key == "retail-store-associate"))
    adapted = dict(template.definition, period="quarter")
    template.draft = adapted
    indicator = db.scalar(select(Indicator).where(Indicator.key == "personal_sales"))
    indicator.unit = "千元"
    db.commit()
    report = load_pack(db, org.id, pack, None)
    assert report.templates.differs == ["retail-store-associate"]
    assert report.indicators.differs == ["personal_sales"]
    db.refresh(template)
    assert template.draft["period"] == "quarter"


@pytest.mark.parametrize("name", PACKS)
def test_demo_organization_is_a_living_system(db, name):
    result = load_demo_organization(db, read_pack(name), f"{name}-demo")
    db.commit()
    org_id = result.organization.id
    assert (
        20
        <= db.scalar(select(func.count(Employee.id)).where(Employee.organization_id == org_id))
        <= 40
    )
    cycle_states = set(db.scalars(select(Cycle.state).where(Cycle.organization_id == org_id)))
    assert cycle_states == {"running"}
    appraisals = db.scalars(select(Appraisal).where(Appraisal.organization_id == org_id)).all()
    assert len(appraisals) >= 6
    assert any(a.targets for a in appraisals)
    states = {a.state for a in appraisals}
    assert "goal_setting" in states and states & {"self_review", "manager_review"}
    figures = db.scalars(
        select(Review).where(Review.slot == "data", Review.organization_id == org_id)
    ).all()
    assert len(figures) == len(appraisals)
    emails = [email for email, _roles in result.logins]
    assert f"admin@{name}-demo.example" in emails and f"employee@{name}-demo.example" in emails


def test_packs_commands(runner, db):
    listed = runner.invoke(args=["packs", "list"])
    assert listed.exit_code == 0
    for pack in all_packs():
        assert pack.key in listed.output
        for definition in pack.templates:
            assert definition["key"] in listed.output

    first = runner.invoke(args=["packs", "load", "services", "--org", "newco"])
    assert first.exit_code == 0, first.output
    assert "indicators: 26 added" in first.output and "(new)" in first.output
    assert "metrics: 9 added" in first.output
    again = runner.invoke(args=["packs", "load", "services", "--org", "newco"])
    assert "indicators: 0 added, 26 already there" in again.output
    assert "templates: 0 added, 3 already there" in again.output
    assert "metrics: 0 added, 9 already there" in again.output
    assert db.scalar(select(func.count(Organization.id))) == 1

    missing = runner.invoke(args=["packs", "load", "mining", "--org", "newco"])
    assert missing.exit_code == 1 and "no pack 'mining'" in missing.output
    demo = runner.invoke(args=["packs", "load", "retail", "--org", "shop", "--demo"])
    assert demo.exit_code == 0, demo.output
    assert "admin@shop.example" in demo.output
    assert DEMO_PASSWORD not in demo.output  # random passwords, printed once
    printed = re.search(r"admin@shop\.example\s+(\S+)\s+admin", demo.output).group(1)
    admin = db.scalar(select(User).where(User.email == "admin@shop.example"))
    assert check_password_hash(admin.password_hash, printed)
    assert not check_password_hash(admin.password_hash, DEMO_PASSWORD)
    refused = runner.invoke(args=["packs", "load", "retail", "--org", "shop", "--demo"])
    assert refused.exit_code == 1 and "a demo needs a new one" in refused.output


def test_implementer_creates_an_organization_from_a_pack(client, auth, db, make):
    org = make.org("consulting")
    make.member(org, "imp@consulting.example", roles=("implementer",))
    auth.login("imp@consulting.example")
    assert "manufacturing" in client.get("/packs/").text

    response = client.post(
        "/packs/new-organization",
        data={"pack": "retail", "name": "Happy Shops", "slug": "Bad Slug!"},
    )
    assert response.status_code == 422
    assert "Use 2–40 characters: a–z, 0–9 and -." in field_errors(response.text)
    assert 'value="Happy Shops"' in response.text

    response = client.post(
        "/packs/new-organization",
        data={"pack": "retail", "name": "Happy Shops", "slug": "happy-shops"},
    )
    assert response.status_code == 200
    assert 'data-count="added">27<' in response.text  # the retail library
    assert '<section class="card card-body" id="report-4">' in response.text  # its metrics
    created = db.scalar(select(Organization).where(Organization.slug == "happy-shops"))
    roles = db.scalar(select(Membership).where(Membership.organization_id == created.id)).roles
    assert roles == {"admin", "implementer"}
    templates = client.get("/builder/templates").text  # switched to the new organization
    assert "retail-store-manager" in templates

    response = client.post(
        "/packs/new-organization",
        data={"pack": "retail", "name": "Again", "slug": "happy-shops"},
    )
    assert "This short name is taken." in field_errors(response.text)


def test_employees_and_managers_cannot_use_packs(client, auth, make):
    org = make.org("acme")
    make.member(org, "boss@acme.example", roles=("manager",))
    auth.login("boss@acme.example")
    assert client.get("/packs/").status_code == 403
    assert client.post("/packs/retail/load").status_code == 403
    assert client.get("/packs/retail/templates/retail-store-manager").status_code == 403


def test_rationale_page(client, auth, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    page = client.get("/packs/services/templates/svc-field-technician").text
    assert "<h1>Field technician (monthly): rationale</h1>" in page
    assert "<strong>" in page and "**" not in page  # Markdown rendered, not shown raw
    assert "外勤技术员（月度）设计说明" not in page  # one language at a time
    chinese = client.get(
        "/packs/services/templates/svc-field-technician", headers={"Accept-Language": "zh-CN"}
    ).text
    assert "<h1>外勤技术员（月度）设计说明</h1>" in chinese and "rationale</h1>" not in chinese
    assert client.get("/packs/services/templates/nope").status_code == 404
    assert client.get("/packs/mining/templates/x").status_code == 404


def test_wizard_demo_people_get_random_passwords_shown_once(client, auth, db, make):
    """A demo on a live instance must not open with the well-known `make run` password."""
    make.member(make.org("consulting"), "imp@consulting.example", roles=("implementer",))
    auth.login("imp@consulting.example")
    response = client.post(
        "/packs/new-organization",
        data={"pack": "services", "name": "Trial", "slug": "trial", "with_demo": "y"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = dict(
        re.findall(r"<td>([\w.-]+@trial\.example)</td><td><code[^>]*>([^<]+)</code>", response.text)
    )
    assert "admin@trial.example" in shown and DEMO_PASSWORD not in shown.values()
    auth.logout()
    assert auth.login("admin@trial.example", DEMO_PASSWORD).status_code == 401
    assert auth.login("admin@trial.example", shown["admin@trial.example"]).status_code == 302


def test_a_demo_never_takes_in_an_existing_account(client, auth, db, make):
    make.member(make.org("elsewhere"), "admin@trial.example")
    make.member(make.org("consulting"), "imp@consulting.example", roles=("implementer",))
    auth.login("imp@consulting.example")
    response = client.post(
        "/packs/new-organization",
        data={"pack": "services", "name": "Trial", "slug": "trial", "with_demo": "y"},
    )
    assert response.status_code == 422
    assert field_errors(response.text) == [
        "An account admin@trial.example exists already; choose another short name."
    ]
    assert db.scalar(select(Organization.id).where(Organization.slug == "trial")) is None


def test_the_report_page_already_shows_the_new_organization(client, auth, db, make):
    """The navbar of the page answering the creation names the new organization as the
    current one (it used to show the old one until the next page)."""
    org = make.org("consulting")
    make.member(org, "imp@consulting.example", roles=("implementer",))
    auth.login("imp@consulting.example")
    response = client.post(
        "/packs/new-organization",
        data={"pack": "retail", "name": "Happy Shops", "slug": "happy-shops"},
    )
    created = db.scalar(select(Organization).where(Organization.slug == "happy-shops"))
    switcher = response.text[response.text.index('id="org-switcher"') :]
    assert f'<option value="{created.id}" selected>Happy Shops</option>' in switcher
    assert f'<option value="{org.id}" selected>' not in switcher
