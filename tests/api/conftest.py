"""A token for each role, through the real command (`appraisal tokens create`)."""

from __future__ import annotations

import pytest

from tests.runtime.conftest import company, launched  # noqa: F401 - shared fixtures


@pytest.fixture
def token_for(runner):
    def create(email: str, slug: str = "acme") -> dict[str, str]:
        result = runner.invoke(args=["tokens", "create", "--user", email, "--org", slug])
        assert result.exit_code == 0, result.output
        return {"Authorization": f"Bearer {result.output.strip()}"}

    return create
