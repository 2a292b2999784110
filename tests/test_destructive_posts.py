"""A post that deletes or takes something away asks first (issue 13, noticed: deletes
happened on one click, which on a phone is one stray tap). The question is a `data-confirm`
attribute that `static/confirm.js` turns into a dialog; `post_button` adds it for its danger
style. The guard scans every template, so a new delete form without it fails here."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "appraisal"
TEMPLATES = sorted(PACKAGE.rglob("templates/**/*.html"))
DESTRUCTIVE = re.compile(r"delete|remove|withdraw|revoke|cancel", re.I)
FORM = re.compile(r"<form\b[^>]*>", re.S)
POST_BUTTON = re.compile(r"post_button\((.*?)\)\s*\}\}", re.S)


def test_every_destructive_post_asks_first():
    missing = []
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        for tag in FORM.findall(source):
            action = re.search(r"action=\"([^\"]*)\"", tag)
            if action and DESTRUCTIVE.search(action.group(1)) and "data-confirm" not in tag:
                missing.append(f"{path.name}: {tag[:90]}")
        for call in POST_BUTTON.findall(source):
            if "macro" in call:
                continue
            target = call.split(",")[0] + " ".join(re.findall(r"action='(\w+)'", call))
            styled = re.search(r",\s*'(outline-)?(primary|secondary|success|warning)'", call)
            if DESTRUCTIVE.search(target) and styled and "confirm=" not in call:
                missing.append(f"{path.name}: post_button({call[:90]}")
    assert missing == []


def test_a_remove_button_in_the_designer_carries_the_question(client, auth, make, db):
    from appraisal.builder import services as builder
    from tests.runtime.conftest import runtime_definition

    org = make.org("acme")
    make.member(org, "imp@acme.example", roles=("implementer",))
    template = builder.import_template(db, org.id, None, runtime_definition())
    db.commit()
    auth.login("imp@acme.example")
    page = client.get(f"/builder/templates/{template.id}").text
    removes = [f for f in re.findall(r"<form\b[^>]*>", page) if "/remove" in f]
    assert removes and all("data-confirm=" in form for form in removes)
    assert '<script src="/static/confirm.js">' in page
