"""Hostile input at the boundary (issue 12, item 11): control characters in forms, query
strings and headers are refused with a 4xx and a message before any view or database sees
them (PostgreSQL refuses NUL in text, which used to be a 500), never a server error."""

from __future__ import annotations

import pytest

from appraisal.inputs import bad_text

ALL_ROLES = ("admin", "implementer", "manager", "employee")


@pytest.fixture
def everyone(client, auth, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=ALL_ROLES)
    make.employee(org, "A001", "Ann")
    auth.login("hr@acme.example")
    return org


@pytest.mark.parametrize(
    ("text", "multiline", "bad"),
    [
        ("Ann", False, False),
        ("李 雷", False, False),
        ("two\nlines\tand tabs\r\n", True, False),
        ("two\nlines", False, True),
        ("nul\x00", True, True),
        ("bell\x07", True, True),
        ("vertical tab from Word\x0b", True, True),
        ("escape\x1b[31m", True, True),
        ("lone surrogate \ud800", True, True),
    ],
)
def test_which_text_is_refused(text, multiline, bad):
    assert (bad_text(text, multiline=multiline) is not None) is bad


def test_sign_in_with_a_nul_is_refused_with_a_message(client, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    response = client.post("/login", data={"email": "hr@acme.example\x00", "password": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "control character" in page and "email" in page


def test_the_message_is_in_the_users_language(client, make):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    response = client.post("/login", data={"email": "a\x00", "password": "x"})
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)


def test_employee_search_with_a_nul_is_refused(client, everyone):
    response = client.get("/people/employees?q=A%00")
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)


def test_form_fields_may_hold_line_breaks_but_no_other_control_characters(client, everyone):
    ok = client.post("/people/departments/new", data={"name": "Sales", "code": ""})
    assert ok.status_code == 302
    refused = client.post("/people/departments/new", data={"name": "Sales\x01", "code": ""})
    assert refused.status_code == 400
    assert "name" in refused.get_data(as_text=True)
    assert client.get("/people/departments").get_data(as_text=True).count("Sales") == 1


def _get_routes_without_arguments(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and not rule.rule.startswith(("/static", "/bootstrap"))
        and rule.endpoint not in ("auth.logout",)
    )


def test_every_get_route_refuses_a_nul_in_the_query(app, client, everyone):
    routes = _get_routes_without_arguments(app)
    assert "/people/employees" in routes and "/api/v1/cycles" in routes and len(routes) > 20
    for route in routes:
        response = client.get(route + "?q=%00&page=1")
        assert response.status_code == 400, route
        if route.startswith("/api/"):
            assert response.get_json()["error"]["code"] == "invalid", route


def test_a_request_id_header_is_used_only_when_it_is_plain(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == (
        "abc-123"
    )
    for hostile in ("abc\x00def", "a" * 500, "<script>", "a b"):
        response = client.get("/healthz", headers={"X-Request-Id": hostile})
        assert response.status_code == 200
        assert response.headers["X-Request-Id"] != hostile
        assert response.headers["X-Request-Id"].isalnum()


def test_a_path_with_a_control_character_is_not_found(client, everyone):
    assert client.get("/people/employees/import/abc%00def").status_code == 404
    assert client.get("/builder/templates/1/items/k%00").status_code == 404


def test_a_json_post_outside_the_api_is_checked_too(client, everyone):
    deep = "[" * 5000 + "]" * 5000
    response = client.post(
        "/builder/formula/check", data=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    response = client.post("/builder/formula/check", json={"formula": "1\u0000", "template_id": 1})
    assert response.status_code == 400
