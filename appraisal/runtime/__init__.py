"""Runtime: schemes and cycles, targets and figures, the review forms each role fills, the
appraisal workflow, and each person's tasks."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import (  # noqa: F401 - they register their routes on the blueprint
        appraisal_views,
        calibration_views,
        import_views,
    )
    from .commands import results_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(results_cli)
