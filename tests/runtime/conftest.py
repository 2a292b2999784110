"""A small company with a published template and a launched cycle, for runtime tests.

People: HR (hr@), a manager Bo (boss@, B001) with two reports Ann (ann@, A001) and Pat
(pat@, P001), a colleague Quinn (quinn@, Q001) under Bo too, a second team under Olga
(olga@, O001) with Oscar (oscar@, O002), and an implementer (imp@).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal.builder import services as builder
from appraisal.models import Appraisal, Cycle, Employee, Position, TemplateVersion, User
from appraisal.runtime.cycles import cycles
from appraisal.runtime.reviews.access import viewer_for

EXAMPLE = Path(__file__).parent.parent / "rules" / "data" / "design_example.json"


def runtime_definition() -> dict:
    """The design example with a peer-rated item and an item shown only to team leads."""
    definition = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    definition["key"] = "field-sales"
    behaviour = definition["sections"][1]["items"]
    behaviour[0]["weight"] = 50
    behaviour.insert(
        1,
        {
            "key": "teamwork",
            "name": {"en": "Teamwork", "zh": "团队合作"},
            "type": "rating",
            "scale": "five",
            "raters": ["manager", "peer"],
            "rater_weights": {"manager": 50, "peer": 50},
            "weight": 30,
            "scoring": {"method": "rating"},
        },
    )
    behaviour.insert(
        2,
        {
            "key": "leads_team",
            "name": "Leads a team",
            "type": "bool",
            "raters": ["self"],
            "weight": 0,
            "scoring": {"method": "none"},
            "required": False,
        },
    )
    behaviour.insert(
        3,
        {
            "key": "coaching",
            "name": "Coaching",
            "type": "rating",
            "scale": "five",
            "raters": ["self", "manager"],
            "weight": 20,
            "scoring": {"method": "rating"},
            "visible_if": "leads_team == true",
        },
    )
    return definition


@dataclass
class Company:
    org: object
    version: TemplateVersion
    people: dict[str, Employee]

    def viewer(self, db, email: str):
        user = db.scalar(select(User).where(User.email == email))
        roles = frozenset(r.role for m in user.memberships for r in m.role_rows)
        return viewer_for(db, self.org.id, user.id, roles)


def publish(db, org_id: int, definition: dict) -> TemplateVersion:
    template = builder.import_template(db, org_id, None, copy.deepcopy(definition))
    version = builder.publish(db, template, None)
    db.commit()
    return version


@pytest.fixture
def company(db, make) -> Company:
    org = make.org("acme", "Acme")
    make.member(org, "hr@acme.example", roles=("admin",))
    make.member(org, "imp@acme.example", roles=("implementer",))
    field = Position(organization_id=org.id, name="Sales rep", staff_kind="field")
    db.add(field)
    db.commit()
    people = {}

    def person(key, number, email, roles, manager=None):
        membership = make.member(org, email, roles=roles)
        people[key] = make.employee(
            org,
            number,
            key.title(),
            user_id=membership.user_id,
            manager_id=manager.id if manager else None,
            position_id=field.id,
        )
        return people[key]

    bo = person("bo", "B001", "boss@acme.example", ("manager", "employee"))
    person("ann", "A001", "ann@acme.example", ("employee",), bo)
    person("pat", "P001", "pat@acme.example", ("employee",), bo)
    person("quinn", "Q001", "quinn@acme.example", ("employee",), bo)
    olga = person("olga", "O001", "olga@acme.example", ("manager", "employee"))
    person("oscar", "O002", "oscar@acme.example", ("employee",), olga)
    version = publish(db, org.id, runtime_definition())
    return Company(org, version, people)


@pytest.fixture
def launched(db, company) -> Cycle:
    """A running cycle for everyone in the company, with the team deadlines set."""
    scheme = cycles.save_scheme(
        db,
        company.org.id,
        None,
        name="Sales 2026",
        template_version_id=company.version.id,
        staff_kind="field",
        period="quarter",
        department_ids=[],
        position_ids=[],
        user_id=None,
    )
    cycle = cycles.create_cycle(
        db,
        scheme,
        name="2026-Q4",
        dates=cycles.CycleDates(date(2026, 10, 1), date(2026, 12, 31), date(2026, 10, 15)),
        anonymity_threshold=3,
        user_id=None,
    )
    cycles.launch_cycle(db, cycle, set(), None)
    db.commit()
    return cycle


def appraisal_of(db, company: Company, key: str) -> Appraisal:
    return db.scalar(select(Appraisal).where(Appraisal.employee_id == company.people[key].id))


#: The final grades of the `calibrating` fixture's appraisals.
GRADES = {"ann": "S", "pat": "S", "quinn": "A", "bo": "B", "olga": "C", "oscar": "B"}


@pytest.fixture
def calibrating(db, company, launched):
    """Every appraisal in calibration with a computed grade; the cycle in calibration.

    Ann's grade comes from real inputs (the result page reads the engine); the others'
    are set directly, for the distribution."""
    from appraisal.runtime.calibration import calibration
    from appraisal.runtime.reviews import reviews
    from tests.runtime.test_exports import complete_ann

    reviews.refresh_result(complete_ann(db, company))
    for key, grade in GRADES.items():
        appraisal = appraisal_of(db, company, key)
        appraisal.state, appraisal.complete = "calibration", True
        if key != "ann":
            appraisal.grade = grade
    calibration.start_calibration(db, launched, None)
    db.commit()
    return launched
