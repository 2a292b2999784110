"""Accounts belong to their holders.

Users are global, so an organization's HR admins may neither take an existing account in by
its e-mail nor change the credentials of an account another organization shares; a sign-in
ends for good on sign-out, a password change or reset, or deactivation.
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

import appraisal
from appraisal.account import services as account
from appraisal.auth.throttle import SignInPolicy
from appraisal.errors import ServiceError
from appraisal.models import (
    AuditEvent,
    Invitation,
    Membership,
    PasswordReset,
    User,
    UserSession,
    utcnow,
)
from appraisal.users import services as users
from tests.conftest import PASSWORD, alerts, field_errors

B_PASSWORD = "globex-own-pass-9"


@pytest.fixture
def two_orgs(make, auth):
    """Acme's HR admin is signed in; Globex has its own HR admin and payroll."""
    acme, globex = make.org("acme"), make.org("globex")
    make.member(acme, "hr@acme.example")
    b_admin = make.member(globex, "admin@globex.example", password=B_PASSWORD)
    make.employee(globex, "G1", "Payroll Secret")
    auth.login("hr@acme.example")
    return acme, globex, b_admin


def _user(db, email: str) -> User:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def _reset_path(html: str) -> str:
    return re.search(r"http://localhost(/account/reset/[\w-]+)", html).group(1)


