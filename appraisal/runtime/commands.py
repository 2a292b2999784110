"""`appraisal results refresh`: store every appraisal's official result again.

The stored total, grade and completeness are a cache of `reviews.final_result` for lists and
sorting. An upgrade that changes how results are worked out (the anonymity rule: a peer or
subordinate group below the threshold no longer counts) leaves old rows stale until their
next change; this command brings them in line at once and audits every figure it moves.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..db import get_session
from ..models import Appraisal
from .reviews import refresh_result

results_cli = AppGroup("results", help="Appraisal results.")


@results_cli.command("refresh")
def refresh_command() -> None:
    """Work out every appraisal's official result again and store it; print what moved."""
    session = get_session()
    appraisals = session.scalars(
        select(Appraisal)
        .options(
            selectinload(Appraisal.cycle),
            selectinload(Appraisal.template_version),
            selectinload(Appraisal.reviews),
            selectinload(Appraisal.employee),
        )
        .order_by(Appraisal.id)
    ).all()
    moved = 0
    for appraisal in appraisals:
        before = (appraisal.total, appraisal.grade, appraisal.complete)
        refresh_result(appraisal)
        after = (appraisal.total, appraisal.grade, appraisal.complete)
        if before == after:
            continue
        moved += 1
        was, now = _plain(before), _plain(after)
        audit.record(
            session,
            appraisal.organization_id,
            None,
            "appraisal.rescored",
            "appraisal",
            appraisal.id,
            before=was,
            after=now,
        )
        click.echo(f"{appraisal.id} {appraisal.employee.number} {was} -> {now}")
    session.commit()
    click.echo(f"{moved} of {len(appraisals)} appraisals changed.")


def _plain(figures: tuple) -> dict:
    total, grade, complete = figures
    return {"total": None if total is None else float(total), "grade": grade, "complete": complete}
