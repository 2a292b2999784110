"""HR's side of the runtime: schemes, cycles (preview and launch, progress), the figures grid
and the target grid that managers share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ...access import (
    can_enter_figures,
    can_read_results,
    can_run_cycles,
    current_membership,
    current_org_id,
    current_roles,
    is_member,
    reach_of,
    require,
)
from ...db import get_in_org, get_session, row_id
from ...errors import ServiceError
from ...forms import attempt, choices
from ...i18n import label_text
from ...models import AppraisalState, Cycle, CycleState, Employee, Scheme
from ...people.services import department_choices, position_choices
from ..compiled import version_template
from ..metrics.shown import computed_figures
from ..reviews import feedback
from ..web import Routes, current_viewer, cycle_or_404, id_arg, page_arg
from . import cycles as cycle_services
from . import figures, tasks
from .downloads import cycle_file
from .forms import CycleForm, LaunchForm, SchemeForm
from .lists import ListFilter, appraisal_page, cycle_departments, list_query

routes = Routes()


# -- schemes and cycles ------------------------------------------------------------------


@routes.route("/cycles")
@require(can_read_results)
def cycles():
    """HR's cycles and schemes; HR's readers (partners, heads, auditors) the cycles alone,
    each page narrowed to their departments."""
    db, org_id = get_session(), current_org_id()
    runs = can_run_cycles(current_roles())
    return render_template(
        "runtime/cycles.html",
        cycles=cycle_services.list_cycles(db, org_id),
        schemes=cycle_services.list_schemes(db, org_id) if runs else [],
        runs_cycle=runs,
    )


@routes.route("/cycles/schemes/new", methods=["GET", "POST"])
@routes.route("/cycles/schemes/<int:id>", methods=["GET", "POST"])
@require(can_run_cycles)
def scheme_form(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    scheme = get_in_org(db, Scheme, org_id, id) if id else None
    if id and scheme is None:
        abort(404)
    form = SchemeForm(obj=scheme)
    form.template_version_id.choices = choices(cycle_services.version_choices(db, org_id))
    form.department_ids.choices = choices(department_choices(db, org_id))
    form.position_ids.choices = choices(position_choices(db, org_id))
    if scheme is not None and request.method == "GET":
        form.department_ids.data = [d.id for d in scheme.departments]
        form.position_ids.data = [p.id for p in scheme.positions]
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        outcome = attempt(
            lambda: cycle_services.save_scheme(
                db,
                org_id,
                scheme,
                name=form.name.data,
                template_version_id=form.template_version_id.data,
                staff_kind=form.staff_kind.data,
                period=form.period.data,
                department_ids=form.department_ids.data or [],
                position_ids=form.position_ids.data or [],
                user_id=current_user.id,
                version=form.expected_version(),
                skip_self_review_without_sign_in=form.skip_self_review_without_sign_in.data,
            ),
            form,
            scheme,
        )
        if not outcome.refused:
            flash(_("Scheme saved."), "success")
            return redirect(url_for("runtime.cycles"))
        status = outcome.status
    return render_template(
        "runtime/form.html",
        form=form,
        form_id="scheme-form",
        title=scheme.name if scheme else _("New scheme"),
        warning=None
        if form.template_version_id.choices
        else _("Publish a template first: a scheme uses a published version."),
    ), status


@routes.route("/cycles/new", methods=["GET", "POST"])
@require(can_run_cycles)
def cycle_form():
    db, org_id = get_session(), current_org_id()
    form = CycleForm()
    schemes = [s for s in cycle_services.list_schemes(db, org_id) if not s.archived]
    form.scheme_id.choices = choices((s.id, s.name) for s in schemes)
    if request.method == "GET" and request.args.get("scheme", type=row_id):
        form.scheme_id.data = request.args.get("scheme", type=row_id)
    if form.validate_on_submit():

        def create() -> Cycle:
            scheme = get_in_org(db, Scheme, org_id, form.scheme_id.data)
            if scheme is None:
                raise ServiceError(_("Choose a scheme."), "scheme_id")
            return cycle_services.create_cycle(
                db,
                scheme,
                name=form.name.data,
                dates=cycle_services.CycleDates(
                    form.starts_on.data,
                    form.ends_on.data,
                    form.goals_due.data,
                    form.self_review_due.data,
                    form.manager_review_due.data,
                ),
                anonymity_threshold=form.anonymity_threshold.data,
                user_id=current_user.id,
                reminder_days=form.reminder_days.data or "",
            )

        outcome = attempt(create, form)
        if outcome.value is not None:
            return redirect(url_for("runtime.cycle", id=outcome.value.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "runtime/form.html",
        form=form,
        form_id="cycle-form",
        title=_("New cycle"),
        warning=None if schemes else _("Create a scheme first."),
        warning_link=(url_for("runtime.scheme_form"), _("New scheme")),
    ), status


@routes.route("/cycles/<int:id>")
@require(can_read_results)
def cycle(id: int):
    return _cycle_page(cycle_or_404(id), LaunchForm(formdata=None))


def _cycle_page(cycle: Cycle, launch_form: LaunchForm, status: int = 200):
    """A cycle: before launch, who it will appraise (a page at a time) and the launch form;
    after, its appraisals a page at a time, filtered by the database. HR's readers
    (partners, heads, auditors) see it narrowed to their departments, without HR's actions
    and, before launch, without the preview."""
    db = get_session()
    runs = can_run_cycles(current_roles())
    seen = reach_of("read_results")
    planning = cycle.state == CycleState.PLANNING
    chosen = ListFilter.from_args(request.args, id_arg("department"))
    if chosen.department_id is not None and not seen.covers(chosen.department_id):
        abort(404)
    size = current_app.config["PAGE_SIZE"]
    in_reach = list_query(cycle).where(seen.clause(Employee.department_id))
    return render_template(
        "runtime/cycle.html",
        cycle=cycle,
        runs_cycle=runs,
        enters_figures=can_enter_figures(current_roles()),
        preview=(
            cycle_services.preview_page(db, cycle, page_arg(), size) if planning and runs else None
        ),
        launch_form=launch_form,
        chosen=chosen,
        page=None if planning else appraisal_page(db, cycle, chosen, page_arg(), size, in_reach),
        departments=(
            [] if planning else [(i, n) for i, n in cycle_departments(db, cycle) if seen.covers(i)]
        ),
        states=list(AppraisalState),
        counts=cycle_services.state_counts(db, cycle, seen),
        appeals=[] if planning else tasks.cycle_appeals(db, cycle, seen),
        has_feedback=bool(feedback.comment_items(version_template(cycle.scheme.template_version))),
        has_metrics=cycle.state != CycleState.CLOSED and bool(figures.computed_keys(db, cycle)),
        due_for=tasks.due_for,
        today=current_membership().organization.today(),
    ), status


@routes.route("/cycles/<int:id>/results.<any(csv, xlsx):fmt>", methods=["GET", "POST"])
@require(can_read_results)
def cycle_results(id: int, fmt: str):
    """The payroll file: totals, grades and the template's outputs per employee."""
    return cycle_file(cycle_or_404(id), "results", fmt)


