"""Metrics in the builder: the list, the structured editor (no code), archive and restore,
a preview of one person's value, and live checking of the editor's formulas.

The editor is a plain form post: choosing another source re-renders the page with that
source's fields ("show this source's fields", which metric_editor.js presses for you), and
"add a condition" re-renders with one more blank row; nothing is saved until "save"."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..access import can_build, current_org_id, in_org_or_404, require
from ..db import get_session
from ..forms import attempt, choices, wanted
from ..i18n import in_language, label_text
from ..labels import current_language
from ..models import Metric
from ..people.services import employee_choices, picker
from ..rules import PERCENT_AGGREGATIONS
from . import metric_services as service
from .metric_forms import (
    Drafted,
    MetricForm,
    PreviewForm,
    definition_from_form,
    inputs_from_definition,
    problem_input,
    with_blank_rows,
)
from .views import bp


@bp.route("/metrics")
@require(can_build)
def metrics():
    q = request.args.get("q", "")
    archived = request.args.get("archived") == "1"
    page = service.list_metrics(
        get_session(), current_org_id(), q, archived, request.args.get("page", 1, type=int)
    )
    return render_template("builder/metrics.html", page=page, q=q, archived=archived)


@bp.route("/metrics/new", methods=["GET", "POST"])
@bp.route("/metrics/<int:id>", methods=["GET", "POST"])
@require(can_build)
def metric(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    metric = in_org_or_404(Metric, id) if id else None
    if request.method == "GET":
        inputs = inputs_from_definition(metric.definition) if metric else {}
        form = MetricForm(
            data=inputs | {"version": metric.version} if metric else _new_inputs(),
        )
    else:
        form = MetricForm()
    catalogue = service.sources(db, org_id)
    chosen = _fill_choices(form, catalogue, metric)
    status = 200
    if request.method == "POST" and form.add_filter.data:
        form.filters.append_entry()
    elif request.method == "POST" and form.add_condition.data:
        form.conditions.append_entry()
    elif request.method == "POST" and form.refresh.data:
        pass  # the page again, with the chosen source's fields
    elif form.validate_on_submit():
        types = {f.key: f.type for f in chosen.fields} if chosen else {}
        drafted = definition_from_form(form, types)
        outcome = attempt(lambda: _save(metric, drafted, form.expected_version()), form)
        if (saved := outcome.value) is not None:
            flash(_("Metric %(key)s saved.", key=saved.key), "success")
            return redirect(url_for("builder.metric", id=saved.id))
        status = outcome.status
        _show_problems(form, drafted, getattr(outcome.error, "problems", []))
        if outcome.conflict and metric is not None:
            form.version.data = str(metric.version)  # saving again overwrites knowingly
    elif form.is_submitted():
        status = 422
    trail = audit.audit_trail(db, org_id, "metric", metric.id) if metric else []
    return render_template(
        "builder/metric.html",
        form=form,
        metric=metric,
        chosen=chosen,
        trail=trail,
        check_url=url_for("builder.metric_formula_check", source=form.source.data or ""),
        names=[f.key for f in chosen.fields] if chosen else [],
        lang=current_language(),
        percent_aggregations=" ".join(PERCENT_AGGREGATIONS),
    ), status


def _new_inputs() -> dict[str, Any]:
    return {"filters": with_blank_rows([]), "conditions": with_blank_rows([])}


def _save(metric: Metric | None, drafted: Drafted, version: int | None) -> Metric:
    db = get_session()
    if metric is None:
        return service.create_metric(db, current_org_id(), current_user.id, drafted.definition)
    service.update_metric(db, metric, current_user.id, drafted.definition, version)
    return metric


def _fill_choices(
    form: MetricForm, catalogue: list[service.Source], metric: Metric | None
) -> service.Source | None:
    """Offer each source, and the fields of the chosen one (the first, for a new metric)."""
    form.source.choices = choices((s.value, s.label) for s in catalogue)
    chosen = next((s for s in catalogue if s.value == form.source.data), None)
    if chosen is None and not form.source.data and catalogue:
        chosen = catalogue[0]
        form.source.data = chosen.value
    fields = chosen.fields if chosen else ()
    blank = [("", "—")]
    every = blank + [(f.key, f.label) for f in fields]
    form.field.choices = choices(every)
    for entry in (*form.filters.entries, *form.conditions.entries):
        entry.form.field.choices = choices(every)
    times = blank + [(f.key, f.label) for f in fields if f.type == "datetime"]
    form.from_field.choices = form.to_field.choices = choices(times)
    days = [(f.key, f.label) for f in fields if f.type in ("date", "datetime")]
    days = [d for d in days if d[0] not in ("occurred_on", "occurred_at")]
    form.date.choices = choices([("occurred", _("The day it happened")), *days])
    parts = service.ratio_parts(get_session(), current_org_id(), metric.key if metric else None)
    options = blank + [(m.key, label_text(m.name) or m.key) for m in parts]
    form.numerator.choices = form.denominator.choices = choices(options)
    return chosen


def _show_problems(form: MetricForm, drafted: Drafted, problems: list) -> None:
    """Each problem next to its input, in the user's language; any left over at the top."""
    for problem in problems:
        message = str(in_language(problem.message, problem.message_zh))
        target = problem_input(form, drafted, problem.path)
        if target is None:
            flash(f"{problem.path}: {message}", "danger")
        elif message not in target.errors:
            target.errors = [*target.errors, message]


@bp.post("/metrics/<int:id>/archive")
@require(can_build)
def metric_archive(id: int):
    metric = in_org_or_404(Metric, id)
    archived = wanted("archived", metric.archived)
    outcome = attempt(
        lambda: service.set_archived(get_session(), metric, archived, current_user.id)
    )
    if outcome.refused:
        return redirect(url_for("builder.metric", id=id))
    flash(
        _("Metric %(key)s archived.", key=metric.key)
        if archived
        else _("Metric %(key)s restored.", key=metric.key),
        "success",
    )
    return redirect(url_for("builder.metrics"))


@bp.route("/metrics/<int:id>/preview")
@require(can_build)
def metric_preview(id: int):
    """The saved metric's value for one employee over chosen days: read-only."""
    db = get_session()
    metric = in_org_or_404(Metric, id)
    asked = "employee" in request.args  # not the picker's search alone (`?q=`)
    form = PreviewForm(formdata=request.args if asked else None)
    found_people = picker(
        partial(employee_choices, db, current_org_id()),
        request.args.get("q", ""),
        [form.employee.data],
    )
    form.employee.choices = choices(found_people.choices)
    form.picker = found_people
    found, status = None, 200
    if asked:
        if form.validate():
            outcome = attempt(
                lambda: service.preview(
                    db, metric, form.employee.data, form.start.data, form.end.data
                ),
                form,
                commit=False,
            )
            found, status = outcome.value, outcome.status
        else:
            status = 422
    return render_template(
        "builder/metric_preview.html", metric=metric, form=form, found=found
    ), status


@bp.post("/metrics/formula/check")
@require(can_build)
def metric_formula_check():
    """Check a filter or share formula as it is typed, against the chosen source's fields
    (designer.js posts it; the source is in the URL the page gave it)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("formula"), str):
        return jsonify(error="send JSON with a `formula`"), 400
    part = "condition_where" if payload.get("context") == "condition_where" else "where"
    names, problem = service.check_formula(
        get_session(), current_org_id(), request.args.get("source", ""), part, payload["formula"]
    )
    body: dict[str, Any] = {"names": names, "ok": problem is None}
    if problem is not None:
        body["error"] = problem.to_dict(current_language())
    return jsonify(body)
