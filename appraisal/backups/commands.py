"""`appraisal backups`: who may make backups from the app, a backup from the command line,
the list, and the restore drill."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..auth.services import find_user
from ..backup import BackupRefused
from ..db import get_engine, get_session
from ..encryption import keys_from_config
from ..storage import get_storage
from . import archive, drill, jobs, services


@click.group("backups", cls=AppGroup)
def backups_cli() -> None:
    """Backups of every organization (the backups page's, and the restore drill)."""


@backups_cli.command("admin")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Take the right away instead.")
def grant(email: str, revoke: bool) -> None:
    """Let the account EMAIL make, schedule and download backups from the app (they hold
    every organization's data: only the instance's operators should)."""
    session = get_session()
    user = find_user(session, email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    user.instance_admin = not revoke
    session.commit()
    click.echo(f"{user.email} {'may no longer' if revoke else 'may now'} make backups.")


@backups_cli.command("make")
@click.option(
    "--passphrase",
    envvar="APPRAISAL_BACKUP_PASSPHRASE",
    default=None,
    help="Encrypt with this passphrase (or APPRAISAL_BACKUP_PASSPHRASE).",
)
def make(passphrase: str | None) -> None:
    """Make a backup in BACKUP_DIR now (database, manifest, stored files)."""
    folder = jobs.directory()
    path = folder / services.new_name(datetime.now(UTC), scheduled=False)
    try:
        manifest = archive.make(
            get_engine(),
            path,
            get_storage(),
            passphrase=passphrase,
            pg_dump=current_app.config.get("PG_DUMP"),
        )
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(
        f"Backed up to {path}: {sum(manifest['tables'].values())} rows in "
        f"{len(manifest['tables'])} tables, {manifest['files']} stored files"
        + (" (encrypted)." if passphrase else ".")
    )
    if manifest["files_note"]:
        click.echo(manifest["files_note"])


@backups_cli.command("list")
def list_backups() -> None:
    """The backups in BACKUP_DIR, newest first."""
    for backup in services.listed(jobs.directory()):
        click.echo(
            f"{backup.name}  {backup.size:>12} bytes" + ("  encrypted" if backup.encrypted else "")
        )


@backups_cli.command("drill")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "url",
    required=True,
    help="The scratch database: sqlite:///new-file.sqlite or an empty PostgreSQL URL.",
)
@click.option(
    "--passphrase",
    envvar="APPRAISAL_BACKUP_PASSPHRASE",
    default=None,
    help="For an encrypted backup (asked for when needed).",
)
@click.option(
    "--sample",
    default=drill.SAMPLE,
    show_default=True,
    help="How many appraisal results to recompute.",
)
def drill_command(path: Path, url: str, passphrase: str | None, sample: int) -> None:
    """The restore drill: restore PATH into the scratch database and check its integrity,
    every table's row count against the manifest, the stored files, and a sample of
    results recomputed equal. Exit 0 when every check passes. The live database is never
    touched."""
    from .crypto import is_encrypted

    if path.is_file() and is_encrypted(path) and not passphrase:
        passphrase = click.prompt("Passphrase", hide_input=True)
    try:
        report = drill.drill(
            path,
            url,
            keys_from_config(current_app.config),
            passphrase=passphrase,
            sample=sample,
            pg_restore=current_app.config.get("PG_RESTORE"),
        )
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Backup of {report.manifest['created_at']} ({report.manifest['dialect']}):")
    for check in report.checks:
        click.echo(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    if not report.ok:
        raise click.ClickException("the restore drill failed")
    click.echo("The restore drill passed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(backups_cli)
