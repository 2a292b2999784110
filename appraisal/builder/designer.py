"""The template designer: every edit is a plain form post that changes the draft through a
pure function of `draft.py`; JavaScript only adds live checking on top."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_build, in_org_or_404, require
from ..concurrency import EditConflict
from ..db import get_session
from ..forms import attempt, choices, show_conflict
from ..i18n import in_each_language
from ..labels import FEEDBACK_PROMPT, current_language
from ..models import Indicator, Template
from ..rules import compiled, draft_structure, formula_names, function_catalogue, score
from ..runtime.render import ROLES, labels, role_items, try_fields, try_inputs
from . import draft, services
from .forms import (
    AdjustmentForm,
    FeedbackItemForm,
    ItemForm,
    NewItemForm,
    OutputForm,
    ScaleForm,
    SectionForm,
    SettingsForm,
    TableForm,
    scoring_from_form,
)
from .schemas import limit_problems
from .views import bp

NONE_LABEL = "—"


def _template(id_: int) -> Template:
    return in_org_or_404(Template, id_)


def _apply(template: Template, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Run one edit on the draft (starting a draft from the latest version if needed). A
    draft may have problems, but an edit that takes it beyond a template limit is refused
    (one made before the limits existed can still be cut down). Run it through `attempt`,
    which commits it or shows the refusal."""
    current = services.start_draft(template)
    updated = change(current)
    exceeded = limit_problems(updated)
    already = {path for path, _message in limit_problems(current)} if exceeded else set()
    for path, message in exceeded:
        if path not in already:
            text = (
                getattr(message, "zh", message) if current_language().startswith("zh") else message
            )
            raise draft.DraftError(
                _("Not saved: %(path)s: %(problem)s", path=path or "(top)", problem=text)
            )
    services.save_draft(get_session(), template, updated, current_user.id)


def _loaded(part: Any, conflict: bool) -> str:
    """The fingerprint a part's form carries: of the part as shown on a fresh page; after a
    refused save, still the one the page loaded, unless the refusal was someone else's change
    (then theirs, so saving again overwrites it knowingly)."""
    if request.method == "POST" and not conflict and request.form.get("loaded"):
        return request.form["loaded"]
    return draft.fingerprint(part)


def _require_unchanged(part: Any) -> None:
    """Refuse to save a part someone else changed since this page showed it."""
    loaded = request.form.get("loaded")
    if loaded and part is not None and loaded != draft.fingerprint(part):
        raise EditConflict(part)


def _back(template: Template, anchor: str = ""):
    return redirect(url_for("builder.template", id=template.id) + (f"#{anchor}" if anchor else ""))


def _library_choices(org_id: int) -> list:
    return choices(services.library_choices(get_session(), org_id), NONE_LABEL)


def _section_form(section: dict[str, Any]) -> SectionForm:
    """The edit form of an existing section, filled from the draft."""
    name_zh, name_en = draft.label_parts(section.get("name"))
    return SectionForm(
        prefix=f"section-{section.get('key')}",
        formdata=None,
        key=section.get("key"),
        name_zh=name_zh,
        name_en=name_en,
        weight=section.get("weight"),
    )


def render_designer(template: Template, status: int = 200, **forms: Any):
    """The designer page; `forms` carry a failed form back with its errors and input."""
    definition = template.definition
    settings = forms.get("settings_form") or _settings_form(definition)
    library = _library_choices(template.organization_id)
    item_forms, section_forms, feedback_forms = {}, {}, {}
    for section in definition.get("sections", []):
        key = section.get("key")
        form = forms.get(f"item_form_{key}") or NewItemForm(prefix=f"add-{key}", formdata=None)
        form.indicator_id.choices = library
        item_forms[key] = form
        feedback_forms[key] = forms.get(f"feedback_form_{key}") or FeedbackItemForm(
            prefix=f"feedback-{key}", formdata=None
        )
        section_forms[key] = forms.get(f"section_form_{key}") or _section_form(section)
    problems = services.definition_problems(definition) if template.draft is not None else []
    return render_template(
        "builder/template.html",
        template=template,
        latest=template.latest,
        definition=definition,
        lang=current_language(),
        problems=[(p, problem_link(template, definition, p.path)) for p in problems],
        sums=draft.weight_sums(definition),
        settings_form=settings,
        section_form=forms.get("section_form") or SectionForm(prefix="section", formdata=None),
        item_forms=item_forms,
        feedback_forms=feedback_forms,
        section_forms=section_forms,
        grades_form=forms.get("grades_form")
        or TableForm(
            prefix="grades", formdata=None, text=draft.grades_text(definition.get("grades", []))
        ),
        scales={
            name: draft.scale_text(levels)
            for name, levels in (definition.get("scales") or {}).items()
        },
        roles=ROLES,
    ), status


