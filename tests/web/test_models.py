"""Database constraints that keep tenants' data consistent whatever the code above does."""

import pytest
from sqlalchemy.exc import IntegrityError

from appraisal.models import Department, Employee, Membership, MembershipRole, Position


def test_employee_number_is_unique_within_an_organization(db, make):
    acme = make.org("acme")
    make.employee(acme, "E1")
    db.add(Employee(organization_id=acme.id, number="E1", name="Twin"))
    with pytest.raises(IntegrityError):
        db.commit()


def test_the_same_employee_number_may_exist_in_two_organizations(db, make):
    make.employee(make.org("acme"), "E1")
    make.employee(make.org("globex"), "E1")
    assert db.query(Employee).filter_by(number="E1").count() == 2


def test_department_and_position_names_are_unique_per_organization(db, make):
    acme = make.org("acme")
    db.add_all(
        [
            Department(organization_id=acme.id, name="Sales"),
            Department(organization_id=acme.id, name="Sales"),
        ]
    )
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    db.add_all(
        [
            Position(organization_id=acme.id, name="Clerk"),
            Position(organization_id=acme.id, name="Clerk"),
        ]
    )
    with pytest.raises(IntegrityError):
        db.commit()


def test_position_staff_kind_must_be_office_or_field(db, make):
    db.add(Position(organization_id=make.org().id, name="Pilot", staff_kind="air"))
    with pytest.raises(IntegrityError):
        db.commit()


def test_an_employee_cannot_manage_themself(db, make):
    employee = make.employee(make.org(), "E1")
    employee.manager_id = employee.id
    with pytest.raises(IntegrityError):
        db.commit()


def test_unknown_roles_are_refused_by_the_database(db, make):
    membership = make.member(make.org(), "a@x.example")
    db.add(MembershipRole(membership_id=membership.id, role="superuser"))
    with pytest.raises(IntegrityError):
        db.commit()


def test_a_user_joins_an_organization_once(db, make):
    acme = make.org()
    membership = make.member(acme, "a@x.example")
    db.add(Membership(user_id=membership.user_id, organization_id=acme.id))
    with pytest.raises(IntegrityError):
        db.commit()


def test_employee_must_reference_an_existing_department(db, make):
    db.add(Employee(organization_id=make.org().id, number="E1", name="A", department_id=9999))
    with pytest.raises(IntegrityError):
        db.commit()
