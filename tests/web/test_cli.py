"""The `appraisal` command line."""

from pathlib import Path

from sqlalchemy import func, select

from appraisal.auth.services import find_user
from appraisal.models import Employee, Membership, Organization


def test_users_create_makes_an_admin_in_a_new_organization(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Boss@Acme.example",
            "--name",
            "Boss",
            "--org",
            "acme",
            "--password",
            "long-enough-1",
        ]
    )
    assert result.exit_code == 0, result.output
    user = find_user(db, "boss@acme.example")
    membership = db.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.organization.slug == "acme" and membership.roles == {"admin"}


def test_users_create_reports_bad_input_without_a_traceback(runner):
    """Messages come in the default language (Chinese) outside a request."""
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--org",
            "acme",
            "--password",
            "short",
        ]
    )
    assert result.exit_code == 1
    assert "password: 至少需要 8 个字符。" in result.output
    assert "Traceback" not in result.output


def test_demo_loads_once_with_users_for_every_role(runner, db):
    first = runner.invoke(args=["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.example" in first.output and "demo12345" in first.output
    second = runner.invoke(args=["demo", "--if-empty"])
    assert "not loaded" in second.output and "admin@demo.example" in second.output
    assert db.scalar(select(func.count()).select_from(Organization)) == 1
    assert db.scalar(select(func.count()).select_from(Employee)) >= 10
    roles = set()
    for membership in db.scalars(select(Membership)):
        roles |= membership.roles
    assert roles == {"admin", "implementer", "manager", "employee"}


def test_db_upgrade_is_idempotent(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_demo_sign_ins_name_the_port_the_app_runs_on(runner, db):
    """`make run PORT=8123` printed sign-ins for port 5000; the demo command now takes the
    run's host and port, and the Makefile passes them."""
    first = runner.invoke(args=["demo", "--if-empty", "--host", "::", "--port", "8123"])
    assert "at http://127.0.0.1:8123 as:" in first.output and ":5000" not in first.output
    again = runner.invoke(args=["demo", "--if-empty", "--host", "10.0.0.5", "--port", "9000"])
    assert "at http://10.0.0.5:9000 as:" in again.output
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    assert "demo --if-empty --host $(HOST) --port $(PORT)" in makefile
