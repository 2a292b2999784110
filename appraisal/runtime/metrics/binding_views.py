"""Binding a scheme's imported (`data`) figures to metrics: one select per figure, and on
save the scheme's open cycles are computed at once. HR admins only."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import can_run_cycles, current_org_id, in_org_or_404, require
from ...db import get_session
from ...forms import attempt
from ...i18n import label_text
from ...models import Scheme
from ..web import Routes
from . import values
from .definitions import metric_definitions, scheme_bindings
from .forms import TYPED, BindingForm

routes = Routes()


@routes.route("/cycles/schemes/<int:id>/metrics", methods=["GET", "POST"])
@require(can_run_cycles)
def scheme_metrics(id: int):
    db, org_id = get_session(), current_org_id()
    scheme = in_org_or_404(Scheme, id)
    items = values.bindable_items(scheme)
    bound = {key: metric.key for key, metric in scheme_bindings(db, scheme.id).items()}
    metrics = metric_definitions(db, org_id)
    offered = [m for m in metrics.values() if not m.archived or m.key in bound.values()]
    options = [(TYPED, _("Typed or imported"))] + [
        (m.key, label_text(m.name) or m.key) for m in offered
    ]
    form = BindingForm.build(items, options)
    status = 200
    if not form.is_submitted():
        for key in form.keys:
            form[f"item-{key}"].data = form[f"was-{key}"].data = bound.get(key, TYPED)
    elif form.validate():
        shown = form.shown()
        changes = {k: v for k, v in form.chosen().items() if v != shown[k]}
        outcome = attempt(
            lambda: values.bind_metrics(db, scheme, changes, current_user.id, shown),
            form,
            at=None,
        )
        if (done := outcome.value) is not None:
            flash(
                _(
                    "Figures bound: %(count)d appraisals of open cycles computed.",
                    count=done.appraisals,
                ),
                "success",
            )
            return redirect(url_for("runtime.scheme_metrics", id=scheme.id))
        status = outcome.status
    else:
        status = 422
    return render_template(
        "runtime/scheme_metrics.html", scheme=scheme, form=form, items=items
    ), status
