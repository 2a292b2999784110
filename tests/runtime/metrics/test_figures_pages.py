"""Computed figures on pages: read-only in the figures grid with their provenance in words,
the drill-down to the records behind a value (and who may open it), HR's override on the
page (reason required, what was typed kept, stale versions refused), "Recompute now", the
`metrics refresh` sweep, the appraisee's pages, and Chinese."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from sqlalchemy import select

from appraisal.models import ActivityRecord, Appraisal, MetricValue
from appraisal.runtime.cycles.figures import stored_figures
from appraisal.runtime.metrics import values
from tests.conftest import field_errors, statements_sent
from tests.pages import without_tokens

from ..conftest import appraisal_of

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _bind(db, launched, **chosen):
    values.bind_metrics(db, launched.scheme, chosen, None)
    db.commit()


def _visits(db, launched, add_metric, **rest):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count", **rest)
    _bind(db, launched, sales="visits")


def _value(db, company, key="ann") -> MetricValue:
    ann = appraisal_of(db, company, key)
    db.expire_all()
    return values.metric_value_or_none(db, company.org.id, ann.id, "sales")


def _flag_first(db, launched):
    """The first record was made outside its customer's geofence; recompute."""
    first = db.scalar(select(ActivityRecord).order_by(ActivityRecord.id))
    first.outside_geofence = True
    db.commit()
    from appraisal.runtime.metrics import compute

    compute.refresh_cycle(db, launched)
    db.commit()


# -- the grid -----------------------------------------------------------------------------------


