"""What a plan task is linked to is real: a template item or a target is one of the items of
the person's template in their running appraisal (chosen from a list, named in words), an
external reference is a web link (shown as a link that gives nothing away) or a short plain
reference (shown as text); anything else is refused at its field, what was sent kept."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from appraisal.models import PlanItem
from appraisal.runtime.continuous import plans
from tests.conftest import field_errors
from tests.runtime.continuous.test_plans import _plan, _start, _task

ZH = {"Accept-Language": "zh-CN"}


def _row(page: str, title: str) -> str:
    table = page[page.index('id="plan-items"') :]
    return re.search(rf"<tr>\s*<td[^>]*>{re.escape(title)}.*?</tr>", table, re.S).group(0)


def test_each_kind_of_link_is_saved_and_shown(client, auth, db, company, launched):
    auth.login("ann@acme.example")
    plan_id = _start(client, company)
    for title, fields in [
        ("Item task", {"link_kind": "template_item", "link_item": "customer_care"}),
        ("Target task", {"link_kind": "appraisal_target", "link_item": "sales"}),
        ("Web task", {"link_kind": "external", "link_ref": "https://crm.example/req/42?a=1"}),
        ("Ticket task", {"link_kind": "external", "link_ref": "SR-2026/0042"}),
    ]:
        response = _task(client, plan_id, _plan(db, plan_id).version, title=title, **fields)
        assert response.status_code == 302, (title, field_errors(response.text))
    stored = {i.title: (i.link_kind, i.link_ref) for i in db.scalars(select(PlanItem))}
    assert stored == {
        "Item task": ("template_item", "customer_care"),
        "Target task": ("appraisal_target", "sales"),
        "Web task": ("external", "https://crm.example/req/42?a=1"),
        "Ticket task": ("external", "SR-2026/0042"),
    }
    page = client.get(f"/plans/{plan_id}").text
    assert "Customer care" in _row(page, "Item task")
    assert "Sales amount" in _row(page, "Target task")
    web = _row(page, "Web task")
    assert re.search(
        r'<a href="https://crm.example/req/42\?a=1" rel="noopener noreferrer"[^>]*>', web
    )
    ticket = _row(page, "Ticket task")
    assert "SR-2026/0042" in ticket and "<a " not in ticket
    zh = client.get(f"/plans/{plan_id}", headers=ZH).text
    assert "销售额" in _row(zh, "Target task")


def test_the_form_offers_the_items_of_the_running_appraisal(client, auth, db, company, launched):
    auth.login("ann@acme.example")
    page = client.get(f"/plans/{_start(client, company)}").text
    select_ = page[page.index('name="link_item"') :]
    select_ = select_[: select_.index("</select>")]
    items = re.findall(r'<option value="(\w+)"', select_)
    assert {"sales", "collection", "customer_care", "teamwork"} <= set(items)
    targets = select_[select_.index("Target") :]
    assert re.findall(r'<option value="(\w+)"', targets) == ["sales"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"link_kind": "template_item", "link_item": "NO_SUCH_ITEM"},
            "link_item",
            "Choose an item of Ann's appraisal template from the list.",
        ),
        (
            {"link_kind": "appraisal_target", "link_item": "customer_care"},  # has no target
            "link_item",
            "Choose an item with a target in Ann's appraisal from the list.",
        ),
        (
            {"link_kind": "template_item", "link_item": ""},
            "link_item",
            "Say which one it is linked to.",
        ),
        (
            {"link_kind": "external", "link_ref": "not a url at all"},
            "link_ref",
            "Give a link starting with http:// or https://",
        ),
        (
            {"link_kind": "external", "link_ref": "javascript:alert(1)"},
            "link_ref",
            "Give a link starting with http:// or https://",
        ),
        (
            {"link_kind": "external", "link_ref": "https://"},
            "link_ref",
            "Give a link starting with http:// or https://",
        ),
    ],
)
def test_a_link_that_is_not_real_is_refused_at_its_field(
    client, auth, db, company, launched, fields, field, message
):
    auth.login("ann@acme.example")
    plan_id = _start(client, company)
    response = _task(client, plan_id, 1, title="Linked task", **fields)
    assert response.status_code == 422
    page = response.text
    assert db.scalar(select(PlanItem)) is None
    at_field = page[page.index(f'name="{field}"') :]
    at_field = re.split(r'<div class="mb-2">|<button', at_field)[0]
    assert any(message in html.unescape(e) for e in field_errors(at_field)), field_errors(page)
    sent = fields.get(field)
    if sent and field == "link_item":  # what was sent stays selected beside its message
        assert re.search(rf'<option value="{sent}"\s*selected', at_field)
    elif sent:
        assert f'value="{sent}"' in at_field


def test_without_a_running_appraisal_there_is_no_item_to_link_to(client, auth, db, company):
    auth.login("ann@acme.example")
    plan_id = _start(client, company)
    response = _task(client, plan_id, 1, link_kind="template_item", link_item="customer_care")
    assert response.status_code == 422
    assert any("no appraisal in a running cycle" in e for e in field_errors(response.text))


def test_a_web_link_has_a_host_and_breaks_out_of_nothing():
    assert plans.web_link("https://crm.example/x?y=1")
    assert plans.web_link("HTTP://crm.example")
    for text in ("https://", "javascript:alert(1)", "crm.example", "https://a b", "ftp://x.y"):
        assert not plans.web_link(text), text
