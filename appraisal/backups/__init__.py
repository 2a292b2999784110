"""Backups from the app (issue 22): an instance administrator makes, downloads and schedules
them (jobs), and restores one into a scratch database to check it (the restore drill).

- `crypto.py`: passphrase encryption in chunks (Scrypt + AES-GCM), pure
- `archive.py`: one backup file (manifest, database, stored files), no Flask
- `drill.py`: restore into a scratch database and verify
- `services.py`: who may, the directory of backups, the schedule
- `jobs.py`: the job kinds (by hand, scheduled); `views.py`, `forms.py`: `/backups`
- `commands.py`: `appraisal backups make|list|drill`
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import commands, jobs, views  # noqa: F401 - jobs registers its kinds

    views.init_app(app)
    commands.init_app(app)
