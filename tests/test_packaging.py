"""The installed product carries everything it needs outside Python code."""

import hashlib
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from appraisal.packs import seed_root

ROOT = Path(__file__).resolve().parents[1]
ECHARTS = ROOT / "appraisal" / "static" / "vendor" / "echarts"
#: What the chart pages load (the vendored library with its licence, and our drawing script).
CHART_FILES = [
    "appraisal/static/vendor/echarts/echarts.min.js",
    "appraisal/static/vendor/echarts/LICENSE",
    "appraisal/static/vendor/echarts/NOTICE",
    "appraisal/static/vendor/echarts/LICENSE-d3",
    "appraisal/static/charts.js",
]


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
        *CHART_FILES,
        "seed_templates/README.md",
        "seed_templates/__init__.py",
    ]:
        assert expected in names, expected
    assert any(n.startswith("appraisal/migrations/versions/0001") for n in names)


def test_the_sdist_ships_the_vendored_charting_library(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from setuptools import build_meta; build_meta.build_sdist({str(tmp_path)!r})",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    (sdist,) = tmp_path.glob("appraisal-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for expected in CHART_FILES:
        assert expected in names, expected


def test_the_vendored_echarts_is_the_version_and_file_its_readme_names():
    """The README says which release this is and how to check it; a replaced file without
    an updated README (or the reverse) fails here."""
    readme = (ECHARTS / "README.md").read_text(encoding="utf-8")
    script = (ECHARTS / "echarts.min.js").read_bytes()
    version = re.search(r"# Apache ECharts (\d+\.\d+\.\d+)", readme).group(1)
    assert f't.version="{version}"'.encode() in script
    assert f"echarts@{version}" in readme
    assert hashlib.sha256(script).hexdigest() in readme
    assert b"Apache License" in (ECHARTS / "LICENSE").read_bytes()
