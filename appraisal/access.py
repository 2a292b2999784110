"""Who may do what: the current organization and roles, pure predicates, and the decorator
that turns them into 403s.

Rows of another organization are never found in the first place (`db.get_in_org`), so a
guessed id is a 404; a role that does not allow a page is a 403. Scoped roles (an HR
business partner, a department head, a scoped auditor) reach their department subtree
(`appraisal.scopes`): lists are narrowed with `reach_of(...).clause`, and a single row
outside it is a 404 (`covers_or_404`). A change (POST, PUT, PATCH, DELETE) never counts a
read-only role (`current_roles`), and a membership holding nothing else is refused every
change but its own account's (`_refuse_read_only_changes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import Boolean, Integer, Result, Select, and_, bindparam, case, join, or_, select
from sqlalchemy.orm import contains_eager

from .auth import sessions
from .db import get_in_org, get_session
from .extensions import login_manager
from .models import Employee, Membership, MembershipRole, Organization, Role, User
from .notifications.centre import unread_in
from .scopes import POWER, READ_ONLY_ROLES, Reach, effective_roles, reach

PEOPLE_ADMINS = frozenset({Role.ADMIN, Role.IMPLEMENTER})
USER_ADMINS = frozenset({Role.ADMIN})

T = TypeVar("T")


def can_manage_people(roles: Iterable[str]) -> bool:
    """Departments, positions and employees: HR admins, and implementers who set orgs up."""
    return bool(PEOPLE_ADMINS & set(roles))


def can_build(roles: Iterable[str]) -> bool:
    """Indicator library and templates: HR admins and implementers."""
    return bool(PEOPLE_ADMINS & set(roles))


def can_manage_users(roles: Iterable[str]) -> bool:
    """Sign-ins and roles: HR admins only; an implementer must not grant itself results."""
    return bool(USER_ADMINS & set(roles))


def can_run_cycles(roles: Iterable[str]) -> bool:
    """Schemes, cycles and everyone's appraisals: HR admins only (implementers see no results)."""
    return bool(USER_ADMINS & set(roles))


def can_enter_figures(roles: Iterable[str]) -> bool:
    """The figures grid: HR admins, and implementers who bring data in; it shows no scores."""
    return bool(PEOPLE_ADMINS & set(roles))


def can_review_events(roles: Iterable[str]) -> bool:
    """Business events from other systems and who their people are: HR admins only, since
    saying who a reference is decides whose figures the events count in."""
    return bool(USER_ADMINS & set(roles))


def can_use_api(roles: Iterable[str]) -> bool:
    """Personal API tokens: HR admins and implementers, whose integrations (payroll, CRM,
    data imports) call the API. Every API operation needs one of their roles, so a token of
    anyone else could do nothing but leak."""
    return bool(PEOPLE_ADMINS & set(roles))


def can_lead_teams(roles: Iterable[str]) -> bool:
    """Team pages (the team dashboard): managers, for whom they manage, and HR admins."""
    return Role.MANAGER in set(roles) or bool(USER_ADMINS & set(roles))


def can_read_results(roles: Iterable[str]) -> bool:
    """Cycles, appraisals, results and calibration to read: HR, HR business partners,
    department heads and auditors (the scoped ones inside their subtree)."""
    return bool(POWER["read_results"].roles & set(roles))


def can_calibrate(roles: Iterable[str]) -> bool:
    """Grade overrides: HR, HR business partners and department heads (in their subtree;
    a head's is a proposal where the cycle calibrates in two levels)."""
    return bool(POWER["calibrate"].roles & set(roles))


def can_publish(roles: Iterable[str]) -> bool:
    """Publishing results: HR for all or a department; partners and heads inside their
    subtree."""
    return bool(POWER["publish"].roles & set(roles))


def can_read_audit_log(roles: Iterable[str]) -> bool:
    """The organization's audit log (who did what, from where): HR admins and auditors,
    only with an organization-wide grant (`scopes.POWERS`, whole organization): a scoped
    auditor's subtree cannot be cut out of an organization-wide log. Routes also check
    `reach_of("read_audit_log")`."""
    return bool(POWER["read_audit_log"].roles & set(roles))


def is_member(_roles: Iterable[str]) -> bool:
    """Any member: what they see is then limited to the appraisals that concern them."""
    return True


