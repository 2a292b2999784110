"""Every protected URL demands sign-in; roles gate areas; other tenants' rows are 404."""

import re

import pytest

from appraisal import create_app
from appraisal.models import Department, Position

PUBLIC_ENDPOINTS = {
    "static",
    "bootstrap.static",
    "auth.login",
    "auth.set_language",
    "account.reset",  # a one-time link; it is the credential
    "main.health",
    "api.openapi",  # the API's description; it holds no data
    "runtime.field_sw",  # the field app's service worker: a script, no data
    "runtime.field_manifest",  # fetched by browsers without cookies; no data
}


def _protected_rules():
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    rules = [
        (rule.endpoint, rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
    ]
    app.extensions["appraisal.engine"].dispose()
    return rules


def _sample_url(path: str) -> str:
    """A concrete URL for a rule: 1 for ids, the first choice of `any(...)`, else `x`."""

    def value(match: re.Match) -> str:
        converter = match.group(1)
        if converter.startswith("int:"):
            return "1"
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip()
        return "x"

    return re.sub(r"<([^>]+)>", value, path)


@pytest.mark.parametrize(("endpoint", "path", "methods"), _protected_rules())
def test_every_protected_url_sends_anonymous_users_to_sign_in(client, endpoint, path, methods):
    url = _sample_url(path)
    for method in methods:
        response = client.open(url, method=method)
        if endpoint.startswith("api."):  # the JSON API answers without redirecting
            assert response.status_code == 401, (endpoint, method)
            assert response.get_json()["error"]["code"] == "unauthorized"
            continue
        assert response.status_code == 302, (endpoint, method)
        assert response.headers["Location"].startswith("/login"), (endpoint, method)


def test_every_page_download_and_api_answer_tells_caches_not_to_keep_it(client, auth, make):
    """`no-store` is the default, so a route added tomorrow has it too; only static files
    (the same for everyone) may be cached."""
    make.member(make.org(), "hr@acme.example", roles=("admin",))
    auth.login("hr@acme.example")
    public = PUBLIC_ENDPOINTS - {"static", "bootstrap.static"}
    rules = _protected_rules() + [
        (rule.endpoint, rule.rule, ["GET"])
        for rule in client.application.url_map.iter_rules()
        if rule.endpoint in public and "GET" in rule.methods
    ]
    for endpoint, path, methods in rules:
        if "GET" in methods:
            response = client.get(_sample_url(path))
            assert response.headers.get("Cache-Control") == "no-store", (endpoint, path)
            response.close()


PEOPLE_PAGES = [
    "/people/employees",
    "/people/departments",
    "/people/positions",
    "/people/employees/new",
    "/people/departments/new",
    "/people/positions/new",
]


@pytest.mark.parametrize(
    ("roles", "people", "users"),
    [
        (("admin",), 200, 200),
        (("implementer",), 200, 403),
        (("manager",), 403, 403),
        (("employee",), 403, 403),
        (("manager", "employee"), 403, 403),
    ],
)
def test_roles_decide_who_manages_people_and_users(client, auth, make, roles, people, users):
    make.member(make.org(), "someone@acme.example", roles=roles)
    auth.login("someone@acme.example")
    assert client.get("/").status_code == 200
    for page in PEOPLE_PAGES:
        assert client.get(page).status_code == people, page
    assert client.get("/users/").status_code == users
    assert client.get("/users/new").status_code == users


@pytest.fixture
def foreign_rows(db, make):
    """Rows of Globex, seen by Acme's admin who is signed in."""
    acme, globex = make.org("acme"), make.org("globex")
    make.member(acme, "hr@acme.example")
    globex_member = make.member(globex, "hr@globex.example")
    department = Department(organization_id=globex.id, name="Secret lab")
    position = Position(organization_id=globex.id, name="Spy")
    db.add_all([department, position])
    db.commit()
    employee = make.employee(globex, "G1", "Gina")
    return {
        "department": department.id,
        "position": position.id,
        "employee": employee.id,
        "membership": globex_member.id,
    }


def test_ids_from_another_organization_are_not_found(client, auth, foreign_rows):
    auth.login("hr@acme.example")
    ids = foreign_rows
    for url in [
        f"/people/departments/{ids['department']}",
        f"/people/positions/{ids['position']}",
        f"/people/employees/{ids['employee']}",
        f"/users/{ids['membership']}",
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"name": "hacked"}).status_code == 404, url
    for url in [
        f"/people/departments/{ids['department']}/toggle",
        f"/people/departments/{ids['department']}/delete",
        f"/people/positions/{ids['position']}/toggle",
        f"/people/positions/{ids['position']}/delete",
        f"/people/employees/{ids['employee']}/toggle",
        f"/users/{ids['membership']}/toggle",
    ]:
        assert client.post(url).status_code == 404, url


def test_foreign_rows_are_not_listed_nor_usable_as_references(client, auth, foreign_rows, make):
    auth.login("hr@acme.example")
    assert "0 in total" in client.get("/people/employees?q=Gina").get_data(as_text=True)
    assert "Gina" not in client.get("/people/employees").get_data(as_text=True)
    response = client.post(
        "/people/employees/new",
        data={
            "number": "A1",
            "name": "Al",
            "status": "active",
            "department_id": foreign_rows["department"],
            "position_id": 0,
            "manager_id": foreign_rows["employee"],
            "user_id": 0,
        },
    )
    assert response.status_code == 422
    assert "Secret lab" not in response.get_data(as_text=True)


def test_an_id_beyond_the_database_range_is_a_404(client, auth, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    assert client.get("/people/employees/9223372036854775808").status_code == 404
    assert client.get("/appraisals/2147483648").status_code == 404


def test_set_up_pages_are_grouped_in_one_menu(client, auth, make):
    """The bar had ten links and wrapped at 1280 px: set-up pages live in one dropdown."""
    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=("admin",))
    auth.login("hr@acme.example")
    page = client.get("/").text
    bar = page[page.index('<ul class="navbar-nav') : page.index('id="nav-setup"')]
    # my tasks, field work (a menu of its own), my team, cycles
    assert bar.count('class="nav-link') <= 4
    menu = page[page.index('id="nav-setup"') : page.index("</ul>", page.index('id="nav-setup"'))]
    for label in ("Employees", "Templates", "Industry packs", "Users and roles", "API tokens"):
        assert f">{label}</a>" in menu
    assert 'data-bs-toggle="dropdown"' in menu
