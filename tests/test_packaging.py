"""The installed product carries everything it needs outside Python code."""

import subprocess
import sys
import zipfile
from pathlib import Path

from appraisal.packs import seed_root

ROOT = Path(__file__).resolve().parents[1]


def test_seed_templates_are_found_from_the_checkout():
    assert seed_root().joinpath("README.md").is_file()


def test_the_wheel_ships_templates_migrations_translations_assets_and_packs(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("appraisal-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in [
        "appraisal/templates/base.html",
        "appraisal/people/templates/people/employees.html",
        "appraisal/runtime/reviews/templates/runtime/review.html",
        "appraisal/migrations/env.py",
        "appraisal/migrations/script.py.mako",
        "appraisal/translations/zh/LC_MESSAGES/messages.mo",
        "appraisal/static/app.css",
        "seed_templates/README.md",
        "seed_templates/__init__.py",
    ]:
        assert expected in names, expected
    assert any(n.startswith("appraisal/migrations/versions/0001") for n in names)
