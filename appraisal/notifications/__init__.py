"""Notifications: people are told of their tasks, deadlines, appeals, results and
interviews in the app (the bell), by e-mail, and in their 企业微信 / 钉钉 group chats.

- `catalogue.py`: every kind of notification, its placeholders and default words
- `services.py`: `notify(session, Event)`: the one door, called by the areas in their own
  transaction; writes in-app entries and outbox messages once (preferences, quiet hours)
- `render.py`: a kind's words in a language (HR's template or the default), filled in
- `delivery.py`: the periodic job sending the outbox: claiming, retries, back-off
- `channels/`: the senders (`email.py` over SMTP; `robots.py` for 企业微信 and 钉钉)
- `reminders.py`: the periodic job raising deadline reminders from each cycle's reminder days
- views: `centre_views.py` (the bell and the centre), `preference_views.py` (a person's
  choices), `robot_views.py`, `template_views.py` and `log_views.py` (HR's set-up and the
  delivery log); their pages in `templates/notifications/`
"""

from __future__ import annotations

from flask import Blueprint, Flask

# The periodic jobs and the senders register themselves when their modules are imported
# (before the app's queue is first used). `reminders` reads the runtime's cycles, whose
# services import `events` from this package, so it is imported by `init_app`: importing a
# runtime service first then makes no import cycle.
from . import delivery  # noqa: F401
from .channels import email, robots  # noqa: F401


def init_app(app: Flask) -> None:
    """One blueprint (endpoints `notifications.*`), built per app from each page's routes."""
    from . import (
        centre_views,
        log_views,
        preference_views,
        reminders,  # noqa: F401
        robot_views,
        template_views,
    )

    bp = Blueprint("notifications", __name__, template_folder="templates")
    for area in (centre_views, preference_views, robot_views, template_views, log_views):
        area.routes.register(bp)
    app.register_blueprint(bp)
    centre_views.init_app(app)
