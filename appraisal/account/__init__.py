"""The signed-in person's own account: password, invitations, and one-time reset links."""

from flask import Flask


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
