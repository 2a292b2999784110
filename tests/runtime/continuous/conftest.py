"""Field records for the evidence timeline's tests: the metrics tests' visit form and recorder."""

from tests.runtime.metrics.conftest import record, visits  # noqa: F401
