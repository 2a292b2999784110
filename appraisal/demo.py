"""A demo organization: a small manufacturer with office and field staff.

The industry packs (seed_templates/) enrich it with indicators, templates and a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Membership, Organization, User
from .people import services as people
from .users import services as users

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed for the demo on purpose

DEPARTMENTS = [
    ("总经办", "GM", None),
    ("人力资源部", "HR", "总经办"),
    ("财务部", "FIN", "总经办"),
    ("销售部", "SALES", "总经办"),
    ("华东销售区", "SALES-E", "销售部"),
    ("华南销售区", "SALES-S", "销售部"),
    ("生产部", "PROD", "总经办"),
]
POSITIONS = [
    ("总经理", "office"),
    ("人事专员", "office"),
    ("会计", "office"),
    ("销售经理", "field"),
    ("销售代表", "field"),
    ("生产主管", "office"),
    ("生产操作工", "office"),
]
# number, name, department, position, manager number, hire date, login
EMPLOYEES = [
    ("E001", "王建国", "总经办", "总经理", None, date(2015, 3, 1), None),
    ("E002", "李静", "人力资源部", "人事专员", "E001", date(2019, 7, 15), "admin"),
    ("E003", "张伟", "财务部", "会计", "E001", date(2018, 5, 20), None),
    ("E004", "刘洋", "销售部", "销售经理", "E001", date(2017, 9, 1), "manager"),
    ("E005", "陈晨", "华东销售区", "销售代表", "E004", date(2021, 2, 22), "employee"),
    ("E006", "杨帆", "华东销售区", "销售代表", "E004", date(2022, 4, 11), "peer"),
    ("E007", "赵敏", "华南销售区", "销售代表", "E004", date(2020, 11, 2), "peer2"),
    ("E008", "黄磊", "华南销售区", "销售代表", "E004", date(2023, 6, 5), None),
    ("E009", "周强", "生产部", "生产主管", "E001", date(2016, 8, 8), None),
    ("E010", "吴芳", "生产部", "生产操作工", "E009", date(2021, 3, 3), None),
    ("E011", "郑浩", "生产部", "生产操作工", "E009", date(2022, 10, 10), None),
    ("E012", "孙丽", "生产部", "生产操作工", "E009", date(2024, 1, 8), None),
]
# login key -> email, roles
LOGINS = {
    "admin": ("admin@demo.example", {"admin"}),
    "implementer": ("implementer@demo.example", {"implementer"}),
    "manager": ("manager@demo.example", {"manager", "employee"}),
    "employee": ("employee@demo.example", {"employee"}),
    "peer": ("peer@demo.example", {"employee"}),
    "peer2": ("peer2@demo.example", {"employee"}),
}


@dataclass(frozen=True)
class DemoResult:
    organization: Organization
    logins: list[tuple[str, list[str]]]


def load_demo(session: Session, only_if_empty: bool = False) -> DemoResult | None:
    """Create the demo organization; None when it (or, with only_if_empty, any) exists."""
    exists = session.scalar(
        select(Organization.id).limit(1)
        if only_if_empty
        else select(Organization.id).where(Organization.slug == DEMO_SLUG)
    )
    if exists:
        return None
    org = users.get_or_create_organization(
        session, DEMO_SLUG, "示范制造有限公司 Demo Manufacturing"
    )

    departments: dict[str, int] = {}
    for name, code, parent in DEPARTMENTS:
        departments[name] = people.save_department(
            session, org.id, name=name, code=code, parent_id=departments.get(parent)
        ).id
    positions = {
        name: people.save_position(session, org.id, name=name, staff_kind=kind).id
        for name, kind in POSITIONS
    }

    user_ids: dict[str, int] = {}
    names = {login: name for _, name, *_rest, login in EMPLOYEES if login}
    for key, (email, roles) in LOGINS.items():
        added = users.add_member(
            session,
            org.id,
            email=email,
            name=names.get(key, "实施顾问"),
            password=DEMO_PASSWORD,
            roles=roles,
        )
        user_ids[key] = added.membership.user_id

    employees: dict[str, int] = {}
    for number, name, dept, position, manager, hired, login in EMPLOYEES:
        employees[number] = people.save_employee(
            session,
            org.id,
            number=number,
            name=name,
            department_id=departments[dept],
            position_id=positions[position],
            manager_id=employees.get(manager) if manager else None,
            hire_date=hired,
            user_id=user_ids.get(login) if login else None,
        ).id
    return DemoResult(org, [(email, sorted(roles)) for email, roles in LOGINS.values()])


def existing_demo_logins(session: Session) -> list[tuple[str, list[str]]]:
    """The demo sign-ins still present in the demo organization, for `make run` to print."""
    emails = [email for email, _roles in LOGINS.values()]
    memberships = session.scalars(
        select(Membership)
        .join(Organization)
        .join(User)
        .where(Organization.slug == DEMO_SLUG, User.email.in_(emails), Membership.active)
    ).all()
    by_email = {m.user.email: sorted(m.roles) for m in memberships}
    return [(email, by_email[email]) for email in emails if email in by_email]
