from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..access import can_build, current_org_id, in_org_or_404, require
from ..db import get_session, json_id, row_id
from ..forms import attempt, wanted
from ..labels import current_language
from ..models import Indicator, Template
from ..rules import FormulaError, compile_formula, formula_names, function_catalogue
from . import services
from .forms import ImportForm, IndicatorForm, NewTemplateForm, scoring_from_form

bp = Blueprint("builder", __name__, url_prefix="/builder", template_folder="templates")


# -- indicator library -----------------------------------------------------------------------


@bp.route("/indicators")
@require(can_build)
def indicators():
    q = request.args.get("q", "")
    category = request.args.get("category") or None
    staff = request.args.get("staff") or None
    archived = request.args.get("archived") == "1"
    page = services.list_indicators(
        get_session(),
        current_org_id(),
        q,
        category,
        staff,
        archived,
        request.args.get("page", 1, type=int),
    )
    return render_template(
        "builder/indicators.html", page=page, q=q, category=category, staff=staff, archived=archived
    )


@bp.route("/indicators/new", methods=["GET", "POST"])
@bp.route("/indicators/<int:id>", methods=["GET", "POST"])
@require(can_build)
def indicator_form(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    indicator = in_org_or_404(Indicator, id) if id else None
    form = IndicatorForm(obj=indicator)
    if request.method == "GET" and indicator is not None:
        scoring = indicator.scoring or {}
        form.method.data = scoring.get("method", "none")
        form.on.data = scoring.get("on", "actual")
        for name in ("cap", "floor", "base", "per_unit"):
            getattr(form, name).data = scoring.get(name)
        form.table.data = services.scoring_table(scoring)
    status = None
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.save_indicator(
                db,
                org_id,
                current_user.id,
                key=form.key.data,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                description=form.description.data or "",
                category=form.category.data,
                unit=form.unit.data,
                direction=form.direction.data,
                item_type=form.item_type.data,
                scoring=scoring_from_form(form),
                raters=form.raters.data,
                staff_kind=form.staff_kind.data,
                indicator=indicator,
                version=form.expected_version(),
            ),
            form,
            indicator,
        )
        if (saved := outcome.value) is not None:
            flash(_("Indicator %(key)s saved.", key=saved.key), "success")
            return redirect(url_for(".indicators"))
        status = outcome.status
    status = status or (422 if form.is_submitted() and form.errors else 200)
    usage = services.published_usage(db, org_id, indicator.key) if indicator else []
    trail = audit.audit_trail(db, org_id, "indicator", indicator.id) if indicator else []
    return render_template(
        "builder/indicator_form.html", form=form, indicator=indicator, usage=usage, trail=trail
    ), status


@bp.post("/indicators/<int:id>/archive")
@require(can_build)
def indicator_archive(id: int):
    indicator = in_org_or_404(Indicator, id)
    services.set_indicator_archived(
        get_session(), indicator, wanted("archived", indicator.archived), current_user.id
    )
    get_session().commit()
    flash(_("Indicator %(key)s updated.", key=indicator.key), "success")
    return redirect(url_for(".indicators"))


@bp.post("/indicators/<int:id>/delete")
@require(can_build)
def indicator_delete(id: int):
    db = get_session()
    indicator = in_org_or_404(Indicator, id)
    key = indicator.key
    if attempt(lambda: services.delete_indicator(db, indicator, current_user.id)).refused:
        return redirect(url_for(".indicator_form", id=id))
    flash(_("Indicator %(key)s deleted.", key=key), "success")
    return redirect(url_for(".indicators"))


# -- templates -------------------------------------------------------------------------------


@bp.route("/templates")
@require(can_build)
def templates():
    q = request.args.get("q", "")
    page = services.list_templates(
        get_session(), current_org_id(), q, request.args.get("page", 1, type=int)
    )
    return render_template("builder/templates.html", page=page, q=q)


