"""One field record: its page (values under the form's labels, customer, place, photos,
status and review history), the review (approve / return), the employee's correction of a
returned record, and the export of a period's records. A record the viewer may not see is
a 404; reviewing is for the employee's manager or HR, never the employee."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...access import is_member, require
from ...db import get_session
from ...forms import attempt
from ...i18n import label_text
from ...models import ActivityRecord
from ...security import is_safe_next
from ..web import Routes, current_viewer
from . import review
from .access import load_record, may_review
from .reading import shown_values
from .record_forms import EditForm, ReviewForm, posted_values

routes = Routes()


def record_or_404(uuid: str) -> ActivityRecord:
    record = load_record(get_session(), current_viewer(), uuid.lower())
    if record is None:
        abort(404)
    return record


def photo_url(uuid: str, size: str | None = None) -> str | None:
    """The photo's address once the photo routes are there (another area serves them)."""
    if "runtime.field_photo" not in current_app.view_functions:
        return None
    return url_for("runtime.field_photo", uuid=uuid, size=size)


@routes.route("/field/records/<uuid>")
@require(is_member)
def field_record(uuid: str):
    return _record_page(record_or_404(uuid))


def _record_page(record: ActivityRecord, form: ReviewForm | None = None, status: int = 200):
    db = get_session()
    viewer = current_viewer()
    activity = review.version_form(record)
    form = form or ReviewForm(formdata=None, version=record.version)
    return render_template(
        "runtime/field_record.html",
        label_text=label_text,
        record=record,
        activity=activity,
        values=shown_values(activity, record.values),
        at=review.local_time(db, record),
        location=activity.first("location"),
        photo_url=photo_url,
        actions=review.review_actions(viewer, record),
        may_edit=review.may_edit(viewer, record),
        locked=review.is_locked(db, record),
        history=review.history(db, record),
        form=form,
    ), status


def _back(record: ActivityRecord, wanted: str | None) -> str:
    if wanted and is_safe_next(wanted):
        return wanted
    return url_for("runtime.field_record", uuid=record.uuid)


@routes.route("/field/records/<uuid>/review", methods=["POST"])
@require(is_member)
def field_record_review(uuid: str):
    record = record_or_404(uuid)
    if not may_review(current_viewer(), record.employee):
        abort(403)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "danger")
        return _record_page(record, form, 422)
    outcome = attempt(
        lambda: review.review_record(
            get_session(),
            current_viewer(),
            record,
            form.action.data,
            form.comment.data or "",
            form.expected_version(),
        ),
        form,
        record,
    )
    if outcome.refused:
        get_session().refresh(record)
        return _record_page(record, form, outcome.status)
    flash(
        _("Approved.") if form.action.data == "approve" else _("Returned to the employee."),
        "success",
    )
    return redirect(_back(record, form.back.data))


@routes.route("/field/records/<uuid>/edit", methods=["GET", "POST"])
@require(is_member)
def field_record_edit(uuid: str):
    record = record_or_404(uuid)
    viewer = current_viewer()
    if record.employee_id != viewer.employee_id:
        abort(403)
    activity = review.version_form(record)
    form = EditForm(version=record.version)
    typed: dict[str, Any] = dict(record.values)
    status = 200
    if request.method == "POST":
        typed = posted_values(activity, request.form)
        if form.validate_on_submit():
            outcome = attempt(
                lambda: review.edit_record(
                    get_session(), viewer, record, typed, form.expected_version()
                ),
                form,
                record,
            )
            if not outcome.refused:
                flash(_("Corrected and sent for review again."), "success")
                return redirect(url_for("runtime.field_record", uuid=record.uuid))
            status = outcome.status
            get_session().refresh(record)
            errors = getattr(outcome.error, "errors", {})
        else:
            status, errors = 422, {}
        return _edit_page(record, activity, form, typed, errors, status)
    if not review.may_edit(viewer, record):
        flash(_("Only a record returned to you can be corrected."), "warning")
        return redirect(url_for("runtime.field_record", uuid=record.uuid))
    return _edit_page(record, activity, form, typed, {}, status)


def _edit_page(record, activity, form, typed, errors, status):
    return render_template(
        "runtime/field_record_edit.html",
        label_text=label_text,
        record=record,
        activity=activity,
        form=form,
        typed=typed,
        errors={k: [str(v)] for k, v in (errors or {}).items()},
        kept=review.FROM_THE_FIELD,
    ), status
