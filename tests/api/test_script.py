"""The documented example script pushes figures over real HTTP with a token from the
command line, and they show up in the appraisal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select
from werkzeug.serving import make_server

from appraisal.models import Review

SCRIPT = Path(__file__).parents[2] / "docs" / "examples" / "push_figures.py"


def test_a_script_pushes_figures_with_a_token(app, db, company, launched, runner, tmp_path):
    token = runner.invoke(
        args=["tokens", "create", "--user", "imp@acme.example", "--org", "acme"]
    ).output.strip()
    figures = tmp_path / "figures.json"
    figures.write_text(
        json.dumps(
            [
                {"employee_number": "A001", "key": "sales", "value": 98000},
                {"employee_number": "P001", "key": "collection", "value": 91.5},
            ]
        ),
        encoding="utf-8",
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = os.environ | {
            "APPRAISAL_URL": f"http://127.0.0.1:{server.server_port}",
            "APPRAISAL_TOKEN": token,
        }
        done = subprocess.run(
            [sys.executable, str(SCRIPT), str(launched.id), str(figures)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2 values sent, 2 changed"
    values = {
        r.appraisal.employee.number: r.values
        for r in db.scalars(select(Review).where(Review.slot == "data"))
    }
    assert values == {"A001": {"sales": 98000}, "P001": {"collection": 91.5}}
