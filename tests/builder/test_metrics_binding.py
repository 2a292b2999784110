"""Binding a scheme's imported figures to metrics on its page: HR chooses a metric per
figure, saving computes the open cycles at once and says how many appraisals; only HR
admins of the organization get in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appraisal.models import Scheme, SchemeMetric
from appraisal.runtime.cycles.figures import stored_figures
from tests.conftest import field_errors
from tests.pages import form_data
from tests.runtime import conftest as runtime
from tests.runtime.metrics import conftest as metrics

company, launched = runtime.company, runtime.launched
visits, add_metric, record = metrics.visits, metrics.add_metric, metrics.record


def test_hr_binds_a_figure_and_it_is_computed(
    client, auth, db, company, launched, visits, add_metric, record
):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    add_metric("old", source={"activity": "customer_visit"}, aggregation="count").archived = True
    db.commit()
    record(customer=visits[0].id)
    record(customer=visits[1].id)
    auth.login("hr@acme.example")
    scheme = launched.scheme
    assert f"/cycles/schemes/{scheme.id}/metrics" in client.get("/cycles").text  # linked
    url = f"/cycles/schemes/{scheme.id}/metrics"
    page = client.get(url).text
    assert 'name="item-sales"' in page
    assert 'value="visits"' in page and 'value="old"' not in page  # archived ones not offered
    response = client.post(url, data=form_data(page, "binding-form") | {"item-sales": "visits"})
    assert response.status_code == 302, field_errors(response.text)
    done = client.get(response.headers["Location"]).text
    assert "Figures bound: 6 appraisals of open cycles computed." in done  # everyone in the cycle
    assert '<option selected value="visits">' in done
    db.expire_all()
    ann = runtime.appraisal_of(db, company, "ann")
    assert stored_figures(ann)["sales"] == 2
    binding = db.scalar(select(SchemeMetric))
    assert (binding.item_key, binding.metric.key) == ("sales", "visits")

    # unbinding: the figure is typed again
    response = client.post(url, data=form_data(done, "binding-form") | {"item-sales": ""})
    assert response.status_code == 302
    assert db.scalar(select(SchemeMetric)) is None


def test_an_unknown_metric_is_refused_next_to_its_figure(client, auth, db, company, launched):
    auth.login("hr@acme.example")
    url = f"/cycles/schemes/{launched.scheme.id}/metrics"
    response = client.post(
        url, data=form_data(client.get(url).text, "binding-form") | {"item-sales": "nope"}
    )
    assert response.status_code == 422
    assert field_errors(response.text)
    assert db.scalar(select(SchemeMetric)) is None


@pytest.mark.parametrize("email", ["imp@acme.example", "boss@acme.example", "ann@acme.example"])
def test_only_hr_admins_bind(client, auth, db, company, launched, email):
    auth.login(email)
    url = f"/cycles/schemes/{launched.scheme.id}/metrics"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"item-sales": ""}).status_code == 403


def test_another_organizations_scheme_is_not_found(client, auth, db, make, company, launched):
    make.member(make.org("globex"), "hr@globex.example")
    auth.login("hr@globex.example")
    scheme = db.scalar(select(Scheme))
    assert client.get(f"/cycles/schemes/{scheme.id}/metrics").status_code == 404


def test_a_binding_changed_since_the_page_was_opened_is_a_conflict(
    client, auth, db, company, launched, visits, add_metric
):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    add_metric(
        "reach", source={"activity": "customer_visit"}, aggregation="distinct", field="customer"
    )
    auth.login("hr@acme.example")
    url = f"/cycles/schemes/{launched.scheme.id}/metrics"
    stale = client.get(url).text  # both HR users open the page with `sales` typed
    first = client.post(url, data=form_data(stale, "binding-form") | {"item-sales": "visits"})
    assert first.status_code == 302
    second = client.post(url, data=form_data(stale, "binding-form") | {"item-sales": "reach"})
    assert second.status_code == 409
    db.expire_all()
    assert db.scalar(select(SchemeMetric)).metric.key == "visits"  # the first save stands
