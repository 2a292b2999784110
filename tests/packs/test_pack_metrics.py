"""Each pack's metric rules and which template items they fill: the rules validate, the
process items the packs promise are bound, loading adds them once, an invalid rule refuses
the load, and the demo organization's running cycle shows computed figures."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from appraisal.builder.services import DefinitionRefused
from appraisal.demo import load_demo
from appraisal.models import (
    Appraisal,
    Cycle,
    Employee,
    ExternalEvent,
    Metric,
    MetricValue,
    Scheme,
    SchemeMetric,
    Template,
)
from appraisal.packs import read_pack
from appraisal.packs.demo import load_demo_organization
from appraisal.packs.loading import binding_problems, data_item_keys, load_pack, metric_problems
from appraisal.runtime.cycles.figures import stored_figures

PACKS = ["manufacturing", "retail", "services"]

#: The process items each pack promises to compute (template → item → metric).
PROMISED = {
    "retail": {
        "retail-field-sales": {
            "store_visits": "store_visits",
            "distribution": "distribution_in_stock",
            "crm_on_time": "crm_on_time",
            "customer_coverage": "customer_coverage",
        }
    },
    "services": {
        "svc-field-technician": {
            "visits_completed": "visits_completed",
            "on_time_arrival": "on_time_arrival",
        },
        "svc-customer-service-agent": {
            "tickets_resolved": "tickets_resolved",
            "handle_minutes": "handle_minutes",
            "sla_rate": "sla_rate",
        },
        "svc-account-manager": {
            "customer_visits": "account_visits",
            "customer_coverage": "customer_coverage",
        },
    },
    "manufacturing": {
        "mfg-field-service-engineer": {
            "response_hours": "response_hours",
            "service_report_on_time": "service_reports_on_time",
        },
        "mfg-sales-representative": {"customer_coverage": "customer_coverage"},
    },
}


@pytest.mark.parametrize("name", PACKS)
def test_every_pack_metric_validates(name):
    pack = read_pack(name)
    assert pack.metrics
    assert metric_problems(pack) == []
    for definition in pack.metrics:
        assert definition["name"]["zh"] and definition["name"]["en"], definition["key"]
        assert definition["description"]["zh"] and definition["description"]["en"]


@pytest.mark.parametrize("name", PACKS)
def test_the_promised_process_items_are_bound(name):
    pack = read_pack(name)
    assert binding_problems(pack) == []
    for template_key, items in PROMISED[name].items():
        assert pack.bindings[template_key] | items == pack.bindings[template_key], template_key
    templates = {t["key"]: t for t in pack.templates}
    for template_key, items in pack.bindings.items():
        assert set(items) <= data_item_keys(templates[template_key])


@pytest.mark.parametrize("name", PACKS)
def test_field_packs_measure_customer_coverage(name):
    """Distinct customers visited ÷ customers assigned, filling a field template's item."""
    pack = read_pack(name)
    metrics = {m["key"]: m for m in pack.metrics}
    coverage = metrics["customer_coverage"]
    assert coverage["aggregation"] == "ratio"
    assert metrics[coverage["numerator"]]["aggregation"] == "distinct"
    assert metrics[coverage["numerator"]]["field"] == "customer"
    assert metrics[coverage["denominator"]]["source"] == {"customers": "assigned"}
    field_templates = {t["key"] for t in pack.templates if t["staff"] == "field"}
    assert any(
        items.get("customer_coverage") == "customer_coverage"
        for key, items in pack.bindings.items()
        if key in field_templates
    )


@pytest.mark.parametrize("name", PACKS)
def test_loading_adds_the_metrics_once(db, make, name):
    org = make.org("acme")
    pack = read_pack(name)
    first = load_pack(db, org.id, pack, None)
    db.commit()
    assert sorted(first.metrics.added) == sorted(m["key"] for m in pack.metrics)
    stored = {m.key: m.definition for m in db.scalars(select(Metric))}
    assert stored == {m["key"]: m for m in pack.metrics}
    second = load_pack(db, org.id, pack, None)
    db.commit()
    assert second.metrics.added == []
    assert len(second.metrics.skipped) == len(pack.metrics)
    assert db.scalar(select(func.count(Metric.id))) == len(pack.metrics)


def test_an_adapted_metric_is_reported_not_overwritten(db, make):
    org = make.org("acme")
    pack = read_pack("services")
    load_pack(db, org.id, pack, None)
    metric = db.scalar(select(Metric).where(Metric.key == "handle_minutes"))
    metric.definition = dict(metric.definition, places=0)
    db.commit()
    report = load_pack(db, org.id, pack, None)
    assert report.metrics.differs == ["handle_minutes"]
    db.refresh(metric)
    assert metric.definition["places"] == 0


def test_an_invalid_pack_metric_refuses_the_load_before_anything_is_written(db, make):
    org = make.org("acme")
    pack = read_pack("services")
    broken = dict(pack.metrics[0], aggregation="sum", field="no_such_field")
    bad = dataclasses.replace(pack, metrics=[broken, *pack.metrics[1:]])
    with pytest.raises(DefinitionRefused) as refused:
        load_pack(db, org.id, bad, None)
    assert [p.path for p in refused.value.problems] == [f"metrics/{broken['key']}.json: field"]
    db.rollback()
    assert db.scalar(select(func.count(Template.id))) == 0
    assert db.scalar(select(func.count(Metric.id))) == 0


