"""Admin side: indicator library, template designer, publishing, import and export."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import activity_views, designer, metric_views  # noqa: F401 - register their routes on the blueprint
    from .commands import templates_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(templates_cli)
