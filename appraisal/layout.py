"""The layout every page shares: the top bar's menu is drawn once per language and set of
flags, then reused.

The menu has about twenty links and texts; drawing them (a route build and a catalogue
lookup each) was a third of an empty page's time (issue 20). What it shows depends only on
the flags below, which each request still works out for itself from its own sign-in
(`access`, the context processors): the cache maps those answers to markup, never a person
to what they may do. `_menu.html` is given nothing but the flags, so nothing else can reach
it unnoticed.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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
#: Drawn menus kept per app: far more than the combinations of flags people hold.
MENUS_KEPT = 256


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
def menu(context: Context) -> Markup:
    """The menu for this page's flags, in the page's language."""
    flags = menu_flags(context)
    if context.environment.auto_reload:  # templates being edited: draw it afresh
        return _draw(context, flags)
    menus = current_app.extensions["appraisal.menus"]
    key = (str(get_locale()), request.script_root, *flags.values())
    drawn = menus.get(key)
    if drawn is None:
        if len(menus) >= MENUS_KEPT:
            menus.clear()
        drawn = menus[key] = _draw(context, flags)
    return drawn


def _draw(context: Context, flags: dict[str, bool]) -> Markup:
    html = context.environment.get_template("_menu.html").render(flags)
    return Markup(html)  # noqa: S704 - drawn by an autoescaping template


def init_app(app: Flask) -> None:
    app.extensions["appraisal.menus"] = {}
    app.jinja_env.globals["top_menu"] = menu
