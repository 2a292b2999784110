"""Fixtures the goal tests share: the small company and its launched cycle, its regions,
HR's company goal, and the metric fixtures (visits, metrics, records) for computed figures."""

from tests.goals.test_cascade import cascade, company, launched, regions  # noqa: F401
from tests.runtime.metrics.conftest import add_metric, record, visits  # noqa: F401
