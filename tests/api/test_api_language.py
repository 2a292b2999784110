"""Every API error body in one language (issue 13 item 9): the client's `Accept-Language`
(zh or en) when it sends one, else the token holder's language, else English. `code` values
stay the same in every language; only `message` and `details[].message` are words.

One request per error class, sent in both languages; the guard fails when a Chinese message
carries an English word that is neither something the client sent nor a technical term, or
an English one carries Chinese, and when the spec documents an error class no case covers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from appraisal.api.spec import ERRORS
from appraisal.models import User
from appraisal.people.imports import DATE_EXAMPLES
from tests.runtime.conftest import runtime_definition

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_'-]*[A-Za-z]")
#: Words that are the same in a Chinese message: protocol and format names.
TECHNICAL = {
    "JSON",
    "Content-Type",
    "application",
    "json",
    "Authorization",
    "Bearer",
    "token",
    "appraisal-template",
}


@dataclass(frozen=True)
class Case:
    status: int
    code: str
    send: Callable  # (client, headers, ctx) -> response
    sent: str = ""  # the text the client sent, whose words may come back in a message


def _figures(value, **extra) -> dict:
    return {"figures": [{"employee_number": "A001", "key": "sales", "value": value, **extra}]}


def _put_figures(body):
    def send(client, headers, ctx):
        return client.put(f"/api/v1/cycles/{ctx.cycle}/figures", json=body, headers=headers)

    return send


def _conflict(client, headers, ctx):
    client.put(f"/api/v1/cycles/{ctx.cycle}/figures", json=_figures(5), headers=headers)
    return client.put(
        f"/api/v1/cycles/{ctx.cycle}/figures", json=_figures(9, expected=7), headers=headers
    )


def _unwritable(client, headers, ctx):
    if not ctx.freeze.hooks:  # frozen until the test ends
        ctx.freeze.read_only()
    return client.put(f"/api/v1/cycles/{ctx.cycle}/figures", json=_figures(1), headers=headers)


def _too_large(client, headers, ctx):
    body = b'{"figures": [' + b" " * (ctx.app.config["API_MAX_JSON_BYTES"] + 10) + b"]}"
    return client.put(
        f"/api/v1/cycles/{ctx.cycle}/figures",
        data=body,
        headers=headers,
        content_type="application/json",
    )


LOOP = {
    "employees": [
        {"number": "N001", "name": "Ned", "manager_number": "N002"},
        {"number": "N002", "name": "Nia", "manager_number": "N001"},
        {"number": "N003", "name": "Noa", "hire_date": "someday", "status": "left"},
    ]
}
BAD_FIGURES = {
    "figures": [
        {"employee_number": "Z404", "key": "sales", "value": 5},
        {"employee_number": "A001", "key": "sales", "value": "lots"},
        {"employee_number": "A001", "key": "nosuchitem", "value": 1},
    ]
}
SCHEMA = {"figures": [{"employee_number": 7, "value": 1, "colour": "red"}], "extra": 1}


def _definition(**changes) -> dict:
    return runtime_definition() | {"key": "language-check"} | changes


CASES = {
    "400 not json": Case(
        400,
        "bad_request",
        lambda c, h, x: c.put(
            f"/api/v1/cycles/{x.cycle}/figures",
            data="{not json",
            headers=h,
            content_type="application/json",
        ),
    ),
    "400 schema": Case(400, "invalid", _put_figures(SCHEMA), json.dumps(SCHEMA)),
    "400 query": Case(
        400, "invalid", lambda c, h, x: c.get("/api/v1/cycles?per_page=0&page=x", headers=h)
    ),
    "400 control character": Case(
        400,
        "invalid",
        lambda c, h, x: c.put(
            "/api/v1/employees",
            data=json.dumps({"employees": [{"number": "N1", "name": "Ann\u0001"}]}),
            headers=h,
            content_type="application/json",
        ),
        "employees number name",
    ),
    "400 nested": Case(
        400,
        "bad_request",
        lambda c, h, x: c.put(
            "/api/v1/employees",
            data="[" * 100 + "]" * 100,
            headers=h,
            content_type="application/json",
        ),
    ),
    "401": Case(
        401,
        "unauthorized",
        lambda c, h, x: c.get(
            "/api/v1/cycles", headers={**h, "Authorization": "Bearer apr_nonsense"}
        ),
    ),
    "403": Case(
        403,
        "forbidden",
        lambda c, h, x: c.get(f"/api/v1/cycles/{x.cycle}/appraisals", headers=x.limited(h)),
    ),
    "404 id": Case(
        404, "not_found", lambda c, h, x: c.get("/api/v1/cycles/99999/appraisals", headers=h)
    ),
    "404 path": Case(404, "not_found", lambda c, h, x: c.get("/api/v1/nothing-here", headers=h)),
    "405": Case(405, "method_not_allowed", lambda c, h, x: c.delete("/api/v1/cycles", headers=h)),
    "409": Case(409, "conflict", _conflict, "A001 sales hr"),  # hr: who changed it
    "413": Case(413, "too_large", _too_large),
    "422 refused rows": Case(
        422,
        "refused",
        lambda c, h, x: c.put("/api/v1/employees", json=LOOP, headers=h),
        json.dumps(LOOP),
    ),
    "422 service refusal": Case(
        # an unknown key is named as the input it would be (`data.<key>`)
        422,
        "refused",
        _put_figures(BAD_FIGURES),
        json.dumps(BAD_FIGURES) + " data.nosuchitem",
    ),
    "422 definition": Case(
        422,
        "refused",
        lambda c, h, x: c.post(
            "/api/v1/templates", json=_definition(grades=[], colour="red"), headers=h
        ),
        "grades colour",
    ),
    "422 definition meaning": Case(
        422,
        "refused",
        lambda c, h, x: c.post(
            "/api/v1/templates", json=_definition(grades=[{"grade": "A", "min": 10}]), headers=h
        ),
        "grades grade min",
    ),
    "503": Case(503, "database_read_only", _unwritable),
}


@dataclass
class Context:
    app: object
    cycle: int
    freeze: object
    limited: Callable[[dict], dict]


@pytest.fixture
def ctx(app, company, launched, token_for, freeze):
    implementer = token_for("imp@acme.example")  # may not list a cycle's appraisals

    def limited(headers: dict) -> dict:
        return {**headers, **implementer}

    return Context(app, launched.id, freeze, limited)


def _messages(body: dict) -> list[str]:
    error = body["error"]
    return [error["message"], *(d["message"] for d in error["details"])]


def _assert_chinese(body: dict, sent: str) -> None:
    allowed = set(LATIN_WORD.findall(sent)) | TECHNICAL
    for message in _messages(body):
        assert CJK.search(message), f"not Chinese: {message!r}"
        english = set(LATIN_WORD.findall(message)) - allowed
        assert not english, f"English words {sorted(english)} in {message!r}"


def _assert_english(body: dict) -> None:
    for message in _messages(body):
        words = message.replace(DATE_EXAMPLES, "")  # the date formats the import reads
        assert message and not CJK.search(words), f"not English: {message!r}"


def _send(client, case: Case, ctx: Context, token: dict, language: str | None):
    headers = dict(token)
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    if language:
        headers["Accept-Language"] = language
    response = case.send(client, headers, ctx)
    assert response.status_code == case.status, response.get_data(as_text=True)[:400]
    body = response.get_json()
    assert body["error"]["code"] == case.code
    return body


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_error_speaks_the_clients_language(client, ctx, token_for, name):
    case = CASES[name]
    token = token_for("hr@acme.example")
    chinese = _send(client, case, ctx, token, "zh-CN,zh;q=0.9,en;q=0.5")
    english = _send(client, case, ctx, token, "en-GB,en;q=0.8")
    _assert_chinese(chinese, case.sent)
    _assert_english(english)
    assert len(chinese["error"]["details"]) == len(english["error"]["details"])
    assert [d["path"] for d in chinese["error"]["details"]] == [
        d["path"] for d in english["error"]["details"]
    ]


@pytest.mark.parametrize("language", ["zh", "en", None])
def test_without_accept_language_the_token_holders_language_else_english(
    client, db, ctx, token_for, language
):
    user = db.scalar(select(User).where(User.email == "hr@acme.example"))
    user.language = language
    db.commit()
    token = token_for("hr@acme.example")
    for name in ("401", "404 id", "400 schema", "422 service refusal"):
        body = _send(client, CASES[name], ctx, token, None)
        if language == "zh" and name != "401":  # a refused token has no holder
            _assert_chinese(body, CASES[name].sent)
        else:
            _assert_english(body)


def test_every_documented_error_class_has_a_case():
    assert {str(case.status) for case in CASES.values()} >= set(ERRORS)


def test_the_reference_page_describes_errors_in_the_users_language(client, auth, company):
    auth.login("hr@acme.example")
    client.post("/language", data={"language": "zh"})
    page = client.get("/api/docs").get_data(as_text=True)
    assert "请求体过大" in page and "The body is too large" not in page
