"""My performance and the printable person report: the numbers are the engine's (checked by
hand for a cycle with typed figures and a computed metric), time elapsed at fixed dates, no
total before publication, who may open which endpoint, Chinese, and a bounded number of
statements.

Ann (acme's runtime company) in 2026-Q4 (1 Oct – 31 Dec, 92 days): `sales` is computed from
her customer visits (3 visits, target 4: ratio 75), `collection` is typed (90: band 80).
After her manager's review the result is worked out below; an earlier cycle (2026-Q3, its
own scheme, every figure typed) ends at 106.15 (S).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from appraisal.models import Cycle, Review
from appraisal.runtime.cycles import cycles
from appraisal.runtime.dashboards import mine
from appraisal.runtime.metrics import values
from appraisal.runtime.reviews.access import final_result, shown_result
from tests.pages import without_tokens

from ..conftest import appraisal_of

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
MID_NOVEMBER = date(2026, 11, 15)  # day 46 of 92: half the period gone


@pytest.fixture
def today(monkeypatch):
    """The organization's today, fixed (the page reads `mine.local_today`)."""
    chosen = {"day": MID_NOVEMBER}
    monkeypatch.setattr(mine, "local_today", lambda _session, _org: chosen["day"])
    return chosen


def _review(db, appraisal, rater, values, submitted=True):
    row = next((r for r in appraisal.reviews if r.slot == rater), None)
    if row is None:
        row = Review(
            organization_id=appraisal.organization_id,
            appraisal=appraisal,
            slot=rater,
            rater=rater,
            values={},
        )
        db.add(row)
    row.values = {**(row.values or {}), **values}
    row.status = "submitted" if submitted else "draft"


def _reviews(db, appraisal, data):
    """Every input of a complete result but the figures in `data`."""
    _review(db, appraisal, "data", data)
    _review(db, appraisal, "self", {"customer_care": 4, "leads_team": False})
    _review(db, appraisal, "manager", {"customer_care": 5, "teamwork": 4, "comment": "Steady."})
    _review(db, appraisal, "hr", {"award": 2, "fraud_cases": 0})


@pytest.fixture
def ann_q4(db, company, launched, visits, add_metric, record):
    """Ann's Q4: sales from 3 visits (target 4), collection 90 typed, in self-review."""
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    db.commit()
    ann = appraisal_of(db, company, "ann")
    ann.targets = {"sales": 4}
    ann.state = "self_review"
    db.commit()
    for customer in visits[:3]:
        record(customer=customer.id)
    db.expire_all()
    ann = appraisal_of(db, company, "ann")
    _review(db, ann, "data", {"collection": 90, "complaints": 1})
    db.commit()
    return ann


def _complete(db, ann):
    _reviews(db, ann, {"collection": 90, "complaints": 1})
    db.commit()


@pytest.fixture
def q3(db, company, launched):
    """An earlier cycle on a scheme of its own (nothing computed), Ann's result published:
    sales 5 of 4 → 125 capped at 120; collection 96 → 100; results 112; behaviour 92.5;
    base 70 % × 112 + 30 % × 92.5 = 106.15; +2 award −2 complaints → 106.15, S."""
    scheme = cycles.save_scheme(
        db,
        company.org.id,
        None,
        name="Sales 2026 Q3",
        template_version_id=company.version.id,
        staff_kind="field",
        period="quarter",
        department_ids=[],
        position_ids=[],
        user_id=None,
    )
    cycle = cycles.create_cycle(
        db,
        scheme,
        name="2026-Q3",
        dates=cycles.CycleDates(date(2026, 7, 1), date(2026, 9, 30)),
        anonymity_threshold=3,
        user_id=None,
    )
    cycles.launch_cycle(db, cycle, set(), None)
    db.commit()
    ann = next(a for a in _appraisals(db, company, "ann") if a.cycle_id == cycle.id)
    ann.targets = {"sales": 4}
    _reviews(db, ann, {"sales": 5, "collection": 96, "complaints": 1})
    ann.state = "published"
    db.commit()
    return cycle


def _appraisals(db, company, key):
    from appraisal.models import Appraisal

    return list(
        db.scalars(select(Appraisal).where(Appraisal.employee_id == company.people[key].id))
    )