def test_grid_shows_computed_figures_read_only_with_their_provenance(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    record(customer=visits[1].id)
    _flag_first(db, launched)
    ann = appraisal_of(db, company, "ann")
    auth.login("hr@acme.example")
    page = client.get(f"/cycles/{launched.id}/figures").text
    assert 'name="fig|A001|sales"' not in page  # never posted, so never typed over
    assert 'name="fig|A001|collection"' in page  # unbound items stay typed
    cell = page[page.index('data-computed="fig|A001|sales"') :][:900]
    assert "2 “Customer visit” records, 1 flagged outside the geofence" in cell
    assert f'href="/appraisals/{ann.id}/computed/sales"' in cell


def test_implementers_see_the_words_but_no_drill_down(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    auth.login("imp@acme.example")
    page = client.get(f"/cycles/{launched.id}/figures").text
    assert "1 “Customer visit” record" in page
    assert "/computed/sales" not in page


def test_the_grid_loads_every_metric_value_in_one_query(
    app, client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    auth.login("hr@acme.example")
    with statements_sent(app) as seen:
        assert client.get(f"/cycles/{launched.id}/figures").status_code == 200
    reads = [s for s in seen if re.search(r"FROM metric_values\b", s)]
    assert len(reads) == 1, reads


def test_a_ratio_reads_as_its_two_parts(
    client, auth, db, company, launched, visits, add_metric, record
):
    add_metric(
        "visited", source={"activity": "customer_visit"}, aggregation="distinct", field="customer"
    )
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    add_metric("coverage", aggregation="ratio", numerator="visited", denominator="assigned")
    _bind(db, launched, sales="coverage")
    for customer in (visits[0], visits[0], visits[1]):
        record(customer=customer.id)
    ann = appraisal_of(db, company, "ann")
    auth.login("hr@acme.example")
    assert "2 of 3 = 66.67 %" in client.get(f"/cycles/{launched.id}/figures").text
    page = client.get(f"/appraisals/{ann.id}/computed/sales").text
    assert "2 of 3 = 66.67 %" in page
    assert f"/appraisals/{ann.id}/computed/sales?part=numerator" in page
    assert f"/appraisals/{ann.id}/computed/sales?part=denominator" in page
    assert "3 customers assigned" in page
    numerator = client.get(f"/appraisals/{ann.id}/computed/sales?part=numerator").text
    assert numerator.count('data-counted="yes"') == 3
    denominator = client.get(f"/appraisals/{ann.id}/computed/sales?part=denominator").text
    customers = denominator[denominator.index('id="customers"') :]
    customers = customers[: customers.index("</ul>")]
    assert "C1 Shop 1" in customers and "C3 Shop 3" in customers
    assert "C4" not in without_tokens(customers)


# -- the drill-down ------------------------------------------------------------------------------


def test_the_drill_down_lists_the_records_and_which_passed_the_filter(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric, filter=[{"field": "outcome", "op": "eq", "value": "won"}])
    won = record(customer=visits[0].id, outcome="won", amount="12.50")
    record(customer=visits[1].id, outcome="met")
    ann = appraisal_of(db, company, "ann")
    auth.login("hr@acme.example")
    page = client.get(f"/appraisals/{ann.id}/computed/sales").text
    assert "1 “Customer visit” record" in page
    rows = page[page.index('id="rows"') :]
    assert rows.count('data-counted="yes"') == 1 and rows.count('data-counted="no"') == 1
    assert "2026-11-02 10:00" in rows  # 02:00 UTC on Shanghai's clock
    assert "Shop 1" in rows and "Outcome: Won" in rows and "Outcome: Met" in rows
    assert f'href="/field/records/{won.uuid}"' in rows


def test_who_may_open_a_drill_down(
    client, auth, make, db, company, launched, visits, add_metric, record
):
    """HR, Ann's manager and Ann herself (she sees the figure and her own records already);
    another manager, a colleague, an implementer and another organization get a 404."""
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    url = f"/appraisals/{appraisal_of(db, company, 'ann').id}/computed/sales"
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    expected = {
        "hr@acme.example": 200,
        "boss@acme.example": 200,
        "ann@acme.example": 200,
        "olga@acme.example": 404,
        "pat@acme.example": 404,
        "imp@acme.example": 404,
        "hr@other.example": 404,
    }
    for email, status in expected.items():
        auth.login(email)
        response = client.get(url)
        assert response.status_code == status, email
        if status == 200:
            assert ("override-form" in response.text) == (email == "hr@acme.example"), email
        auth.logout()
    auth.login("hr@acme.example")
    unbound = f"/appraisals/{appraisal_of(db, company, 'ann').id}/computed/collection"
    assert client.get(unbound).status_code == 404


# -- overriding on the page ---------------------------------------------------------------------


def test_an_override_on_the_page_needs_a_reason_keeps_what_was_typed_and_is_audited(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    record(customer=visits[1].id)
    value = _value(db, company)
    url = f"/appraisals/{value.appraisal_id}/computed/sales"
    auth.login("hr@acme.example")
    response = client.post(f"{url}/override", data={"value": "5", "version": value.version})
    assert response.status_code == 422
    assert "Say why: a reason is required." in field_errors(response.text)
    assert 'name="value" type="text" value="5"' in response.text
    assert _value(db, company).override is None

    response = client.post(
        f"{url}/override", data={"value": "5x", "reason": "paper", "version": value.version}
    )
    assert response.status_code == 422
    assert "Enter a number." in field_errors(response.text)
    assert "paper</textarea>" in response.text

    response = client.post(
        f"{url}/override",
        data={"value": "5", "reason": "Visits logged on paper", "version": value.version},
    )
    assert response.status_code == 302
    assert _value(db, company).override == Decimal(5)
    assert stored_figures(appraisal_of(db, company, "ann"))["sales"] == 5
    grid = client.get(f"/cycles/{launched.id}/figures").text
    assert "overridden: 5 (computed 2) — Visits logged on paper" in grid
    page = client.get(url).text
    history = page[page.index('id="override-history"') :]
    assert "Computed figure overridden" in history and "Visits logged on paper" in history


def test_an_override_from_a_stale_page_is_a_conflict(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    value = _value(db, company)
    stale = value.version
    values.override_value(db, value, "7", "someone else first", None, value.version)
    db.commit()
    auth.login("hr@acme.example")
    response = client.post(
        f"/appraisals/{value.appraisal_id}/computed/sales/override",
        data={"value": "5", "reason": "mine", "version": stale},
    )
    assert response.status_code == 409
    assert 'name="value" type="text" value="5"' in response.text  # what was typed is kept
    assert _value(db, company).override == Decimal(7)


def test_only_hr_overrides(client, auth, db, company, launched, visits, add_metric, record):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    value = _value(db, company)
    for email in ("boss@acme.example", "ann@acme.example", "imp@acme.example"):
        auth.login(email)
        response = client.post(
            f"/appraisals/{value.appraisal_id}/computed/sales/override",
            data={"value": "9", "reason": "mine", "version": value.version},
        )
        assert response.status_code == 404, email
        auth.logout()
    assert _value(db, company).override is None


def test_recompute_now_leaves_the_override_in_place(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    value = _value(db, company)
    values.override_value(db, value, "5", "paper visits", None, value.version)
    db.commit()
    auth.login("hr@acme.example")
    assert 'id="recompute"' in client.get(f"/cycles/{launched.id}").text
    response = client.post(f"/cycles/{launched.id}/recompute")
    assert response.status_code == 302
    assert "Recomputed" in client.get(response.headers["Location"]).text
    assert _value(db, company).override == Decimal(5)
    assert stored_figures(appraisal_of(db, company, "ann"))["sales"] == 5
    auth.logout()
    auth.login("boss@acme.example")
    assert client.post(f"/cycles/{launched.id}/recompute").status_code == 403


def test_metrics_refresh_command_recomputes_open_cycles(
    app, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    value = _value(db, company)
    value.computed = Decimal(40)  # as if a record had changed without its recompute
    value.provenance = {}
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["metrics", "refresh", "--org", "acme"])
    assert result.exit_code == 0, result.output
    assert "1 figures changed" in result.output
    assert _value(db, company).computed == Decimal(1)
    assert runner.invoke(args=["metrics", "refresh"]).exit_code == 0
    missing = runner.invoke(args=["metrics", "refresh", "--org", "nope"])
    assert missing.exit_code != 0 and "no organization" in missing.output


# -- the appraisee's pages, imports and Chinese --------------------------------------------------


def test_the_appraisees_and_managers_pages_say_what_a_figure_was_computed_from(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    ann = appraisal_of(db, company, "ann")
    ann.state = "self_review"
    db.commit()
    auth.login("ann@acme.example")
    page = client.get(f"/appraisals/{ann.id}/review/self").text
    assert "computed from 1 “Customer visit” record" in page
    assert f"/appraisals/{ann.id}/computed/sales" in page
    auth.logout()
    auth.login("boss@acme.example")
    ann.state = "manager_review"
    db.commit()
    page = client.get(f"/appraisals/{ann.id}/review/manager").text
    assert "computed from 1 “Customer visit” record" in page


def test_a_figures_file_changing_a_computed_figure_is_refused_on_its_row(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    auth.login("hr@acme.example")
    response = client.post(
        f"/cycles/{launched.id}/figures/import",
        data={"file": (io.BytesIO(b"number,sales,collection\nA001,9,80\n"), "f.csv")},
        content_type="multipart/form-data",
    )
    url = response.headers["Location"]
    response = client.post(
        url,
        data={
            "action": "apply",
            "map_employee_number": "number",
            "map_data:sales": "sales",
            "map_data:collection": "collection",
        },
    )
    assert response.status_code == 422
    assert "<td>2</td><td>A001</td><td>sales</td><td>This figure is computed by a metric" in (
        response.text
    )
    assert stored_figures(db.get(Appraisal, _value(db, company).appraisal_id))["sales"] == 1


def test_computed_figures_read_in_chinese(
    client, auth, db, company, launched, visits, add_metric, record
):
    _visits(db, launched, add_metric)
    record(customer=visits[0].id)
    record(customer=visits[1].id)
    _flag_first(db, launched)
    ann = appraisal_of(db, company, "ann")
    auth.login("hr@acme.example")
    grid = client.get(f"/cycles/{launched.id}/figures", headers=CHINESE).text
    assert "2 条“客户拜访”记录，其中 1 条在地理围栏外" in grid
    page = client.get(f"/appraisals/{ann.id}/computed/sales", headers=CHINESE).text
    assert "计入" in page and "覆盖" in page
