from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import tables
from ..access import can_manage_people, current_org_id, require
from ..db import get_in_org, get_session
from ..forms import attempt, choices, optional_id, wanted
from ..models import Department, Employee, EmployeeStatus, Position
from . import exports, services
from .forms import DepartmentForm, EmployeeForm, PositionForm

bp = Blueprint("people", __name__, url_prefix="/people", template_folder="templates")

NONE_LABEL = "—"


def _list_args() -> tuple[str, int]:
    return request.args.get("q", ""), request.args.get("page", 1, type=int)


def _found(model, id_):
    row = get_in_org(get_session(), model, current_org_id(), id_)
    if row is None:
        abort(404)
    return row


# -- departments -----------------------------------------------------------------------------


@bp.route("/departments")
@require(can_manage_people)
def departments():
    q, page = _list_args()
    listing = services.list_departments(get_session(), current_org_id(), q, page)
    return render_template("people/departments.html", page=listing, q=q)


@bp.route("/departments/new", methods=["GET", "POST"])
@bp.route("/departments/<int:id>", methods=["GET", "POST"])
@require(can_manage_people)
def department_form(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    department = _found(Department, id) if id else None
    form = DepartmentForm(obj=department)
    form.parent_id.choices = choices(
        (
            (value, label)
            for value, label in services.department_choices(db, org_id)
            if not department or value != department.id
        ),
        NONE_LABEL,
    )
    status = None
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.save_department(
                db,
                org_id,
                name=form.name.data,
                code=form.code.data,
                parent_id=optional_id(form.parent_id.data),
                department=department,
                version=form.expected_version(),
                user_id=current_user.id,
            ),
            form,
            department,
        )
        status = outcome.status
        if (saved := outcome.value) is not None:
            flash(_("Department %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".departments"))
    status = status or (422 if form.is_submitted() and form.errors else 200)
    usage = services.department_usage(db, department) if department else None
    return render_template(
        "people/form.html",
        form=form,
        title=_("Edit department") if department else _("New department"),
        back=url_for(".departments"),
        row=department,
        usage=usage,
        delete_url=url_for(".department_delete", id=department.id) if department else None,
        toggle_url=url_for(".department_toggle", id=department.id) if department else None,
    ), status


@bp.post("/departments/<int:id>/toggle")
@require(can_manage_people)
def department_toggle(id: int):
    department = _found(Department, id)
    active = wanted("active", department.active)
    attempt(
        lambda: services.set_department_active(get_session(), department, active, current_user.id)
    )
    flash(_("Department %(name)s updated.", name=department.name), "success")
    return redirect(url_for(".departments"))


@bp.post("/departments/<int:id>/delete")
@require(can_manage_people)
def department_delete(id: int):
    department = _found(Department, id)
    name = department.name
    if attempt(
        lambda: services.delete_department(get_session(), department, current_user.id)
    ).refused:
        return redirect(url_for(".department_form", id=id))
    flash(_("Department %(name)s deleted.", name=name), "success")
    return redirect(url_for(".departments"))


# -- positions -------------------------------------------------------------------------------


@bp.route("/positions")
@require(can_manage_people)
def positions():
    q, page = _list_args()
    listing = services.list_positions(get_session(), current_org_id(), q, page)
    return render_template("people/positions.html", page=listing, q=q)


@bp.route("/positions/new", methods=["GET", "POST"])
@bp.route("/positions/<int:id>", methods=["GET", "POST"])
@require(can_manage_people)
def position_form(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    position = _found(Position, id) if id else None
    form = PositionForm(obj=position)
    status = None
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.save_position(
                db,
                org_id,
                name=form.name.data,
                staff_kind=form.staff_kind.data,
                position=position,
                version=form.expected_version(),
                user_id=current_user.id,
            ),
            form,
            position,
        )
        status = outcome.status
        if (saved := outcome.value) is not None:
            flash(_("Position %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".positions"))
    status = status or (422 if form.is_submitted() and form.errors else 200)
    return render_template(
        "people/form.html",
        form=form,
        title=_("Edit position") if position else _("New position"),
        back=url_for(".positions"),
        row=position,
        usage={"employees": services.position_usage(db, position)} if position else None,
        delete_url=url_for(".position_delete", id=position.id) if position else None,
        toggle_url=url_for(".position_toggle", id=position.id) if position else None,
    ), status


@bp.post("/positions/<int:id>/toggle")
@require(can_manage_people)
def position_toggle(id: int):
    position = _found(Position, id)
    active = wanted("active", position.active)
    attempt(lambda: services.set_position_active(get_session(), position, active, current_user.id))
    flash(_("Position %(name)s updated.", name=position.name), "success")
    return redirect(url_for(".positions"))


@bp.post("/positions/<int:id>/delete")
@require(can_manage_people)
def position_delete(id: int):
    position = _found(Position, id)
    name = position.name
    if attempt(lambda: services.delete_position(get_session(), position, current_user.id)).refused:
        return redirect(url_for(".position_form", id=id))
    flash(_("Position %(name)s deleted.", name=name), "success")
    return redirect(url_for(".positions"))


# -- employees -------------------------------------------------------------------------------


@bp.route("/employees/export.<any(csv, xlsx):fmt>")
@require(can_manage_people)
def employees_export(fmt: str):
    """Every employee in the import format."""
    header, rows = exports.employees_table(get_session(), current_org_id())
    return tables.download(fmt, header, rows, "employees", "employees")


@bp.route("/employees")
@require(can_manage_people)
def employees():
    q, page = _list_args()
    status = request.args.get("status") or None
    if status not in (None, "active", "left"):
        status = None
    listing = services.list_employees(get_session(), current_org_id(), q, page, status=status)
    return render_template("people/employees.html", page=listing, q=q, status=status)


@bp.route("/employees/new", methods=["GET", "POST"])
@bp.route("/employees/<int:id>", methods=["GET", "POST"])
@require(can_manage_people)
def employee_form(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    employee = _found(Employee, id) if id else None
    form = EmployeeForm(obj=employee)
    form.department_id.choices = choices(services.department_choices(db, org_id), NONE_LABEL)
    form.position_id.choices = choices(services.position_choices(db, org_id), NONE_LABEL)
    search = request.args.get("q", "")
    others = employee.id if employee else None
    managers = services.picker(
        partial(services.employee_choices, db, org_id, exclude_id=others),
        search,
        [form.manager_id.data],
    )
    sign_ins = services.picker(
        partial(services.member_choices, db, org_id), search, [form.user_id.data]
    )
    form.manager_id.choices = choices(managers.choices, NONE_LABEL)
    form.user_id.choices = choices(sign_ins.choices, NONE_LABEL)
    form.picker = services.Picker([], managers.capped or sign_ins.capped)
    status = None
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.save_employee(
                db,
                org_id,
                number=form.number.data,
                name=form.name.data,
                email=form.email.data,
                department_id=optional_id(form.department_id.data),
                position_id=optional_id(form.position_id.data),
                manager_id=optional_id(form.manager_id.data),
                hire_date=form.hire_date.data,
                status=form.status.data,
                user_id=optional_id(form.user_id.data),
                employee=employee,
                version=form.expected_version(),
                acting_user_id=current_user.id,
            ),
            form,
            employee,
        )
        status = outcome.status
        if (saved := outcome.value) is not None:
            flash(_("Employee %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".employees"))
    status = status or (422 if form.is_submitted() and form.errors else 200)
    return render_template(
        "people/form.html",
        form=form,
        title=_("Edit employee") if employee else _("New employee"),
        back=url_for(".employees"),
        row=employee,
        toggle_url=url_for(".employee_toggle", id=employee.id) if employee else None,
    ), status


@bp.post("/employees/<int:id>/toggle")
@require(can_manage_people)
def employee_toggle(id: int):
    employee = _found(Employee, id)
    new_status = EmployeeStatus.ACTIVE if wanted("active", employee.active) else EmployeeStatus.LEFT
    attempt(
        lambda: services.set_employee_status(get_session(), employee, new_status, current_user.id)
    )
    flash(_("Employee %(name)s updated.", name=employee.name), "success")
    return redirect(url_for(".employees"))
