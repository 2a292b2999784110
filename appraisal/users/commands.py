from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from ..errors import ServiceError
from ..models import Role
from . import services


@click.group("users", cls=AppGroup)
def users_cli() -> None:
    """Sign-in accounts."""


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--org", "org_slug", required=True, help="Organization slug; created if new.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=["admin"],
    show_default=True,
    type=click.Choice([r.value for r in Role]),
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(
    email: str, name: str, org_slug: str, roles: tuple[str, ...], password: str
) -> None:
    """Create an account (or link an existing one) with roles in an organization."""
    session = get_session()
    organization = services.get_or_create_organization(session, org_slug)
    try:
        added = services.add_member(
            session, organization.id, email=email, name=name, password=password, roles=set(roles)
        )
    except ServiceError as error:
        session.rollback()
        raise click.ClickException(f"{error.field or 'error'}: {error.message}") from None
    session.commit()
    verb = "Created" if added.created_account else "Linked"
    click.echo(f"{verb} {added.membership.user.email} in {organization.slug}: {', '.join(roles)}")
