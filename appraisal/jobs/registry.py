"""The kinds of background job, registered by the areas that own the work.

A *tracked* kind runs for a person who started it (a row in `jobs` with its page); a
*periodic* kind runs every N minutes (N from a configuration key; 0 turns it off), at most
once per period whatever the number of consumers or restarts. Both receive the session of
their own app context and never commit: the queue commits when they return.

No Flask here, so an area can register its kinds from a plain module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..models import Job

#: A job reports how far it is: (done, total), as often as it likes (the queue throttles).
Progress = Callable[[int, int], None]
#: Whether someone holding `roles` may have the job's work done, and read what it wrote.
Allowed = Callable[[Job, Iterable[str]], bool]


@dataclass(frozen=True)
class Tracked:
    name: str
    run: Callable[[Session, Job, Progress], dict[str, Any]]
    #: The words for a finished job's result, in the reader's language.
    outcome: Callable[[dict[str, Any]], str]
    #: Where the person goes back to (a URL), from the job's params; called in a request.
    back: Callable[[Job], str | None]
    #: Checked against the owner's roles when the job starts (a role taken away since the
    #: job was queued refuses it) and the reader's when its file is downloaded; None for an
    #: instance administrator's job of no organization (a backup).
    allowed: Allowed | None = None


@dataclass(frozen=True)
class Periodic:
    name: str
    run: Callable[[Session, Progress], dict[str, Any]]
    #: The configuration key holding the period in minutes (0: never).
    every: str


TRACKED: dict[str, Tracked] = {}
PERIODIC: dict[str, Periodic] = {}


def tracked(
    name: str,
    outcome: Callable[[dict[str, Any]], str],
    back: Callable[[Job], str | None],
    *,
    allowed: Allowed | None,
) -> Callable:
    """Register the decorated `run(session, job, progress) -> result` as a kind of job that
    people `allowed` may have done (say None only for a job of no organization)."""

    def decorator(run: Callable[[Session, Job, Progress], dict[str, Any]]) -> Callable:
        TRACKED[name] = Tracked(name, run, outcome, back, allowed)
        return run

    return decorator


def periodic(name: str, every: str) -> Callable:
    """Register the decorated `run(session, progress) -> result` to run every `every` minutes."""

    def decorator(run: Callable[[Session, Progress], dict[str, Any]]) -> Callable:
        PERIODIC[name] = Periodic(name, run, every)
        return run

    return decorator