def _q4(db, company, launched):
    return next(a for a in _appraisals(db, company, "ann") if a.cycle_id == launched.id)


def _chart(client, key, **args):
    response = client.get(f"/dashboards/mine/{key}.json", query_string=args)
    assert response.status_code == 200, (key, response.status_code)
    return response.get_json()


# -- during the cycle -------------------------------------------------------------------------


def test_attainment_is_the_engines_score_against_time_elapsed(
    client, auth, db, company, launched, ann_q4, today
):
    auth.login("ann@acme.example")
    page = client.get("/dashboards/mine")
    assert page.status_code == 200
    assert 'id="mine-elapsed">50.00 %' in page.text  # 46 of 92 days
    process = _chart(client, "process")
    assert process["kind"] == "hbar"
    assert process["labels"] == ["Sales amount"]
    assert process["series"][0]["values"] == [75.0]  # 3 visits of 4, ratio
    assert process["series"][1]["values"] == [50.0]
    assert process["series"][0]["drill"] == [f"/appraisals/{ann_q4.id}/computed/sales"]
    results = _chart(client, "results")
    assert results["labels"] == ["Collection rate"]
    assert results["series"][0]["values"] == [80.0]  # 90 is in the band from 85
    groups = _chart(client, "groups")
    assert groups["series"][0]["values"] == [75.0, 80.0]
    # the same numbers as the engine gives Ann on her appraisal page
    db.expire_all()
    engine = shown_result(_q4(db, company, launched), frozenset({"employee"}))
    assert engine.items["sales"] == 75 and engine.items["collection"] == 80


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (date(2026, 9, 30), "0.00"),  # before the cycle
        (date(2026, 10, 1), "1.09"),  # 1 of 92
        (date(2026, 12, 31), "100.00"),
        (date(2027, 2, 1), "100.00"),  # after it
    ],
)
def test_time_elapsed_at_fixed_dates(
    client, auth, db, company, launched, ann_q4, today, day, shown
):
    today["day"] = day
    auth.login("ann@acme.example")
    assert f'id="mine-elapsed">{shown} %' in client.get("/dashboards/mine").text
    assert mine.elapsed_share(launched, day) == Decimal(shown)


def test_what_still_waits(client, auth, db, company, launched, ann_q4, today):
    """Ann's self-review is her step; `complaints` is given, so no figure waits; remove it
    and it waits by name."""
    auth.login("ann@acme.example")
    text = client.get("/dashboards/mine").text
    assert 'data-wait="self_review"' in text
    assert 'data-wait="figures"' not in text
    data = next(r for r in _q4(db, company, launched).reviews if r.slot == "data")
    data.values = {k: v for k, v in data.values.items() if k != "collection"}
    db.commit()
    text = client.get("/dashboards/mine").text
    assert 'data-wait="figures"' in text and "Collection rate" in text


def test_no_total_grade_or_section_before_publication(
    client, auth, db, company, launched, ann_q4, today
):
    """Complete and in calibration: HR sees 81.65, Ann nowhere (page, charts, report)."""
    ann = _q4(db, company, launched)
    _complete(db, ann)
    ann.state = "calibration"
    db.commit()
    assert final_result(_q4(db, company, launched)).total == 81.65
    auth.login("ann@acme.example")
    page = client.get("/dashboards/mine").text
    report = client.get("/dashboards/mine/report").text
    for text in (page, report):
        assert "81.65" not in text and "mine-total" not in text and "report-total" not in text
    assert "report-unpublished" in report
    assert _chart(client, "sections")["labels"] == []
    assert _chart(client, "trend")["labels"] == []
    for key in mine.KEYS:
        assert "81.65" not in client.get(f"/dashboards/mine/{key}.json").text


# -- after publication ------------------------------------------------------------------------


