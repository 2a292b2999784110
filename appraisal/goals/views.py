"""Pages of the goal cascade: the goals of each period, a goal's tree with attainment, the
split of one node among its parts, and filling a cycle's targets from the leaves."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..access import (
    can_run_cycles,
    current_org_id,
    current_roles,
    in_org_or_404,
    is_member,
    require,
)
from ..db import get_session, row_id
from ..forms import attempt, choices, flash_form_errors
from ..models import Cycle, Goal, Role
from ..runtime.web import current_viewer, page_arg
from ..uploads import MAX_UPLOAD_BYTES, read_table
from . import attainment, services
from .forms import FillForm, ForecastForm, GoalForm, PartForm, SplitForm, part_choices
from .tree import GoalViewer, can_split

bp = Blueprint("goals", __name__, url_prefix="/goals", template_folder="templates")

REFUSED, CONFLICT = 422, 409


def goal_viewer() -> GoalViewer:
    viewer = current_viewer()
    return GoalViewer(
        viewer.org_id,
        viewer.user_id,
        viewer.employee_id,
        viewer.is_hr,
        Role.MANAGER in current_roles(),
    )


def _seen(node_id: int) -> services.Seen:
    seen = services.seen_node(get_session(), goal_viewer(), node_id)
    if seen is None:
        abort(404)
    return seen


@bp.route("")
@require(is_member)
def index():
    db, viewer = get_session(), goal_viewer()
    goals = services.goal_list(db, viewer)
    return render_template(
        "goals/index.html",
        goals=goals,
        mine=attainment.my_attainment(db, viewer, goals),
        viewer=viewer,
    )


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@require(can_run_cycles)
def edit(id: int | None = None):
    db = get_session()
    goal = in_org_or_404(Goal, id) if id else None
    form = GoalForm(obj=goal)
    if goal is not None and request.method == "GET":
        form.target.data = services.plain(services.load_tree(db, goal).root.target)
    status = 200
    if form.validate_on_submit():
        fields = services.GoalFields(
            form.key.data.strip(),
            form.name.data.strip(),
            (form.unit.data or "").strip(),
            form.weight.data,
            form.starts_on.data,
            form.ends_on.data,
            form.target.data,
        )
        outcome = attempt(
            lambda: services.save_goal(
                db, current_org_id(), goal, fields, form.expected_version(), goal_viewer().user_id
            ),
            form,
            goal,
        )
        if not outcome.refused:
            flash(_("Goal saved."), "success")
            return redirect(url_for("goals.tree", id=outcome.value.id))
        status = outcome.status
    elif request.method == "POST":
        status = REFUSED
    return render_template("goals/edit.html", form=form, goal=goal), status


@bp.route("/<int:id>")
@require(is_member)
def tree(id: int):
    db, viewer = get_session(), goal_viewer()
    goal = in_org_or_404(Goal, id)
    found = attainment.tree_lines(db, goal, viewer, page_arg())
    if found is None:
        abort(404)
    return render_template(
        "goals/tree.html", goal=goal, lines=found.items, page=found, viewer=viewer
    )


def _number(text: str) -> int | None:
    """An id or a version as posted; anything else (not a whole number, "²", beyond what
    the database holds) is None rather than a 500."""
    try:
        return row_id(text)
    except ValueError:
        return None


def _rows() -> list[services.Row]:
    rows = []
    for name in request.form:
        if name.startswith("target|"):
            node_id = _number(name.split("|", 1)[1]) or 0
            rows.append(
                services.Row(
                    node_id,
                    request.form.get(name, ""),
                    bool(request.form.get(f"locked|{node_id}")),
                    _number(request.form.get(f"version|{node_id}", "")),
                    request.form.get(f"basis|{node_id}", ""),
                )
            )
    return rows


def _part_form(seen: services.Seen) -> tuple[PartForm, services.PartPickers]:
    """The add-a-part form, its pickers narrowed by the page's search (`q`) and keeping
    what was chosen."""
    form = PartForm(prefix="part")
    pickers = services.part_pickers(
        get_session(),
        seen,
        goal_viewer(),
        request.args.get("q", ""),
        keep_departments=[form.department_id.data],
        keep_people=[form.lead_id.data, form.employee_id.data],
    )
    part_choices(form, pickers.departments, pickers.employees, "—")
    return form, pickers


@bp.route("/nodes/<int:id>", methods=["GET", "POST"])
@require(is_member)
def split(id: int):
    """The node's parts: fill their targets by a split (not saved), or save them."""
    seen = _seen(id)
    viewer = goal_viewer()
    editable = can_split(seen.tree, seen.node, viewer)
    if request.method == "POST" and not editable:
        abort(403)
    form = SplitForm()
    typed: dict[str, str] = {}
    errors: dict[str, str] = {}
    note, status = None, 200
    if request.method == "POST" and form.validate():
        typed = request.form.to_dict()
        rows = _rows()
        if request.form.get("action") == "split":
            outcome = attempt(
                lambda: services.split_node(get_session(), seen, form.method.data, rows),
                commit=False,
            )
            if not outcome.refused:
                for node_id, share in outcome.value.items():
                    typed[f"target|{node_id}"] = services.plain(share)
                note = _("Split among %(count)d parts; review and save.", count=len(outcome.value))
        else:
            outcome = attempt(
                lambda: services.save_split(
                    get_session(), seen, form.version.data, rows, viewer.user_id
                )
            )
            if not outcome.refused:
                flash(_("Split saved: %(count)d parts changed.", count=outcome.value), "success")
                return redirect(url_for("goals.split", id=id))
        errors = {k: str(v) for k, v in (getattr(outcome.error, "errors", None) or {}).items()}
        if outcome.refused and outcome.error.field and not errors:
            errors[outcome.error.field] = str(outcome.error.message)
        status = outcome.status
        if outcome.conflict:
            seen = _seen(id)  # the parts as they are now: their versions, saved values shown
            for part in seen.tree.children_of(seen.node):
                typed.pop(f"version|{part.id}", None)
            typed.pop("version", None)
    elif request.method == "POST":
        flash_form_errors(form)
        status = REFUSED
    return render_template(
        "goals/split.html",
        seen=seen,
        parts=seen.parts,
        form=form,
        part=_part_form(seen),
        forecast_form=ForecastForm(prefix="forecast"),
        editable=editable,
        typed=typed,
        errors=errors,
        note=note,
        plain=services.plain,
        total=services.shown_total(seen.tree.children_of(seen.node), typed),
        conflict=status == CONFLICT,
    ), status


