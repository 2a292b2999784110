"""`appraisal packs list|load`: industry packs from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..db import get_session
from ..errors import ServiceError
from ..models import Organization
from ..users.services import get_or_create_organization
from . import PackNotFound, all_packs, read_pack
from .demo import load_demo_organization
from .loading import LoadReport, load_pack

packs_cli = AppGroup("packs", help="Industry packs: indicator libraries, templates, demos.")


@packs_cli.command("list")
def list_command() -> None:
    """Show the packs with what they hold."""
    for pack in all_packs():
        click.echo(f"{pack.key:15} {pack.name['zh']} / {pack.name['en']}")
        click.echo(f"{'':15} {len(pack.indicators)} indicators, templates:")
        for template in pack.templates:
            name = template["name"]
            click.echo(
                f"{'':17} {template['key']:32} {name['zh']} / {name['en']} ({template['staff']})"
            )


def _print(what: str, report: LoadReport) -> None:
    click.echo(
        f"{what}: {len(report.added)} added, {len(report.skipped)} already there, "
        f"{len(report.differs)} differ (kept as they are)"
    )
    for key in report.differs:
        click.echo(f"  differs: {key}")


@packs_cli.command("load")
@click.argument("name")
@click.option("--org", "slug", required=True, help="Organization slug; created if it is new.")
@click.option("--org-name", default=None, help="Name for a new organization.")
@click.option("--demo", is_flag=True, help="Also create the pack's demo people and cycle.")
def load_command(name: str, slug: str, org_name: str | None, demo: bool) -> None:
    """Load pack NAME into an organization; loading twice adds nothing."""
    try:
        pack = read_pack(name)
    except PackNotFound:
        raise click.ClickException(f"no pack {name!r}; `appraisal packs list` shows them") from None
    session = get_session()
    exists = session.scalar(select(Organization.id).where(Organization.slug == slug))
    if demo:
        if exists:
            raise click.ClickException(f"organization {slug!r} exists; a demo needs a new one")
        try:
            result = load_demo_organization(session, pack, slug, org_name)
        except ServiceError as error:
            session.rollback()
            raise click.ClickException(str(error.message)) from None
        session.commit()
        _print("indicators", result.report.indicators)
        _print("templates", result.report.templates)
        _print("activity forms", result.report.activities)
        _print("metrics", result.report.metrics)
        click.echo("demo sign-ins (random passwords, shown only now):")
        for email, roles in result.logins:
            click.echo(f"  {email:32} {result.passwords[email]:14} {', '.join(roles)}")
        return
    org = get_or_create_organization(session, slug, org_name or slug)
    report = load_pack(session, org.id, pack, None)
    session.commit()
    click.echo(f"{pack.key} → {org.name} ({org.slug}){'' if exists else ' (new)'}")
    _print("indicators", report.indicators)
    _print("templates", report.templates)
    _print("activity forms", report.activities)
    _print("metrics", report.metrics)
