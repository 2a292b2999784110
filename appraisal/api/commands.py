"""`appraisal tokens create`: a token for scripts and tests, printed once."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..db import get_session
from ..errors import ServiceError
from ..models import Organization, User
from .tokens import create_token

tokens_cli = AppGroup("tokens", help="Personal API tokens.")


@tokens_cli.command("create")
@click.option("--user", "email", required=True, help="The sign-in email of the token's holder.")
@click.option("--org", "slug", required=True, help="The organization the token is for.")
@click.option("--name", default="command line", show_default=True)
@click.option("--days", default=365, show_default=True, type=int)
def create_command(email: str, slug: str, name: str, days: int) -> None:
    """Create a token and print it (it is shown only this once)."""
    session = get_session()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if user is None or org is None:
        raise click.ClickException("no such user or organization")
    try:
        new = create_token(session, org.id, user.id, name, days)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    session.commit()
    click.echo(new.secret)
