"""The business-event pages (HR admins): the events list, the held-people queue with its
mapping screen, and the CSV/XLSX import (upload with kind and source, column mapping, dry
run, apply all or nothing). Thin: parse, call `events` / `event_imports`, render."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import can_review_events, current_org_id, require
from ...db import get_session
from ...forms import EncodingForm, attempt
from ...import_flow import MappedImport, import_step
from ...import_jobs import submit_import
from ...people.services import list_employees
from ...rules import EVENT_KINDS
from ...states import EventStatus
from ...uploads import accept_upload, pending_uploads, read_again
from ..web import Routes
from . import event_imports
from . import events as services
from .background import IMPORT_EVENTS, events_counts, events_imported
from .event_forms import EventMappingForm, EventUploadForm, MapPersonForm, kind_choices

routes = Routes()


@routes.route("/events")
@require(can_review_events)
def events():
    db, org_id = get_session(), current_org_id()
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    filters = services.EventFilters(
        source=request.args.get("source", "")[:40],
        kind=kind if kind in EVENT_KINDS else "",
        status=status if status in set(EventStatus) else "",
        person=request.args.get("person", "")[:200],
    )
    page = services.list_events(db, org_id, filters, request.args.get("page", 1, type=int))
    return render_template(
        "runtime/events.html",
        page=page,
        filters=filters,
        sources=services.sources(db, org_id),
        kinds=kind_choices(),
        kind_names=dict(kind_choices()),
        statuses=list(EventStatus),
        counts=services.event_counts(db, org_id),
    )


@routes.route("/events/held")
@require(can_review_events)
def events_held():
    db, org_id = get_session(), current_org_id()
    page = services.held_groups(
        db, org_id, request.args.get("page", 1, type=int), source=request.args.get("source", "")
    )
    return render_template("runtime/events_held.html", page=page, kinds=dict(kind_choices()))


def _group_or_404(source: str, ref: str) -> services.HeldGroup | None:
    """The group still held; None when someone handled it already; 404 when no event of
    this organization ever came with this reference."""
    db, org_id = get_session(), current_org_id()
    group = services.held_group(db, org_id, source, ref)
    if group is None and not services.group_exists(db, org_id, source, ref):
        abort(404)
    return group


@routes.route("/events/held/person", methods=["GET", "POST"])
@require(can_review_events)
def events_held_map():
    db, org_id = get_session(), current_org_id()
    source = (request.values.get("source") or "")[:40]
    ref = (request.values.get("ref") or "")[:200]
    group = _group_or_404(source, ref)
    form = MapPersonForm(source=source, ref=ref)
    status = 200
    if group is None:
        flash(str(services.ALREADY_HANDLED), "warning")
        status = 409 if request.method == "POST" else 200
    elif form.validate_on_submit():
        outcome = attempt(
            lambda: services.map_person(
                db, org_id, source, ref, form.employee_number.data, current_user.id
            ),
            form,
        )
        if outcome.value is not None:
            flash(
                _(
                    "%(count)d events now count for %(number)s.",
                    count=outcome.value,
                    number=form.employee_number.data.strip(),
                ),
                "success",
            )
            return redirect(url_for("runtime.events_held"))
        status = outcome.status
        group = services.held_group(db, org_id, source, ref)
    elif request.method == "POST":
        status = 422
    q = request.args.get("q", "")[:100]
    found = list_employees(db, org_id, q, per_page=10).items if q.strip() else []
    return render_template(
        "runtime/events_held_map.html",
        group=group,
        source=source,
        ref=ref,
        form=form,
        q=q,
        found=found,
        kinds=dict(kind_choices()),
    ), status


@routes.route("/events/held/set-aside", methods=["POST"])
@require(can_review_events)
def events_held_set_aside():
    db, org_id = get_session(), current_org_id()
    source = (request.form.get("source") or "")[:40]
    ref = (request.form.get("ref") or "")[:200]
    _group_or_404(source, ref)
    outcome = attempt(lambda: services.set_aside(db, org_id, source, ref, current_user.id))
    if outcome.refused:  # someone handled the group first: say so on the queue
        page = services.held_groups(db, org_id)
        return render_template(
            "runtime/events_held.html", page=page, kinds=dict(kind_choices())
        ), outcome.status
    flash(_("%(count)d events set aside.", count=outcome.value), "success")
    return redirect(url_for("runtime.events_held"))


# -- import ------------------------------------------------------------------------------------


@routes.route("/events/import", methods=["GET", "POST"])
@require(can_review_events)
def events_import():
    form = EventUploadForm()
    upload_id = accept_upload(form, current_org_id(), current_user.id)
    if upload_id:
        return redirect(
            url_for(
                "runtime.events_import_map",
                upload_id=upload_id,
                kind=form.kind.data,
                source=form.source.data.strip(),
            )
        )
    status = 422 if request.method == "POST" else 200
    return render_template("runtime/events_import_upload.html", form=form), status


@routes.route("/events/import/<upload_id>", methods=["GET", "POST"])
@require(can_review_events)
def events_import_map(upload_id: str):
    db, org_id = get_session(), current_org_id()
    kind = request.args.get("kind", "")
    pending = pending_uploads().load(upload_id, org_id, current_user.id)
    if pending is None or kind not in EVENT_KINDS:
        abort(404)
    table, filename = pending
    form = EventMappingForm.build(event_imports.field_labels(kind), table.header)
    encoding_form = EncodingForm(prefix="enc")
    page = {
        "table": table,
        "filename": filename,
        "encoding_form": encoding_form,
        "kind": kind,
        "kind_name": dict(kind_choices())[kind],
    }
    if encoding_form.read_again.data:
        if read_again(encoding_form, upload_id, org_id, current_user.id):
            return redirect(request.full_path)
        return render_template(
            "runtime/events_import_map.html", form=form, report=None, **page
        ), 422
    encoding_form.encoding.data = table.encoding
    spec = MappedImport(
        kind=event_imports.mapping_kind(kind),
        fields=event_imports.fields_of(kind),
        required=event_imports.REQUIRED,
        aliases=event_imports.aliases(kind),
    )
    if request.method == "GET":
        remembered = spec.fill(form, table)
        form.source.data = request.args.get("source", "")[:40] or remembered.get("source", "")
        form.person_kind.data = remembered.get("person_kind", "employee_number")
    step = import_step(
        spec,
        form,
        table,
        upload_id,
        run=lambda rows, dry_run: event_imports.import_events(
            db,
            org_id,
            rows,
            kind=kind,
            source=form.source.data,
            person_kind=form.person_kind.data,
            user_id=current_user.id,
            dry_run=dry_run,
        ),
        done=lambda report: events_imported(events_counts(report)),
        done_url=url_for("runtime.events"),
        remember={"source": (form.source.data or "").strip(), "person_kind": form.person_kind.data},
        queue=lambda rows: submit_import(
            db,
            IMPORT_EVENTS,
            org_id,
            current_user.id,
            {"rows": rows},
            {"kind": kind, "source": form.source.data, "person_kind": form.person_kind.data},
        ),
    )
    if step.response is not None:
        return step.response
    return render_template(
        "runtime/events_import_map.html", form=form, report=step.report, **page
    ), step.status
