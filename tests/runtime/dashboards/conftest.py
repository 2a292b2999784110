"""The metrics fixtures (a customer-visit form, metrics, recorded visits) for dashboards."""

from tests.runtime.metrics.conftest import add_metric, record, visits  # noqa: F401
