"""`appraisal results refresh`: store every appraisal's official result again.

The stored total, grade and completeness are a cache of `reviews.final_result` for lists and
sorting. An upgrade that changes how results are worked out (the anonymity rule: a peer or
subordinate group below the threshold no longer counts) leaves old rows stale until their
next change; this command brings them in line at once and audits every figure it moves.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from .refresh import refresh_all_results

results_cli = AppGroup("results", help="Appraisal results.")


@results_cli.command("refresh")
def refresh_command() -> None:
    """Work out every appraisal's official result again and store it; print what moved."""
    session = get_session()
    moved, checked = refresh_all_results(session)
    for row in moved:
        click.echo(f"{row.appraisal.id} {row.appraisal.employee.number} {row.was} -> {row.now}")
    session.commit()
    click.echo(f"{len(moved)} of {checked} appraisals changed.")
