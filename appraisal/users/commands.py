from __future__ import annotations

import click
from flask import current_app, url_for
from flask.cli import AppGroup

from ..account import services as account
from ..auth.services import find_user
from ..db import get_session
from ..errors import ServiceError
from ..models import Role
from . import services


@click.group("users", cls=AppGroup)
def users_cli() -> None:
    """Sign-in accounts (an instance administrator's tools)."""


def _refused(error: ServiceError) -> click.ClickException:
    return click.ClickException(f"{error.field or 'error'}: {error.message}")


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
    """Create an account (or link an existing one, keeping its password) with roles in an
    organization."""
    session = get_session()
    organization = services.get_or_create_organization(session, org_slug)
    try:
        added = services.add_member(
            session,
            organization.id,
            email=email,
            name=name,
            password=password,
            roles=set(roles),
            via="cli",
        )
    except ServiceError as error:
        session.rollback()
        raise _refused(error) from None
    session.commit()
    verb = "Created" if added.created_account else "Linked"
    click.echo(f"{verb} {added.membership.user.email} in {organization.slug}: {', '.join(roles)}")


@users_cli.command("reset-password")
@click.option("--email", required=True)
@click.option(
    "--set",
    "set_it",
    is_flag=True,
    help="Type the new password (hidden prompt) instead of printing a one-time link.",
)
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where people open the application, for the printed link.",
)
def reset_password(email: str, set_it: bool, base_url: str) -> None:
    """Print a one-time link for the account holder to set their password (or set it).

    Either way every sign-in of the account ends; the change is audited in each of its
    organizations.
    """
    session = get_session()
    user = find_user(session, email)
    if user is None:
        raise click.ClickException(f"no account {email!r}")
    if set_it:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        try:
            account.set_password_by_instance_admin(session, user, password)
        except ServiceError as error:
            session.rollback()
            raise _refused(error) from None
        session.commit()
        click.echo(f"Password of {user.email} set; its sign-ins have ended.")
        return
    secret = account.issue_reset_link(session, user, organization_id=None, acting_user_id=None)
    session.commit()
    with current_app.test_request_context(base_url=base_url):
        link = url_for("account.reset", secret=secret, _external=True)
    click.echo(
        f"One-time link for {user.email} (valid {account.RESET_LINK_HOURS} hours, "
        f"shown only now):\n{link}"
    )
