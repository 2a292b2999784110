"""`fills` answers what `bool(role_fields(...))` does without building the fields (pages ask
it per row, issue 20): the same answer for every role of every template the packs ship."""

from __future__ import annotations

import json

import pytest

from appraisal.packs import seed_root
from appraisal.rules import compile_template
from appraisal.runtime.render import ROLES, fills, role_fields

TEMPLATES = sorted(seed_root().glob("*/templates/*.json"))


def definition_of(path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("definition", data)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_fills_agrees_with_the_fields_of_every_role(path):
    template = compile_template(definition_of(path))
    for role in ROLES:
        assert fills(template, role) == bool(role_fields(template, role)), role


def test_the_packs_have_templates_with_and_without_a_roles_inputs():
    answers = {fills(compile_template(definition_of(p)), role) for p in TEMPLATES for role in ROLES}
    assert answers == {True, False}
