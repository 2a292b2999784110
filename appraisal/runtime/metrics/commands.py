"""`appraisal metrics refresh [--org SLUG]`: the periodic sweep by hand (the job worker runs it
every METRICS_SWEEP_MINUTES), with a progress bar over the cycles. A record or event
already recomputes its person at once; the sweep catches what moves without one (a customer
assignment, an edited metric)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ...db import get_session
from ...models import Organization
from .compute import refresh_open_cycles

metrics_cli = AppGroup("metrics", help="Process KPIs computed into appraisals.")


@metrics_cli.command("refresh")
@click.option("--org", "slug", default=None, help="Only this organization (default: all).")
def refresh_command(slug: str | None) -> None:
    """Compute the bound figures of every cycle not closed; print how many changed."""
    session = get_session()
    org_id = None
    if slug is not None:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == slug))
        if org_id is None:
            raise click.ClickException(f"no organization {slug!r}")
    from ...cli import progress_bar

    update, close = progress_bar("Cycles")
    try:
        done = refresh_open_cycles(session, org_id, progress=update)
    finally:
        close()
    session.commit()
    click.echo(f"{done.appraisals} appraisals computed, {done.changed} figures changed.")
