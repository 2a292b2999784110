"""Issue 15.7: one state vocabulary. The enums of `appraisal.states` are the only list of
states; the words pages show, the database's check constraints and the state machines all
follow them, so a state added in one place and forgotten in another fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

import appraisal
from appraisal import labels
from appraisal.models import Appeal, Base, Review
from appraisal.runtime import workflow
from appraisal.states import (
    RESULT_SHOWN,
    UNPUBLISHED,
    AppealStatus,
    AppraisalState,
    Channel,
    CycleState,
    DeliveryStatus,
    JobStatus,
    NotificationKind,
    ReviewStatus,
)
from tests.runtime.conftest import appraisal_of

WORDS = [
    (CycleState, labels.CYCLE_STATE),
    (AppraisalState, labels.APPRAISAL_STATE),
    (ReviewStatus, labels.REVIEW_STATUS),
    (AppealStatus, labels.APPEAL_STATUS),
    (JobStatus, labels.JOB_STATUS),
    (DeliveryStatus, labels.DELIVERY_STATUS),
    (Channel, labels.CHANNEL),
    (NotificationKind, labels.NOTIFICATION_KIND),
]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("states", "words"), WORDS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_state_has_words_in_both_languages(app, states, words):
    assert list(words) == list(states)  # every member, nothing else, in workflow order
    with app.test_request_context():
        for state in states:
            with force_locale("en"):
                english = str(words[state])
            with force_locale("zh"):
                chinese = str(words[state])
            assert english and english != state.value, state
            assert CHINESE.search(chinese), (state, chinese)
            assert labels.label(state.value, states_vocabulary(states)) == chinese


def states_vocabulary(states) -> str:
    return {
        CycleState: "cycle_state",
        AppraisalState: "appraisal_state",
        ReviewStatus: "review_status",
        AppealStatus: "appeal_status",
        JobStatus: "job_status",
        DeliveryStatus: "delivery_status",
        Channel: "channel",
        NotificationKind: "notification_kind",
    }[states]


def test_a_state_cycles_and_appraisals_share_has_the_same_words(app):
    """`state_label` shows either kind from one list."""
    shared = set(CycleState) & set(AppraisalState)
    assert shared == {"calibration", "published"}
    with app.test_request_context(), force_locale("zh"):
        for code in shared:
            assert str(labels.CYCLE_STATE[code]) == str(labels.APPRAISAL_STATE[code])
            assert labels.label(code, "state") == str(labels.CYCLE_STATE[code])


def test_the_groups_of_states_come_from_the_enum():
    assert set(RESULT_SHOWN) | set(UNPUBLISHED) == set(AppraisalState)
    assert not set(RESULT_SHOWN) & set(UNPUBLISHED)
    assert tuple(AppraisalState) == workflow.STATES
    assert set(workflow.REVIEWING) < set(UNPUBLISHED)


@pytest.fixture
def rows(db, company, launched):
    """(table, column, vocabulary, id) of one row of each table with a state."""
    appraisal = appraisal_of(db, company, "ann")
    review = Review(organization_id=company.org.id, appraisal=appraisal, slot="hr", rater="hr")
    appeal = Appeal(organization_id=company.org.id, appraisal_id=appraisal.id, reason="why")
    db.add_all([review, appeal])
    db.commit()
    return [
        ("cycles", "state", CycleState, launched.id),
        ("appraisals", "state", AppraisalState, appraisal.id),
        ("reviews", "status", ReviewStatus, review.id),
        ("appeals", "status", AppealStatus, appeal.id),
    ]


def _set(db, table: str, column: str, value: str, row_id: int) -> None:
    """Straight to the database, past the ORM: only the schema can refuse it."""
    rows = Base.metadata.tables[table]
    db.execute(rows.update().where(rows.c.id == row_id).values({column: value}))


def test_the_database_takes_every_state_and_refuses_any_other(db, rows):
    """The migrated schema (SQLite here, PostgreSQL in CI) holds exactly the enums: a member
    added without a migration, or a code the code does not know, fails."""
    for table, column, states, row_id in rows:
        for state in states:
            with db.begin_nested():
                _set(db, table, column, state.value, row_id)
        for unknown in ("archived", "Published", ""):
            savepoint = db.begin_nested()
            with pytest.raises(IntegrityError):
                _set(db, table, column, unknown, row_id)
            savepoint.rollback()
    db.rollback()


TEMPLATES = Path(appraisal.__file__).parent
COMPARED = re.compile(
    r"\b(?P<what>state|appeal\.status)\s*(?:==|!=|(?:not\s+)?in)\s*(?P<codes>'[^']*'|\([^)]*\))"
)


def test_states_named_in_page_templates_exist():
    """Templates compare with the codes themselves; a misspelt or retired state there would
    silently never match, so each one must be a member of the vocabulary."""
    known = {"state": set(CycleState) | set(AppraisalState), "appeal.status": set(AppealStatus)}
    unknown = []
    seen = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        for match in COMPARED.finditer(path.read_text(encoding="utf-8")):
            for code in re.findall(r"'([^']*)'", match["codes"]):
                seen += 1
                if code not in known[match["what"]]:
                    unknown.append(f"{path.relative_to(TEMPLATES)}: {match.group()}")
    assert seen > 10  # the pattern still finds the comparisons
    assert unknown == []