@routes.route("/cycles/<int:id>/feedback.<any(csv, xlsx):fmt>", methods=["GET", "POST"])
@require(can_read_results)
def cycle_feedback(id: int, fmt: str):
    """The cycle's written feedback, one comment a row; peers' without names."""
    return cycle_file(cycle_or_404(id), "feedback", fmt)


@routes.route("/cycles/<int:id>/launch", methods=["POST"])
@require(can_run_cycles)
def cycle_launch(id: int):
    """Launch for everyone the scheme covers except the numbers HR left out; a number it
    does not cover is refused next to the field, with what was typed kept."""
    db = get_session()
    cycle = cycle_or_404(id)
    form = LaunchForm()
    if not form.validate_on_submit():
        return _cycle_page(cycle, form, 422)

    def launch():
        leave_out = cycle_services.left_out(db, cycle.scheme, form.leave_out.data or "")
        return cycle_services.launch_cycle(db, cycle, leave_out, current_user.id)

    outcome = attempt(launch, form)
    if outcome.refused:
        return _cycle_page(cycle, form, outcome.status)
    count = len(outcome.value or [])
    flash(_("Cycle launched: %(count)d appraisals created.", count=count), "success")
    return redirect(url_for("runtime.cycle", id=id))


# -- figures and targets grids --------------------------------------------------------------