def test_a_binding_to_a_missing_item_or_metric_refuses_the_load(db, make):
    org = make.org("acme")
    pack = read_pack("manufacturing")
    bad = dataclasses.replace(
        pack,
        bindings={
            "mfg-field-service-engineer": {"safety_practice": "response_hours"},
            "mfg-sales-representative": {"customer_coverage": "nothing"},
            "no-such-template": {"x": "response_hours"},
        },
    )
    with pytest.raises(DefinitionRefused) as refused:
        load_pack(db, org.id, bad, None)
    assert sorted(p.path for p in refused.value.problems) == [
        "bindings.mfg-field-service-engineer.safety_practice",  # rated by people, not data
        "bindings.mfg-sales-representative.customer_coverage",
        "bindings.no-such-template",
    ]


@pytest.mark.parametrize("name", PACKS)
def test_the_demo_schemes_bind_the_packs_metrics(db, name):
    pack = read_pack(name)
    org = load_demo_organization(db, pack, f"{name}-demo").organization
    db.commit()
    found: dict[str, dict[str, str]] = {}
    for scheme in db.scalars(select(Scheme).where(Scheme.organization_id == org.id)):
        template_key = scheme.template_version.template.key
        bindings = db.scalars(select(SchemeMetric).where(SchemeMetric.scheme_id == scheme.id))
        found[template_key] = {b.item_key: b.metric.key for b in bindings}
    for template_key, items in PROMISED[name].items():
        assert found[template_key] == pack.bindings[template_key]
        assert found[template_key] | items == found[template_key]


def _values(db, org_id: int) -> dict[tuple[str, str], MetricValue]:
    rows = db.execute(
        select(Employee.number, MetricValue)
        .join(Appraisal, Appraisal.id == MetricValue.appraisal_id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.organization_id == org_id)
    )
    return {(number, value.item_key): value for number, value in rows}


def test_the_make_run_demo_cycle_shows_computed_figures(db):
    """Field service engineers' response hours and reports on time come from the service
    reports the CRM pushed; sales reps' customer coverage from their visits."""
    org = load_demo(db).organization
    db.commit()
    assert db.scalar(select(func.count(ExternalEvent.id))) > 0
    values = _values(db, org.id)
    engineers = ("E018", "E019", "E020", "E021")
    reps = ("E005", "E006", "E007", "E008")
    for number in engineers:
        for item in ("response_hours", "service_report_on_time"):
            value = values[(number, item)]
            assert value.computed is not None and value.computed > 0, (number, item)
            assert value.provenance["records"] > 0
    for number in reps:
        value = values[(number, "customer_coverage")]
        assert value.computed is not None and value.computed > 0, number
        assert value.provenance["denominator"]["records"] > 0
    # E018: reports after 2.5, 3, 1.5 and 4 hours, all on time
    assert values[("E018", "response_hours")].computed == Decimal("2.8")
    assert values[("E018", "service_report_on_time")].computed == Decimal("100")
    # E019: two of three on time
    assert values[("E019", "service_report_on_time")].computed == Decimal("66.7")
    # E007 visited one of his two customers (twice)
    assert values[("E007", "customer_coverage")].computed == Decimal("50")
    # the figures the appraisal scores with are the computed ones
    cycle = db.scalar(
        select(Cycle).where(Cycle.organization_id == org.id, Cycle.name.like("现场服务%"))
    )
    appraisal = db.scalar(
        select(Appraisal)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.cycle_id == cycle.id, Employee.number == "E018")
    )
    assert stored_figures(appraisal)["response_hours"] == pytest.approx(2.8)
    assert stored_figures(appraisal)["service_report_on_time"] == pytest.approx(100)


def test_the_services_demo_computes_tickets_from_events(db):
    org = load_demo_organization(db, read_pack("services"), "services-demo").organization
    db.commit()
    values = _values(db, org.id)
    for number in ("S004", "S005", "S006", "S007", "S008", "S009"):
        for item in ("tickets_resolved", "handle_minutes", "sla_rate"):
            value = values[(number, item)]
            assert value.computed is not None and value.computed > 0, (number, item)


def test_the_make_run_demo_cycle_runs_when_it_is_loaded(db):
    """The pack writes its demo cycle for one month; loaded any later (or on a month's first
    days), the cycle runs today on the organization's clock with a week behind it, so the
    demo's records count and a visit recorded today counts too."""
    from datetime import timedelta

    org = load_demo(db).organization
    db.commit()
    today = org.today()
    for cycle in db.scalars(select(Cycle).where(Cycle.organization_id == org.id)):
        assert cycle.starts_on + timedelta(days=7) <= today <= cycle.ends_on, cycle.name


def test_a_demo_plan_moves_to_run_now():
    from datetime import date

    from appraisal.packs.demo import running_now

    plan = {
        "name": "2026年11月 / November 2026",
        "starts_on": "2026-11-01",
        "ends_on": "2026-11-30",
        "goals_due": "2026-11-05",
        "self_review_due": "2026-12-03",
        "manager_review_due": "2026-12-07",
    }
    assert running_now(plan, date(2026, 11, 20)) is plan  # running, a week behind it
    moved = running_now(plan, date(2026, 12, 1))
    assert (moved["starts_on"], moved["ends_on"]) == ("2026-11-12", "2026-12-11")
    assert (moved["goals_due"], moved["self_review_due"]) == ("2026-11-16", "2026-12-14")
    assert moved["manager_review_due"] == "2026-12-18"
    assert moved["name"] == "2026-11-12 ~ 2026-12-11"
    early = running_now(plan, date(2026, 11, 3))  # too few days behind
    assert early["starts_on"] == "2026-10-15" and early["ends_on"] == "2026-11-13"
