"""Runtime: schemes and cycles, targets and figures, the review forms each role fills, the
appraisal workflow, and each person's tasks."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import appraisal_views, import_views  # noqa: F401 - register routes on the blueprint
    from .views import bp

    app.register_blueprint(bp)