#: Rows of a figures grid page: one screen of typing, saved together.
GRID_ROWS = 50


def _list_args() -> dict[str, str]:
    """The filters and page a grid was posted from (its form posts to its own URL), to come
    back to them after a save."""
    keep = ("q", "department", "state", "grade", "sort", "page")
    return {k: v for k in keep if (v := request.args.get(k))}


LOADED = "was"  # `was|<prefix>|<number>|<key>`: the value a grid cell showed when loaded


def _grid_entries(prefix: str) -> list[figures.Entry]:
    """`<prefix>|<employee number>|<item key>` inputs of a grid form, each with what the
    cell showed when the page was loaded (its hidden `was|…` twin)."""
    entries = []
    for name, value in request.form.items():
        if name.startswith(prefix + "|"):
            _prefix, number, key = name.split("|", 2)
            expected = request.form.get(f"{LOADED}|{name}")
            entries.append(figures.Entry(number, key, value, expected=expected))
    return entries


def _loaded(prefix: str, appraisals, conflict: dict[tuple[str, str], str]) -> dict[str, str]:
    """What each cell's hidden twin carries: the stored text on a fresh page; after a refused
    save, what the page had loaded, except that a cell someone else changed now starts from
    their value, so saving again overwrites it knowingly."""
    loaded = figures.grid_cells(appraisals, prefix)
    if request.method == "POST":
        twins = f"{LOADED}|{prefix}|"
        loaded |= {k[len(LOADED) + 1 :]: v for k, v in request.form.items() if k.startswith(twins)}
        loaded |= {f"{prefix}|{number}|{key}": text for (number, key), text in conflict.items()}
    return loaded


@dataclass
class GridOutcome:
    saved: bool
    status: int = 200
    errors: dict[tuple[str, str], str] = field(default_factory=dict)
    current: dict[tuple[str, str], str] = field(default_factory=dict)


def _save_grid(save: Callable[[], int], done: str) -> GridOutcome:
    """Run a grid's save: commit and say how many values changed; or roll back and return
    the message of each refused cell by (employee number, item key), with 409 when someone
    else changed a cell first. A concurrent save noticed only at flush time is retried once:
    the retry compares every changed cell with what is stored now, so it either applies
    cleanly or names the cells in conflict."""
    outcome = attempt(save, retry_at_flush=True)
    if not outcome.refused:
        flash(done % {"count": outcome.value}, "success")
        return GridOutcome(True)
    cells = getattr(outcome.error, "errors", [])
    current = getattr(outcome.error, "current", None) if outcome.conflict else None
    return GridOutcome(
        False,
        outcome.status,
        {(e.employee_number, e.key): label_text(e.message) for e in cells},
        current or {},
    )