@dataclass(frozen=True)
class Seat:
    """What the sign-in read about the member in one organization besides the membership."""

    #: Their employee record there (None: they have none).
    employee_id: int | None
    #: Their unread notifications there, up to the bell's cap, counted for reading
    #: requests only (None: not counted; the bell then asks itself).
    unread: int | None


def active_memberships(user: User) -> list[Membership]:
    """The user's active memberships in active organizations, organization and roles joined
    in (after a switch of organization, or a new membership, mid-request)."""
    rows = get_session().execute(_member_seats(), {"user_id": user.id, **_counting()})
    return _read_seats(rows)[1]


def signed_in_user(user_id: str, secret: str | None) -> User | None:
    """The active user whose live sign-in the cookie names (`sessions.live_user_query`),
    with their memberships, organizations, roles, employee records and the bell's count in
    the same statement: every request reads them, so one round trip rather than four
    (issue 20). The memberships wait in `g` for `_load_membership`, which runs next."""
    parameters = sessions.live_user_parameters(user_id, secret)
    if parameters is None:
        return None
    rows = get_session().execute(_signed_in_seats(), {**parameters, **_counting()})
    user, memberships = _read_seats(rows)
    if user is not None:
        g.loaded_memberships = memberships
    return user


def _counting() -> dict[str, object]:
    """Which organizations' unread notifications to count: the one a reading request works
    in (a GET changes nothing, so the count is the page's), or each when none is chosen yet
    (the first page after signing in). A change may read or add notifications before its
    page is drawn, so the bell asks then (none counted)."""
    if writing():
        return {"count_in": None, "count_each": False}
    chosen = session.get("org_id")
    return {"count_in": chosen, "count_each": chosen is None}


def _read_seats(rows: Result) -> tuple[User | None, list[Membership]]:
    """The user and their memberships (in order, each once) from `_seats`' rows; what else
    was read about each goes to `g.seats` (`current_seat`)."""
    user, memberships, seats = None, {}, {}
    for row_user, membership, employee_id, unread in rows.unique():
        user = row_user
        if membership is not None:
            memberships.setdefault(membership.id, membership)
            seats[membership.organization_id] = Seat(employee_id, unread)
    g.seats = seats
    return user, list(memberships.values())


def _seats(users: Select) -> Select:
    """`users` (a select of `User`) with each active membership in an active organization,
    its organization and roles loaded, the member's employee id there (or None) and, for
    the organizations `_counting` names, the bell's count: a row per role. A user without
    memberships still comes back (with None)."""
    in_active_organization = join(
        Membership.__table__,
        Organization.__table__,
        and_(Organization.id == Membership.organization_id, Organization.active),
    )
    counted = or_(
        Membership.organization_id == bindparam("count_in", type_=Integer),
        bindparam("count_each", type_=Boolean),
    )
    return (
        users.add_columns(
            Membership, Employee.id, case((counted, unread_in(Membership.organization_id, User.id)))
        )
        .outerjoin(in_active_organization, and_(Membership.user_id == User.id, Membership.active))
        .outerjoin(MembershipRole, MembershipRole.membership_id == Membership.id)
        .outerjoin(
            Employee,
            and_(
                Employee.organization_id == Membership.organization_id,
                Employee.user_id == User.id,
            ),
        )
        .options(contains_eager(Membership.organization), contains_eager(Membership.role_rows))
        .order_by(Organization.name, Membership.id, MembershipRole.role)
    )


@cache
def _signed_in_seats() -> Select:
    """Built once per process, like every statement each request runs (issue 20)."""
    return _seats(sessions.live_user_query())


@cache
def _member_seats() -> Select:
    return _seats(select(User).where(User.id == bindparam("user_id")))


def current_membership() -> Membership | None:
    return g.get("membership")


def current_seat() -> Seat | None:
    """What the sign-in read about the member in the current organization."""
    membership = current_membership()
    return None if membership is None else g.seats[membership.organization_id]


def current_employee_id() -> int | None:
    """The signed-in member's employee record in the current organization (None: they have
    none there), read with the memberships."""
    seat = current_seat()
    return None if seat is None else seat.employee_id


def current_org_id() -> int:
    membership = current_membership()
    if membership is None:
        abort(403)
    return membership.organization_id


