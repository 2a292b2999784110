"""Metrics in the builder, over HTTP: an HR admin or implementer builds each kind of metric
without code, every problem shows next to its input in the user's language with what was
typed kept, a stale form is refused, a metric filling open cycles cannot be archived, the
preview computes one person's value, and only builders of this organization get in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from appraisal.models import AuditEvent, Metric
from tests.conftest import field_errors
from tests.pages import form_data
from tests.runtime import conftest as runtime
from tests.runtime.metrics import conftest as metrics

company, launched = runtime.company, runtime.launched
visits, add_metric, record = metrics.visits, metrics.add_metric, metrics.record

SOURCE = "activity:customer_visit"


@pytest.fixture
def hr(company, auth, visits):
    auth.login("hr@acme.example")
    return company


def _metric(db, key: str) -> Metric | None:
    db.expire_all()
    return db.scalar(select(Metric).where(Metric.key == key))


def _inputs(**given) -> dict:
    """What the editor posts for a new metric, blank rows included."""
    data = {
        "key": "",
        "name_zh": "",
        "name_en": "",
        "unit": "",
        "source": SOURCE,
        "aggregation": "count",
        "field": "",
        "from_field": "",
        "to_field": "",
        "duration_in": "minutes",
        "numerator": "",
        "denominator": "",
        "places": "2",
        "date": "occurred",
        "where": "",
        "condition_where": "",
        "submit": "Save metric",
    }
    for rows in ("filters", "conditions"):
        for index in range(3):
            data |= {f"{rows}-{index}-field": "", f"{rows}-{index}-op": "eq"}
            data[f"{rows}-{index}-value"] = ""
    return data | given


def _post(client, url="/builder/metrics/new", **given):
    return client.post(url, data=_inputs(**given))


BASE = {"format": "metric/1", "name": {"zh": "指标", "en": "Metric"}}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            {"aggregation": "count", "filters-0-field": "outcome", "filters-0-value": "won"},
            {
                "source": {"activity": "customer_visit"},
                "aggregation": "count",
                "filter": [{"field": "outcome", "op": "eq", "value": "won"}],
            },
        ),
        (
            {"aggregation": "distinct", "field": "customer", "approved_only": "y"},
            {
                "source": {"activity": "customer_visit"},
                "aggregation": "distinct",
                "field": "customer",
                "filter": [],
                "approved_only": True,
            },
        ),
        *[
            (
                {"aggregation": kind, "field": "amount", "unit": "CNY", "places": "0"},
                {
                    "source": {"activity": "customer_visit"},
                    "aggregation": kind,
                    "field": "amount",
                    "unit": "CNY",
                    "places": 0,
                    "filter": [],
                },
            )
            for kind in ("sum", "avg", "min", "max")
        ],
        (
            {
                "aggregation": "duration_avg",
                "from_field": "arrived",
                "to_field": "left",
                "duration_in": "hours",
            },
            {
                "source": {"activity": "customer_visit"},
                "aggregation": "duration_avg",
                "from": "arrived",
                "to": "left",
                "in": "hours",
                "filter": [],
            },
        ),
        (
            {
                "source": "event:ticket_closed",
                "aggregation": "share",
                "percent": "y",
                "conditions-0-field": "sla_met",
                "conditions-0-value": "yes",
                "conditions-1-field": "priority",
                "conditions-1-op": "in",
                "conditions-1-value": "high, urgent",
                "filters-0-field": "reopened",
                "filters-0-op": "empty",
                "condition_where": "handling_minutes < 60",
            },
            {
                "source": {"event": "ticket_closed"},
                "aggregation": "share",
                "percent": True,
                "filter": [{"field": "reopened", "op": "empty"}],
                "condition": [
                    {"field": "sla_met", "op": "eq", "value": True},
                    {"field": "priority", "op": "in", "value": ["high", "urgent"]},
                ],
                "condition_where": "handling_minutes < 60",
            },
        ),
        (
            {"source": "customers:assigned", "aggregation": "count"},
            {"source": {"customers": "assigned"}, "aggregation": "count", "filter": []},
        ),
        (
            {"source": "plans:on_time", "aggregation": "share", "percent": "y", "unit": "%"},
            {
                "source": {"plans": "on_time"},
                "aggregation": "share",
                "unit": "%",
                "percent": True,
                "filter": [],
                "condition": [],
            },
        ),
    ],
    ids=[
        "count",
        "distinct",
        "sum",
        "avg",
        "min",
        "max",
        "duration",
        "share",
        "assigned",
        "plans_on_time",
    ],
)
def test_each_kind_of_metric_is_built_through_the_page(client, db, hr, given, expected):
    response = _post(client, key="m1", name_zh="指标", name_en="Metric", **given)
    assert response.status_code == 302, field_errors(response.text)
    metric = _metric(db, "m1")
    assert metric.definition == BASE | {"key": "m1", "places": 2} | expected
    assert response.headers["Location"].endswith(f"/builder/metrics/{metric.id}")
    saved = db.scalar(select(AuditEvent).where(AuditEvent.action == "metric.saved"))
    assert saved.entity_id == metric.id


def test_the_editor_offers_plan_tasks_completed_on_time(client, db, hr):
    page = client.get("/builder/metrics/new").text
    assert 'value="plans:on_time"' in page
    assert "Plan tasks completed on time" in page


def test_a_ratio_divides_two_other_metrics(client, db, hr, add_metric):
    add_metric(
        "visited", source={"activity": "customer_visit"}, aggregation="distinct", field="customer"
    )
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    page = client.get("/builder/metrics/new").text
    assert 'value="visited"' in page and 'value="assigned"' in page  # offered as parts
    response = _post(
        client,
        key="coverage",
        name_zh="客户覆盖率",
        aggregation="ratio",
        numerator="visited",
        denominator="assigned",
        percent="y",
        unit="%",
    )
    assert response.status_code == 302, field_errors(response.text)
    assert _metric(db, "coverage").definition == {
        "format": "metric/1",
        "key": "coverage",
        "name": "客户覆盖率",
        "unit": "%",
        "places": 2,
        "aggregation": "ratio",
        "percent": True,
        "numerator": "visited",
        "denominator": "assigned",
    }


def _error_at(html: str, name: str) -> str:
    """The message shown right after the input called `name`."""
    start = html.index(f'name="{name}"')
    after = html[start:]
    found = field_errors(after[: after.index("</td>") if "</td>" in after[:3000] else 3000])
    assert found, f"no error next to {name}"
    return found[0]


def test_a_field_of_the_wrong_type_is_refused_next_to_it(client, db, hr):
    response = _post(client, key="m1", name_zh="指标", aggregation="sum", field="outcome")
    assert response.status_code == 422
    assert "must be a field of type number" in _error_at(response.text, "field")
    assert '<option selected value="outcome">' in response.text  # what was chosen is kept
    assert _metric(db, "m1") is None


def test_a_bad_filter_value_is_refused_in_its_row_with_the_text_kept(client, db, hr):
    response = _post(
        client,
        key="m1",
        name_zh="指标",
        **{
            "filters-0-field": "",  # a blank row is skipped: the problem is in the next one
            "filters-1-field": "amount",
            "filters-1-op": "gt",
            "filters-1-value": "lots",
            "filters-2-field": "outcome",
            "filters-2-op": "gt",
            "filters-2-value": "won",
        },
    )
    assert response.status_code == 422
    assert "must be a money value" in _error_at(response.text, "filters-1-value")
    assert 'value="lots"' in response.text
    assert "only numbers and dates can be compared" in _error_at(response.text, "filters-2-value")
    assert _metric(db, "m1") is None


def test_a_formula_error_shows_under_the_formula_as_typed(client, db, hr):
    response = _post(client, key="m1", name_zh="指标", where="amount > 'x' and salse")
    assert response.status_code == 422
    html = response.text
    assert "amount &gt; &#39;x&#39; and salse" in html or "amount > 'x' and salse" in html
    feedback = html[html.index('id="where-feedback"') :][:600]
    assert "salse" in feedback or "text" in feedback
    assert _metric(db, "m1") is None


def test_a_ratio_of_a_ratio_and_an_unknown_source_are_refused(client, db, hr, add_metric):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    add_metric("coverage", aggregation="ratio", numerator="visits", denominator="assigned")
    response = _post(
        client,
        key="r2",
        name_zh="比率",
        aggregation="ratio",
        numerator="coverage",
        denominator="visits",
    )
    assert response.status_code == 422
    assert "another ratio" in _error_at(response.text, "numerator")
    response = _post(client, key="m1", name_zh="指标", source="activity:nope")
    assert response.status_code == 422
    assert "no such source" in _error_at(response.text, "source")
    assert _metric(db, "r2") is None and _metric(db, "m1") is None


def test_a_metric_a_ratio_divides_cannot_become_a_ratio(client, db, hr, add_metric):
    visits_metric = add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    add_metric("other", source={"customers": "assigned"}, aggregation="count")
    add_metric("coverage", aggregation="ratio", numerator="visits", denominator="assigned")
    url = f"/builder/metrics/{visits_metric.id}"
    data = form_data(client.get(url).text, "metric-form")
    response = client.post(
        url, data=data | {"aggregation": "ratio", "numerator": "other", "denominator": "assigned"}
    )
    assert response.status_code == 422
    assert "coverage" in _error_at(response.text, "aggregation")


def test_the_key_cannot_change_and_a_duplicate_key_is_refused(client, db, hr, add_metric):
    metric = add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    url = f"/builder/metrics/{metric.id}"
    page = client.get(url).text
    assert "readonly" in page[page.index('name="key"') - 200 :][:400]
    data = form_data(page, "metric-form")
    response = client.post(url, data=data | {"key": "calls"})
    assert response.status_code == 422
    assert "cannot change" in _error_at(response.text, "key")
    assert _metric(db, "visits") is not None and _metric(db, "calls") is None
    response = _post(client, key="visits", name_zh="拜访")
    assert response.status_code == 422
    assert "exists" in _error_at(response.text, "key")


def test_an_edit_from_a_stale_form_is_refused_with_409(client, app, db, hr, add_metric):
    metric = add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    url = f"/builder/metrics/{metric.id}"
    mine = form_data(client.get(url).text, "metric-form")
    theirs = dict(mine)
    assert client.post(url, data=mine | {"unit": "次"}).status_code == 302
    response = client.post(url, data=theirs | {"unit": "visits"})
    assert response.status_code == 409
    assert 'value="visits"' in response.text  # what was typed is kept
    assert _metric(db, "visits").definition["unit"] == "次"
    again = form_data(response.text, "metric-form")
    assert client.post(url, data=again).status_code == 302  # now knowingly
    assert _metric(db, "visits").definition["unit"] == "visits"


def test_add_condition_and_another_source_re_render_without_saving(client, db, hr):
    response = _post(client, key="m1", name_zh="指标", add_filter="Add a condition", submit="")
    assert response.status_code == 200
    assert 'name="filters-3-field"' in response.text
    assert _metric(db, "m1") is None
    response = _post(
        client, key="m1", name_zh="指标", source="event:ticket_closed", refresh="x", submit=""
    )
    assert response.status_code == 200
    assert 'value="handling_minutes"' in response.text  # the event's attributes offered
    assert 'value="arrived"' not in response.text  # the visit's fields are not
    assert 'value="m1"' in response.text


def test_an_edit_keeps_the_rows_and_the_list_finds_metrics(client, db, hr, add_metric):
    metric = add_metric(
        "won",
        source={"activity": "customer_visit"},
        aggregation="count",
        filter=[{"field": "outcome", "op": "in", "value": ["won", "met"]}],
    )
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    url = f"/builder/metrics/{metric.id}"
    data = form_data(client.get(url).text, "metric-form")
    assert data["filters-0-value"] == "won, met" and data["filters-0-op"] == "in"
    assert client.post(url, data=data).status_code == 302
    assert _metric(db, "won").definition["filter"] == metric.definition["filter"]
    page = client.get("/builder/metrics?q=WON").text
    assert "metric-won" in page and "metric-assigned" not in page


def test_a_metric_filling_an_open_cycle_cannot_be_archived(client, db, hr, launched, add_metric):
    from appraisal.runtime.metrics import values

    metric = add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    spare = add_metric("spare", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    db.commit()
    response = client.post(f"/builder/metrics/{metric.id}/archive", data={"archived": 1})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "fills figures of open cycles (Sales 2026)" in page
    assert _metric(db, "visits").archived is False
    assert (
        client.post(f"/builder/metrics/{spare.id}/archive", data={"archived": 1}).status_code == 302
    )
    assert _metric(db, "spare").archived is True
    assert "metric-spare" not in client.get("/builder/metrics").text
    assert "metric-spare" in client.get("/builder/metrics?archived=1").text
    client.post(f"/builder/metrics/{spare.id}/archive", data={"archived": 0})
    assert _metric(db, "spare").archived is False


def test_the_preview_computes_one_persons_value(client, db, hr, add_metric, record, visits):
    metric = add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    record(customer=visits[0].id)
    record(customer=visits[1].id, at=datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
    ann = hr.people["ann"]
    url = f"/builder/metrics/{metric.id}/preview"
    response = client.get(
        url, query_string={"employee": ann.id, "start": "2026-11-01", "end": "2026-11-30"}
    )
    assert response.status_code == 200
    assert '<span id="preview-value">1</span>' in response.text
    assert "1 records read" in response.text
    response = client.get(
        url, query_string={"employee": ann.id, "start": "2026-12-31", "end": "2026-11-01"}
    )
    assert response.status_code == 422
    assert "must not be after" in response.text


def test_the_formula_box_is_checked_as_typed_against_the_source(client, hr):
    url = "/builder/metrics/formula/check?source=event:ticket_closed"
    body = client.post(
        url, json={"formula": "handling_minutes < 60", "context": "where"}
    ).get_json()
    assert body["ok"] is True and "handling_minutes" in body["names"]
    body = client.post(
        url, json={"formula": "handling_minutes + 1", "context": "condition_where"}
    ).get_json()
    assert body["ok"] is False and "condition" in body["error"]["message"]


@pytest.mark.parametrize("email", ["boss@acme.example", "ann@acme.example"])
def test_managers_and_employees_are_refused(client, auth, db, company, add_metric, email):
    metric = add_metric("visits", source={"customers": "assigned"}, aggregation="count")
    auth.login(email)
    for url in ("/builder/metrics", "/builder/metrics/new", f"/builder/metrics/{metric.id}"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/builder/metrics/{metric.id}/archive").status_code == 403
    assert client.get(f"/builder/metrics/{metric.id}/preview").status_code == 403


def test_an_implementer_builds_metrics(client, auth, db, company, visits):
    auth.login("imp@acme.example")
    page = client.get("/builder/metrics")
    assert page.status_code == 200
    assert 'href="/builder/metrics" id="nav-metrics"' in page.text  # in the builder menu
    response = _post(client, key="visits", name_zh="拜访")
    assert response.status_code == 302, field_errors(response.text)


def test_another_organizations_metric_is_not_found(client, auth, db, make, hr):
    other = make.org("globex")
    theirs = Metric(
        organization_id=other.id,
        key="secret",
        definition={
            **BASE,
            "key": "secret",
            "source": {"customers": "assigned"},
            "aggregation": "count",
        },
    )
    db.add(theirs)
    db.commit()
    for url in (f"/builder/metrics/{theirs.id}", f"/builder/metrics/{theirs.id}/preview"):
        assert client.get(url).status_code == 404
    assert (
        client.post(f"/builder/metrics/{theirs.id}/archive", data={"archived": 1}).status_code
        == 404
    )
    assert _metric(db, "secret").archived is False


def test_the_editor_speaks_chinese(client, db, hr):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/builder/metrics/new")
    assert page.status_code == 200
    assert "新建指标" in page.text or "过程指标" in page.text
    assert "客户拜访" in page.text  # the activity form by its name
    assert "工单关闭" in page.text  # an event kind by its words
    response = _post(client, key="m1", name_zh="指标", aggregation="sum", field="outcome")
    assert response.status_code == 422
    assert "字段类型应为" in _error_at(response.text, "field")