def problem_link(template: Template, definition: dict[str, Any], path: str) -> str:
    """Where in the designer a problem at this JSON path is fixed."""
    item = re.match(r"sections\[(\d+)\]\.items\[(\d+)\]", path)
    if item:
        try:
            key = definition["sections"][int(item[1])]["items"][int(item[2])]["key"]
            return url_for("builder.designer_item", id=template.id, key=key)
        except (KeyError, IndexError, TypeError):
            pass
    entry = re.match(r"(adjustments|outputs)\[(\d+)\]", path)
    if entry:
        try:
            key = definition[entry[1]][int(entry[2])]["key"]
            return url_for("builder.designer_entry", id=template.id, part=entry[1], key=key)
        except (KeyError, IndexError, TypeError):
            pass
    anchor = "sections"
    for prefix, target in (
        ("sections[", path.split(".")[0]),
        ("grades", "grades"),
        ("scales", "scales"),
        ("rater_weights", "settings"),
        ("name", "settings"),
        ("staff", "settings"),
        ("period", "settings"),
        ("max_total", "settings"),
    ):
        if path.startswith(prefix):
            anchor = target
            break
    return url_for("builder.template", id=template.id) + f"#{anchor}"


def _settings_form(definition: dict[str, Any]) -> SettingsForm:
    zh, en = draft.label_parts(definition.get("name"))
    weights = definition.get("rater_weights") or {}
    return SettingsForm(
        prefix="settings",
        formdata=None,
        name_zh=zh,
        name_en=en,
        staff=definition.get("staff", "any"),
        period=definition.get("period", "quarter"),
        max_total=definition.get("max_total"),
        **{f"w_{r}": weights.get(r) for r in draft.RATER_WEIGHT_FIELDS},
    )


@bp.route("/templates/<int:id>")
@require(can_build)
def template(id: int):
    return render_designer(_template(id))


@bp.post("/templates/<int:id>/settings")
@require(can_build)
def designer_settings(id: int):
    template = _template(id)
    form = SettingsForm(prefix="settings")
    if not form.validate_on_submit():
        return render_designer(template, 422, settings_form=form)
    outcome = attempt(
        lambda: _apply(
            template,
            lambda d: draft.update_settings(
                d,
                name=draft.label(form.name_zh.data, form.name_en.data),
                staff=form.staff.data,
                period=form.period.data,
                max_total=form.max_total.data,
                rater_weights={r: getattr(form, f"w_{r}").data for r in draft.RATER_WEIGHT_FIELDS},
            ),
        ),
        form,
    )
    if outcome.refused:
        return render_designer(template, outcome.status, settings_form=form)
    flash(_("Settings saved."), "success")
    return _back(template, "settings")


@bp.post("/templates/<int:id>/sections")
@bp.post("/templates/<int:id>/sections/<key>")
@require(can_build)
def designer_section(id: int, key: str | None = None):
    template = _template(id)
    form = SectionForm(prefix="section" if key is None else f"section-{key}")
    status = 422
    if form.validate_on_submit():
        outcome = attempt(
            lambda: _apply(
                template,
                lambda d: draft.save_section(
                    d,
                    key=form.key.data.strip(),
                    name=draft.label(form.name_zh.data, form.name_en.data),
                    weight=draft.as_number(form.weight.data),
                    old_key=key,
                ),
            ),
            form,
        )
        if not outcome.refused:
            return _back(template, "sections")
        status = outcome.status
    failed = "section_form" if key is None else f"section_form_{key}"
    return render_designer(template, status, **{failed: form})


MOVES = {
    "sections": (draft.move_section, draft.remove_section),
    "items": (draft.move_item, draft.remove_item),
}


@bp.post("/templates/<int:id>/<any(sections, items):part>/<key>/<any(up, down, remove):action>")
@require(can_build)
def designer_move(id: int, part: str, key: str, action: str):
    """Move a section or an item up or down, or remove it."""
    template = _template(id)
    move, remove = MOVES[part]
    offsets = {"up": -1, "down": 1}
    if action == "remove":
        attempt(lambda: _apply(template, lambda d: remove(d, key)))
    else:
        attempt(lambda: _apply(template, lambda d: move(d, key, offsets[action])))
    return _back(template, "sections")