def in_org_or_404(model: type[T], id_: int) -> T:
    """A row of the signed-in organization by id; another organization's id (or none) is
    a 404, as if it did not exist."""
    row = get_in_org(get_session(), model, current_org_id(), id_)
    if row is None:
        abort(404)
    return row


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: What a read-only member may still change: their own sign-in, language and account, and
#: their own notifications (read marks, preferences).
PERSONAL_BLUEPRINTS = frozenset({"auth", "account"})
PERSONAL_ENDPOINTS = frozenset(
    {"notifications.open_entry", "notifications.read_all", "notifications.preferences_page"}
)


#: Posts that only read: preparing a large cycle file in the background (a POST only so
#: that following a link never starts a job). An auditor may ask for them.
READING_POSTS = frozenset({"runtime.cycle_results", "runtime.cycle_feedback"})


def writing() -> bool:
    """Whether the current request asks for a change."""
    return request.method not in SAFE_METHODS and request.endpoint not in READING_POSTS


def current_roles() -> frozenset[str]:
    """The membership's roles that count for this request: a change never counts a
    read-only role (an auditor reads what HR reads and changes nothing)."""
    membership = current_membership()
    return effective_roles(membership.roles, writing()) if membership else frozenset()


def reach_of(power: str) -> Reach:
    """Where the signed-in member has `power` for this request (cached per request)."""
    cache = g.setdefault("reaches", {})
    if power not in cache:
        membership = current_membership()
        cache[power] = (
            reach(
                get_session(),
                membership.organization_id,
                membership.grants,
                power,
                current_roles(),
            )
            if membership
            else Reach()
        )
    return cache[power]


def covers_or_404(power: str, department_id: int | None) -> None:
    """A single row (of an employee in `department_id`) outside the member's reach is a 404,
    as if it did not exist."""
    if not reach_of(power).covers(department_id):
        abort(404)


def reach_or_403(power: str) -> None:
    """A power only an organization-wide grant gives (`Power.whole_organization`): a scoped
    grant of the role is refused."""
    if not reach_of(power):
        abort(403)


def require(predicate: Callable[[Iterable[str]], bool]) -> Callable:
    """Sign-in, a membership in the current organization, and the predicate on its roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_membership() is None or not predicate(current_roles()):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _refuse_read_only_changes() -> None:
    """A member whose every role only reads (an auditor) changes nothing, whatever route a
    new feature adds: every change but their own sign-in and account is a 403."""
    membership = current_membership()
    if (
        membership is not None
        and writing()
        and membership.roles
        and membership.roles <= READ_ONLY_ROLES
        and request.blueprint not in PERSONAL_BLUEPRINTS
        and request.endpoint not in PERSONAL_ENDPOINTS
    ):
        abort(403)


def _load_membership() -> None:
    g.pop("reaches", None)  # a switch of organization mid-request must not keep old reaches
    g.membership = None
    g.memberships = []
    if not current_user.is_authenticated:
        return
    memberships = g.pop("loaded_memberships", None)
    if memberships is None:  # a switch of organization, or signed in during this request
        memberships = active_memberships(current_user)
    g.memberships = memberships
    chosen = session.get("org_id")
    for membership in memberships:
        if membership.organization_id == chosen:
            g.membership = membership
            return
    if memberships:
        g.membership = memberships[0]
        session["org_id"] = memberships[0].organization_id


def switch_to(org_id: int) -> None:
    """Make `org_id` the current organization, for this request too: a page rendered right
    after (the new organization's report) must not show the old one in the navbar."""
    session["org_id"] = org_id
    _load_membership()


def _template_context() -> dict[str, Any]:
    roles = current_roles()
    return {
        "current_membership": current_membership(),
        "memberships": g.get("memberships", []),
        "can_manage_people": can_manage_people(roles),
        "can_manage_users": can_manage_users(roles),
        "can_build": can_build(roles),
        "can_run_cycles": can_run_cycles(roles),
        "can_read_results": can_read_results(roles),
        "can_calibrate": can_calibrate(roles),
        "can_publish": can_publish(roles),
        "can_enter_figures": can_enter_figures(roles),
        "can_use_api": can_use_api(roles),
        "can_read_audit_log": can_read_audit_log(roles) and bool(reach_of("read_audit_log")),
    }


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    # "basic", not "strong": field staff on phones change addresses as they move.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        # Only with a live sign-in session: a cookie kept after sign-out, a password change
        # or deactivation (or a bare remember-me cookie, which carries none) loads no one.
        return signed_in_user(user_id, session.get(sessions.COOKIE_KEY))

    app.before_request(_load_membership)
    app.before_request(_refuse_read_only_changes)
    app.context_processor(_template_context)
