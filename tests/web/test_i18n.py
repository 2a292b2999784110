"""Simplified Chinese and English: browser default, per-user choice, complete catalogue."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import appraisal

TRANSLATIONS = Path(appraisal.__file__).parent / "translations"


def test_browser_language_is_the_default(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(
        as_text=True
    )
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in english.get_data(as_text=True)


def test_chinese_is_the_default_without_a_browser_preference(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": ""}).get_data(as_text=True)


def test_a_signed_in_user_switches_language_and_it_is_remembered(client, auth, make, db):
    membership = make.member(make.org(), "hr@acme.example")
    auth.login("hr@acme.example")
    english = {"Accept-Language": "en"}
    assert "Employees" in client.get("/", headers=english).get_data(as_text=True)
    client.post("/language", data={"language": "zh", "next": "/"})
    assert "员工" in client.get("/", headers=english).get_data(as_text=True)
    db.expire_all()
    assert db.get(type(membership.user), membership.user_id).language == "zh"
    auth.logout()
    auth.login("hr@acme.example")
    assert "员工" in client.get("/", headers=english).get_data(as_text=True)


def test_templates_follow_a_locale_forced_inside_the_request(app):
    """The catalogue is found once per request and locale (`i18n.translations`): a message
    rendered in another language mid-request (an e-mail in the recipient's) is in it, and the
    page's own language comes back afterwards."""
    from flask import render_template_string
    from flask_babel import force_locale

    text = "{{ _('Sign in') }}"
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert render_template_string(text) == "登录"
        with force_locale("en"):
            assert render_template_string(text) == "Sign in"
        assert render_template_string(text) == "登录"


def test_form_validation_messages_are_translated(client, auth, make):
    make.member(make.org(), "hr@acme.example")
    auth.login("hr@acme.example")
    client.post("/language", data={"language": "zh"})
    page = client.post("/people/employees/new", data={"number": "", "name": ""})
    assert "该字段是必填字段。" in page.get_data(as_text=True) or "必填" in page.get_data(
        as_text=True
    )


def test_every_message_has_a_chinese_translation_and_the_compiled_catalogue_is_current():
    with (TRANSLATIONS / "zh/LC_MESSAGES/messages.po").open("rb") as po_file:
        source = read_po(po_file)
    with (TRANSLATIONS / "zh/LC_MESSAGES/messages.mo").open("rb") as mo_file:
        compiled = read_mo(mo_file)
    with (TRANSLATIONS / "messages.pot").open("rb") as pot_file:
        template = read_po(pot_file)
    in_code = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            TRANSLATIONS.parent,
            [("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords={**DEFAULT_KEYWORDS, "_l": None},
        )
    }
    assert {"Sign in", "Employee number"} <= in_code  # templates and code were both read
    translated = {m.id: m.string for m in source if m.id and all(_forms(m.string))}
    assert sorted(in_code - translated.keys()) == [], "run `make translations` and translate"
    assert {m.id for m in template if m.id} <= {m.id for m in source if m.id}
    # a plural message's id and forms are tuples in the .po, lists in the .mo
    assert {_same(m.id): _same(m.string) for m in source if m.id} == {
        _same(m.id): _same(m.string) for m in compiled if m.id
    }


def _forms(string):
    """A message's translation: one text, or each plural form (all must be there)."""
    return tuple(string) if isinstance(string, list | tuple) else (string,)


def _same(text):
    return tuple(text) if isinstance(text, list | tuple) else text