def _captured(app, client):
    """Another browser holding a copy of the client's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


# -- item 1: no takeover ---------------------------------------------------------------------


def test_adding_another_organizations_admin_by_email_grants_nothing_and_sets_no_password(
    client, auth, db, two_orgs
):
    _, globex, _ = two_orgs
    response = client.post(
        "/users/new",
        data={
            "email": "ADMIN@globex.example",
            "name": "Mine now",
            "password": "hijacked-pass-1",
            "language": "en",
            "roles": ["admin"],
        },
    )
    assert response.status_code == 302
    victim = _user(db, "admin@globex.example")
    assert victim.name == "admin" and victim.language is None
    assert [m.organization_id for m in victim.memberships] == [globex.id]
    assert "Mine now" not in client.get("/users/").text
    # Nothing to edit: every crafted post on Globex's membership is a 404.
    b_membership = victim.memberships[0].id
    assert client.post(f"/users/{b_membership}", data={"name": "x"}).status_code == 404
    assert client.post(f"/users/{b_membership}/reset-link").status_code == 404
    # Acme's admin sees nothing of Globex.
    assert "Payroll Secret" not in client.get("/people/employees").text
    auth.logout()
    assert auth.login("admin@globex.example", "hijacked-pass-1").status_code == 401
    assert auth.login("admin@globex.example", B_PASSWORD).status_code == 302


def test_a_shared_account_is_read_only_for_each_organization(client, auth, db, make, two_orgs):
    """Even once B's admin has accepted A's invitation, A manages only its own roles."""
    acme, _, _ = two_orgs
    client.post(
        "/users/new", data={"email": "admin@globex.example", "name": "x", "roles": ["employee"]}
    )
    invitation = db.scalar(select(Invitation))
    account.accept_invitation(db, invitation)
    db.commit()
    shared = db.scalar(
        select(Membership)
        .join(User)
        .where(User.email == "admin@globex.example", Membership.organization_id == acme.id)
    )
    page = client.get(f"/users/{shared.id}").text
    assert 'id="shared-account"' in page
    assert 'name="name"' not in page and "reset-link" not in page
    # A crafted post changes the roles here and nothing of the account.
    client.post(
        f"/users/{shared.id}",
        data={
            "name": "Hijacked",
            "language": "en",
            "new_password": "hijacked-pass-1",
            "roles": ["manager"],
        },
    )
    refused = client.post(f"/users/{shared.id}/reset-link", follow_redirects=True)
    assert alerts(refused.text) == [
        "This account also belongs to another organization: only its holder, or an instance "
        "administrator, can change its password, name or language."
    ]
    victim = _user(db, "admin@globex.example")
    assert (victim.name, victim.language) == ("admin", None)
    assert db.get(Membership, shared.id).roles == {"manager"}
    assert db.scalar(select(func.count()).select_from(PasswordReset)) == 0
    # The service refuses by itself, whatever a page offers.
    with pytest.raises(ServiceError):
        users.update_member(
            db,
            db.get(Membership, shared.id),
            roles={"manager"},
            acting_user_id=1,
            details=users.AccountDetails("Hijacked", None),
        )
    with pytest.raises(ServiceError):
        users.create_reset_link(db, db.get(Membership, shared.id), 1)
    db.rollback()
    auth.logout()
    assert auth.login("admin@globex.example", B_PASSWORD).status_code == 302


def test_an_invitation_elsewhere_voids_control_and_open_reset_links(client, db, make, two_orgs):
    """Pending invitations count: otherwise A could reset the password, then accept B's
    invitation as the account holder."""
    acme, globex, _ = two_orgs
    mine = make.member(acme, "worker@acme.example", roles=("employee",))
    link = _reset_path(client.post(f"/users/{mine.id}/reset-link").text)
    assert client.get(link).status_code == 200
    users.add_or_invite(
        db,
        globex.id,
        email="worker@acme.example",
        name="",
        password=None,
        roles={"employee"},
        language=None,
        acting_user_id=None,
    )
    db.commit()
    assert client.get(link).status_code == 404
    used = client.post(link, data={"password": "taken-over-1", "confirm": "taken-over-1"})
    assert used.status_code == 404
    assert check_password_hash(_user(db, "worker@acme.example").password_hash, PASSWORD)
    refused = client.post(f"/users/{mine.id}/reset-link", follow_redirects=True)
    assert alerts(refused.text)[0].startswith("This account also belongs to another organization")
    assert 'id="shared-account"' in refused.text


def test_the_wizard_gives_an_implementer_no_way_into_other_accounts(client, auth, db, make):
    globex = make.org("globex")
    make.member(globex, "admin@globex.example", password=B_PASSWORD)
    make.member(make.org("consulting"), "imp@consulting.example", roles=("implementer",))
    auth.login("imp@consulting.example")
    response = client.post(
        "/packs/new-organization", data={"pack": "retail", "name": "Mine", "slug": "mine"}
    )
    assert response.status_code == 200  # the implementer is now HR admin of "mine"
    client.post(
        "/users/new",
        data={
            "email": "admin@globex.example",
            "name": "x",
            "password": "hijacked-pass-1",
            "roles": ["admin"],
        },
    )
    victim = _user(db, "admin@globex.example")
    assert [m.organization.slug for m in victim.memberships] == ["globex"]
    assert db.scalar(select(Invitation.user_id)) == victim.id
    auth.logout()
    assert auth.login("admin@globex.example", "hijacked-pass-1").status_code == 401
    assert auth.login("admin@globex.example", B_PASSWORD).status_code == 302


def test_the_account_holder_accepts_or_declines_invitations(client, auth, db, make, two_orgs):
    acme, _, _ = two_orgs
    for email in ("admin@globex.example",):
        client.post("/users/new", data={"email": email, "name": "x", "roles": ["manager"]})
    other = make.member(make.org("initech"), "someone@initech.example")
    users.add_or_invite(
        db,
        acme.id,
        email="someone@initech.example",
        name="",
        password=None,
        roles={"employee"},
        language=None,
        acting_user_id=None,
    )
    db.commit()
    theirs = db.scalar(select(Invitation.id).where(Invitation.user_id == other.user_id))
    auth.logout()
    auth.login("admin@globex.example", B_PASSWORD)
    home = client.get("/").text
    assert "Acme invites you as" in home
    # Before accepting, Acme is not reachable.
    assert client.post("/organization", data={"organization_id": acme.id}).status_code == 404
    assert client.post(f"/account/invitations/{theirs}/accept").status_code == 404
    mine = db.scalar(select(Invitation.id).where(Invitation.user_id != other.user_id))
    response = client.post(f"/account/invitations/{mine}/accept", follow_redirects=True)
    assert "You joined Acme" in response.text
    joined = db.scalar(
        select(Membership)
        .join(User)
        .where(User.email == "admin@globex.example", Membership.organization_id == acme.id)
    )
    assert joined.roles == {"manager"}
    auth.logout()
    auth.login("someone@initech.example")
    client.post(f"/account/invitations/{theirs}/decline")
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    actions = set(
        db.scalars(select(AuditEvent.action).where(AuditEvent.organization_id == acme.id))
    )
    assert {"member.invited", "invitation.accepted", "invitation.declined"} <= actions


def test_an_admin_cancels_an_invitation(client, db, two_orgs):
    client.post(
        "/users/new", data={"email": "admin@globex.example", "name": "x", "roles": ["employee"]}
    )
    invitation = db.scalar(select(Invitation.id))
    response = client.post(f"/users/invitations/{invitation}/cancel", follow_redirects=True)
    assert "The invitation of admin@globex.example is cancelled." in response.text
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_another_organizations_invitation_cannot_be_cancelled(client, db, make, two_orgs):
    _, globex, _ = two_orgs
    make.member(make.org("initech"), "x@initech.example")
    invitation = users.add_or_invite(
        db,
        globex.id,
        email="x@initech.example",
        name="",
        password=None,
        roles={"employee"},
        language=None,
        acting_user_id=None,
    )
    db.commit()
    assert client.post(f"/users/invitations/{invitation.id}/cancel").status_code == 404


# -- password resets and changes ----------------------------------------------------------------


def test_a_reset_link_works_once_within_its_time(client, auth, db, make, two_orgs):
    acme, _, _ = two_orgs
    mine = make.member(acme, "worker@acme.example", roles=("employee",))
    link = _reset_path(client.post(f"/users/{mine.id}/reset-link").text)
    auth.logout()
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert field_errors(short.text) == ["Use at least 8 characters."]
    differ = client.post(link, data={"password": "long-enough-1", "confirm": "long-enough-2"})
    assert field_errors(differ.text) == ["The two passwords differ."]
    done = client.post(link, data={"password": "long-enough-1", "confirm": "long-enough-1"})
    assert done.status_code == 302
    again = client.get(link)
    assert again.status_code == 404 and "not valid any more" in again.text
    assert auth.login("worker@acme.example", "long-enough-1").status_code == 302
    auth.logout()

    auth.login("hr@acme.example")
    link = _reset_path(client.post(f"/users/{mine.id}/reset-link").text)
    reset = db.scalar(select(PasswordReset))
    reset.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    assert client.get(link).status_code == 404
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == mine.user_id)))
    assert {"password.reset_link", "password.reset"} <= actions


def test_a_signed_in_user_changes_their_own_password(client, auth, db, two_orgs):
    wrong = client.post(
        "/account/",
        data={
            "current_password": "guess-1234",
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
        },
    )
    assert wrong.status_code == 422
    assert field_errors(wrong.text) == ["This is not your current password."]
    assert 'value="guess-1234"' not in wrong.text  # passwords are never echoed
    ok = client.post(
        "/account/",
        data={
            "current_password": PASSWORD,
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
        },
    )
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("hr@acme.example", PASSWORD).status_code == 401
    assert auth.login("hr@acme.example", "new-pass-123").status_code == 302
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "password.changed"))
    assert event is not None and event.user_id == event.entity_id


# -- item 14: sessions that end ---------------------------------------------------------------


def test_a_captured_cookie_is_signed_out_after_logout(app, client, auth, two_orgs):
    thief = _captured(app, client)
    assert thief.get("/").status_code == 200
    auth.logout()
    assert thief.get("/").status_code == 302
    assert thief.get("/people/employees").headers["Location"].startswith("/login")


def test_a_captured_cookie_is_signed_out_after_a_password_change(app, client, two_orgs):
    thief = _captured(app, client)
    client.post(
        "/account/",
        data={
            "current_password": PASSWORD,
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
        },
    )
    assert client.get("/").status_code == 200  # the one who changed it stays signed in
    assert thief.get("/").status_code == 302


def test_a_reset_ends_every_sign_in_of_the_account(app, client, auth, db, make, two_orgs):
    acme, _, _ = two_orgs
    mine = make.member(acme, "worker@acme.example", roles=("employee",))
    worker = app.test_client()
    worker.post("/login", data={"email": "worker@acme.example", "password": PASSWORD})
    assert worker.get("/").status_code == 200
    link = _reset_path(client.post(f"/users/{mine.id}/reset-link").text)
    client.post(link, data={"password": "long-enough-1", "confirm": "long-enough-1"})
    assert worker.get("/").status_code == 302


def test_a_deactivated_account_is_signed_out(db, client, two_orgs):
    user = _user(db, "hr@acme.example")
    user.active = False
    db.commit()
    assert client.get("/").status_code == 302


def test_a_remember_me_cookie_does_not_bring_a_session_back(app, db, two_orgs):
    user = _user(db, "hr@acme.example")
    browser = app.test_client()
    with app.test_request_context():
        browser.set_cookie("remember_token", encode_cookie(str(user.id)))
    assert browser.get("/").status_code == 302


def test_sessions_are_rows_that_end_with_sign_out(client, auth, db, two_orgs):
    assert db.scalar(select(func.count()).select_from(UserSession)) == 1
    auth.logout()
    assert db.scalar(select(func.count()).select_from(UserSession)) == 0


# -- the command line ---------------------------------------------------------------------------


def test_cli_user_creation_and_resets_are_audited(runner, client, db, make):
    created = runner.invoke(
        args=["users", "create", "--email", "boss@acme.example", "--name", "Boss", "--org", "acme"],
        input="long-enough-1\nlong-enough-1\n",
    )
    assert created.exit_code == 0, created.output
    added = db.scalar(select(AuditEvent).where(AuditEvent.action == "member.added"))
    assert added.detail["via"] == "cli" and added.detail["roles"] == ["admin"]

    printed = runner.invoke(args=["users", "reset-password", "--email", "boss@acme.example"])
    assert printed.exit_code == 0, printed.output
    link = re.search(r"http://127\.0\.0\.1:5000(/account/reset/[\w-]+)", printed.output).group(1)
    reset = client.post(link, data={"password": "cli-reset-12", "confirm": "cli-reset-12"})
    assert reset.status_code == 302
    assert (
        client.post(
            "/login", data={"email": "boss@acme.example", "password": "cli-reset-12"}
        ).status_code
        == 302
    )

    typed = runner.invoke(
        args=["users", "reset-password", "--email", "boss@acme.example", "--set"],
        input="typed-pass-12\ntyped-pass-12\n",
    )
    assert typed.exit_code == 0, typed.output
    assert client.get("/").status_code == 302  # its sign-ins ended
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"member.added", "password.reset_link", "password.reset", "password.set"} <= actions
    missing = runner.invoke(args=["users", "reset-password", "--email", "nobody@x.example"])
    assert missing.exit_code == 1 and "no account" in missing.output


# -- guards for the class of defect ---------------------------------------------------------

GRANTS_AND_CREDENTIALS = {
    # what is done → the only modules allowed to do it (each audits it)
    "password_hash": {"account/services.py", "users/services.py"},
    "Membership": {"users/services.py", "account/services.py", "packs/loading.py"},
    "set_roles": {
        "users/services.py",
        "account/services.py",
        "packs/loading.py",
        "models/accounts.py",
    },
}


def _doings(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        stored = isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        if (stored and node.attr == "password_hash") or (
            isinstance(node, ast.keyword) and node.arg == "password_hash"
        ):
            found.add("password_hash")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in {"Membership", "set_roles"}:
                found.add(name)
    return found


def test_only_the_account_services_grant_roles_or_set_passwords():
    """A new door that links an account, grants a role or sets a password outside these
    services would bypass the ownership check and the audit: this test names it."""
    root = Path(appraisal.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("migrations/"):
            continue
        for doing in _doings(ast.parse(path.read_text(encoding="utf-8"))):
            if relative not in GRANTS_AND_CREDENTIALS[doing]:
                offenders.append((relative, doing))
    assert offenders == []


def test_a_password_change_revokes_the_accounts_api_tokens(db, two_orgs):
    """A token made with a stolen password must not outlive the password."""
    from appraisal.api import tokens

    acme = db.scalar(
        select(Membership.organization_id).join(User).where(User.email == "hr@acme.example")
    )
    user = _user(db, "hr@acme.example")
    made = tokens.create_token(db, acme, user.id, "made by whoever had the password")
    db.commit()
    assert tokens.authenticate(db, made.secret) is not None
    policy = SignInPolicy.from_config(appraisal.config.DEFAULTS)
    account.change_own_password(db, user, PASSWORD, "a-new-password-9", policy)
    db.commit()
    assert tokens.authenticate(db, made.secret) is None
