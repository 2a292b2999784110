"""What every bench section shares: a throw-away app on a fresh database, timing helpers."""

from __future__ import annotations

import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from typing import Any


def bench_app(url: str | None = None, name: str = "bench", **config: Any):
    """The app on `url` (a fresh SQLite file in a temporary folder by default), migrated,
    with CSRF off and quiet logs: what each section measures against."""
    from appraisal import create_app
    from appraisal.db import make_engine
    from appraisal.migrate import upgrade

    url = url or f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "LOG_FORMAT": "plain",
            **config,
        }
    )
    app.logger.setLevel("WARNING")
    return app


def dispose(app) -> None:
    """Close the app's connections (the next section gets the machine to itself)."""
    app.extensions["appraisal.engine"].dispose()


def per_call(fn: Callable[[], Any], minimum_seconds: float = 0.4) -> float:
    """Seconds per call of `fn`: the best of five runs of enough calls to last a while."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    runs = max(number, int(number * minimum_seconds / 0.2))
    return min(timer.repeat(repeat=5, number=runs)) / runs


def median_seconds(fn: Callable[[], Any], runs: int = 5, warm: int = 1) -> float:
    """Median seconds of `runs` calls of `fn`, after `warm` unmeasured ones."""
    for _ in range(warm):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def paired_per_call(
    first: Callable[[], Any], second: Callable[[], Any], rounds: int = 40
) -> tuple[float, float]:
    """Seconds per call of two functions timed in alternation, the best round of each: on a
    shared machine a ratio of two figures measured minutes apart is mostly noise."""
    number = max(timeit.Timer(first).autorange()[0], timeit.Timer(second).autorange()[0]) // 4
    number = max(number, 1)
    best_first = best_second = float("inf")
    for _ in range(rounds):
        best_first = min(best_first, timeit.timeit(first, number=number) / number)
        best_second = min(best_second, timeit.timeit(second, number=number) / number)
    return best_first, best_second