def test_after_publication_the_result_sections_and_trend_are_the_engines(
    client, auth, db, company, launched, ann_q4, q3, today
):
    """Q4 by hand: sales 75, collection 80 → results 77; customer care 20 % × 85 + 80 % ×
    100 = 97, teamwork 85 (no peers), coaching hidden → behaviour (50 × 97 + 30 × 85) / 80 =
    92.5; base 70 % × 77 + 30 % × 92.5 = 81.65; +2 −2 → 81.65, B."""
    ann = _q4(db, company, launched)
    _complete(db, ann)
    ann.state = "published"
    db.commit()
    auth.login("ann@acme.example")
    text = client.get("/dashboards/mine").text
    assert 'id="mine-total">81.65' in text and 'id="mine-grade">B' in text
    sections = _chart(client, "sections")
    assert sections["kind"] == "bar"  # two sections: bars, not a radar
    assert sections["labels"] == ["Results", "Behaviour"]
    assert sections["series"][0]["values"] == [77.0, 92.5]
    trend = _chart(client, "trend")
    assert trend["kind"] == "line"
    assert trend["labels"] == ["2026-Q3", "2026-Q4"]
    assert trend["series"][0]["values"] == [106.15, 81.65]
    assert [b["name"] for b in trend["bands"]] == ["D", "C", "B", "A", "S"]
    assert trend["bands"][-1] == {"name": "S", "low": 95.0, "high": 106.15}
    db.expire_all()
    official = final_result(_q4(db, company, launched))
    assert (official.total, official.grade) == (81.65, "B")
    assert official.sections == {"results": 77.0, "behaviour": 92.5}
    # the earlier cycle by the picker; the default is the latest in progress, else published
    q3_text = client.get("/dashboards/mine", query_string={"cycle": q3.id}).text
    assert 'id="mine-total">106.15' in q3_text and 'id="mine-grade">S' in q3_text
    # the spreadsheet carries the same exact figures
    book = load_workbook(BytesIO(client.get("/dashboards/mine/trend.xlsx").data))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert [r[1] for r in rows[-2:]] == [Decimal("106.15"), Decimal("81.65")] or [
        float(r[1]) for r in rows[-2:]
    ] == [106.15, 81.65]


def test_the_result_page_draws_the_same_trend(client, auth, db, company, launched, ann_q4, q3):
    ann = _q4(db, company, launched)
    _complete(db, ann)
    ann.state = "published"
    db.commit()
    auth.login("ann@acme.example")
    text = client.get(f"/appraisals/{ann.id}/result").text
    assert 'id="chart-trend"' in text and 'id="trend-table"' in text
    spec = json.loads(text.split('class="chart-data">', 1)[1].split("</script>", 1)[0])
    assert spec["labels"] == ["2026-Q3", "2026-Q4"]
    assert spec["series"][0]["values"] == [106.15, 81.65]


def test_the_printable_report(client, auth, db, company, launched, ann_q4, q3, today):
    ann = _q4(db, company, launched)
    _complete(db, ann)
    ann.state = "published"
    db.commit()
    auth.login("boss@acme.example")
    url = f"/dashboards/people/{company.people['ann'].id}/report"
    text = client.get(url).text
    assert 'media="print"' in text and "print.css" in text
    assert 'id="report-total">81.65' in text and 'id="report-grade">B' in text
    assert 'id="report-cycle">2026-Q4' in text
    assert "Steady." in text  # the manager's comment, as the result page shows it
    row = text.split('data-item="sales"', 1)[1].split("</tr>", 1)[0]
    assert "4 CNY" in row and "3 CNY" in row and "<td data-score>75</td>" in row
    assert "2026-Q3" in text and "106.15" in text
    # no inline style or script slipped into the report
    assert "style=" not in text and "<script>" not in text


# -- permissions ------------------------------------------------------------------------------


def _mine_urls():
    urls = ["/dashboards/mine", "/dashboards/mine/report"]
    for key in mine.KEYS:
        urls += [f"/dashboards/mine/{key}.json", f"/dashboards/mine/{key}.xlsx"]
    return urls


