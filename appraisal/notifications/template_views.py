"""HR's set-up pages for notifications: the index, and its own words for each kind in each
language (previewed with example values before saving, reset to the default). HR admins
only. Thin: parse, call `setup`, render."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_run_cycles, current_membership, current_org_id, require
from ..db import get_session
from ..forms import VersionPost, attempt, flash_form_errors
from ..labels import label
from ..models.accounts import LANGUAGES
from ..runtime.web import Routes
from . import setup
from .render import Words
from .template_forms import TemplateForm

routes = Routes()


@routes.route("/notifications/settings")
@require(can_run_cycles)
def settings():
    """Where HR finds the notification set-up: words, robots, the log."""
    return render_template("notifications/settings.html")


@routes.route("/notifications/templates")
@require(can_run_cycles)
def templates():
    table = setup.overview(get_session(), current_org_id())
    return render_template(
        "notifications/templates.html", table=table, languages=LANGUAGES, parts=setup.parts
    )


def _kind_or_404(kind: str, language: str) -> None:
    if kind not in setup.kinds() or language not in LANGUAGES:
        abort(404)


@routes.route("/notifications/templates/<kind>/<language>", methods=["GET", "POST"])
@require(can_run_cycles)
def template_edit(kind: str, language: str):
    """A kind's words in one language: Preview shows them filled with example values and
    keeps what was typed; Save stores them (422 with the reason at its field, 409 when
    someone saved or reset them meanwhile)."""
    _kind_or_404(kind, language)
    db, org_id = get_session(), current_org_id()
    current = setup.shown(db, org_id, kind, language)
    form = TemplateForm(
        data={"subject": current.subject, "body": current.body, "version": current.version}
        if request.method == "GET"
        else None
    )
    status, preview = 200, None
    if form.validate_on_submit():
        subject, body = form.subject.data or "", form.body.data or ""
        if form.save.data:
            saved = setup.template_for(db, org_id, kind, language)
            outcome = attempt(
                lambda: setup.save_template(
                    db,
                    org_id,
                    kind,
                    language,
                    subject,
                    body,
                    form.expected_version(),
                    current_user.id,
                ),
                form,
                saved,
            )
            if not outcome.refused:
                flash(_("Saved: %(kind)s.", kind=label(kind, "notification_kind")), "success")
                return redirect(url_for("notifications.templates"))
            if outcome.conflict and saved is None:  # reset, or first saved, meanwhile
                form.version.data = str(setup.shown(db, org_id, kind, language).version)
        else:
            organization = current_membership().organization.name
            outcome = attempt(
                lambda: setup.preview(kind, language, subject, body, organization),
                form,
                commit=False,
            )
            preview = outcome.value
        status = outcome.status
    elif form.is_submitted():
        flash_form_errors(form)
        status = 422
    return _edit_page(kind, language, form, preview, status)


def _edit_page(
    kind: str, language: str, form: TemplateForm, preview: Words | None = None, status: int = 200
) -> Any:
    """The edit page, with what the form holds (typed, or the saved words)."""
    current = setup.shown(get_session(), current_org_id(), kind, language)
    return render_template(
        "notifications/templates_edit.html",
        form=form,
        current=current,
        placeholders=setup.placeholders(kind),
        preview=preview,
        reset=VersionPost(formdata=None, data={"version": current.version}),
    ), status


@routes.route("/notifications/templates/<kind>/<language>/reset", methods=["POST"])
@require(can_run_cycles)
def template_reset(kind: str, language: str):
    """HR's words deleted: the default speaks again."""
    _kind_or_404(kind, language)
    form = VersionPost()
    form.validate()
    db, org_id = get_session(), current_org_id()
    outcome = attempt(
        lambda: setup.reset_template(db, org_id, kind, language, form.version.data, current_user.id)
    )
    if outcome.refused:  # changed meanwhile: the page again, with the words saved now
        current = setup.shown(db, org_id, kind, language)
        edit = TemplateForm(
            formdata=None,
            data={"subject": current.subject, "body": current.body, "version": current.version},
        )
        return _edit_page(kind, language, edit, status=outcome.status)
    flash(_("Back to the default words: %(kind)s.", kind=label(kind, "notification_kind")), "info")
    return redirect(url_for("notifications.templates"))
