"""`forms.attempt`, the one way an HTML view runs a change: commit, or roll back and show the
refusal (at its field, or flashed) with 422, or 409 when someone else saved first."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField

from appraisal.concurrency import EditConflict
from appraisal.db import get_session
from appraisal.errors import ServiceError
from appraisal.forms import attempt
from appraisal.models import Department


class NameForm(FlaskForm):
    name = StringField("Name")


@pytest.fixture
def request_context(app, make):
    org = make.org()
    with app.test_request_context("/", method="POST", data={"name": "Typed"}):
        yield org


def _add_then(org, error: Exception | None):
    def change():
        department = Department(organization_id=org.id, name="Half-saved")
        get_session().add(department)
        get_session().flush()
        if error is not None:
            raise error
        return department

    return change


def _stored(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Department.name)))


def test_a_change_is_committed(request_context, db):
    outcome = attempt(_add_then(request_context, None))
    assert (outcome.refused, outcome.status, outcome.value.name) == (False, 200, "Half-saved")
    assert _stored(db) == ["Half-saved"]


def test_a_refusal_rolls_back_and_goes_next_to_its_field_with_the_typed_value(request_context, db):
    form = NameForm()
    outcome = attempt(_add_then(request_context, ServiceError("Taken.", "name")), form)
    assert (outcome.refused, outcome.conflict, outcome.status) == (True, False, 422)
    assert form.name.errors == ["Taken."] and form.name.data == "Typed"
    assert get_flashed_messages() == []
    assert _stored(db) == []  # nothing half-saved


def test_a_refusal_naming_no_field_is_flashed_with_what_it_is_about(request_context, db):
    outcome = attempt(_add_then(request_context, ServiceError("Not now.")), about="Ann")
    assert outcome.status == 422
    assert get_flashed_messages(with_categories=True) == [("danger", "Ann: Not now.")]
    assert _stored(db) == []


def test_someone_elses_save_first_is_a_409(request_context, db):
    outcome = attempt(_add_then(request_context, EditConflict()))
    assert (outcome.conflict, outcome.status) == (True, 409)
    assert [c for c, _m in get_flashed_messages(with_categories=True)] == ["warning"]
    assert _stored(db) == []


def test_a_conflict_found_at_flush_is_retried_once_when_asked(request_context, db):
    calls = []

    def change():
        calls.append(1)
        if len(calls) == 1:
            raise EditConflict(at_flush=True)
        return _add_then(request_context, None)()

    assert attempt(change, retry_at_flush=True).status == 200
    assert len(calls) == 2 and _stored(db) == ["Half-saved"]


def test_a_dry_run_is_not_committed(request_context, db):
    outcome = attempt(_add_then(request_context, None), commit=False)
    assert not outcome.refused
    get_session().rollback()
    assert _stored(db) == []
