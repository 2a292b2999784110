"""Every search box reads `%`, `_` and a backslash as themselves: one pattern helper
(`db.contains_pattern`), so what a person types is never a wildcard."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from appraisal.db import contains_pattern

ROOT = Path(__file__).resolve().parents[2] / "appraisal"


def test_the_pattern_escapes_the_wildcards_and_the_escape_itself():
    assert contains_pattern(" a_b%c\\ ") == "%a\\_b\\%c\\\\%"


@pytest.mark.parametrize("q", ["sales_", "50%", "trailing\\", "\\"])
def test_searches_with_wildcard_characters_answer_a_page(client, auth, make, q):
    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=("admin", "implementer"))
    auth.login("hr@acme.example")
    for url in (
        "/users/",
        "/people/employees",
        "/people/departments",
        "/people/positions",
        "/builder/indicators",
        "/builder/templates",
        "/customers",
    ):
        response = client.get(url, query_string={"q": q})
        assert response.status_code == 200, (url, q)


def test_an_underscore_in_a_template_search_is_an_underscore(client, auth, make, db):
    from appraisal.models import Template

    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=("admin", "implementer"))
    db.add_all([Template(organization_id=org.id, key=k) for k in ("sales_rep", "salesxrep")])
    db.commit()
    auth.login("hr@acme.example")
    page = client.get("/builder/templates", query_string={"q": "s_r"}).text
    assert "sales_rep" in page and "salesxrep" not in page


def test_no_module_writes_its_own_like_escaping():
    """A second copy of the escaping (of the five there were, three were wrong) fails here."""
    copies = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "replace"
                and len(node.args) == 2
                and all(isinstance(arg, ast.Constant) for arg in node.args)
                and node.args[0].value in ("%", "_")
                and str(node.args[1].value).startswith("\\")  # escaping, not removing
            ):
                copies.append(str(path.relative_to(ROOT)))
    assert sorted(set(copies)) == ["db.py"]
