"""`appraisal employees import FILE --org SLUG`: the file import from the command line, with
a progress bar; the columns are mapped as the web import last remembered, else by name."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..db import get_session
from ..errors import ServiceError
from ..models import Organization
from ..uploads import ENCODINGS, read_table
from . import imports

employees_cli = AppGroup("employees", help="Employees in bulk.")


@employees_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "slug", required=True)
@click.option("--dry-run", is_flag=True, help="Check every row and save nothing.")
@click.option("--encoding", type=click.Choice(["auto", *ENCODINGS]), default="auto")
def import_command(path: Path, slug: str, dry_run: bool, encoding: str) -> None:
    """Create or update employees from a CSV or XLSX file (all or nothing)."""
    session = get_session()
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise click.ClickException(f"no organization {slug!r}")
    try:
        table = read_table(path.read_bytes(), path.name, encoding)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    mapping = imports.guess_mapping(
        table.header, imports.remembered_mapping(session, org.id, "employees")
    )
    problems = imports.mapping_problems(mapping, table.header)
    if problems:
        for name, message in problems.items():
            click.echo(f"  {name}: {message['en']}", err=True)
        raise click.ClickException("map the columns once in the web import; it is remembered")
    rows = imports.mapped_rows(table.header, table.rows, mapping)
    with click.progressbar(length=len(rows), label="Checking" if dry_run else "Importing") as bar:
        done = {"n": 0}

        def progress(count: int, _total: int) -> None:
            bar.update(count - done["n"])
            done["n"] = count

        try:
            report = imports.upsert_employees(
                session, org.id, rows, None, dry_run=dry_run, first_row=2, progress=progress
            )
        except imports.RowsRefused as refused:
            session.rollback()
            report = refused.report
    for error in report.errors[:50]:
        click.echo(f"  row {error.row}, {error.column}: {error.message}", err=True)
    summary = (
        f"{report.count('create')} to create, {report.count('update')} to update, "
        f"{report.count('unchanged')} unchanged, {len(report.errors)} errors"
    )
    if report.errors:
        raise click.ClickException(f"nothing was saved: {summary}")
    if dry_run:
        session.rollback()
        click.echo(f"Dry run: {summary}.")
        return
    session.commit()
    click.echo(f"Imported: {summary}.")
