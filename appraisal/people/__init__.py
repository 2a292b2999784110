"""The organization's structure: departments, positions and employees."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import import_views  # noqa: F401 - registers the import routes on the blueprint
    from .commands import employees_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(employees_cli)
