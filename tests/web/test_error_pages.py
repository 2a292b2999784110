"""The error page itself must render after a request failed half-way through a transaction."""

from appraisal.db import get_session
from appraisal.models import Employee


def test_a_server_error_shows_the_error_page_even_when_the_transaction_failed(
    app, client, make, auth
):
    def broken():
        session = get_session()
        session.add(Employee(organization_id=None, number="x", name="x"))  # violates NOT NULL
        session.flush()

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")

    response = client.get("/broken-for-test")

    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "hr" in response.get_data(as_text=True)  # the signed-in menu rendered too
