"""Issue 19: HR writes its own words for each kind of notification in Chinese and English,
sees them filled with example values before saving, and can go back to the default. Only the
kind's placeholders are replaced, by plain values: a template is not Jinja, `{{ 7*7 }}` stays
text and `{__class__}` is refused. Saves from a stale page are 409, refusals 422 with the
typed words kept; other organizations' words are never seen; only HR admins get in."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from appraisal.models import MessageTemplate, OutboxMessage, User
from appraisal.notifications import render, setup
from appraisal.notifications.catalogue import KINDS
from appraisal.notifications.services import Event, notify
from appraisal.states import NotificationKind
from tests.conftest import field_errors

NOON_SHANGHAI = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
KIND = NotificationKind.REVIEW_TO_FILL
EDIT = f"/notifications/templates/{KIND}/en"


@pytest.fixture
def orgs(make):
    acme = make.org("acme")
    make.member(acme, "hr@acme.example", roles=("admin",))
    make.member(acme, "ann@acme.example", roles=("employee",))
    make.member(acme, "imp@acme.example", roles=("implementer",))
    globex = make.org("globex")
    make.member(globex, "hr@globex.example", roles=("admin",))
    return acme, globex


@pytest.fixture
def hr(auth, orgs):
    auth.login("hr@acme.example")
    return orgs[0]


def _templates(db, **where) -> list[MessageTemplate]:
    db.expire_all()
    query = select(MessageTemplate)
    for column, value in where.items():
        query = query.where(getattr(MessageTemplate, column) == value)
    return list(db.scalars(query))


def _save(client, subject, body, version=0, url=EDIT, **extra):
    data = {"subject": subject, "body": body, "version": str(version), "save": "Save"}
    return client.post(url, data=data | extra)


def _preview(client, subject, body, version=0, url=EDIT):
    data = {"subject": subject, "body": body, "version": str(version), "preview": "Preview"}
    return client.post(url, data=data)


def _text(page: str) -> str:
    """The page's text as read (placeholders are marked up in `<code>`)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _part(page: str, id_: str) -> str:
    found = re.search(rf'id="{id_}"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(found.group(1).strip()) if found else ""


def test_every_kind_shows_its_words_in_both_languages_the_defaults_marked(client, hr):
    page = client.get("/notifications/templates")
    assert page.status_code == 200
    for kind in KINDS.values():
        assert str(kind.label) in page.text
    assert page.text.count("data-default") == 2 * len(KINDS)
    assert "Goals to confirm: {employee}, {cycle}" in _text(page.text)
    assert _save(client, "Your turn, {name}", "Fill in {step} for {employee}.").status_code == 302
    page = client.get("/notifications/templates").text
    assert page.count("data-own") == 1 and page.count("data-default") == 2 * len(KINDS) - 1
    assert "Your turn, {name}" in _text(page)
    assert "<code>{name}</code>" in page


def test_the_edit_page_lists_the_placeholders_the_kind_may_use(client, hr):
    page = client.get(EDIT).text
    listed = re.findall(r"<code>\{(\w+)\}</code>", page)
    assert listed == ["name", "organization", "cycle", "employee", "step", "due"]
    assert 'name="version" type="hidden" value="0"' in page


def test_a_preview_fills_example_values_keeps_the_typed_words_and_saves_nothing(client, hr, db):
    typed = "Dear {name}, the {step} of {employee} is due {due}."
    page = _preview(client, "{cycle}: over to you", typed)
    assert page.status_code == 200
    assert _part(page.text, "preview-subject") == "2026 Q4: over to you"
    assert _part(page.text, "preview-body") == (
        "Dear Li Lei, the self review of Han Meimei is due 2026-12-10."
    )
    assert html.escape(typed, quote=False) in page.text  # still in the field
    assert _templates(db) == []


def test_a_chinese_template_is_previewed_with_chinese_values(client, hr):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the page's language is not the message's
    page = _preview(
        client, "{cycle}", "{employee}的{step}", url=f"/notifications/templates/{KIND}/zh"
    )
    assert _part(page.text, "preview-subject") == "2026 第四季度"
    assert _part(page.text, "preview-body") == "韩梅梅的自评"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    overview = _text(client.get("/notifications/templates").text)
    assert "待填写的评价" in overview and "待填写的评价：{employee}，{cycle}" in overview


def test_hr_words_are_what_notify_sends_and_only_in_their_language_and_organization(
    client, hr, db, orgs
):
    acme, globex = orgs
    assert _save(client, "{employee}: your {step}", "Hello {name}, see {cycle}.").status_code == 302
    ann = db.scalar(select(User.id).where(User.email == "ann@acme.example"))
    context = {"cycle": "2026 Q4", "employee": "Li Lei", "step": "manager", "due": "2026-12-10"}
    notify(db, Event(acme.id, KIND, "appraisal:1:manager", [ann], context, "/x"), NOON_SHANGHAI)
    db.commit()
    message = db.scalar(select(OutboxMessage))
    english = render.words(db, acme.id, message.kind, "en", message.context, name="Ann")
    assert english == render.Words("Li Lei: your manager review", "Hello Ann, see 2026 Q4.")
    # the other language keeps the default until HR writes it too
    chinese = render.words(db, acme.id, message.kind, "zh", message.context, name="Ann")
    assert chinese.subject == render.words(db, globex.id, KIND, "zh", context).subject
    assert "Li Lei" in chinese.subject and "your" not in chinese.subject
    other = render.words(db, globex.id, KIND, "en", context, name="Ann")
    assert other.subject == "A review to fill: Li Lei, 2026 Q4"


@pytest.mark.parametrize(
    ("subject", "body", "field", "says"),
    [
        ("", "Body {name}", "subject", "Write something here."),
        ("Subject", "   \n ", "body", "Write something here."),
        ("x" * 201, "Body", "subject", "At most 200 characters (this has 201)."),
        ("Subject", "y" * 1001, "body", "At most 1000 characters (this has 1001)."),
        ("Subject", "Your salary: {salary}", "body", "Unknown placeholder: {salary}."),
        ("{__class__}", "Body", "subject", "Unknown placeholder: {__class__}."),
        ("Two\nlines", "Body", "subject", "The subject is one line."),
    ],
)
def test_words_that_cannot_be_sent_are_refused_at_their_field_with_the_typed_words_kept(
    client, hr, db, subject, body, field, says
):
    for post in (_save, _preview):
        page = post(client, subject, body)
        assert page.status_code == 422
        errors = field_errors(page.text)
        assert any(html.unescape(e).startswith(says) for e in errors), errors
        assert re.search(
            rf'data-error-for="{field}"|id="{field}"[^>]*is-invalid|is-invalid[^>]*id="{field}"',
            page.text,
        )
        kept = body if field == "body" else subject
        assert html.escape(kept.strip() or kept, quote=False)[:50] in page.text
    assert _templates(db) == []


def test_an_unknown_placeholder_is_refused_in_chinese_for_a_chinese_reader(client, hr, db):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = _save(client, "主题", "{salary}")
    assert page.status_code == 422
    assert any(
        "{salary}" in e and re.search(r"[\u4e00-\u9fff]", e) for e in field_errors(page.text)
    )


def test_a_template_is_not_jinja_and_values_are_plain_escaped_text(client, hr, db, orgs):
    acme, _globex = orgs
    subject = "{{ 7*7 }} {{name}} {% if 1 %}x{% endif %}"
    body = "{employee} <b>bold</b> {{ config }}"
    page = _preview(client, subject, body)
    assert page.status_code == 200
    assert _part(page.text, "preview-subject") == "{{ 7*7 }} {Li Lei} {% if 1 %}x{% endif %}"
    assert "<b>bold</b>" not in page.text and "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert _save(client, subject, body).status_code == 302
    # a value is inserted as it is: neither expanded again nor read as markup
    context = {"employee": "{cycle} <script>alert(1)</script>", "cycle": "2026 Q4"}
    words = render.words(db, acme.id, KIND, "en", context, name="{organization}")
    assert words.subject == "{{ 7*7 }} {{organization}} {% if 1 %}x{% endif %}"
    assert words.body == "{cycle} <script>alert(1)</script> <b>bold</b> {{ config }}"
    listed = client.get("/notifications/templates").text
    assert "{{ 7*7 }}" in _text(listed) and "<b>bold</b>" not in listed


def test_a_save_from_a_page_opened_before_someone_elses_is_a_conflict(client, hr, db, orgs):
    _acme, _globex = orgs
    assert _save(client, "First {name}", "One").status_code == 302  # version 0: none yet
    again = _save(client, "Second {name}", "Two", version=0)  # the same stale page
    assert again.status_code == 409
    assert "Second {name}" in html.unescape(again.text)
    assert "Saved meanwhile: First {name}" in html.unescape(again.text)
    [row] = _templates(db)
    assert (row.subject, row.version) == ("First {name}", 1)
    # the page now carries the saved version: saving again overwrites knowingly
    assert f'name="version" type="hidden" value="{row.version}"' in again.text
    assert _save(client, "Second {name}", "Two", version=row.version).status_code == 302
    [row] = _templates(db)
    assert (row.subject, row.version) == ("Second {name}", 2)
    assert _save(client, "Third", "Three", version=1).status_code == 409


def test_reset_goes_back_to_the_default_and_a_stale_reset_is_a_conflict(client, hr, db):
    assert _save(client, "Mine {name}", "Mine").status_code == 302
    [_row] = _templates(db)
    assert _save(client, "Mine again {name}", "Mine", version=1).status_code == 302
    stale = client.post(f"{EDIT}/reset", data={"version": "1"})
    assert stale.status_code == 409
    assert len(_templates(db)) == 1
    done = client.post(f"{EDIT}/reset", data={"version": "2"})
    assert done.status_code == 302
    assert _templates(db) == []
    page = client.get(EDIT).text
    assert "A review to fill: {employee}, {cycle}" in html.unescape(page)
    assert 'value="0"' in page
    # a save from the page shown before the reset is refused too, not silently re-created
    assert _save(client, "Back {name}", "x", version=2).status_code == 409
    assert _templates(db) == []


def test_another_organizations_words_are_never_seen_or_changed(client, auth, hr, db, orgs):
    _acme, globex = orgs
    db.add(
        MessageTemplate(
            organization_id=globex.id, kind=KIND, language="en", subject="Globex {name}", body="G"
        )
    )
    db.commit()
    assert "Globex" not in client.get("/notifications/templates").text
    assert "Globex" not in client.get(EDIT).text
    assert client.post(f"{EDIT}/reset", data={"version": "1"}).status_code == 302
    assert [t.subject for t in _templates(db)] == ["Globex {name}"]
    assert _save(client, "Acme {name}", "A").status_code == 302
    assert sorted(t.subject for t in _templates(db)) == ["Acme {name}", "Globex {name}"]


@pytest.mark.parametrize(
    "url", [f"/notifications/templates/{KIND}/fr", "/notifications/templates/nope/en"]
)
def test_a_kind_or_language_that_does_not_exist_is_a_404(client, hr, url):
    assert client.get(url).status_code == 404
    assert client.post(url, data={"subject": "x", "body": "y", "save": "1"}).status_code == 404


@pytest.mark.parametrize("who", ["ann@acme.example", "imp@acme.example"])
def test_only_hr_admins_reach_the_set_up(client, auth, orgs, db, who):
    auth.login(who)
    for url in ("/notifications/settings", "/notifications/templates", EDIT):
        assert client.get(url).status_code == 403
    assert _save(client, "Mine {name}", "x").status_code == 403
    assert client.post(f"{EDIT}/reset", data={"version": "0"}).status_code == 403
    assert _templates(db) == []
    assert 'id="nav-notifications"' not in client.get("/").text


def test_signed_out_visitors_are_sent_to_sign_in(client, orgs):
    assert client.get("/notifications/templates").status_code == 302


def test_the_set_up_menu_and_index_lead_to_templates_robots_and_log(client, hr):
    home = client.get("/").text
    assert 'href="/notifications/settings" id="nav-notifications"' in home
    index = client.get("/notifications/settings").text
    for path in ("/notifications/templates", "/notifications/robots", "/notifications/log"):
        assert f'href="{path}"' in index


def test_a_save_needs_the_csrf_token_of_the_session(app, client, hr, db):
    app.config["WTF_CSRF_ENABLED"] = True
    assert _save(client, "Mine {name}", "x").status_code == 400
    assert client.post(f"{EDIT}/reset", data={"version": "0"}).status_code == 400
    page = client.get(EDIT).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert _save(client, "Mine {name}", "x", csrf_token=token).status_code == 302
    assert len(_templates(db)) == 1


def test_the_service_refuses_the_same_way_whatever_the_door(app, db, orgs):
    acme, _globex = orgs
    with app.test_request_context(), pytest.raises(setup.TemplateRefused) as refused:
        setup.save_template(db, acme.id, KIND, "en", "", "{nope}", None, None)
    assert set(refused.value.errors) == {"subject", "body"}
    assert _templates(db) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_default_words_pass_the_check_hr_words_pass(app, language):
    """A translation that dropped or renamed a placeholder would send a hole."""
    with app.app_context():
        for kind in KINDS:
            words = render.default_words(kind, language)
            assert setup.check_words(kind, words.subject, words.body) == {}, (kind, words)
            assert set(re.findall(r"\{(\w+)\}", words.subject + words.body)) == set(
                re.findall(r"\{(\w+)\}", str(KINDS[kind].subject) + str(KINDS[kind].body))
            ), kind
