"""Numbers a page posts that a database driver or a Decimal comparison would choke on
("sNaN", an id of 25 digits) are refused at their field, never a 500. These keep every
form on the project's fields (`appraisal.forms`): a new form with a bare `coerce=int`, a
bare WTForms DecimalField or a plain IntegerField for an id fails here."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import wtforms
from flask_wtf import FlaskForm

import appraisal
from appraisal import forms as project_forms


def _all_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(appraisal.__path__, "appraisal."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, todo = [], [FlaskForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("appraisal."):
                found.append(sub)
    return found


def _fields(form_class: type):
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if isinstance(unbound, wtforms.fields.core.UnboundField):
            yield name, unbound


def test_every_form_uses_the_fields_that_refuse_what_the_database_cannot_hold(app):
    wrong = []
    with app.app_context():
        for form_class in _all_form_classes():
            where = f"{form_class.__module__}.{form_class.__name__}"
            for name, unbound in _fields(form_class):
                field = unbound.field_class
                if issubclass(field, wtforms.DecimalField) and not issubclass(
                    field, project_forms.DecimalField
                ):
                    wrong.append(f"{where}.{name}: use appraisal.forms.DecimalField")
                if unbound.kwargs.get("coerce") is int:
                    wrong.append(f"{where}.{name}: coerce=id_coerce, not int")
                if (
                    name.endswith("_id")
                    and issubclass(field, wtforms.IntegerField)
                    and not issubclass(field, project_forms.IdField)
                ):
                    wrong.append(f"{where}.{name}: use appraisal.forms.IdField")
    assert wrong == []
    assert len(_all_form_classes()) > 20  # the walk found the forms


def test_the_fields_refuse_non_finite_numbers_and_ids_beyond_the_database(app):
    class Probe(FlaskForm):
        amount = project_forms.DecimalField()
        person_id = project_forms.IdField()
        department = wtforms.SelectField(coerce=project_forms.id_coerce, validate_choice=False)

    with app.test_request_context(
        method="POST",
        data={"amount": "sNaN", "person_id": "9" * 25, "department": "9" * 25},
    ):
        form = Probe(meta={"csrf": False})
        assert not form.validate()
        assert form.amount.data is None and form.person_id.data is None
        assert set(form.errors) == {"amount", "person_id", "department"}
    with app.test_request_context(
        method="POST", data={"amount": "12.5", "person_id": "7", "department": "0"}
    ):
        form = Probe(meta={"csrf": False})
        assert form.validate(), form.errors
        assert (str(form.amount.data), form.person_id.data, form.department.data) == ("12.5", 7, 0)


def test_every_select_reads_ids_through_the_project_s_coercions():
    """A `coerce=` of its own (a lambda around `int`, as the role's department had) lets any
    whole number through to the driver: PostgreSQL answered "integer out of range", a 500."""
    package = Path(appraisal.__file__).parent
    found = re.compile(r"\bcoerce=([\w.]+|lambda)")
    allowed = {"id_coerce", "optional_id_coerce"}
    offenders = [
        f"{path.relative_to(package)}: coerce={name}"
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
        for name in found.findall(path.read_text(encoding="utf-8"))
        if name not in allowed
    ]
    assert offenders == []


def test_a_select_draws_its_options_as_wtforms_does():
    """`forms.Select` draws a plain option itself (faster); the markup is WTForms' own,
    escaping included, and an option with attributes still goes through WTForms."""
    from wtforms import Form
    from wtforms import SelectField as WTFormsSelectField

    from appraisal.forms import SelectField, SelectMultipleField, choices

    options = choices([(1, 'Ann "A" <ann@x>'), (2, "Bo & Co"), (3, "<script>")])

    class Both(Form):
        ours = SelectField(coerce=int, choices=options)
        theirs = WTFormsSelectField(coerce=int, choices=options)
        many = SelectMultipleField(coerce=int, choices=options)

    form = Both(data={"ours": 2, "theirs": 2, "many": [1, 3]})
    drawn = str(form.ours()).replace('id="ours" name="ours"', "")
    assert drawn == str(form.theirs()).replace('id="theirs" name="theirs"', "")
    assert '<option selected value="2">Bo &amp; Co</option>' in drawn
    assert "&lt;script&gt;" in drawn and "<script>" not in drawn
    many = str(form.many())
    assert "multiple" in many
    assert many.count("selected") == 2
