"""The layout every page shares: its fixed parts (the top bar's menu, the bell, the style
sheets and scripts) are drawn once per language, site root and the few values each depends
on, then reused.

The menu alone has about twenty links and texts; drawing them (a route build and a
catalogue lookup each) was a third of an empty page's time (issue 20). A fragment template
is given nothing but its values (`fragment`), which each request still works out for itself
from its own sign-in (`access`, the context processors): the cache maps those values to
markup, never a person to what they may do. A fragment template must not read `request`,
`session`, `g` or `config` (globals Flask gives every template), as the key does not hold them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .labels import current_language
from .models import Role

#: The template context's flags the menu reads (set by `access`, the field-work and backup
#: areas' context processors).
MENU_FLAGS = (
    "field_worker",
    "can_run_cycles",
    "can_read_results",
    "can_manage_people",
    "can_build",
    "can_manage_users",
    "can_use_api",
    "can_read_audit_log",
    "can_back_up",
)
#: Fragments kept per app: far more than the combinations of values pages draw (the
#: bell alone is 101 per language).
FRAGMENTS_KEPT = 1024


def fragment(name: str, **values: bool | int | str | None) -> Markup:
    """The template `name` drawn with nothing but `values`, once per language, site root and
    values (which must be hashable), then reused."""
    environment = current_app.jinja_env
    if environment.auto_reload:  # templates being edited: draw it afresh
        return _draw(name, values)
    fragments = current_app.extensions["appraisal.fragments"]
    key = (name, current_language(), request.script_root, *sorted(values.items()))
    drawn = fragments.get(key)
    if drawn is None:
        if len(fragments) >= FRAGMENTS_KEPT:
            fragments.clear()
        drawn = fragments[key] = _draw(name, values)
    return drawn


def _draw(name: str, values: dict[str, Any]) -> Markup:
    html = current_app.jinja_env.get_template(name).render(values)
    return Markup(html)  # noqa: S704 - drawn by an autoescaping template


def menu_flags(context: Context | dict[str, Any]) -> dict[str, bool]:
    """Everything the menu may depend on, from a page's template context."""
    membership = context.get("current_membership")
    flags = {name: bool(context.get(name)) for name in MENU_FLAGS}
    flags["member"] = membership is not None
    flags["team_lead"] = membership is not None and (
        Role.MANAGER in membership.roles or flags["can_run_cycles"]
    )
    return flags


@pass_context
def top_menu(context: Context) -> Markup:
    """The menu for this page's flags, in the page's language."""
    return fragment("_menu.html", **menu_flags(context))


def init_app(app: Flask) -> None:
    app.extensions["appraisal.fragments"] = {}
    app.jinja_env.globals.update(fragment=fragment, top_menu=top_menu)
