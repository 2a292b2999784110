"""Departments, positions and employees through the admin screens."""

import pytest
from sqlalchemy import select

from appraisal.models import AuditEvent, Department, Employee, Position
from tests.conftest import alerts, field_errors

EMPTY_REFS = {"department_id": 0, "position_id": 0, "manager_id": 0, "user_id": 0}


@pytest.fixture
def acme(make, auth):
    org = make.org("acme", "Acme Ltd")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    return org


def _employee(client, number, name, url="/people/employees/new", **fields):
    data = {"number": number, "name": name, "status": "active", **EMPTY_REFS, **fields}
    return client.post(url, data=data)


def test_create_department_position_and_employee(client, db, acme):
    assert (
        client.post(
            "/people/departments/new", data={"name": "Sales", "code": "S", "parent_id": 0}
        ).status_code
        == 302
    )
    sales = db.scalar(select(Department).where(Department.name == "Sales"))
    client.post("/people/departments/new", data={"name": "East", "parent_id": sales.id})
    assert (
        client.post(
            "/people/positions/new", data={"name": "Sales rep", "staff_kind": "field"}
        ).status_code
        == 302
    )
    rep = db.scalar(select(Position).where(Position.name == "Sales rep"))
    response = _employee(
        client,
        "E100",
        "Chen Chen",
        department_id=sales.id,
        position_id=rep.id,
        hire_date="2024-03-01",
    )
    assert response.status_code == 302
    employee = db.scalar(select(Employee).where(Employee.number == "E100"))
    assert (employee.department_id, employee.position_id) == (sales.id, rep.id)
    assert employee.organization_id == acme.id
    listing = client.get("/people/employees").get_data(as_text=True)
    assert "Chen Chen" in listing and "Sales rep" in listing
    assert "Sales / East" in client.get("/people/employees/new").get_data(as_text=True)
    signed_in = AuditEvent.action == "auth.signed_in"  # the client's own sign-in
    actions = db.scalars(select(AuditEvent.entity).where(~signed_in).order_by(AuditEvent.id)).all()
    assert actions == ["department", "department", "position", "employee"]


def test_duplicate_employee_number_is_shown_at_the_field_and_the_form_is_kept(client, db, acme):
    _employee(client, "E1", "First")
    response = _employee(client, "E1", "Second Person", email="second@acme.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html) == ["Employee number E1 is already taken."]
    assert 'value="Second Person"' in html and 'value="second@acme.example"' in html
    assert db.scalar(select(Employee.name).where(Employee.number == "E1")) == "First"


def test_a_reporting_loop_is_refused(client, db, make, acme):
    boss = make.employee(acme, "B1", "Boss")
    worker = make.employee(acme, "W1", "Worker", manager_id=boss.id)
    intern = make.employee(acme, "I1", "Intern", manager_id=worker.id)
    response = _employee(
        client, "B1", "Boss", url=f"/people/employees/{boss.id}", manager_id=intern.id
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == [
        "Intern already reports to Boss, directly or indirectly; a reporting loop is not allowed."
    ]
    db.expire_all()
    assert db.get(Employee, boss.id).manager_id is None


def test_a_department_cannot_move_under_its_own_child(client, db, acme):
    client.post("/people/departments/new", data={"name": "Ops", "parent_id": 0})
    ops = db.scalar(select(Department).where(Department.name == "Ops"))
    client.post("/people/departments/new", data={"name": "Ops East", "parent_id": ops.id})
    child = db.scalar(select(Department).where(Department.name == "Ops East"))
    response = client.post(
        f"/people/departments/{ops.id}", data={"name": "Ops", "parent_id": child.id}
    )
    assert response.status_code == 422
    assert "sub-departments" in field_errors(response.get_data(as_text=True))[0]


def test_deleting_a_department_in_use_is_refused_with_counts(client, db, make, acme):
    client.post("/people/departments/new", data={"name": "Plant", "parent_id": 0})
    plant = db.scalar(select(Department).where(Department.name == "Plant"))
    make.employee(acme, "P1", department_id=plant.id)
    make.employee(acme, "P2", department_id=plant.id)
    response = client.post(f"/people/departments/{plant.id}/delete", follow_redirects=True)
    assert alerts(response.get_data(as_text=True)) == [
        "This department is still in use by 2 employees and 0 sub-departments. "
        "Move them first, or deactivate it."
    ]
    assert db.get(Department, plant.id) is not None


def test_deleting_a_position_in_use_is_refused_and_an_unused_one_goes(client, db, make, acme):
    client.post("/people/positions/new", data={"name": "Welder", "staff_kind": "office"})
    client.post("/people/positions/new", data={"name": "Unused", "staff_kind": "office"})
    welder = db.scalar(select(Position.id).where(Position.name == "Welder"))
    unused = db.scalar(select(Position.id).where(Position.name == "Unused"))
    make.employee(acme, "W1", position_id=welder)
    response = client.post(f"/people/positions/{welder}/delete", follow_redirects=True)
    assert "still held by 1 employees" in alerts(response.get_data(as_text=True))[0]
    client.post(f"/people/positions/{unused}/delete")
    db.expire_all()
    assert db.get(Position, unused) is None and db.get(Position, welder) is not None


def test_duplicate_department_and_position_names_are_refused_at_the_field(client, acme):
    client.post("/people/departments/new", data={"name": "Sales", "parent_id": 0})
    response = client.post("/people/departments/new", data={"name": "sales", "parent_id": 0})
    assert field_errors(response.get_data(as_text=True)) == [
        "A department with this name already exists."
    ]
    client.post("/people/positions/new", data={"name": "Clerk", "staff_kind": "office"})
    response = client.post("/people/positions/new", data={"name": "Clerk", "staff_kind": "field"})
    assert field_errors(response.get_data(as_text=True)) == [
        "A position with this name already exists."
    ]


def test_deactivate_and_reactivate_an_employee(client, db, make, acme):
    employee = make.employee(acme, "E1", "Leaver")
    client.post(f"/people/employees/{employee.id}/toggle")
    db.expire_all()
    assert db.get(Employee, employee.id).status == "left"
    assert "Leaver" in client.get("/people/employees?status=left").get_data(as_text=True)
    assert "Leaver" not in client.get("/people/employees?status=active").get_data(as_text=True)
    client.post(f"/people/employees/{employee.id}/toggle")
    db.expire_all()
    assert db.get(Employee, employee.id).status == "active"


def test_search_and_paging(client, make, acme):
    for n in range(45):
        make.employee(acme, f"E{n:03d}", f"Person {n:03d}")
    first = client.get("/people/employees").get_data(as_text=True)
    assert "Person 000" in first and "Person 020" not in first and "1 / 3" in first
    third = client.get("/people/employees?page=3").get_data(as_text=True)
    assert "Person 044" in third and "Person 000" not in third
    found = client.get("/people/employees?q=E04").get_data(as_text=True)
    assert "Person 040" in found and "Person 001" not in found
    assert "5 in total" in found
    assert "0 in total" in client.get("/people/employees?q=%25_").get_data(as_text=True)


def test_invalid_input_is_explained_and_nothing_saved(client, db, acme):
    response = _employee(client, "E 1", "", email="not-an-email", hire_date="31/02/2024")
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert "An employee number has no spaces." in errors
    assert "This field is required." in errors
    assert "Invalid email address." in errors
    assert "Not a valid date value." in errors
    assert db.scalar(select(Employee.id)) is None
