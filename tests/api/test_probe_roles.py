"""A token outlives its holder's role: an HR admin made a plain manager keeps a token that
works no more. Every API operation, the field-work ones included, answers 403 to it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from appraisal.models import Membership
from tests.runtime.fieldwork.conftest import field  # noqa: F401 - the field team

UUID = "12345678-1234-4234-8234-123456789abc"
PUBLIC = {"api.openapi"}


def _answers(app, client, headers, methods=None) -> dict[str, int]:
    answers = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC:
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: UUID if "uuid" in m[1] else "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                answer = client.open(url, method=method, headers=headers, json={})
                answers[f"{method} {rule.rule}"] = answer.status_code
    return answers


@pytest.mark.parametrize("now", [{"manager"}, {"auditor", "manager"}])
def test_a_token_of_someone_no_longer_hr_may_do_nothing(app, client, db, field, token_for, now):  # noqa: F811
    """Demoted to a manager, or made an auditor (who reads what HR reads but changes
    nothing): every operation answers 403."""
    membership = db.scalar(
        select(Membership).where(Membership.user_id == field["people"]["M1"].user_id)
    )
    membership.set_roles({"admin", "manager"})
    db.commit()
    headers = token_for("max@acme.example")
    membership.set_roles(now)  # his token stays
    db.commit()
    answers = _answers(app, client, headers)
    assert answers and {k: v for k, v in answers.items() if v != 403} == {}


def test_a_change_through_a_token_never_counts_the_auditor_role(db, field):  # noqa: F811
    """As on the pages, a change asked with a token counts the holder's roles without the
    read-only ones: an HR admin who is also an auditor changes as HR, an auditor alone as
    nobody; reading counts every role."""
    from appraisal.api.tokens import TokenHolder

    membership = db.scalar(
        select(Membership).where(Membership.user_id == field["people"]["M1"].user_id)
    )
    membership.set_roles({"auditor", "implementer"})
    db.commit()
    reading = TokenHolder(token=None, membership=membership)  # type: ignore[arg-type]
    changing = TokenHolder(token=None, membership=membership, writing=True)  # type: ignore[arg-type]
    assert reading.roles == {"auditor", "implementer"}
    assert changing.roles == {"implementer"}
