"""Activity types in the builder: list, create, edit fields without code, publish, history,
archive, import and export. Every edit is a plain form post; designer.js only adds live
checking of conditions on top."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..access import can_build, current_org_id, in_org_or_404, require
from ..db import get_session, row_id
from ..forms import VersionPost, attempt, show_conflict, wanted
from ..labels import current_language
from ..models import ActivityType
from . import activity_draft as drafts
from . import activity_types as service
from .activity_forms import (
    ActivityFieldForm,
    ActivityImportForm,
    ActivitySettingsForm,
    NewActivityTypeForm,
)
from .services import MAX_IMPORT_BYTES, parse_upload
from .views import bp


def _type(id_: int) -> ActivityType:
    return in_org_or_404(ActivityType, id_)


def _editor_url(activity_type: ActivityType, anchor: str = "") -> str:
    return url_for("builder.activity_type", id=activity_type.id) + (f"#{anchor}" if anchor else "")


def _settings_form(activity_type: ActivityType, formdata: bool = False) -> ActivitySettingsForm:
    definition = service.start_draft(activity_type)
    if formdata:
        form = ActivitySettingsForm()
    else:
        name_zh, name_en = drafts.label_parts(definition.get("name"))
        description = definition.get("description")
        desc_zh, desc_en = drafts.label_parts(description) if description else ("", "")
        who = definition.get("who") or {}
        form = ActivitySettingsForm(
            formdata=None,
            name_zh=name_zh,
            name_en=name_en,
            description_zh=desc_zh,
            description_en=desc_en,
            kind=definition.get("kind", "other"),
            review=bool(definition.get("review")),
            staff=who.get("staff", []),
            positions=who.get("positions", []),
            departments=who.get("departments", []),
            version=activity_type.version,
        )
    positions, departments = service.who_choices(get_session(), activity_type.organization_id)
    who = definition.get("who") or {}
    form.positions.choices = [
        (n, n) for n in dict.fromkeys([*positions, *who.get("positions", [])])
    ]
    form.departments.choices = [
        (n, n) for n in dict.fromkeys([*departments, *who.get("departments", [])])
    ]
    return form


def _problem_link(activity_type: ActivityType, definition: dict[str, Any], path: str) -> str:
    place = drafts.field_of(path)
    if place is not None:
        fields = definition.get("fields") or []
        if place[0] < len(fields) and isinstance(fields[place[0]], dict):
            key = fields[place[0]].get("key")
            if isinstance(key, str) and key:
                return url_for("builder.activity_field", id=activity_type.id, key=key)
    return _editor_url(activity_type, "settings")


def render_editor(activity_type: ActivityType, status: int = 200, settings_form=None):
    definition = service.start_draft(activity_type)
    problems = service.activity_problems(definition) if activity_type.draft is not None else []
    return render_template(
        "builder/activity_type.html",
        activity_type=activity_type,
        definition=definition,
        latest=activity_type.latest,
        problems=[(p, _problem_link(activity_type, definition, p.path)) for p in problems],
        settings_form=settings_form or _settings_form(activity_type),
        lang=current_language(),
    ), status


@bp.route("/activities")
@require(can_build)
def activity_types():
    return render_template(
        "builder/activity_types.html",
        types=service.list_types(get_session(), current_org_id()),
        lang=current_language(),
    )


@bp.route("/activities/new", methods=["GET", "POST"])
@require(can_build)
def activity_type_new():
    form = NewActivityTypeForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: service.create_type(
                get_session(),
                current_org_id(),
                current_user.id,
                key=form.key.data,
                name=drafts.label(form.name_zh.data, form.name_en.data),
                kind=form.kind.data,
            ),
            form,
        )
        if (created := outcome.value) is not None:
            flash(_("Activity form %(key)s created.", key=created.key), "success")
            return redirect(url_for("builder.activity_field", id=created.id))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("builder/activity_type_new.html", form=form), status


@bp.route("/activities/<int:id>")
@require(can_build)
def activity_type(id: int):
    return render_editor(_type(id))


@bp.post("/activities/<int:id>/settings")
@require(can_build)
def activity_type_settings(id: int):
    activity_type = _type(id)
    form = _settings_form(activity_type, formdata=True)
    if not form.validate_on_submit():
        return render_editor(activity_type, 422, form)
    outcome = attempt(
        lambda: service.save_settings(
            get_session(),
            activity_type,
            current_user.id,
            form.expected_version(),
            name=drafts.label(form.name_zh.data, form.name_en.data),
            description=drafts.label(form.description_zh.data, form.description_en.data),
            kind=form.kind.data,
            review=form.review.data,
            who={
                "staff": form.staff.data or [],
                "positions": form.positions.data or [],
                "departments": form.departments.data or [],
            },
        ),
        form,
    )
    if outcome.refused:
        if outcome.conflict:
            form.version.data = str(activity_type.version)
        return render_editor(activity_type, outcome.status, form)
    flash(_("Settings saved."), "success")
    return redirect(_editor_url(activity_type, "settings"))


@bp.route("/activities/<int:id>/fields/new", methods=["GET", "POST"])
@bp.route("/activities/<int:id>/fields/<key>", methods=["GET", "POST"])
@require(can_build)
def activity_field(id: int, key: str | None = None):
    """Add a field (no key) or edit one: label, type, help, required and visible-if
    conditions, options, bounds, photos and location settings."""
    activity_type = _type(id)
    definition = service.start_draft(activity_type)
    existing = _field(definition, key)
    if request.method == "GET":
        inputs = drafts.inputs_from_field(existing) if existing else {}
        form = ActivityFieldForm(data=inputs | {"version": activity_type.version})
    else:
        form = ActivityFieldForm()
    status = 200
    if form.validate_on_submit():
        outcome = attempt(
            lambda: service.save_field(
                get_session(),
                activity_type,
                form.data,
                key,
                current_user.id,
                form.expected_version(),
            ),
            form,
        )
        if (saved := outcome.value) is not None:
            flash(_("Field %(key)s saved.", key=saved["key"]), "success")
            return redirect(_editor_url(activity_type, f"field-{saved['key']}"))
        status = outcome.status
        if outcome.conflict:  # show what the draft holds now, after the rollback
            current = _field(service.start_draft(activity_type), key, missing_ok=True) or {}
            show_conflict(
                form,
                SimpleNamespace(**drafts.inputs_from_field(current), version=activity_type.version),
            )
    elif form.is_submitted():
        status = 422
    definition = service.start_draft(activity_type)
    return render_template(
        "builder/activity_field.html",
        activity_type=activity_type,
        form=form,
        key=key,
        names=service.formula_names(definition, key),
        lang=current_language(),
    ), status


def _field(
    definition: dict[str, Any], key: str | None, missing_ok: bool = False
) -> dict[str, Any] | None:
    if key is None:
        return None
    try:
        return definition["fields"][drafts.field_index(definition, key)]
    except drafts.FieldMissing:
        if missing_ok:
            return None
        abort(404)


MOVES = {"up": -1, "down": 1}


@bp.post("/activities/<int:id>/fields/<key>/<any(up, down, remove):action>")
@require(can_build)
def activity_field_move(id: int, key: str, action: str):
    activity_type = _type(id)
    form = VersionPost()
    form.validate()
    if action == "remove":
        change, what = (lambda d: drafts.remove_field(d, key)), f"field {key} removed"
    else:
        change, what = (lambda d: drafts.move_field(d, key, MOVES[action])), f"field {key} {action}"
    outcome = attempt(
        lambda: service.change_fields(
            get_session(), activity_type, change, current_user.id, form.version.data, what
        )
    )
    if outcome.refused:
        return render_editor(activity_type, outcome.status)
    return redirect(_editor_url(activity_type, "fields"))


@bp.post("/activities/<int:id>/publish")
@require(can_build)
def activity_type_publish(id: int):
    activity_type = _type(id)
    form = VersionPost()
    form.validate()
    outcome = attempt(
        lambda: service.publish(get_session(), activity_type, current_user.id, form.version.data)
    )
    if (published := outcome.value) is None:
        return render_editor(activity_type, outcome.status)
    flash(_("Version %(version)d published.", version=published.version), "success")
    return redirect(_editor_url(activity_type))


@bp.post("/activities/<int:id>/archive")
@require(can_build)
def activity_type_archive(id: int):
    activity_type = _type(id)
    archived = wanted("archived", activity_type.archived)
    attempt(lambda: service.set_archived(get_session(), activity_type, archived, current_user.id))
    flash(
        _("Activity form %(key)s archived: it cannot be recorded any more.", key=activity_type.key)
        if archived
        else _("Activity form %(key)s restored.", key=activity_type.key),
        "success",
    )
    return redirect(url_for("builder.activity_types"))


@bp.route("/activities/<int:id>/history")
@require(can_build)
def activity_type_history(id: int):
    activity_type = _type(id)
    db = get_session()
    return render_template(
        "builder/activity_history.html",
        activity_type=activity_type,
        versions=service.published_versions(db, activity_type),
        trail=audit.audit_trail(db, current_org_id(), "activity_type", activity_type.id),
    )


@bp.route("/activities/<int:id>/versions/<int:number>")
@require(can_build)
def activity_type_version(id: int, number: int):
    activity_type = _type(id)
    published = service.version_of(activity_type, number)
    if published is None:
        abort(404)
    return render_template(
        "builder/activity_version.html",
        activity_type=activity_type,
        published=published,
        definition=published.definition,
        lang=current_language(),
    )


@bp.route("/activities/<int:id>/export")
@require(can_build)
def activity_type_export(id: int):
    activity_type = _type(id)
    number = request.args.get("version", type=row_id)
    definition = service.export_definition(activity_type, number)
    if definition is None:
        abort(404)
    suffix = f"-v{number}" if number else ""
    return Response(
        json.dumps(definition, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{activity_type.key}{suffix}.json"'},
    )


@bp.route("/activities/import", methods=["GET", "POST"])
@require(can_build)
def activity_type_import():
    form = ActivityImportForm()
    problems: list = []
    if form.validate_on_submit():

        def upload() -> ActivityType:
            data = parse_upload(form.file.data.read(MAX_IMPORT_BYTES + 1))
            return service.import_type(
                get_session(), current_org_id(), current_user.id, data, as_copy=form.as_copy.data
            )

        outcome = attempt(upload, form)
        problems = getattr(outcome.error, "problems", [])
        if (imported := outcome.value) is not None:
            flash(_("Activity form %(key)s imported.", key=imported.key), "success")
            return redirect(_editor_url(imported))
    status = 422 if problems or (form.is_submitted() and form.errors) else 200
    return render_template(
        "builder/activity_import.html", form=form, problems=problems, lang=current_language()
    ), status


@bp.post("/activities/<int:id>/formula/check")
@require(can_build)
def activity_condition_check(id: int):
    """Check a condition as it is typed, in its place in the form (designer.js posts it)."""
    activity_type = _type(id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("formula"), str):
        return jsonify(error="send JSON with a `formula`"), 400
    part = "required" if payload.get("context") == "required" else "visible_if"
    key = payload.get("key") if isinstance(payload.get("key"), str) and payload["key"] else None
    definition = service.start_draft(activity_type)
    problem = service.check_condition(definition, key, part, payload["formula"])
    body: dict[str, Any] = {"names": service.formula_names(definition, key), "ok": problem is None}
    if problem is not None:
        body["error"] = problem.to_dict(current_language())
    return jsonify(body)