def _edit_post(id: int) -> services.Seen:
    seen = _seen(id)
    if not can_split(seen.tree, seen.node, goal_viewer()):
        abort(403)
    return seen


def _render_split(seen: services.Seen, status: int, part=None, forecast_form=None):
    return render_template(
        "goals/split.html",
        seen=seen,
        parts=seen.parts,
        form=SplitForm(formdata=None),
        part=part or _part_form(seen),
        forecast_form=forecast_form or ForecastForm(prefix="forecast", formdata=None),
        editable=True,
        typed={},
        errors={},
        note=None,
        plain=services.plain,
        total=services.shown_total(seen.tree.children_of(seen.node), {}),
        conflict=status == CONFLICT,
    ), status


@bp.route("/nodes/<int:id>/parts", methods=["POST"])
@require(is_member)
def add_part(id: int):
    seen = _edit_post(id)
    part = _part_form(seen)
    form = part[0]
    if not form.validate():
        flash_form_errors(form)
        return _render_split(seen, REFUSED, part=part)
    outcome = attempt(
        lambda: services.add_part(
            get_session(),
            seen,
            goal_viewer(),
            form.department_id.data or None,
            form.employee_id.data or None,
            form.lead_id.data or None,
        ),
        form,
    )
    if outcome.refused:
        return _render_split(_seen(id), outcome.status, part=part)
    flash(_("Part added."), "success")
    return redirect(url_for("goals.split", id=id))


@bp.route("/nodes/<int:id>/parts/<int:part_id>/remove", methods=["POST"])
@require(is_member)
def remove_part(id: int, part_id: int):
    seen = _edit_post(id)
    outcome = attempt(
        lambda: services.remove_part(
            get_session(),
            seen,
            part_id,
            _number(request.form.get("version", "")),
            goal_viewer().user_id,
        )
    )
    if outcome.refused:
        return _render_split(_seen(id), outcome.status)
    flash(_("Part removed."), "success")
    return redirect(url_for("goals.split", id=id))


@bp.route("/nodes/<int:id>/forecast", methods=["POST"])
@require(is_member)
def forecast(id: int):
    seen = _edit_post(id)
    form = ForecastForm(prefix="forecast")
    if not form.validate():
        return _render_split(seen, REFUSED, forecast_form=form)
    upload = form.file.data

    def change() -> int:
        table = read_table(upload.read(MAX_UPLOAD_BYTES + 1), upload.filename or "")
        return services.import_forecast(get_session(), seen, table, goal_viewer().user_id)

    outcome = attempt(change, form, at="file")
    if outcome.refused:
        return _render_split(_seen(id), outcome.status, forecast_form=form)
    flash(_("Forecast imported for %(count)d parts.", count=outcome.value), "success")
    return redirect(url_for("goals.split", id=id))


@bp.route("/fill", methods=["GET", "POST"])
@require(can_run_cycles)
def fill():
    db = get_session()
    form = FillForm()
    cycles, goals = services.fill_choices(db, current_org_id())
    form.cycle_id.choices, form.goal_ids.choices = choices(cycles), choices(goals)
    status = 200
    if form.validate_on_submit():
        cycle = in_org_or_404(Cycle, form.cycle_id.data)
        outcome = attempt(
            lambda: services.fill_cycle_targets(db, cycle, form.goal_ids.data, current_viewer()),
            form,
        )
        if not outcome.refused:
            filled = outcome.value
            flash(
                _(
                    "Targets filled: %(changed)d changed; %(kept)d people with confirmed goals "
                    "kept theirs; %(outside)d leaves have no appraisal in the cycle.",
                    changed=filled.changed,
                    kept=filled.kept,
                    outside=filled.outside,
                ),
                "success",
            )
            return redirect(url_for("goals.fill"))
        status = outcome.status
    elif request.method == "POST":
        status = REFUSED
    return render_template("goals/fill.html", form=form), status