@routes.route("/cycles/<int:id>/figures", methods=["GET", "POST"])
@require(can_enter_figures)
def cycle_figures(id: int):
    db = get_session()
    cycle = cycle_or_404(id)
    outcome = GridOutcome(False)
    typed: dict[str, str] = {}
    if request.method == "POST":
        typed = request.form.to_dict()
        entries = _grid_entries("fig")
        outcome = _save_grid(
            lambda: figures.set_figures(db, cycle, entries, current_user.id),
            _("Figures saved: %(count)d changed."),
        )
        if outcome.saved:
            return redirect(url_for("runtime.cycle_figures", id=id, **_list_args()))
    chosen = ListFilter.from_args(request.args, id_arg("department"))
    page = appraisal_page(
        db, cycle, chosen, page_arg(), GRID_ROWS, figures.cycle_appraisals_query(cycle)
    )
    appraisals = page.items
    return render_template(
        "runtime/figures.html",
        cycle=cycle,
        fields=figures.figure_fields(cycle),
        page=page,
        chosen=chosen,
        departments=cycle_departments(db, cycle),
        appraisals=appraisals,
        bound=figures.computed_keys(db, cycle),
        computed=computed_figures(db, cycle.organization_id, appraisals),
        errors=outcome.errors,
        conflicts=outcome.current,
        typed=typed,
        shown=figures.grid_cells(appraisals, "fig"),
        loaded=_loaded("fig", appraisals, outcome.current),
    ), outcome.status


@routes.route("/cycles/<int:id>/targets", methods=["GET", "POST"])
@require(is_member)
def cycle_targets(id: int):
    db = get_session()
    cycle = cycle_or_404(id)
    viewer = current_viewer()
    team = figures.team_appraisals(db, cycle, viewer)
    if not team:
        abort(404)
    fields = figures.cycle_target_fields(cycle)
    outcome = GridOutcome(False)
    typed: dict[str, str] = {}
    split_note = None
    action = request.form.get("action", "save")
    if request.method == "POST" and action == "split":
        typed, split_note, outcome.status = _split(cycle, team, fields)
    elif request.method == "POST":
        typed = request.form.to_dict()
        entries = _grid_entries("tgt")
        team_total = request.form.get("team_total", "").strip()
        key = request.form.get("split_key", "")

        def save() -> int:
            if team_total:
                figures.check_team_total(team, key, team_total, entries)
            return figures.set_targets(db, cycle, entries, viewer)

        outcome = _save_grid(save, _("Targets saved: %(count)d changed."))
        if outcome.saved:
            return redirect(url_for("runtime.cycle_targets", id=id))
        team = figures.team_appraisals(db, cycle, viewer)  # as stored now
    return render_template(
        "runtime/targets_grid.html",
        cycle=cycle,
        fields=fields,
        appraisals=team,
        errors=outcome.errors,
        conflicts=outcome.current,
        typed=typed,
        shown=figures.grid_cells(team, "tgt"),
        loaded=_loaded("tgt", team, outcome.current),
        split_note=split_note,
    ), outcome.status


def _split(cycle: Cycle, team, fields):
    """Fill one column of the grid from a team total; nothing is saved until Save."""
    typed = request.form.to_dict()
    key = request.form.get("split_key", "")
    numbers = [a.employee.number for a in team]
    basis = {n: request.form.get(f"basis|{n}", "") for n in numbers}
    outcome = attempt(
        lambda: figures.split_team_target(
            get_session(),
            cycle,
            team,
            key,
            request.form.get("team_total", ""),
            request.form.get("split_method", "equal"),
            basis,
        ),
        commit=False,  # nothing is saved until Save
    )
    split = outcome.value
    if split is None:
        return typed, None, outcome.status
    for number, share in split.shares.items():
        typed[f"tgt|{number}|{key}"] = figures.plain(share)
    note = _(
        "Split %(total)s among %(count)d people; review and save.",
        total=figures.plain(split.amount),
        count=len(split.shares),
    )
    return typed, note, 200


# -- tasks and team -------------------------------------------------------------------------


@routes.route("/tasks")
@require(is_member)
def my_tasks():
    db, viewer = get_session(), current_viewer()
    return render_template(
        "runtime/tasks.html", tasks=tasks.my_tasks(db, viewer), hr=tasks.hr_tasks(db, viewer)
    )


@routes.route("/team")
@require(is_member)
def team():
    page = tasks.team_progress(get_session(), current_viewer(), page_arg())
    return render_template("runtime/team.html", rows=page.items, page=page)
