"""Sign-in throttling that a stranger cannot turn against real users (issue 12, item 10).

Failures delay further attempts (exponential back-off) per account, per known device and per
address; a browser that has signed in to an account before is a known device for it and is
held back only by its own failures, never by a stranger's.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select
from werkzeug.security import check_password_hash

from appraisal import create_app
from appraisal.auth import services
from appraisal.auth.services import SignIn, authenticate, charge_attempt
from appraisal.auth.throttle import Backoff, SignInPolicy
from appraisal.models import User
from tests.conftest import PASSWORD, alerts, serving

HR = "hr@acme.example"
FEW = {"LOGIN_MAX_FAILURES": 2}  # fewer (slow, on purpose) password checks per test


@pytest.fixture(autouse=True)
def few_free_failures(app):
    app.config.update(FEW)


@pytest.fixture
def admin(make):
    return make.member(make.org("acme", "Acme Ltd"), HR, roles=("admin",))


def browser(app, address: str = "127.0.0.1", **headers):
    """Another browser (no cookies of the test's own), from `address`."""
    other = app.test_client()
    other.environ_base.update(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **headers)
    return other


def sign_in(client, email: str = HR, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_a_stranger_cannot_lock_a_user_out_of_a_browser_they_signed_in_with(app, client, admin):
    """The issue's attack: failures with the user's name and random ones, from one address."""
    assert sign_in(client).status_code == 302  # this browser is now a known device for HR
    client.post("/logout")
    stranger = browser(app)
    for _ in range(2 * app.config["LOGIN_MAX_FAILURES"]):
        sign_in(stranger, HR, "guess")
    for n in range(4 * app.config["LOGIN_MAX_FAILURES"]):
        sign_in(stranger, f"guess{n}@acme.example", "guess")
    assert sign_in(stranger).status_code == 429  # the stranger is held back, even when right
    assert sign_in(browser(app, "10.9.9.9")).status_code == 429  # so is any unknown browser

    assert sign_in(client).status_code == 302
    assert client.get("/").status_code == 200


def test_a_known_device_is_held_back_by_its_own_failures(app, client, admin):
    assert sign_in(client).status_code == 302
    client.post("/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert sign_in(client, HR, "wrong-password").status_code == 401
    refused = sign_in(client)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == app.config["LOGIN_FIRST_DELAY_SECONDS"]
    assert alerts(refused.get_data(as_text=True)) == [
        "Too many failed sign-ins. Try again in 1 minute."
    ]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    assert alerts(sign_in(client).get_data(as_text=True)) == ["登录失败次数过多，请 1分钟后再试。"]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    # ...and its failures do not hold back the account elsewhere.
    assert sign_in(browser(app, "10.1.1.1")).status_code == 302


def test_spraying_names_from_one_address_is_slowed_down_for_unknown_browsers(app, admin):
    stranger = browser(app, "198.51.100.9")
    per_address = 4 * app.config["LOGIN_MAX_FAILURES"]
    for n in range(per_address):
        assert sign_in(stranger, f"guess{n}@acme.example", "x").status_code == 401
    assert sign_in(stranger, "one-more@acme.example", "x").status_code == 429
    assert sign_in(browser(app, "198.51.100.10")).status_code == 302  # other addresses: fine


def test_the_device_cookie_is_signed_and_bound_to_its_account(app, client, make, admin):
    hr_device = browser(app, "10.2.2.2")
    assert sign_in(hr_device).status_code == 302
    hr_cookie = hr_device.get_cookie("appraisal_device", path="/login")
    assert hr_cookie is not None and hr_cookie.http_only and hr_cookie.same_site == "Lax"
    make.member(make.org("acme"), "ann@acme.example", roles=("employee",))
    assert sign_in(client, "ann@acme.example").status_code == 302
    client.post("/logout")
    stranger = browser(app, "10.3.3.3")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(stranger, HR, "wrong")

    assert sign_in(client).status_code == 429  # Ann's browser is not a known device for HR
    forger = browser(app, "10.4.4.4")
    forger.set_cookie("appraisal_device", hr_cookie.value[:-3] + "xyz", path="/login")
    assert sign_in(forger).status_code == 429  # a forged cookie is worth nothing
    assert sign_in(hr_device).status_code == 302


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADDRESSES = itertools.count(1)


def attempt(app, db, password: str, at: datetime, login: str = HR, devices=None):
    """A sign-in through the service, each from a new address: only the account's counter
    (or the device's) is at play, as when a stranger rotates addresses."""
    charged = charge_attempt(
        db,
        login,
        f"192.0.2.{next(ADDRESSES)}",
        devices=devices or {},
        policy=SignInPolicy.from_config(app.config),
        now=at,
    )
    db.commit()
    result = authenticate(db, charged, password)
    db.commit()
    return result


def test_the_wait_doubles_with_each_failure_and_a_correct_password_clears_it(app, db, admin):
    free = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(free):
        assert attempt(app, db, "wrong", T0).outcome is SignIn.INVALID
    waits = []
    at = T0
    for _ in range(3):
        refused = attempt(app, db, PASSWORD, at)
        assert refused.outcome is SignIn.THROTTLED
        waits.append(refused.retry_after_seconds)
        at += timedelta(seconds=refused.retry_after_seconds)
        assert attempt(app, db, "wrong", at).outcome is SignIn.INVALID
    assert waits == [60, 120, 240]
    at += timedelta(seconds=480)
    assert attempt(app, db, PASSWORD, at).outcome is SignIn.OK
    for _ in range(free):  # a fresh start
        assert attempt(app, db, "wrong", at).outcome is SignIn.INVALID


def test_failures_are_forgotten_after_a_quiet_window(app, db, admin):
    ghost = "ghost@acme.example"  # unknown names are throttled like real ones
    for login in (HR, ghost):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            attempt(app, db, "wrong", T0, login)
    quiet = timedelta(
        seconds=app.config["LOGIN_FIRST_DELAY_SECONDS"] + app.config["LOGIN_FAILURE_WINDOW_SECONDS"]
    )
    almost = T0 + quiet - timedelta(seconds=1)
    assert attempt(app, db, "wrong", almost, ghost).outcome is SignIn.INVALID
    assert attempt(app, db, "wrong", almost, ghost).outcome is SignIn.THROTTLED  # remembered
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert attempt(app, db, "wrong", T0 + quiet).outcome is SignIn.INVALID  # forgotten


def test_unknown_names_meet_exactly_the_same_back_off(app, db, admin):
    for login in (HR, "nobody@acme.example"):
        free = app.config["LOGIN_MAX_FAILURES"]
        outcomes = [attempt(app, db, "wrong", T0, login).outcome for _ in range(free + 1)]
        assert outcomes == [SignIn.INVALID] * free + [SignIn.THROTTLED]


def test_parallel_requests_with_slightly_different_clocks_are_not_refused(app, db, admin):
    """A counter below its free failures holds nobody back, even one stamped a moment later."""
    assert attempt(app, db, "wrong", T0 + timedelta(seconds=1)).outcome is SignIn.INVALID
    assert attempt(app, db, PASSWORD, T0).outcome is SignIn.OK


def test_back_off_schedule():
    backoff = Backoff(free=5, first_delay=60, max_delay=900, forget_after=900)
    assert [backoff.delay(n) for n in range(1, 11)] == [0, 0, 0, 0, 60, 120, 240, 480, 900, 900]
    assert backoff.delay(10**6) == 900


def test_parallel_guesses_are_evaluated_at_most_the_limit(app, admin, monkeypatch):
    """40 wrong passwords at once through real HTTP: no more than the limit reach the hash."""
    checks = []
    lock = threading.Lock()
    real_check = services.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        with lock:
            checks.append(password)
        return real_check(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting_check)
    limit = app.config["LOGIN_MAX_FAILURES"] = 5  # the figures: 40 guesses, limit 5
    with serving(app) as url:
        start = threading.Barrier(40)

        def guess(n: int) -> int:
            start.wait()
            data = {"email": HR, "password": f"guess-{n}"}
            return requests.post(f"{url}/login", data=data, timeout=60).status_code

        with ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(guess, range(40)))
        right = requests.post(f"{url}/login", data={"email": HR, "password": PASSWORD}, timeout=60)
    assert len(checks) <= limit
    assert sorted(statuses) == [401] * len(checks) + [429] * (40 - len(checks))
    assert right.status_code == 429  # from an unknown browser, the account now waits


def test_the_address_is_the_socket_s_unless_proxies_are_trusted(database_url, admin):
    """Without trusted proxies, a forged X-Forwarded-For does not dodge the address limit."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "WTF_CSRF_ENABLED": False,
            "LOG_FORMAT": "plain",
            **FEW,
        }
    )
    assert app.config["TRUSTED_PROXIES"] == 0
    per_address = 4 * app.config["LOGIN_MAX_FAILURES"]
    for n in range(per_address):
        sign_in(browser(app, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"), f"g{n}@x.example", "x")
    assert sign_in(browser(app, HTTP_X_FORWARDED_FOR="203.0.113.99")).status_code == 429
    app.extensions["appraisal.engine"].dispose()


def test_behind_a_trusted_proxy_each_client_address_counts_apart(database_url, admin):
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "WTF_CSRF_ENABLED": False,
            "LOG_FORMAT": "plain",
            "TRUSTED_PROXIES": 1,
            **FEW,
        }
    )
    per_address = 4 * app.config["LOGIN_MAX_FAILURES"]
    # The proxy appends the address it saw; what the client claimed before it is ignored.
    stranger = browser(app, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.7")
    for n in range(per_address):
        sign_in(stranger, f"g{n}@x.example", "x")
    assert sign_in(browser(app, HTTP_X_FORWARDED_FOR="203.0.113.7")).status_code == 429
    assert sign_in(browser(app, HTTP_X_FORWARDED_FOR="203.0.113.8")).status_code == 302
    app.extensions["appraisal.engine"].dispose()


def test_a_stolen_session_cannot_guess_the_current_password_on_the_account_page(
    app, client, auth, db, admin
):
    """Someone with a signed-in browser (a stolen cookie, a phone left unlocked) tries
    passwords on /account: each wrong guess is charged before it is checked and kept when the
    change is refused, so after the free failures even the right password waits."""
    assert auth.login(HR).status_code == 302

    def change(current: str):
        return client.post(
            "/account/",
            data={
                "current_password": current,
                "new_password": "new-pass-123",
                "confirm": "new-pass-123",
            },
        )

    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        wrong = change(f"guess-{n}-xyz")
        assert wrong.status_code == 422, n
    held = change(PASSWORD)
    assert held.status_code == 429
    assert "Too many wrong passwords; try again in 60 seconds." in held.text
    db.expire_all()
    user = db.scalar(select(User).where(User.email == HR))
    assert check_password_hash(user.password_hash, PASSWORD)  # nothing changed


def test_the_right_current_password_clears_the_account_pages_failures(app, client, auth, admin):
    assert auth.login(HR).status_code == 302
    data = {"new_password": "new-pass-123", "confirm": "new-pass-123"}
    for n in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert (
            client.post("/account/", data=data | {"current_password": f"no-{n}"}).status_code == 422
        )
    assert client.post("/account/", data=data | {"current_password": PASSWORD}).status_code == 302
    auth.login(HR, "new-pass-123")
    back = {"new_password": PASSWORD, "confirm": PASSWORD}
    assert (
        client.post("/account/", data=back | {"current_password": "wrong-once"}).status_code == 422
    )
    assert (
        client.post("/account/", data=back | {"current_password": "new-pass-123"}).status_code
        == 302
    )


def test_a_too_short_new_password_is_refused_without_a_charge(app, client, auth, admin):
    """The right current password with a new one the rules refuse has guessed nothing, so
    it costs nothing: the holder is never held back for a typo in the new password."""
    assert auth.login(HR).status_code == 302
    short = {"current_password": PASSWORD, "new_password": "short", "confirm": "short"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        response = client.post("/account/", data=short)
        assert response.status_code == 422
        assert "Use at least 8 characters." in response.text
    good = {"current_password": PASSWORD, "new_password": "new-pass-123", "confirm": "new-pass-123"}
    assert client.post("/account/", data=good).status_code == 302
