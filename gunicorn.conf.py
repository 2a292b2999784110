"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Threaded workers, one per core by default: a request spends part of its time waiting for
the database, which another thread of the same worker uses. After a worker has built the app,
every object alive then (modules, templates, the app) is frozen out of the garbage collector's
generations and the collector runs less often, so full-cycle requests that allocate hundreds of
thousands of objects no longer walk the start-up objects again and again (issue 20; measured
by `python -m bench --scale`).

Environment: APPRAISAL_BIND (127.0.0.1:8000), WEB_CONCURRENCY (workers: one per core),
APPRAISAL_THREADS (threads per worker: 4), APPRAISAL_GC_FREEZE (1; 0 leaves the collector as
Python sets it) and APPRAISAL_GC_THRESHOLD (the first generation's threshold and the two
others', "50000,20,20"; empty keeps Python's).
"""

import gc
import os

bind = os.environ.get("APPRAISAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("APPRAISAL_THREADS", 4))
timeout = 30
keepalive = 5


def collector_settings(environ) -> tuple[bool, tuple[int, ...] | None]:
    """Whether to freeze start-up objects, and the collector's thresholds (None: Python's)."""
    freeze = environ.get("APPRAISAL_GC_FREEZE", "1").strip() not in ("0", "false", "no", "")
    text = environ.get("APPRAISAL_GC_THRESHOLD", "50000,20,20").strip()
    thresholds = tuple(int(part) for part in text.split(",")) if text else None
    return freeze, thresholds


def post_worker_init(worker) -> None:
    """Freeze what the worker built (the app is loaded by now) and set the thresholds."""
    freeze, thresholds = collector_settings(os.environ)
    if freeze:
        gc.collect()
        gc.freeze()
    if thresholds:
        gc.set_threshold(*thresholds)