@bp.post("/templates/<int:id>/sections/<key>/feedback")
@require(can_build)
def designer_add_feedback(id: int, key: str):
    """Add a written-feedback item (strengths, areas to improve, comments) to a section."""
    template = _template(id)
    form = FeedbackItemForm(prefix=f"feedback-{key}")
    if not form.validate_on_submit():
        return render_designer(template, 422, **{f"feedback_form_{key}": form})
    name = in_each_language(FEEDBACK_PROMPT[form.prompt.data])
    added: list[dict[str, Any]] = []

    def add(definition: dict[str, Any]) -> dict[str, Any]:
        item = draft.new_comment_item(
            definition, form.prompt.data, name, form.raters.data, required=form.required.data
        )
        added.append(item)
        return draft.add_item(definition, key, item)

    outcome = attempt(lambda: _apply(template, add), form)
    if outcome.refused:
        return render_designer(template, outcome.status, **{f"feedback_form_{key}": form})
    flash(_("Written feedback %(key)s added.", key=added[0]["key"]), "success")
    return _back(template, f"item-{added[0]['key']}")


@bp.post("/templates/<int:id>/sections/<key>/items")
@require(can_build)
def designer_add_item(id: int, key: str):
    template = _template(id)
    form = NewItemForm(prefix=f"add-{key}")
    form.indicator_id.choices = _library_choices(template.organization_id)
    if form.validate_on_submit():
        if form.indicator_id.data:
            item = services.item_from_indicator(in_org_or_404(Indicator, form.indicator_id.data))
            if form.key.data:
                item["key"] = form.key.data.strip()
        elif form.key.data and form.name_zh.data:
            item = draft.new_item(form.key.data, form.name_zh.data, form.type.data)
        else:
            form.key.errors = [_("Choose an indicator, or give a key and a name.")]
            return render_designer(template, 422, **{f"item_form_{key}": form})
        outcome = attempt(lambda: _apply(template, lambda d: draft.add_item(d, key, item)), form)
        if outcome.refused:
            return render_designer(template, outcome.status, **{f"item_form_{key}": form})
        return redirect(url_for("builder.designer_item", id=id, key=item["key"]))
    return render_designer(template, 422, **{f"item_form_{key}": form})


def _current(template: Template, key: str) -> dict[str, Any]:
    """An item as the draft holds it now (after a rollback: as someone else saved it)."""
    found = draft.locate_item(template.definition, key)
    return found[2] if found else {}


def _formula_help(definition: dict[str, Any], context: str, key: str | None) -> dict[str, Any]:
    return {
        "names": sorted(formula_names(definition, context, key)),
        "functions": function_catalogue(),
    }


@bp.route("/templates/<int:id>/items/<key>", methods=["GET", "POST"])
@require(can_build)
def designer_item(id: int, key: str):
    template = _template(id)
    definition = template.definition
    found = draft.locate_item(definition, key)
    if found is None:
        abort(404)
    s_index, _i_index, item = found
    form = ItemForm(data=draft.fields_from_item(item)) if request.method == "GET" else ItemForm()
    form.scale.choices = choices(
        ((name, name) for name in definition.get("scales") or {}), NONE_LABEL
    )
    conflict = refused = False
    if form.validate_on_submit():

        def save() -> dict[str, Any]:
            _require_unchanged(item)
            scoring = scoring_from_form(form, form.score_formula.data or "")
            new_item = draft.item_from_fields(form.data, scoring)
            _apply(template, lambda d: draft.replace_item(d, key, new_item))
            return new_item

        outcome = attempt(save, form)
        refused, conflict = outcome.refused, outcome.conflict
        if (new_item := outcome.value) is not None:
            flash(_("Item %(key)s saved.", key=new_item["key"]), "success")
            return _back(template, f"item-{new_item['key']}")
        if conflict:  # show what the draft holds now, after the rollback
            saved = draft.fields_from_item(_current(template, key))
            show_conflict(form, SimpleNamespace(**saved))
    elif request.method == "GET":
        form.table.data = services.scoring_table(item.get("scoring") or {})
    section = definition["sections"][s_index]
    others = draft.scored_weight(section.get("items", []), leaving_out=key)
    status = 409 if conflict else 422 if refused or (form.is_submitted() and form.errors) else 200
    return render_template(
        "builder/item.html",
        template=template,
        form=form,
        loaded=_loaded(_current(template, key) if conflict else item, conflict),
        item=item,
        section=section,
        other_weights=others,
        lang=current_language(),
        help_item=_formula_help(definition, "item", key),
        help_scoring=_formula_help(definition, "scoring", key),
    ), status


