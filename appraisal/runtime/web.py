"""What every runtime view module shares: the route recorder each area's views fill (the
one `runtime` blueprint is assembled from them in `runtime.init_app`), the signed-in viewer,
and the lookups that answer 404 for what is not the viewer's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request
from flask_login import current_user

from ..access import (
    current_employee_id,
    current_membership,
    current_org_id,
    current_roles,
    in_org_or_404,
)
from ..db import get_session, row_id
from ..forms import attempt
from ..models import Appraisal, Cycle
from .reviews.access import Viewer, load_appraisal, viewer_for


class Routes:
    """The routes one view module declares, with `Blueprint.route`'s signature. They reach
    the blueprint only through `register`, called from `init_app`: importing a view module
    registers nothing, so the list of areas in `init_app` is the list of pages."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, dict[str, Any], Callable[..., Any]]] = []

    def route(self, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Callable]:
        def record(view: Callable[..., Any]) -> Callable[..., Any]:
            self._rules.append((rule, options, view))
            return view

        return record

    def register(self, bp: Blueprint) -> None:
        for rule, options, view in self._rules:
            options = dict(options)
            bp.add_url_rule(rule, options.pop("endpoint", None), view, **options)


def current_viewer() -> Viewer:
    """The signed-in member as the runtime sees them, built once per request from what the
    sign-in read (their employee record, whether managers see their chain)."""
    if "viewer" not in g:
        org_id = current_org_id()
        g.viewer = viewer_for(
            get_session(),
            org_id,
            current_user.id,
            current_roles(),
            known=(current_employee_id(), current_membership().organization.managers_see_chain),
        )
    return g.viewer


def id_arg(name: str) -> int | None:
    """An id from the query string (`?cycle=7`): absent or empty is None; anything else that
    is not an id the database could hold is a 404, like another organization's id."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return row_id(text)
    except ValueError:
        abort(404)


def page_arg() -> int:
    """`?page=`: a list's page number; anything but a whole number is the first page."""
    return request.args.get("page", 1, type=int)


def cycle_or_404(id_: int) -> Cycle:
    """A cycle of the signed-in organization; any other id is a 404."""
    return in_org_or_404(Cycle, id_)


def appraisal_or_404(id_: int) -> Appraisal:
    """An appraisal that concerns the viewer (`access.load_appraisal`); any other id is a 404."""
    appraisal = load_appraisal(get_session(), current_viewer(), id_)
    if appraisal is None:
        abort(404)
    return appraisal


def apply_change(
    item: Appraisal,
    change: Callable[..., Any],
    done: str,
    back: str,
    refused: Callable[[int], Any] | None = None,
    form: Any = None,
) -> Any:
    """Run a change on an appraisal: commit, say so and go back to the page it came from; or
    roll back and say why, on the page again (`refused`, given the status: 409 when someone
    else saved first, else 422) with what was typed where the form has text to keep; with
    `form`, a refusal about one of its fields is put at that field."""
    outcome = attempt(lambda: change(get_session(), item), form)
    if not outcome.refused:
        flash(done, "success")
    elif refused is not None:
        return refused(outcome.status)
    return redirect(back)
