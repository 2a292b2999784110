"""Sign-in accounts of an organization and their roles."""

from flask import Flask


def init_app(app: Flask) -> None:
    from .commands import users_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
