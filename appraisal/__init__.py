"""Appraisal: a low-code performance appraisal platform."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides the environment (tests pass their own).

    Flask is imported here, not at the top, so `appraisal.rules` stays importable alone.
    """
    from flask import Flask

    from . import (
        access,
        account,
        api,
        auditlog,
        auth,
        backups,
        boundary,
        builder,
        cli,
        db,
        goals,
        i18n,
        jobs,
        layout,
        logs,
        notifications,
        packs,
        people,
        runtime,
        security,
        serving,
        storage,
        users,
        views,
    )
    from .config import load_config
    from .extensions import bootstrap, csrf

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    app.url_map.converters["int"] = views.RowId  # before any route is added

    logs.init_app(app)
    boundary.init_app(app)
    db.init_app(app)
    storage.init_app(app)
    serving.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    i18n.init_app(app)
    layout.init_app(app)
    security.init_app(app)
    access.init_app(app)
    auth.init_app(app)
    account.init_app(app)
    views.init_app(app)
    people.init_app(app)
    users.init_app(app)
    builder.init_app(app)
    runtime.init_app(app)
    goals.init_app(app)
    packs.init_app(app)
    api.init_app(app)
    notifications.init_app(app)
    auditlog.init_app(app)
    backups.init_app(app)
    jobs.init_app(app)  # after the areas, which register their kinds of job
    cli.init_app(app)
    return app
