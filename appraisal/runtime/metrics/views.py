"""Computed figures on pages: one figure's drill-down (the records behind it) with HR's
override form and its history, and HR's "recompute now" for a cycle."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import can_run_cycles, current_org_id, is_member, require
from ...audit import audit_trail
from ...db import get_session
from ...forms import attempt, flash_form_errors
from ...jobs.queue import submit
from ...models import Appraisal, MetricValue
from ..compiled import appraisal_template
from ..render import labels
from ..reviews.access import relations
from ..web import Routes, appraisal_or_404, current_viewer, cycle_or_404
from . import compute, drill, values
from .background import RECOMPUTE_CYCLE
from .forms import OverrideForm
from .shown import READERS, plain

routes = Routes()

OVERRIDE_ACTIONS = ("metric.overridden", "metric.override_cleared")


def _value_or_404(id_: int, key: str) -> tuple[Appraisal, MetricValue, frozenset[str]]:
    appraisal = appraisal_or_404(id_)
    rels = relations(appraisal, current_viewer())
    value = values.metric_value_or_none(get_session(), current_org_id(), appraisal.id, key)
    if value is None or not rels & READERS:
        abort(404)
    return appraisal, value, rels


def _history(appraisal: Appraisal, key: str) -> list[tuple[Any, str, str, dict[str, Any]]]:
    """The item's overrides from the appraisal's audit trail, newest first."""
    trail = audit_trail(get_session(), appraisal.organization_id, "appraisal", appraisal.id)
    return [e for e in trail if e[2] in OVERRIDE_ACTIONS and e[3].get("item") == key]


def _page(
    appraisal: Appraisal,
    value: MetricValue,
    rels: frozenset[str],
    form: OverrideForm | None = None,
    status: int = 200,
) -> Any:
    part = request.args.get("part")
    hr = "hr" in rels
    if hr and form is None:
        form = OverrideForm()
        form.value.data = "" if value.override is None else plain(value.override)
        form.reason.data = value.override_reason or ""
        form.version.data = value.version
    return render_template(
        "runtime/computed.html",
        appraisal=appraisal,
        key=value.item_key,
        name=labels(appraisal_template(appraisal)).get(value.item_key, value.item_key),
        drill=drill.drill_down(get_session(), value, part),
        form=form if hr else None,
        can_override=hr and compute.computable(appraisal),
        history=_history(appraisal, value.item_key) if hr else [],
        rels=rels,
        plain=plain,
    ), status


@routes.route("/appraisals/<int:id>/computed/<key>")
@require(is_member)
def computed_figure(id: int, key: str):
    """The records (or events, or customers) behind one computed figure."""
    return _page(*_value_or_404(id, key))


@routes.route("/appraisals/<int:id>/computed/<key>/override", methods=["POST"])
@require(is_member)
def computed_override(id: int, key: str):
    """HR sets or clears the value used instead of the computed one, with a reason."""
    appraisal, value, rels = _value_or_404(id, key)
    if "hr" not in rels:
        abort(404)
    form = OverrideForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _page(appraisal, value, rels, form, 422)
    outcome = attempt(
        lambda: values.override_value(
            get_session(),
            value,
            form.value.data or "",
            form.reason.data or "",
            current_user.id,
            form.version.data,
        ),
        form,
        value,
    )
    if outcome.refused:
        return _page(appraisal, value, rels, form, outcome.status)
    flash(_("Computed figure saved."), "success")
    return redirect(url_for("runtime.computed_figure", id=id, key=key))


@routes.route("/cycles/<int:id>/recompute", methods=["POST"])
@require(can_run_cycles)
def cycle_recompute(id: int):
    """Compute the cycle's bound figures again, as a job whose page shows its progress (the
    sweep does it periodically)."""
    cycle = cycle_or_404(id)
    job = submit(
        get_session(), RECOMPUTE_CYCLE, current_org_id(), current_user.id, {"cycle_id": cycle.id}
    )
    return redirect(url_for("jobs.job_page", id=job.id))
