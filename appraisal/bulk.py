"""Help for work over a whole cycle or company in one request or command."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run work that builds millions of short-lived, acyclic objects (a cycle's metric
    recompute reads a million rows as dicts) without Python's cyclic garbage collector
    rescanning all of them again and again: measured, that rescanning was more than half
    of the time (a 2,000-person recompute: 19.5 s with it, 8.6 s without). Reference
    counting still frees everything as usual; the collector resumes afterwards. Process-wide,
    so only for bounded batch work, never around waiting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
