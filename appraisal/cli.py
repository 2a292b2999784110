"""The `appraisal` command: Flask's CLI group plus the commands each area registers."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from . import migrate
from .db import get_engine
from .jobs.registry import tracked


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Performance appraisal platform."""


def _replace_run() -> None:
    """`appraisal run` starts a job worker beside Flask's development server."""
    from .jobs.commands import run_command

    main.add_command(run_command)


_replace_run()


@click.group("db", cls=AppGroup)
def db_cli() -> None:
    """Database schema (Alembic migrations)."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(get_engine(), revision)
    click.echo(f"Database at {current_app.config['DATABASE_URL'].split('@')[-1]} is up to date.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(get_engine(), revision)


def browser_url(host: str, port: int) -> str:
    """Where a browser reaches a server bound to host:port (a wildcard bind is local too)."""
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - recognises it, binds nothing
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no organization.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the app will listen.")
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def demo_command(if_empty: bool, host: str, port: int) -> None:
    """Load the demo organization and print its sign-ins."""
    from .db import get_session
    from .demo import DEMO_PASSWORD, existing_demo_logins, load_demo

    session = get_session()
    result = load_demo(session, only_if_empty=if_empty)
    session.commit()
    if result is None:
        click.echo("The database already holds data; the demo was not loaded.")
        logins = existing_demo_logins(session)
        if not logins:
            return
        click.echo("The demo organization is there; unless you changed them, sign in with")
    else:
        click.echo(f"Demo organization '{result.organization.name}' ({result.organization.slug}).")
        logins = result.logins
    click.echo(f"password {DEMO_PASSWORD!r} at {browser_url(host, port)} as:")
    for email, roles in logins:
        click.echo(f"  {email:28} {', '.join(roles)}")


def progress_bar(label: str):
    """A click progress bar fed by (done, total) calls."""
    state: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label)
            state["bar"].__enter__()
        state["bar"].update(done - state.get("done", 0))
        state["done"] = done

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return update, close


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--queue",
    "queued",
    is_flag=True,
    help="Let the job worker do it (PATH is then on the worker's machine); watch its progress.",
)
@with_appcontext
def backup_command(path: Path, queued: bool) -> None:
    """Copy the SQLite database to PATH (safe while the app runs), and the stored files
    (photos) to PATH.files.tar when they are kept in a local directory."""
    from .backup import BackupRefused, backup
    from .storage import get_storage

    if queued:
        _queued_backup(path)
        return
    update, close = progress_bar("Backing up")
    try:
        notes = backup(get_engine(), path, update, get_storage())
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    finally:
        close()
    click.echo(f"Backed up to {path}.")
    for note in notes:
        click.echo(note)


BACKUP_JOB = "backup.database"


def _backed_up(result: dict) -> str:
    return " ".join([f"Backed up to {result['path']}.", *result["notes"]])


@tracked(BACKUP_JOB, outcome=_backed_up, back=lambda job: None, allowed=None)
def backup_job(session, job, progress) -> dict:
    """`appraisal backup --queue`: the same backup, done by the worker (it survives the
    terminal closing); an instance administrator's job, of no organization."""
    from .backup import backup
    from .storage import get_storage

    path = Path(job.params["path"])
    return {"path": str(path), "notes": backup(get_engine(), path, progress, get_storage())}


def _queued_backup(path: Path) -> None:
    from .db import get_session
    from .jobs.commands import watch
    from .jobs.queue import submit

    job = submit(get_session(), BACKUP_JOB, None, None, {"path": str(path.resolve())})
    click.echo(f"Job {job.id} started (Ctrl-C stops watching; appraisal jobs show {job.id}).")
    job = watch(job.id, "Backing up")
    if job.status != "done":
        raise click.ClickException(job.message or job.status)
    click.echo(_backed_up(job.result or {}))


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database's content with the backup at PATH (and the stored files with
    PATH.files.tar, when it is there and files are kept in a local directory)."""
    from .backup import BackupRefused, restore
    from .storage import get_storage

    if not yes:
        click.confirm(f"Replace everything in the database with {path}?", abort=True)
    update, close = progress_bar("Restoring")
    try:
        notes = restore(get_engine(), path, update, get_storage())
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    finally:
        close()
    click.echo(f"Restored from {path}.")
    for note in notes:
        click.echo(note)


@click.group("secrets", cls=AppGroup)
def secrets_cli() -> None:
    """Secrets encrypted at rest (group robots' webhooks and signing secrets)."""


@secrets_cli.command("rotate")
def secrets_rotate() -> None:
    """Re-encrypt every stored secret and every encrypted column (a field visit's
    coordinates) with the first key of ENCRYPTION_KEYS, after putting a new key first; the
    old one may then be dropped. All or nothing: one transaction."""
    from .at_rest import rotate_columns
    from .db import get_session
    from .encryption import DecryptionFailed, keys_from_config
    from .notifications.robot_services import rotate_secrets

    session = get_session()
    keys = keys_from_config(current_app.config)
    try:
        robots = rotate_secrets(session, keys)
        columns = rotate_columns(session, keys)
    except (DecryptionFailed, ValueError) as error:
        session.rollback()
        raise click.ClickException(
            f"{error}; nothing was changed. Keep the key the secrets were stored with in "
            "ENCRYPTION_KEYS (after the new one) until the rotation is done."
        ) from None
    session.commit()
    click.echo(f"Re-encrypted the secrets of {robots} robot(s) with the first key.")
    for name, count in columns.items():
        click.echo(f"Re-encrypted {name} in {count} row(s) with the first key.")


@secrets_cli.command("new-key")
def secrets_new_key() -> None:
    """Print a new random key for ENCRYPTION_KEYS."""
    from .encryption import new_key

    click.echo(new_key())


@secrets_cli.command("derived-key")
def secrets_derived_key() -> None:
    """Print the key derived from the current SECRET_KEY (what encrypts when ENCRYPTION_KEYS
    is unset): keep it in ENCRYPTION_KEYS before changing SECRET_KEY."""
    from .encryption import derived_key

    click.echo(derived_key(current_app.config["SECRET_KEY"]).decode("ascii"))


def init_app(app: Flask) -> None:
    app.cli.add_command(secrets_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
