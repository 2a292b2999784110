"""The rules package stays pure: importing it loads no web, database or form library."""

import re
import subprocess
import sys
from pathlib import Path

FORBIDDEN = [
    "flask",
    "sqlalchemy",
    "marshmallow",
    "wtforms",
    "flask_babel",
    "werkzeug",
    "alembic",
    "jinja2",
]


def test_rules_imports_no_web_or_database_library():
    code = (
        "import sys, appraisal.rules, appraisal.rules.scoring, appraisal.rules.catalogue;"
        f"print([m for m in {FORBIDDEN!r} if m in sys.modules])"
    )
    # `appraisal/__init__.py` defines create_app but imports Flask only inside it.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


PACKAGE = Path(__file__).parents[1] / "appraisal"


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")


SPREADSHEET_WRITERS = re.compile(
    r"csv\.(writer|DictWriter)|\bWorkbook\b|xlsxwriter|text/csv|\.to_csv\(|\.to_excel\("
)


def test_only_tables_writes_spreadsheets():
    """Every CSV and XLSX goes through `appraisal.tables`, which makes text cells safe
    (no live formulas, no control characters)."""
    offenders = [
        name
        for name, source in _sources()
        if name != "tables.py" and SPREADSHEET_WRITERS.search(source)
    ]
    assert offenders == []


# A regular expression literal whose pattern ends in `$`: `$` also matches before a final
# newline, so "key\n" passes `re.match(r"^[a-z]+$", …)`. Use `\Z` or `fullmatch`.
DOLLAR_AT_END = re.compile(r"""\br["'][^"'\n]*\$["']""")


def test_no_regex_ends_in_a_dollar():
    offenders = [
        f"{name}: {match.group()}"
        for name, source in _sources()
        for match in DOLLAR_AT_END.finditer(source)
    ]
    assert offenders == []


def test_key_patterns_are_matched_whole():
    uses = [
        f"{name}: {line.strip()}"
        for name, source in _sources()
        for line in source.splitlines()
        if re.search(r"\b(KEY|SLUG|EMAIL)\.match\(", line)
    ]
    assert uses == []


LONGEST_RULES_FUNCTION = 80  # lines, decorators and docstring included


def test_no_function_in_rules_is_over_80_lines():
    """The pure core stays readable: a long validator or scorer is split along its seams
    (as `definition._build` is into header, sections, items, adjustments and outputs)."""
    import ast

    too_long = []
    for path in sorted((PACKAGE / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = node.end_lineno - start + 1
                if length > LONGEST_RULES_FUNCTION:
                    too_long.append(f"{path.name}::{node.name} ({length} lines)")
    assert too_long == []
