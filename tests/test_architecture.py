"""The rules package stays pure: importing it loads no web, database or form library."""

import subprocess
import sys

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
