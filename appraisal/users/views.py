from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_manage_users, current_org_id, in_org_or_404, require
from ..account.services import RESET_LINK_HOURS
from ..db import get_session, row_id
from ..forms import attempt, wanted
from ..labels import ROLE
from ..models import Invitation, Membership, Organization
from ..scopes import POWERS, scope_choices
from . import services
from .forms import EditMemberForm, MemberRolesForm, NewMemberForm, OrganizationSettingsForm
from .overview import overview

bp = Blueprint("users", __name__, url_prefix="/users", template_folder="templates")


@bp.route("/")
@require(can_manage_users)
def index():
    q = request.args.get("q", "")
    page = request.args.get("page", 1, type=int)
    db, org_id = get_session(), current_org_id()
    listing = services.list_members(db, org_id, q, page)
    invitations = services.list_invitations(db, org_id)
    return render_template(
        "users/index.html",
        page=listing,
        q=q,
        invitations=invitations,
        scope_names=dict(scope_choices(db, org_id)),
    )


@bp.route("/permissions")
@require(can_manage_users)
def permissions():
    """Who can do what where: each member's roles and scopes, and what they allow."""
    db, org_id = get_session(), current_org_id()
    q = request.args.get("q", "")[:100]
    role = request.args.get("role") or None
    role = role if role in ROLE else None
    department = request.args.get("department", type=row_id)
    return render_template(
        "users/permissions.html",
        people=overview(db, org_id, q, role, department),
        powers=POWERS,
        q=q,
        role=role,
        department=department,
        departments=scope_choices(db, org_id),
        roles=list(ROLE.items()),
    )


@bp.route("/settings", methods=["POST"])
@require(can_manage_users)
def settings():
    db = get_session()
    organization = db.get(Organization, current_org_id())
    form = OrganizationSettingsForm()
    if form.validate_on_submit():
        value = form.managers_see_chain.data
        outcome = attempt(
            lambda: services.set_managers_see_chain(
                db, organization, value, current_user.id, form.hr_reads_checkins.data
            )
        )
        if not outcome.refused:
            flash(_("Settings saved."), "success")
    return redirect(url_for("users.index"))


@bp.route("/new", methods=["GET", "POST"])
@require(can_manage_users)
def new():
    db, org_id = get_session(), current_org_id()
    form = NewMemberForm()
    _scope_choices(form, org_id)
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.add_or_invite(
                db,
                org_id,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                roles=set(form.roles.data),
                language=form.language.data,
                acting_user_id=current_user.id,
                department_id=form.department.data,
            ),
            form,
        )
        if (added := outcome.value) is not None:
            if isinstance(added, Invitation):
                flash(
                    _(
                        "%(email)s already has an account: it is invited, and gets access "
                        "when its holder accepts.",
                        email=added.user.email,
                    ),
                    "success",
                )
            else:
                flash(
                    _("Account for %(email)s created.", email=added.membership.user.email),
                    "success",
                )
            return redirect(url_for(".index"))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("users/form.html", form=form, title=_("New user"), row=None), status


@bp.route("/<int:id>", methods=["GET", "POST"])
@require(can_manage_users)
def edit(id: int):
    db = get_session()
    membership = in_org_or_404(Membership, id)
    controlled = services.may_change_account(db, membership)
    form_class = EditMemberForm if controlled else MemberRolesForm
    form = (
        form_class(
            name=membership.user.name,
            language=membership.user.language or "",
            roles=sorted(membership.roles),
            department=next((d for _r, d in membership.grants if d is not None), None),
        )
        if request.method == "GET"
        else form_class()
    )
    _scope_choices(form, membership.organization_id)
    if form.validate_on_submit():
        details = (
            services.AccountDetails(form.name.data, form.language.data) if controlled else None
        )
        outcome = attempt(
            lambda: services.update_member(
                db,
                membership,
                roles=set(form.roles.data),
                acting_user_id=current_user.id,
                details=details,
                department_id=form.department.data,
            ),
            form,
        )
        if not outcome.refused:
            flash(_("%(name)s saved.", name=membership.user.name), "success")
            return redirect(url_for(".index"))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template(
        "users/form.html",
        form=form,
        title=_("Edit user"),
        row=membership,
        controlled=controlled,
    ), status


def _scope_choices(form, org_id: int) -> None:
    form.department.choices = [("", "—"), *scope_choices(get_session(), org_id)]


@bp.post("/<int:id>/reset-link")
@require(can_manage_users)
def reset_link(id: int):
    """A one-time link for the member to set their own password, shown once."""
    db = get_session()
    membership = in_org_or_404(Membership, id)
    outcome = attempt(lambda: services.create_reset_link(db, membership, current_user.id))
    if outcome.refused:
        return redirect(url_for(".edit", id=id))
    link = url_for("account.reset", secret=outcome.value, _external=True)
    response = make_response(
        render_template("users/reset_link.html", row=membership, link=link, hours=RESET_LINK_HOURS)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:id>/toggle")
@require(can_manage_users)
def toggle(id: int):
    db = get_session()
    membership = in_org_or_404(Membership, id)
    outcome = attempt(
        lambda: services.set_member_active(
            db, membership, wanted("active", membership.active), current_user.id
        )
    )
    if outcome.refused:
        return redirect(url_for(".edit", id=id))
    flash(_("%(name)s updated.", name=membership.user.name), "success")
    return redirect(url_for(".index"))


@bp.post("/invitations/<int:id>/cancel")
@require(can_manage_users)
def cancel_invitation(id: int):
    db = get_session()
    invitation = in_org_or_404(Invitation, id)
    email = invitation.user.email
    services.cancel_invitation(db, invitation, current_user.id)
    db.commit()
    flash(_("The invitation of %(email)s is cancelled.", email=email), "success")
    return redirect(url_for(".index"))
