from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..access import can_manage_users, current_org_id, require
from ..db import get_in_org, get_session
from ..errors import ServiceError
from ..forms import show_service_error, wanted
from ..models import Membership, Organization
from . import services
from .forms import EditMemberForm, NewMemberForm

bp = Blueprint("users", __name__, url_prefix="/users", template_folder="templates")


def _membership(id_: int) -> Membership:
    membership = get_in_org(get_session(), Membership, current_org_id(), id_)
    if membership is None:
        abort(404)
    return membership


@bp.route("/")
@require(can_manage_users)
def index():
    q = request.args.get("q", "")
    page = request.args.get("page", 1, type=int)
    listing = services.list_members(get_session(), current_org_id(), q, page)
    return render_template("users/index.html", page=listing, q=q)


@bp.route("/settings", methods=["POST"])
@require(can_manage_users)
def settings():
    db = get_session()
    organization = db.get(Organization, current_org_id())
    services.set_managers_see_chain(
        db, organization, request.form.get("managers_see_chain") == "on", current_user.id
    )
    db.commit()
    flash(_("Settings saved."), "success")
    return redirect(url_for("users.index"))


@bp.route("/new", methods=["GET", "POST"])
@require(can_manage_users)
def new():
    db, org_id = get_session(), current_org_id()
    form = NewMemberForm()
    if form.validate_on_submit():
        try:
            added = services.add_member(
                db,
                org_id,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                roles=set(form.roles.data),
                language=form.language.data,
            )
        except ServiceError as error:
            db.rollback()
            show_service_error(form, error)
        else:
            membership = added.membership
            audit.record(
                db,
                org_id,
                current_user.id,
                "added",
                "membership",
                membership.id,
                email=membership.user.email,
                roles=sorted(membership.roles),
            )
            db.commit()
            if added.created_account:
                flash(_("Account for %(email)s created.", email=membership.user.email), "success")
            else:
                flash(
                    _(
                        "The existing account %(email)s now has access to this organization.",
                        email=membership.user.email,
                    ),
                    "success",
                )
            return redirect(url_for(".index"))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("users/form.html", form=form, title=_("New user"), row=None), status


@bp.route("/<int:id>", methods=["GET", "POST"])
@require(can_manage_users)
def edit(id: int):
    db = get_session()
    membership = _membership(id)
    form = (
        EditMemberForm(
            name=membership.user.name,
            language=membership.user.language or "",
            roles=sorted(membership.roles),
        )
        if request.method == "GET"
        else EditMemberForm()
    )
    if form.validate_on_submit():
        try:
            services.update_member(
                db,
                membership,
                name=form.name.data,
                roles=set(form.roles.data),
                language=form.language.data,
                new_password=form.new_password.data,
                acting_user_id=current_user.id,
            )
        except ServiceError as error:
            db.rollback()
            show_service_error(form, error)
        else:
            audit.record(
                db,
                current_org_id(),
                current_user.id,
                "updated",
                "membership",
                membership.id,
                roles=sorted(membership.roles),
                password_changed=bool(form.new_password.data),
            )
            db.commit()
            flash(_("%(name)s saved.", name=membership.user.name), "success")
            return redirect(url_for(".index"))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template(
        "users/form.html", form=form, title=_("Edit user"), row=membership
    ), status


@bp.post("/<int:id>/toggle")
@require(can_manage_users)
def toggle(id: int):
    db = get_session()
    membership = _membership(id)
    try:
        services.set_member_active(
            db, membership, wanted("active", membership.active), current_user.id
        )
    except ServiceError as error:
        db.rollback()
        flash(error.message, "danger")
        return redirect(url_for(".edit", id=id))
    audit.record(
        db,
        current_org_id(),
        current_user.id,
        "activated" if membership.active else "deactivated",
        "membership",
        id,
    )
    db.commit()
    flash(_("%(name)s updated.", name=membership.user.name), "success")
    return redirect(url_for(".index"))
