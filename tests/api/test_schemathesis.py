"""Schemathesis drives every documented operation with generated requests (valid and not)
through the WSGI app, with a real HR token; none may end in a server error.

The operations are run from inside one test (rather than `schemathesis.pytest.from_fixture`,
which does not work with pytest 9) so the app, its data and the token come from fixtures.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error


def test_no_operation_ends_in_a_server_error(app, company, launched, token_for):
    headers = token_for("hr@acme.example")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
