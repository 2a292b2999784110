"""Personal API tokens (create, shown once; revoke) and the API reference page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_use_api, current_org_id, is_member, require
from ..db import get_in_org, get_session
from ..forms import attempt
from ..models import ApiToken
from .forms import TokenForm
from .spec import build_spec
from .tokens import create_token, list_tokens, revoke_token

bp = Blueprint("api_pages", __name__, template_folder="templates")


@bp.route("/account/tokens", methods=["GET", "POST"])
@require(can_use_api)
def tokens():
    db, org_id = get_session(), current_org_id()
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        outcome = attempt(
            lambda: create_token(db, org_id, current_user.id, form.name.data, form.days.data),
            form,
        )
        if (new := outcome.value) is not None:
            secret = new.secret
            form = TokenForm(formdata=None)
    status = 422 if request.method == "POST" and secret is None else 200
    return render_template(
        "api/tokens.html", form=form, secret=secret, tokens=list_tokens(db, org_id, current_user.id)
    ), status


@bp.route("/account/tokens/<int:id>/revoke", methods=["POST"])
@require(is_member)
def revoke(id: int):
    db = get_session()
    token = get_in_org(db, ApiToken, current_org_id(), id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    revoke_token(db, token, current_user.id)
    db.commit()
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("api_pages.tokens"))


@bp.route("/api/docs")
@require(is_member)
def docs():
    return render_template("api/docs.html", spec=build_spec())
