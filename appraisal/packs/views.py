"""Packs in the browser: what each holds, the rationale of its templates, loading one into
the current organization, and the wizard that starts a new organization from one."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_build, current_org_id, require, switch_to
from ..db import get_session
from ..forms import attempt, choices
from ..i18n import label_text
from ..markdown import render_markdown
from . import PackNotFound, all_packs, read_pack
from .forms import NewOrganizationForm
from .loading import create_organization, load_pack

bp = Blueprint("packs", __name__, url_prefix="/packs", template_folder="templates")


def _pack(name: str):
    try:
        return read_pack(name)
    except PackNotFound:
        abort(404)


@bp.route("/")
@require(can_build)
def index():
    return render_template("packs/index.html", packs=all_packs())


@bp.route("/<name>/templates/<key>")
@require(can_build)
def rationale(name: str, key: str):
    pack = _pack(name)
    template = next((t for t in pack.templates if t["key"] == key), None)
    if template is None:
        abort(404)
    text = pack.rationale(key, str(get_locale())) or ""
    return render_template(
        "packs/rationale.html", pack=pack, template=template, rationale=render_markdown(text)
    )


@bp.route("/<name>/load", methods=["POST"])
@require(can_build)
def load(name: str):
    pack = _pack(name)
    outcome = attempt(lambda: load_pack(get_session(), current_org_id(), pack, current_user.id))
    if outcome.refused:
        return redirect(url_for("packs.index"))
    return render_template("packs/report.html", pack=pack, report=outcome.value)


@bp.route("/new-organization", methods=["GET", "POST"])
@require(can_build)
def new_organization():
    form = NewOrganizationForm()
    packs = all_packs()
    form.pack.choices = choices((p.key, label_text(p.name)) for p in packs)
    if request.method == "GET" and request.args.get("pack"):
        form.pack.data = request.args["pack"]
    if form.validate_on_submit():
        outcome = attempt(
            lambda: create_organization(
                get_session(),
                _pack(form.pack.data),
                name=form.name.data,
                slug=form.slug.data,
                creator_id=current_user.id,
                with_demo=form.with_demo.data,
            ),
            form,
        )
        if (created := outcome.value) is not None:
            switch_to(created.organization.id)
            flash(
                _("%(name)s is ready: switched to it.", name=created.organization.name), "success"
            )
            response = make_response(
                render_template(
                    "packs/report.html",
                    pack=_pack(form.pack.data),
                    report=created.report,
                    sign_ins=created.sign_ins,
                )
            )
            response.headers["Cache-Control"] = "no-store"  # it may show passwords
            return response
    status = 422 if request.method == "POST" else 200
    return render_template("packs/new_organization.html", form=form, packs=packs), status
