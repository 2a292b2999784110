"""Built-in activity forms in every pack, and the demo's field work."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from appraisal.models import (
    ActivityRecord,
    ActivityType,
    ActivityTypeVersion,
    AuditEvent,
    Customer,
    Employee,
)
from appraisal.packs import pack_names, read_pack
from appraisal.packs.demo import load_demo_organization
from appraisal.packs.loading import load_pack
from appraisal.rules import compile_activity, validate_activity

PACKS = pack_names()
COMMON = {"daily_plan", "daily_report", "customer_visit", "service_report", "expense_claim"}
OWN = {
    "manufacturing": {"field_service"},
    "retail": {"store_visit", "distribution_check"},
    "services": {"technician_job", "account_visit"},
}


def _bilingual(label) -> bool:
    return isinstance(label, dict) and label.get("zh") and label.get("en")


@pytest.mark.parametrize("name", PACKS)
def test_every_pack_brings_the_starting_forms_valid_and_in_both_languages(name):
    pack = read_pack(name)
    forms = {d["key"]: d for d in pack.activities}
    assert COMMON | {"check_in", "check_out"} | OWN[name] <= set(forms)
    for definition in pack.activities:
        assert validate_activity(definition) == [], definition["key"]
        assert _bilingual(definition["name"]), definition["key"]
        for field in definition["fields"]:
            assert _bilingual(field["label"]), (definition["key"], field["key"])
            for option in field.get("options", []):
                assert _bilingual(option["label"]), (definition["key"], field["key"])
    expense = compile_activity(forms["expense_claim"])
    assert expense.first("money").required
    receipt = expense.first("photos")
    assert receipt is not None and receipt.required
    for key in ("check_in", "check_out"):
        where = compile_activity(forms[key]).first("location")
        # location is never required: an employee who refused consent still checks in
        assert where is not None and where.purpose == "check_in" and not where.required


def test_retail_distribution_check_asks_facings_out_of_stock_and_photos():
    forms = {d["key"]: compile_activity(d) for d in read_pack("retail").activities}
    for key in ("store_visit", "distribution_check"):
        form = forms[key]
        assert form.field("facings").type == "number"
        assert form.field("out_of_stock").type == "yes_no"
        assert form.first("photos") is not None


@pytest.mark.parametrize("name", PACKS)
def test_loading_a_pack_publishes_its_forms_once(db, make, name):
    org = make.org("acme")
    pack = read_pack(name)
    first = load_pack(db, org.id, pack, None)
    db.commit()
    assert sorted(first.activities.added) == sorted(d["key"] for d in pack.activities)
    types = db.scalars(select(ActivityType).where(ActivityType.organization_id == org.id)).all()
    assert all(t.draft is None and t.latest.version == 1 for t in types)
    assert {t.key: t.latest.definition for t in types} == {d["key"]: d for d in pack.activities}
    second = load_pack(db, org.id, pack, None)
    db.commit()
    assert second.activities.added == []
    assert sorted(second.activities.skipped) == sorted(first.activities.added)
    assert db.scalar(select(func.count(ActivityTypeVersion.id))) == len(pack.activities)
    actions = db.scalars(select(AuditEvent.action)).all()
    assert actions.count("activity_type.published") == len(pack.activities)


def test_an_adapted_form_is_reported_not_overwritten(db, make):
    org = make.org("acme")
    pack = read_pack("manufacturing")
    load_pack(db, org.id, pack, None)
    visit = db.scalar(select(ActivityType).where(ActivityType.key == "customer_visit"))
    visit.draft = dict(visit.latest.definition, review=False)
    db.commit()
    report = load_pack(db, org.id, pack, None)
    assert report.activities.differs == ["customer_visit"]
    db.refresh(visit)
    assert visit.draft["review"] is False and len(visit.versions) == 1


def test_the_pack_pages_show_the_forms(client, auth, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=("admin",))
    auth.login("hr@acme.example")
    page = client.get("/packs/")
    assert 'id="activities-retail"' in page.text and "Distribution check" in page.text
    loaded = client.post("/packs/retail/load")
    assert loaded.status_code == 200 and 'id="to-activity-types"' in loaded.text
    listing = client.get("/builder/activities")
    assert "Store check" in listing.text and "v1" in listing.text


@pytest.mark.parametrize("name", PACKS)
def test_the_demo_has_customers_and_a_few_days_of_real_records(db, name):
    result = load_demo_organization(db, read_pack(name), f"{name}-demo")
    db.commit()
    org_id = result.organization.id
    customers = db.scalars(select(Customer).where(Customer.organization_id == org_id)).all()
    assert len(customers) >= 3
    assert all(c.latitude is not None and c.radius_m for c in customers)
    assert all(c.reps for c in customers)
    records = db.scalars(
        select(ActivityRecord).where(ActivityRecord.organization_id == org_id)
    ).all()
    assert len(records) >= 5
    kinds = {r.activity_type.key for r in records}
    assert {"daily_plan", "daily_report", "check_in"} <= kinds
    assert len({r.occurred_on for r in records}) >= 2
    # made through record_activity: audited, on the published version, located with consent
    audited = db.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.organization_id == org_id, AuditEvent.action == "activity.recorded"
        )
    )
    assert audited == len(records)
    assert all(r.type_version_id == r.activity_type.latest.id for r in records)
    check_ins = [r for r in records if r.activity_type.key == "check_in"]
    assert check_ins and all(r.latitude is not None and r.distance_m is not None for r in check_ins)


def test_the_make_run_demo_rep_has_visits_for_the_manager_to_review(db):
    result = load_demo_organization(db, read_pack("manufacturing"), "demo")
    db.commit()
    rep = db.scalar(
        select(Employee).where(
            Employee.organization_id == result.organization.id, Employee.number == "E005"
        )
    )
    assert rep.user.email == "employee@demo.example"
    visits = db.scalars(
        select(ActivityRecord).where(
            ActivityRecord.employee_id == rep.id, ActivityRecord.customer_id.is_not(None)
        )
    ).all()
    assert any(v.status == "pending" for v in visits)
    assert any(v.outside_geofence for v in visits)  # a flag to show on the team's day
