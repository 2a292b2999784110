"""`appraisal photos prune`: remove photos that no record took.

A phone uploads a record's photos before the record; a record that never arrives (deleted
on the phone, refused and abandoned) leaves its photos behind. They are removed once a day
old: the rows first (committed), then the files, so a failure leaves a stray file at
worst, never a photo row without its file.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ...db import get_session
from ...storage import get_storage
from .photos import KEEP_UNATTACHED, delete_files, prune_unattached

photos_cli = AppGroup("photos", help="Field photos.")


@photos_cli.command("prune")
def prune_command() -> None:
    """Delete photos uploaded over a day ago that no record names."""
    session = get_session()
    keys = prune_unattached(session, KEEP_UNATTACHED)
    session.commit()
    delete_files(get_storage(), keys)
    click.echo(f"{len(keys)} unattached photos removed.")
