"""The JSON API (`/api/v1`, token authentication, OpenAPI) and the pages around it: personal
tokens and the rendered API reference."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import (  # noqa: F401 - their routes join the `api` blueprint before it is registered
        activities,
        customers,
        events,
        photos,
    )
    from .commands import tokens_cli
    from .pages import bp as pages
    from .tokens import UseRecorder
    from .views import bp as api

    app.extensions["appraisal.token_uses"] = UseRecorder()
    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.cli.add_command(tokens_cli)
