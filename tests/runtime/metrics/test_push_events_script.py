"""The documented example script pushes a CRM export over real HTTP with a token from the
command line; sending the same file again changes nothing; a refused file exits non-zero
with the problem at its CSV row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from appraisal.models import ExternalEvent
from tests.conftest import serving

EXAMPLES = Path(__file__).parents[3] / "docs" / "examples"
SCRIPT = EXAMPLES / "push_events.py"


def _run(url, token, path):
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--url",
            url,
            "--token",
            token,
            "--source",
            "crm",
            "--kind",
            "lead_created",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_script_pushes_the_sample_export_once(app, db, crm, runner, tmp_path):
    token = runner.invoke(
        args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"]
    ).output.strip()
    bad = tmp_path / "bad.csv"
    bad.write_text("线索编号,负责人工号,创建时间\nL-1,E0012,soon\n", encoding="utf-8")
    with serving(app) as url:
        first = _run(url, token, EXAMPLES / "crm_leads.csv")
        again = _run(url, token, EXAMPLES / "crm_leads.csv")
        refused = _run(url, token, bad)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == ("4 events sent: 4 new (1 waiting for a person), 0 unchanged")
    stored = {e.external_id: e for e in db.scalars(select(ExternalEvent))}
    assert stored["L-20261101-001"].employee_id == crm.li.id
    assert stored["L-20261101-001"].attributes == {"amount": "12800.00", "customer": "C001"}
    assert str(stored["L-20261102-001"].occurred_on) == "2026-11-02"
    assert stored["L-20261102-002"].status == "held"
    assert again.returncode == 0
    assert again.stdout.strip() == "4 events sent: 0 new (0 waiting for a person), 4 unchanged"
    assert refused.returncode == 1
    assert "row 2.occurred_at" in refused.stderr
    assert db.scalar(select(ExternalEvent).where(ExternalEvent.external_id == "L-1")) is None
