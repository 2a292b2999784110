"""Deadlines and days are counted on the organization's clock, not the server's: a step
due "today" in Samoa is already overdue for a company on Kiribati's clock, whatever zone the
server runs in."""

from __future__ import annotations

from datetime import timedelta

from appraisal.models import Organization
from appraisal.runtime.cycles.tasks import Task


def test_today_is_the_organizations_and_a_task_is_overdue_by_it():
    ahead = Organization(slug="kiribati", name="K", time_zone="Pacific/Kiritimati")  # UTC+14
    behind = Organization(slug="samoa", name="S", time_zone="Pacific/Pago_Pago")  # UTC-11
    assert ahead.today() > behind.today()  # 25 hours apart: never the same date
    due = behind.today()
    assert Task("self_review", None, due, today=ahead.today()).overdue
    assert not Task("self_review", None, due, today=behind.today()).overdue
    assert not Task("self_review", None, due + timedelta(days=2), today=ahead.today()).overdue