@bp.post("/templates/<int:id>/grades")
@require(can_build)
def designer_grades(id: int):
    template = _template(id)
    form = TableForm(prefix="grades")
    status = 422
    if form.validate_on_submit():
        outcome = attempt(
            lambda: _apply(template, lambda d: draft.set_grades(d, form.text.data)), form, at="text"
        )
        if not outcome.refused:
            return _back(template, "grades")
        status = outcome.status
    return render_designer(template, status, grades_form=form)


@bp.post("/templates/<int:id>/scales")
@require(can_build)
def designer_scale(id: int):
    """Add a rating scale, or replace the levels of one (`name` and its `text` rows)."""
    template = _template(id)
    form = ScaleForm()
    name = (form.name.data or "").strip()
    if not form.validate_on_submit() or not draft.KEY.fullmatch(name):
        flash(_("A scale needs a name of a–z, 0–9, _ or -."), "danger")
        return _back(template, "scales")
    attempt(lambda: _apply(template, lambda d: draft.set_scale(d, name, form.text.data)))
    return _back(template, "scales")


ENTRY_FORMS = {"adjustments": AdjustmentForm, "outputs": OutputForm}


@bp.route("/templates/<int:id>/<any(adjustments, outputs):part>/new", methods=["GET", "POST"])
@bp.route("/templates/<int:id>/<any(adjustments, outputs):part>/<key>", methods=["GET", "POST"])
@require(can_build)
def designer_entry(id: int, part: str, key: str | None = None):
    template = _template(id)
    definition = template.definition
    existing = next((e for e in definition.get(part, []) if e.get("key") == key), None)
    if key is not None and existing is None:
        abort(404)
    form_class = ENTRY_FORMS[part]
    if request.method == "GET" and existing is not None:
        zh, en = draft.label_parts(existing.get("name"))
        form = form_class(data={**existing, "name_zh": zh, "name_en": en})
    else:
        form = form_class()
    conflict = refused = False
    if form.validate_on_submit():
        entry = draft.entry_from_fields(part, form.data)

        def save() -> None:
            _require_unchanged(existing)
            _apply(template, lambda d: draft.save_entry(d, part, entry, key))

        outcome = attempt(save, form)
        refused, conflict = outcome.refused, outcome.conflict
        if conflict:  # show what the draft holds now, after the rollback
            current = next(
                (e for e in template.definition.get(part, []) if e.get("key") == key), {}
            )
            zh, en = draft.label_parts(current.get("name"))
            show_conflict(form, SimpleNamespace(**current, name_zh=zh, name_en=en))
            existing = current
        elif not refused:
            flash(_("%(key)s saved.", key=entry["key"]), "success")
            return _back(template, part)
    context = "adjustment" if part == "adjustments" else "output"
    status = 409 if conflict else 422 if refused or (form.is_submitted() and form.errors) else 200
    return render_template(
        "builder/entry.html",
        template=template,
        form=form,
        loaded=_loaded(existing, conflict) if existing is not None else "",
        part=part,
        entry=existing,
        lang=current_language(),
        help=_formula_help(definition, context, key),
    ), status


@bp.post("/templates/<int:id>/<any(adjustments, outputs):part>/<key>/remove")
@require(can_build)
def designer_entry_remove(id: int, part: str, key: str):
    template = _template(id)
    attempt(lambda: _apply(template, lambda d: draft.remove_entry(d, part, key)))
    return _back(template, part)


@bp.route("/templates/<int:id>/preview")
@require(can_build)
def designer_preview(id: int):
    template = _template(id)
    role = request.args.get("role", "self")
    if role not in ROLES:
        abort(404)
    return render_template(
        "builder/preview.html",
        template=template,
        role=role,
        roles=ROLES,
        sections=role_items(draft_structure(template.definition), role),
        lang=current_language(),
    )


@bp.route("/templates/<int:id>/try", methods=["GET", "POST"])
@require(can_build)
def designer_try(id: int):
    template = _template(id)
    definition = template.definition
    problems = services.definition_problems(definition)
    compiled_draft = None if problems else compiled(definition)
    fields = try_fields(compiled_draft) if compiled_draft else []
    values = request.form.to_dict() if request.method == "POST" else {}
    result = None
    if request.method == "POST" and compiled_draft:  # CSRFProtect has checked the token
        result = score(compiled_draft, try_inputs(compiled_draft, values))
    return render_template(
        "builder/try.html",
        template=template,
        problems=problems,
        fields=fields,
        values=values,
        result=result,
        names=labels(compiled_draft or draft_structure(definition)),
        lang=current_language(),
    )
