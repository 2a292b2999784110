"""Signing in and out, throttling, redirects, CSRF and headers."""

import re

import pytest

from appraisal import create_app
from appraisal.security import is_safe_next
from tests.conftest import PASSWORD, alerts

#: Redirect targets that leave the site: browsers ignore extra slashes, read a backslash as a
#: slash and drop tabs and newlines; `%2F` and `%5C` become slashes once decoded.
OFF_SITE = [
    "//evil.example",
    "////evil.example/x",
    "///evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/%2F%2Fevil.example",
    "/%2fevil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "https:evil.example",
    "HTTPS://evil.example",
]


@pytest.fixture
def admin(make):
    org = make.org("acme", "Acme Ltd")
    return make.member(org, "hr@acme.example", roles=("admin",))


def test_sign_in_and_out(client, auth, admin):
    response = auth.login("HR@acme.example ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Acme Ltd" in client.get("/").get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(client, auth, admin):
    wrong = auth.login("hr@acme.example", "nope-nope")
    unknown = auth.login("nobody@acme.example", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert alerts(wrong.get_data(as_text=True)) == alerts(unknown.get_data(as_text=True))
    assert alerts(wrong.get_data(as_text=True)) == ["Wrong email or password."]


def test_repeated_failures_lock_the_login_even_with_the_right_password(client, auth, admin, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login("hr@acme.example", "wrong-password").status_code == 401
    locked = auth.login("hr@acme.example", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_login_names_are_throttled_too(auth, admin, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("ghost@acme.example", "x")
    assert auth.login("ghost@acme.example", "x").status_code == 429


def test_inactive_account_cannot_sign_in(db, auth, admin):
    admin.user.active = False
    db.commit()
    assert auth.login("hr@acme.example").status_code == 401


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/people/employees", True),
        ("/people/employees?q=a", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
        *((target, False) for target in OFF_SITE),
        ("/people/employees?q=ann%20lee", True),
        ("/builder/templates/%E9%94%80%E5%94%AE", True),
        ("/a//b", True),
    ],
)
def test_next_redirect_only_stays_on_this_site(target, safe):
    assert is_safe_next(target) is safe


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_and_language_never_send_the_browser_off_site(client, admin, target):
    """Each of these is read as another host by a browser, or by a server that decodes it."""
    response = client.post("/language", data={"language": "en", "next": target})
    assert response.headers["Location"] == "/"
    response = client.post(
        "/login", data={"email": "hr@acme.example", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_follows_a_safe_next_and_ignores_an_unsafe_one(client, admin):
    response = client.post(
        "/login", data={"email": "hr@acme.example", "password": PASSWORD, "next": "/users/"}
    )
    assert response.headers["Location"] == "/users/"
    client.post("/logout")
    response = client.post(
        "/login",
        data={"email": "hr@acme.example", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == "/"


def test_anonymous_user_is_sent_to_sign_in_with_next(client):
    response = client.get("/people/employees")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_forms_refuse_posts_without_a_csrf_token(database_url, make):
    make.member(make.org(), "hr@acme.example")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    client = app.test_client()
    response = client.post("/login", data={"email": "hr@acme.example", "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    signed_in = client.post(
        "/login", data={"email": "hr@acme.example", "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    # One-button posts carry the token too; without it nothing happens.
    for url in [
        "/logout",
        "/people/departments/1/delete",
        "/builder/templates/1/publish",
        "/language",
    ]:
        assert client.post(url, data={"language": "en"}).status_code == 400, url
    assert client.get("/").status_code == 200  # still signed in: the logout was refused
    app.extensions["appraisal.engine"].dispose()


#: Routes outside CSRF by design: the API authenticates each request by a bearer token, never
#: by a cookie a browser would send on its own.
NOT_CSRF = ("api.",)


def test_every_change_route_refuses_a_post_without_the_csrf_token(database_url, make):
    """Every route that accepts a change (the ones added since the first wave included:
    scoped roles, audit log, backups, plans, check-ins, feedback, goals) answers 400 to a
    signed-in HR admin's request without the token, so no page of another site can make
    one."""
    make.member(make.org(), "hr@acme.example")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post(
        "/login", data={"email": "hr@acme.example", "password": PASSWORD, "csrf_token": token}
    )
    answers = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(NOT_CSRF) or rule.endpoint == "static":
            continue
        url = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)  # the first choice
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", url)
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            answers[f"{method} {rule.rule}"] = client.open(url, method=method, data={}).status_code
    assert len(answers) > 140  # every change route was tried (149 when written)
    assert {k: v for k, v in answers.items() if v != 400} == {}
    assert client.get("/").status_code == 200  # still signed in: the logout was refused
    app.extensions["appraisal.engine"].dispose()


def test_responses_carry_security_headers_and_safe_cookies(client, auth, admin):
    response = auth.login("hr@acme.example")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_switching_organization(client, auth, make):
    acme, globex = make.org("acme", "Acme Ltd"), make.org("globex", "Globex Corp")
    membership = make.member(acme, "consultant@x.example", roles=("implementer",))
    from appraisal.users.services import add_member

    add_member(
        make.db, globex.id, email="consultant@x.example", name="c", password=None, roles={"admin"}
    )
    make.db.commit()
    other = make.org("initech")
    auth.login("consultant@x.example")
    home = client.get("/").get_data(as_text=True)
    assert 'id="org-switcher"' in home and "Globex Corp" in home
    response = client.post("/organization", data={"organization_id": globex.id})
    assert response.status_code == 302
    assert "Globex Corp" in client.get("/").get_data(as_text=True).split("Welcome")[1]
    assert client.get("/users/").status_code == 200  # admin in Globex
    client.post("/organization", data={"organization_id": acme.id})
    assert client.get("/users/").status_code == 403  # only implementer in Acme
    assert client.post("/organization", data={"organization_id": other.id}).status_code == 404
    assert membership.organization_id == acme.id


def test_pages_load_nothing_from_other_hosts(client, auth, admin):
    """Intranet installs have no internet: every script, style and font is served locally."""
    import re

    pages = ["/login"]
    auth.login("hr@acme.example")
    pages += ["/", "/people/employees", "/people/employees/new", "/users/"]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
        assert external == [], page
        for asset in re.findall(r'(?:src|href)="(/(?:static|bootstrap)/[^"]+)"', html):
            response = client.get(asset)
            assert response.status_code == 200, asset
            response.close()