@bp.route("/templates/new", methods=["GET", "POST"])
@require(can_build)
def template_new():
    db = get_session()
    form = NewTemplateForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.create_template(
                db,
                current_org_id(),
                current_user.id,
                key=form.key.data,
                name={"zh": form.name_zh.data.strip(), "en": form.name_en.data.strip()},
                staff=form.staff.data,
                period=form.period.data,
            ),
            form,
        )
        if (template := outcome.value) is not None:
            flash(_("Template %(key)s created.", key=template.key), "success")
            return redirect(url_for(".template", id=template.id))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("builder/template_new.html", form=form), status


@bp.route("/templates/import", methods=["GET", "POST"])
@require(can_build)
def template_import():
    db = get_session()
    form = ImportForm()
    problems: list[services.Problem] = []
    if form.validate_on_submit():

        def upload() -> Template:
            data = services.parse_upload(form.file.data.read(services.MAX_IMPORT_BYTES + 1))
            return services.import_template(
                db, current_org_id(), current_user.id, data, as_copy=form.as_copy.data
            )

        outcome = attempt(upload, form)
        problems = getattr(outcome.error, "problems", [])  # listed on the page
        if (template := outcome.value) is not None:
            flash(_("Template %(key)s imported.", key=template.key), "success")
            return redirect(url_for(".template", id=template.id))
    status = 422 if problems or (form.is_submitted() and form.errors) else 200
    return render_template(
        "builder/template_import.html", form=form, problems=problems, lang=current_language()
    ), status


@bp.post("/templates/<int:id>/publish")
@require(can_build)
def template_publish(id: int):
    db = get_session()
    template = in_org_or_404(Template, id)
    outcome = attempt(lambda: services.publish(db, template, current_user.id))
    if (version := outcome.value) is None:
        return redirect(url_for(".template", id=id))
    flash(_("Version %(version)d published.", version=version.version), "success")
    return redirect(url_for(".template", id=id))


@bp.post("/templates/<int:id>/edit")
@require(can_build)
def template_edit(id: int):
    """Start a new draft from the latest published version."""
    db = get_session()
    template = in_org_or_404(Template, id)
    services.save_draft(db, template, services.start_draft(template), current_user.id)
    db.commit()
    return redirect(url_for(".template", id=id))


@bp.route("/templates/<int:id>/export")
@require(can_build)
def template_export(id: int):
    template = in_org_or_404(Template, id)
    version = request.args.get("version", type=row_id)
    definition = services.export_definition(template, version)
    if definition is None:
        abort(404)
    suffix = f"-v{version}" if version else ""
    return Response(
        json.dumps(definition, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{template.key}{suffix}.json"'},
    )


@bp.post("/templates/<int:id>/clone")
@require(can_build)
def template_clone(id: int):
    db = get_session()
    clone = services.clone_template(db, in_org_or_404(Template, id), current_user.id)
    db.commit()
    flash(_("Copied as %(key)s.", key=clone.key), "success")
    return redirect(url_for(".template", id=clone.id))


@bp.route("/templates/<int:id>/history")
@require(can_build)
def template_history(id: int):
    template = in_org_or_404(Template, id)
    db = get_session()
    return render_template(
        "builder/history.html",
        template=template,
        versions=services.published_versions(db, template),
        trail=audit.audit_trail(db, current_org_id(), "template", template.id),
    )


# -- live formula checking -------------------------------------------------------------------


@bp.post("/formula/check")
@require(can_build)
def formula_check():
    """Check a formula as it is typed against the names its place in the template offers."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("formula"), str):
        return jsonify(error="send JSON with a `formula`"), 400
    template_id = json_id(payload.get("template_id"))
    if template_id is None:
        abort(404)
    template = in_org_or_404(Template, template_id)
    context = (
        payload.get("context")
        if payload.get("context") in ("item", "scoring", "adjustment", "output")
        else "output"
    )
    key = payload.get("key") if isinstance(payload.get("key"), str) and payload["key"] else None
    names = formula_names(template.definition, context, key)
    body = {"names": sorted(names), "ok": True}
    try:
        compiled = compile_formula(payload["formula"], names, owner=key)
    except FormulaError as error:
        body |= {"ok": False, "error": error.to_dict(current_language())}
    else:
        body["result_type"] = compiled.result_type
    return jsonify(body)


@bp.route("/formula/catalogue")
@require(can_build)
def formula_catalogue():
    return jsonify(functions=function_catalogue())
