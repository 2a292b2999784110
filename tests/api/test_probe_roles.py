"""A token outlives its holder's role: an HR admin made a plain manager keeps a token that
works no more. Every API operation, the field-work ones included, answers 403 to it."""

from __future__ import annotations

import re

from sqlalchemy import select

from appraisal.models import Membership
from tests.runtime.fieldwork.conftest import field  # noqa: F401 - the field team

UUID = "12345678-1234-4234-8234-123456789abc"
PUBLIC = {"api.openapi"}


def test_a_token_of_someone_no_longer_hr_may_do_nothing(app, client, db, field, token_for):  # noqa: F811
    membership = db.scalar(
        select(Membership).where(Membership.user_id == field["people"]["M1"].user_id)
    )
    membership.set_roles({"admin", "manager"})
    db.commit()
    headers = token_for("max@acme.example")
    membership.set_roles({"manager"})  # demoted; his token stays
    db.commit()
    answers = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC:
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: UUID if "uuid" in m[1] else "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method, headers=headers, json={})
            answers[f"{method} {rule.rule}"] = answer.status_code
    assert {k: v for k, v in answers.items() if v != 403} == {}
