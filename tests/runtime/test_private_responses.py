"""Pages, downloads and API answers hold personal or pay data: no browser or proxy may keep
them (issue 12, item 16a). Only static files, the same for everyone, may be cached."""

from __future__ import annotations

import pytest

from tests.runtime.conftest import appraisal_of


@pytest.fixture
def token(runner):
    result = runner.invoke(args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def test_results_exports_tokens_and_api_answers_are_never_stored(
    client, auth, db, company, launched, token
):
    ann = appraisal_of(db, company, "ann")
    auth.login("hr@acme.example")
    for url in [
        f"/appraisals/{ann.id}/result",
        f"/appraisals/{ann.id}",
        f"/cycles/{launched.id}/results.csv",
        f"/cycles/{launched.id}/results.xlsx",
        "/people/employees/export.csv",
        "/account/tokens",
        "/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    for url in [f"/api/v1/appraisals/{ann.id}/result", f"/api/v1/cycles/{launched.id}/appraisals"]:
        response = client.get(url, headers=token)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_errors_and_sign_in_pages_are_not_stored_either(client, auth, company):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    auth.login("ann@acme.example")
    assert client.get("/appraisals/999999/result").headers["Cache-Control"] == "no-store"
    assert client.get("/users/").headers["Cache-Control"] == "no-store"  # 403


def test_static_files_may_be_cached(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
