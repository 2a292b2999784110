"""Runtime: the appraisal cycle at work, in five areas that share one `runtime` blueprint.

- `cycles/`: schemes and cycles, figures and targets (grids, file imports), exports, tasks
- `reviews/`: one appraisal: who sees what, values, reviews, invitations, written feedback
- `calibration/`: distribution, quotas, overrides, publication and closing
- `act/`: results, appeals, interviews, development plans, training
- `continuous/`: work plans, 1:1 check-ins, feedback notes, the review's evidence timeline
- `fieldwork/`: field records on the phone, customers, photos, consent, the team's day
- `metrics/`: process KPIs computed into figures, their drill-down, overrides and the sweep
- `dashboards/`: charts at a glance (my performance, my team, the organization) and reports

Shared by the areas: `compiled` and `render` (the runtime's model of a template and what each
role fills), `workflow` (the only place a state moves) and `web` (the route recorder and the
view helpers). Each area's pages live in its own `templates/runtime/`. See
docs/architecture.md.
"""

from pathlib import Path

from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, FileSystemLoader


def init_app(app: Flask) -> None:
    """One blueprint (endpoints `runtime.*`), built per app from each area's routes."""
    from .act import views as act_views
    from .calibration import views as calibration_views
    from .commands import results_cli
    from .continuous import views as continuous_views
    from .cycles import import_views as cycle_import_views
    from .cycles import views as cycle_views
    from .dashboards import mine_views, organization_views
    from .dashboards import team_views as team_dashboard_views
    from .fieldwork import (
        conditions_markup,
        consent_views,
        customer_views,
        phone_views,
        photo_views,
        record_views,
        team_views,
    )
    from .fieldwork.photo_commands import photos_cli
    from .metrics import binding_views as metric_binding_views
    from .metrics import event_views
    from .metrics import views as metric_views
    from .metrics.commands import metrics_cli
    from .reviews import views as review_views

    areas = (
        cycle_views,
        cycle_import_views,
        review_views,
        calibration_views,
        act_views,
        continuous_views,
        customer_views,
        phone_views,
        record_views,
        team_views,
        consent_views,
        photo_views,
        event_views,
        metric_views,
        metric_binding_views,
        team_dashboard_views,
        mine_views,
        organization_views,
    )
    bp = Blueprint("runtime", __name__)
    # Each area keeps its pages beside it (`<area>/templates/runtime/*.html`); their names
    # stay `runtime/...`, one namespace, so a page may include another area's partial.
    folders = dict.fromkeys(Path(area.__file__).parent / "templates" for area in areas)
    bp.jinja_loader = ChoiceLoader([FileSystemLoader(folder) for folder in folders])
    for area in areas:
        area.routes.register(bp)
    app.register_blueprint(bp)
    app.context_processor(phone_views.nav_context)
    conditions_markup.init_app(app)
    app.cli.add_command(results_cli)
    app.cli.add_command(photos_cli)
    app.cli.add_command(metrics_cli)
