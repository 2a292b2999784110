"""A field sales team: Fay (field rep) and Ed (office) report to Max; Olga manages
someone else; HR sees everyone. A published "customer visit" form, a customer with a site."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisal.models import (
    ActivityType,
    ActivityTypeVersion,
    Customer,
    Department,
    Position,
)
from appraisal.runtime.reviews.access import viewer_for

VISIT = {
    "format": "activity/1",
    "key": "customer_visit",
    "name": {"zh": "客户拜访", "en": "Customer visit"},
    "kind": "visit",
    "review": True,
    "who": {"staff": ["field"]},
    "fields": [
        {
            "key": "customer",
            "label": {"zh": "客户", "en": "Customer"},
            "type": "customer",
            "required": True,
        },
        {
            "key": "purpose",
            "label": {"zh": "目的", "en": "Purpose"},
            "type": "choice",
            "required": True,
            "options": [{"key": "demo", "label": "演示"}, {"key": "collect", "label": "收款"}],
        },
        {
            "key": "amount",
            "label": {"zh": "收款金额", "en": "Amount collected"},
            "type": "money",
            "visible_if": "purpose == 'collect'",
            "required": True,
            "min": 0,
        },
        {
            "key": "photos",
            "label": {"zh": "现场照片", "en": "Photos"},
            "type": "photos",
            "max_photos": 3,
        },
        {
            "key": "where",
            "label": {"zh": "位置", "en": "Location"},
            "type": "location",
            "purpose": "visit",
        },
    ],
}


@pytest.fixture
def field(db, make):
    org = make.org("acme")
    east = Department(organization_id=org.id, name="华东区")
    db.add(east)
    db.flush()
    shanghai = Department(organization_id=org.id, name="上海组", parent_id=east.id)
    rep = Position(organization_id=org.id, name="销售代表", staff_kind="field")
    clerk = Position(organization_id=org.id, name="内勤", staff_kind="office")
    db.add_all([shanghai, rep, clerk])
    db.commit()
    hr = make.member(org, "hr@acme.example", roles=("admin",))
    people = {}
    for email, number, role, position in (
        ("max@acme.example", "M1", "manager", rep),
        ("fay@acme.example", "F1", "employee", rep),
        ("ed@acme.example", "E1", "employee", clerk),
        ("olga@acme.example", "O1", "manager", rep),
    ):
        member = make.member(org, email, roles=(role,))
        people[number] = make.employee(
            org,
            number,
            email.split("@")[0].title(),
            user_id=member.user_id,
            department_id=shanghai.id,
            position_id=position.id,
        )
    for number in ("F1", "E1"):
        people[number].manager_id = people["M1"].id
    visit = ActivityType(organization_id=org.id, key="customer_visit")
    db.add(visit)
    db.flush()
    db.add(
        ActivityTypeVersion(
            organization_id=org.id, activity_type_id=visit.id, version=1, definition=VISIT
        )
    )
    shop = Customer(
        organization_id=org.id,
        code="C001",
        name="徐汇旗舰店",
        address="上海市徐汇区",
        latitude=Decimal("31.188000"),
        longitude=Decimal("121.437000"),
        radius_m=200,
    )
    db.add(shop)
    db.commit()

    def viewer(number=None, user_id=None, roles=("employee",)):
        if number:
            user_id = people[number].user_id
        return viewer_for(db, org.id, user_id, frozenset(roles))

    return {"org": org, "people": people, "visit": visit, "shop": shop, "hr": hr, "viewer": viewer}
