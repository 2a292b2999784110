"""HR's group robots (企业微信, 钉钉): the list, add and change one, send it a test
message, turn it off or on, delete it. HR admins only; another organization's robot is a
404. The webhook URL and the signing secret are never shown back."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_run_cycles, current_org_id, in_org_or_404, require
from ..db import get_session
from ..encryption import keys_from_config
from ..forms import PostedForm, VersionPost, attempt, wanted
from ..models import Robot
from ..people.services import department_choices
from ..runtime.web import Routes
from . import robot_services as services
from .catalogue import KINDS
from .channels.robots import allowed_hosts
from .robot_forms import RobotForm

routes = Routes()


def _form(robot: Robot | None, **options: Any) -> RobotForm:
    form = RobotForm(obj=robot, **options)
    form.offer(department_choices(get_session(), current_org_id()))
    return form


def _page(form: RobotForm, robot: Robot | None, status: int = 200) -> Any:
    if robot is not None:
        stored = services.stored_webhook(robot, keys_from_config(current_app.config))
        form.describe_stored(stored, bool(robot.secret_encrypted))
    return render_template(
        "notifications/robots_form.html", form=form, robot=robot, channels=services.ROBOT_CHANNEL
    ), status


@routes.route("/notifications/robots", endpoint="robots")
@require(can_run_cycles)
def robot_list():
    db, org_id = get_session(), current_org_id()
    return render_template(
        "notifications/robots.html",
        robots=services.list_robots(db, org_id),
        departments=services.department_names(db, org_id),
        channels=services.ROBOT_CHANNEL,
        languages=dict(services.ROBOT_LANGUAGES),
        kinds={key: kind.label for key, kind in KINDS.items()},
    )


@routes.route("/notifications/robots/new", methods=["GET", "POST"], endpoint="robot_new")
@routes.route("/notifications/robots/<int:id>", methods=["GET", "POST"], endpoint="robot_edit")
@require(can_run_cycles)
def robot_form(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    robot = in_org_or_404(Robot, id) if id else None
    form = _form(robot)
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        outcome = attempt(
            lambda: services.save_robot(
                db,
                org_id,
                form.values(robot.channel if robot else form.channel.data),
                keys_from_config(config),
                allowed_hosts(config),
                robot=robot,
                version=form.expected_version(),
                user_id=current_user.id,
            ),
            form,
            robot,
        )
        if (saved := outcome.value) is not None:
            flash(_("Robot %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("notifications.robot_edit", id=saved.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return _page(form, robot, status)


@routes.route("/notifications/robots/<int:id>/active", methods=["POST"])
@require(can_run_cycles)
def robot_active(id: int):
    robot = in_org_or_404(Robot, id)
    form = VersionPost()
    form.validate()
    active = wanted("active", robot.active)
    outcome = attempt(
        lambda: services.set_robot_active(
            get_session(), robot, active, form.version.data, current_user.id
        ),
    )
    if outcome.refused:
        return _page(_form(robot, formdata=None), robot, outcome.status)
    flash(
        _("Robot %(name)s turned on.", name=robot.name)
        if active
        else _(
            "Robot %(name)s turned off: its waiting messages will not be posted.", name=robot.name
        ),
        "success",
    )
    return redirect(url_for("notifications.robot_edit", id=id))


@routes.route("/notifications/robots/<int:id>/delete", methods=["POST"])
@require(can_run_cycles)
def robot_delete(id: int):
    robot = in_org_or_404(Robot, id)
    name = robot.name
    form = VersionPost()
    form.validate()
    outcome = attempt(
        lambda: services.delete_robot(get_session(), robot, form.version.data, current_user.id)
    )
    if outcome.refused:
        return _page(_form(robot, formdata=None), robot, outcome.status)
    flash(_("Robot %(name)s deleted.", name=name), "success")
    return redirect(url_for("notifications.robots"))


@routes.route("/notifications/robots/<int:id>/test", methods=["POST"])
@require(can_run_cycles)
def robot_test(id: int):
    """Post a test message now and say what the robot answered."""
    robot = in_org_or_404(Robot, id)
    if not PostedForm().validate_on_submit():
        return redirect(url_for("notifications.robot_edit", id=id))
    config = current_app.config
    answer = services.send_test(
        get_session(), robot, keys_from_config(config), allowed_hosts(config)
    )
    if answer.ok:
        flash(
            _("The robot took the test message (it answered %(answer)s).", answer=answer.text),
            "success",
        )
    else:
        flash(_("The robot did not take the test message: %(error)s", error=answer.error), "danger")
    return redirect(url_for("notifications.robot_edit", id=id))
