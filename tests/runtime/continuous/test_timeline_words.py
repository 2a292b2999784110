"""The evidence timeline reads in the reader's language: a computed figure is named by its
item ("客户覆盖率"), not by its key (`customer_coverage`), as on the score panel beside it."""

from __future__ import annotations

import re

from sqlalchemy import select

from appraisal.demo import DEMO_PASSWORD, load_demo
from appraisal.models import Appraisal, Employee


def test_a_computed_figure_in_the_timeline_is_named_in_words(client, db):
    load_demo(db)
    db.commit()
    chen = db.scalar(
        select(Appraisal.id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Employee.number == "E005")
    )
    zh = {"Accept-Language": "zh-CN"}
    client.post("/login", data={"email": "manager@demo.example", "password": DEMO_PASSWORD})
    page = client.get(f"/appraisals/{chen}/review/manager", headers=zh).text
    timeline = page[page.index('id="evidence-timeline"') :]
    figure = re.search(r'<li[^>]*data-kind="metric".*?</li>', timeline, re.S).group(0)
    text = re.sub(r"<[^>]+>", " ", figure)
    assert "customer_coverage" not in text
    assert "客户覆盖" in text
