"""The queue's own upkeep, a periodic job (`jobs.prune`, every JOBS_PRUNE_MINUTES): finished
jobs older than JOBS_KEEP_DAYS are deleted with the files they kept (an import's rows, an
export's file), and jobs a stopped worker left running are marked failed (the same check
`appraisal worker` makes as it starts, for a worker that died and came back within
JOBS_ORPHAN_SECONDS)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ..models import utcnow
from ..storage import Unavailable, get_storage
from . import services
from .queue import fail_orphans, queue
from .registry import Progress, periodic

log = logging.getLogger("appraisal.jobs")

PRUNE = "jobs.prune"


@periodic(PRUNE, every="JOBS_PRUNE_MINUTES")
def prune(session: Session, progress: Progress) -> dict[str, Any]:
    config = current_app.config
    orphans = fail_orphans(session, queue().huey, float(config["JOBS_ORPHAN_SECONDS"]))
    keys = services.prune(session, utcnow() - timedelta(days=int(config["JOBS_KEEP_DAYS"])))
    storage = get_storage()
    for done, key in enumerate(keys, start=1):
        try:
            storage.delete(key)
        except Unavailable:  # the row is gone; the file is only space now
            log.warning("Could not delete %s of a pruned job", key, exc_info=True)
        progress(done, len(keys))
    return {"orphans": len(orphans), "files": len(keys)}
