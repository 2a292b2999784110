"""The permission overview: who can do what where. Each statement is computed from the same
table of powers (`scopes.POWERS`) and the same grants the routes enforce, so the page cannot
promise what the server refuses (tests/runtime/test_scoped_roles.py checks it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..db import LIKE_ESCAPE, contains_pattern
from ..models import Department, Membership, MembershipRole, User
from ..people.services import department_children
from ..scopes import POWERS, Power, reach


@dataclass(frozen=True)
class Statement:
    """Where one person has one power: `everywhere`, or under these departments (names of
    the scope roots; each reaches its whole subtree)."""

    power: Power
    everywhere: bool
    departments: tuple[str, ...]

    @property
    def anywhere(self) -> bool:
        return self.everywhere or bool(self.departments)


@dataclass(frozen=True)
class PersonPowers:
    membership: Membership
    grants: tuple[tuple[str, str | None], ...]  # (role, department name or None)
    statements: tuple[Statement, ...]


def statements_for(
    session: Session,
    org_id: int,
    grants: frozenset[tuple[str, int | None]],
    names: dict[int, str],
    tree: dict[int | None, list[int]] | None = None,
) -> tuple[Statement, ...]:
    """What the grants allow, power by power, by the routes' own rule (`scopes.reach`);
    a scoped power is named by its scopes' departments, each with everything below it."""
    found = []
    for power in POWERS:
        where = reach(session, org_id, grants, power.key, tree=tree)
        roots = (
            ()
            if where.everywhere or not where
            else tuple(
                sorted(
                    names.get(dept, "?")
                    for role, dept in grants
                    if role in power.roles and dept is not None
                )
            )
        )
        found.append(Statement(power, where.everywhere, roots))
    return tuple(found)


def overview(
    session: Session,
    org_id: int,
    q: str = "",
    role: str | None = None,
    department_id: int | None = None,
) -> list[PersonPowers]:
    """Every active member with their grants and what they allow, narrowed to a name or
    e-mail, a role, or grants scoped to a department."""
    query = (
        select(Membership)
        .join(User)
        .where(Membership.organization_id == org_id, Membership.active)
        .options(selectinload(Membership.user), selectinload(Membership.role_rows))
        .order_by(User.name)
    )
    if q.strip():
        pattern = contains_pattern(q)
        query = query.where(
            or_(User.name.ilike(pattern, LIKE_ESCAPE), User.email.ilike(pattern, LIKE_ESCAPE))
        )
    if role:
        query = query.where(Membership.role_rows.any(MembershipRole.role == role))
    if department_id is not None:
        query = query.where(Membership.role_rows.any(MembershipRole.department_id == department_id))
    names = dict(
        session.execute(
            select(Department.id, Department.name).where(Department.organization_id == org_id)
        ).all()
    )
    tree = department_children(session, org_id)
    people = []
    for membership in session.scalars(query):
        grants = membership.grants
        people.append(
            PersonPowers(
                membership,
                tuple(sorted((r, names.get(d) if d else None) for r, d in grants)),
                statements_for(session, org_id, grants, names, tree),
            )
        )
    return people
