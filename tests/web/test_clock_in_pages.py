"""A stored moment (UTC) is shown on the reader's clock (`|clock`), never as UTC's own
digits: a note given at 01:30 in Shanghai must not read as the day before. The exceptions
are moments already on a local clock, named here with why."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "appraisal"

#: `<expression>.strftime(` in a template, where the expression names a stored moment.
MOMENT = re.compile(r"([\w.]*(?:_at|\bat|\bwhen))\.strftime\(")

#: Moments that are not UTC, by (template, expression), and why.
LOCAL = {
    ("result.html", "interview.scheduled_at"): "typed as a local wall-clock time, kept as typed",
    ("index.html", "backup.made_at"): "labelled UTC on the instance administrators' page",
    ("field_record.html", "at"): "`review.local_time`: already on the organization's clock",
    ("computed.html", "r.at"): "drill-down rows: already on the organization's clock",
    ("field_team.html", "r.at"): "the team's day: already on the organization's clock",
    ("field_team.html", "ci.at"): "the team's day: already on the organization's clock",
}


def test_stored_moments_are_shown_on_the_readers_clock():
    found = []
    for path in sorted(APP.rglob("*.html")):
        if "vendor" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for expression in MOMENT.findall(line):
                if (path.name, expression) not in LOCAL:
                    found.append(f"{path.relative_to(APP)}:{number} {expression}")
    assert found == []
