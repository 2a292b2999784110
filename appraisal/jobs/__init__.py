"""Background jobs on a real queue (huey): long work leaves the web request, shows its
progress on a page and in the CLI, and periodic work runs on a schedule without cron.

- `registry.py`: the kinds of job an area registers (`tracked`: started by a person, with a
  page; `periodic`: on a schedule, once per period) — imported by the areas, imports no Flask
- `queue.py`: the huey instance made from the configuration, running a job inside an app
  context with a fresh session, submitting, live progress, consumers
- `services.py`: the `jobs` table (create, start, finish, fail, claim a period, read)
- `views.py`: `/jobs/<id>` (progress bar) and `/jobs/<id>.json` (what the page polls)
- `hygiene.py`: the periodic `jobs.prune` (old jobs and their files; jobs a stopped worker
  left running)
- `commands.py`: `appraisal worker`, `appraisal jobs show`, and `appraisal run` starting a
  worker beside the development server
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """After every area has registered its kinds (they import `registry` at import time)."""
    from . import commands, hygiene, queue, views  # noqa: F401 - hygiene registers jobs.prune

    queue.init_app(app)
    views.init_app(app)
    commands.init_app(app)