@pytest.mark.parametrize("url", _mine_urls())
def test_every_mine_endpoint_is_the_viewers_own(
    client, auth, make, db, company, launched, ann_q4, today, url
):
    """Anonymous: sign in first. Someone with no employee record (HR here, the implementer):
    an empty page and 404s. A cycle not theirs, another organization's, a bad id: 404."""
    assert client.get(url).status_code == 302
    auth.login("imp@acme.example")
    assert client.get(url).status_code == (200 if url == "/dashboards/mine" else 404)
    auth.logout()
    auth.login("ann@acme.example")
    assert client.get(url).status_code == 200
    assert client.get(url, query_string={"cycle": launched.id}).status_code == 200
    planning = cycles.create_cycle(
        db,
        launched.scheme,
        name="Next",
        dates=cycles.CycleDates(date(2027, 1, 1), date(2027, 3, 31)),
        anonymity_threshold=3,
        user_id=None,
    )
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    foreign = Cycle(
        organization_id=other.id,
        scheme_id=launched.scheme_id,
        name="Theirs",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
    )
    db.add(foreign)
    db.commit()
    for bad in (planning.id, foreign.id, 2**31, "x", "-1", "²"):
        assert client.get(url, query_string={"cycle": bad}).status_code == 404, bad


def test_unknown_chart_is_a_404(client, auth, company, launched, ann_q4, today):
    auth.login("ann@acme.example")
    assert client.get("/dashboards/mine/nothing.json").status_code == 404
    assert client.get("/dashboards/mine/nothing.xlsx").status_code == 404


def test_a_colleague_sees_only_their_own(client, auth, db, company, launched, ann_q4, today):
    ann = _q4(db, company, launched)
    _complete(db, ann)
    ann.state = "published"
    db.commit()
    auth.login("pat@acme.example")
    text = client.get("/dashboards/mine").text + client.get("/dashboards/mine/report").text
    assert "81.65" not in text and "Ann" not in without_tokens(text)
    for key in mine.KEYS:
        assert "81.65" not in client.get(f"/dashboards/mine/{key}.json").text


def test_who_opens_a_person_report(client, auth, make, db, company, launched, ann_q4, today):
    """HR and Ann's manager; Ann herself; not another manager, a colleague or the
    implementer; another organization's employee or cycle is a 404."""
    url = f"/dashboards/people/{company.people['ann'].id}/report"
    other = make.org("other")
    stranger = make.employee(other, "X1", "Stranger")
    expected = {
        "hr@acme.example": 200,
        "boss@acme.example": 200,
        "ann@acme.example": 200,
        "olga@acme.example": 404,
        "pat@acme.example": 404,
        "imp@acme.example": 404,
    }
    assert client.get(url).status_code == 302
    for email, status in expected.items():
        auth.login(email)
        assert client.get(url).status_code == status, email
        assert client.get(url, query_string={"cycle": "x"}).status_code == 404
        auth.logout()
    auth.login("hr@acme.example")
    assert client.get(f"/dashboards/people/{stranger.id}/report").status_code == 404
    assert client.get(f"/dashboards/people/{2**31}/report").status_code == 404


def test_nav_offers_my_performance_to_people_with_an_employee_record(
    client, auth, company, launched
):
    auth.login("ann@acme.example")
    assert 'id="nav-mine"' in client.get("/tasks").text
    auth.logout()
    auth.login("imp@acme.example")
    text = client.get("/dashboards/mine").text
    assert 'id="nav-mine"' not in text and 'id="mine-empty"' in text


# -- Chinese, cost ----------------------------------------------------------------------------


def test_reads_in_chinese(client, auth, db, company, launched, ann_q4, q3, today):
    auth.login("ann@acme.example")
    text = client.get("/dashboards/mine", headers=CHINESE).text
    for words in ("我的绩效", "已过时间", "过程指标", "结果指标", "还在等什么", "销售额"):
        assert words in text, words
    report = client.get("/dashboards/mine/report", headers=CHINESE).text
    assert "绩效报告" in report and "部门" in report
    chart = client.get("/dashboards/mine/trend.json", headers=CHINESE).get_json()
    assert chart["title"] == "历次周期趋势"


def test_the_page_takes_a_bounded_number_of_statements(db, company, launched, ann_q4, q3, app):
    viewer = company.viewer(db, "ann@acme.example")
    counted = []
    engine = db.get_bind()

    def count(*_args):
        counted.append(1)

    with app.test_request_context("/dashboards/mine"):
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = mine.my_performance(db, viewer, None, MID_NOVEMBER, lambda e, **v: e)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert page is not None and len(page.trend) == 1
    assert len(counted) <= 12, len(counted)
