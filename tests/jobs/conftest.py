"""A real queue for the jobs tests: the test app's jobs go through huey's SQLite storage in a
temporary file and a consumer running in threads (`queue.consumer_in_threads`), instead of
the immediate mode every other test uses."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from appraisal.jobs import registry


@pytest.fixture
def real_queue(app: Flask, tmp_path) -> Flask:
    """The app with jobs queued in a huey SQLite file (made on first use)."""
    app.config.update(
        JOBS_IMMEDIATE=False,
        JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}",
        JOBS_POLL_SECONDS=0.05,
    )
    return app


@pytest.fixture
def kinds() -> Iterator[Callable]:
    """Registers tracked kinds for one test: `kinds(name, run)`."""
    added: list[str] = []

    def add(name: str, run: Callable) -> None:
        def outcome(result):
            return "outcome " + " ".join(f"{k}={v}" for k, v in result.items())

        registry.tracked(name, outcome=outcome, back=lambda job: None, allowed=None)(run)
        added.append(name)

    yield add
    for name in added:
        registry.TRACKED.pop(name, None)


def wait_for(condition: Callable[[], object], seconds: float = 20) -> object:
    """Polls `condition` until it holds (a consumer runs in other threads)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
