"""Sign-in, sign-out, organization and language switching."""

from flask import Flask


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
