"""The goal cascade: company goals per period split down to departments, teams and people."""

from flask import Flask


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
