"""A worked example for every template of every pack: inputs, and the expected scores worked
out by hand, with the arithmetic written out, against what the engine computes.

Rounding is half away from zero to 2 decimals at each level (design §5), so a tie such as
98.725 becomes 98.73.
"""

from __future__ import annotations

import pytest

from appraisal.packs import read_pack
from appraisal.rules import score


def template(pack: str, key: str) -> dict:
    return next(t for t in read_pack(pack).templates if t["key"] == key)


def check(result, items=None, sections=None, base=None, total=None, grade=None, outputs=None):
    assert not result.errors, result.errors
    assert result.complete, result.missing_inputs
    for key, expected in (items or {}).items():
        assert result.items[key] == pytest.approx(expected), key
    for key, expected in (sections or {}).items():
        assert result.sections[key] == pytest.approx(expected), key
    assert result.base_total == pytest.approx(base)
    assert result.total == pytest.approx(total)
    assert result.grade == grade
    for key, expected in (outputs or {}).items():
        assert result.outputs[key] == pytest.approx(expected), key


def test_production_operator():
    result = score(
        template("manufacturing", "mfg-production-operator"),
        {
            "targets": {"output_qty": 2000},
            "data": {
                "output_qty": 2160,
                "first_pass_yield": 98.4,
                "scrap_rate": 1.6,
                "safety_incidents": 1,
                "attendance": 99,
                "improvement_proposals": 3,
            },
            "self": {"sop_compliance": 4, "teamwork": 5},
            "manager": {"five_s": 4, "sop_compliance": 5, "teamwork": 4},
            "hr": {"major_incident": 0},
        },
    )
    check(
        result,
        items={
            "output_qty": 108,  # 100 × 2160 / 2000 = 108 (cap 120)
            "first_pass_yield": 90,  # 98.4 ≥ 98 → 90
            "scrap_rate": 81,  # between (1, 90) and (3, 60): 90 − 0.6/2 × 30 = 81
            "safety_incidents": 75,  # 100 − 25 × 1
            "attendance": 90,  # 99 ≥ 98 → 90
            "five_s": 85,  # level 4
            "sop_compliance": 97,  # (20 × 85 + 80 × 100) / 100
            "teamwork": 88,  # (20 × 100 + 80 × 85) / 100
        },
        sections={
            "output": 94.95,  # (40 × 108 + 35 × 90 + 25 × 81) / 100 = 9495 / 100
            "discipline": 82.5,  # (40 × 75 + 30 × 90 + 30 × 85) / 100 = 8250 / 100
            "attitude": 92.5,  # (50 × 97 + 50 × 88) / 100
        },
        base=91.47,  # (60 × 94.95 + 25 × 82.5 + 15 × 92.5) / 100 = 9147 / 100
        total=94.47,  # + 3 adopted proposals × 1 point (max 5)
        grade="A",  # 85 ≤ 94.47 < 95
        outputs={"coefficient": 1.15},
    )


def test_production_operator_major_incident_vetoes():
    definition = template("manufacturing", "mfg-production-operator")
    inputs = {
        "targets": {"output_qty": 2000},
        "data": {
            "output_qty": 2400,
            "first_pass_yield": 99.5,
            "scrap_rate": 0.2,
            "safety_incidents": 0,
            "attendance": 100,
        },
        "self": {"sop_compliance": 5, "teamwork": 5},
        "manager": {"five_s": 5, "sop_compliance": 5, "teamwork": 5},
        "hr": {"major_incident": 1},
    }
    result = score(definition, inputs)
    assert result.total >= 95 and result.grade == "D" and result.veto == "major_incident"
    assert result.outputs["coefficient"] == 0.6


def test_quality_inspector_with_and_without_internal_customers():
    definition = template("manufacturing", "mfg-quality-inspector")
    inputs = {
        "data": {
            "inspection_accuracy": 99,
            "missed_defects": 1,
            "inspection_on_time": 98,
            "report_on_time": 100,
            "customer_complaints": 1,
        },
        "self": {"procedure_compliance": 4},
        "manager": {"procedure_compliance": 4},
        "peers": [
            {"internal_satisfaction": 5},
            {"internal_satisfaction": 4},
            {"internal_satisfaction": 4},
        ],
        "hr": {"falsified_records": 0},
    }
    check(
        score(definition, inputs),
        items={
            "inspection_accuracy": 92.5,  # between (98, 85) and (100, 100): 85 + 1/2 × 15
            "missed_defects": 80,  # 100 − 20 × 1
            "inspection_on_time": 85,  # 98 ≥ 97 → 85
            "report_on_time": 100,
            "procedure_compliance": 85,
            "internal_satisfaction": 90,  # peers (100 + 85 + 85) / 3
        },
        sections={
            "accuracy": 87.5,  # (60 × 92.5 + 40 × 80) / 100
            "timeliness": 91,  # (60 × 85 + 40 × 100) / 100
            "compliance": 85,
            "internal": 90,
        },
        base=88.2,  # (50 × 87.5 + 20 × 91 + 15 × 85 + 15 × 90) / 100 = 8820 / 100
        total=85.2,  # − 1 complaint × 3
        grade="A",
        outputs={"coefficient": 1.2},
    )
    # Nobody rated internal satisfaction: that section drops out and the others scale up.
    inputs["peers"] = []
    result = score(definition, inputs)
    assert result.not_applicable["internal"] == "no applicable item"
    # (50 × 87.5 + 20 × 91 + 15 × 85) / 85 = 7470 / 85 = 87.882… → 87.88; − 3 → 84.88
    assert (result.base_total, result.total, result.grade) == (87.88, 84.88, "B")


def test_field_service_engineer():
    check(
        score(
            template("manufacturing", "mfg-field-service-engineer"),
            {
                "targets": {"service_orders": 50},
                "data": {
                    "service_orders": 56,
                    "first_time_fix": 84,
                    "customer_satisfaction": 88,
                    "response_hours": 5,
                    "service_report_on_time": 96,
                    "spare_parts_accuracy": 100,
                    "valid_complaints": 1,
                    "customer_praise": 2,
                },
                "self": {"customer_etiquette": 5},
                "manager": {"safety_practice": 5, "customer_etiquette": 4},
            },
        ),
        items={
            "service_orders": 112,  # 100 × 56 / 50
            "first_time_fix": 85,  # 84 ≥ 80
            "customer_satisfaction": 86,  # between (80, 70) and (90, 90): 70 + 8/10 × 20
            "response_hours": 78.75,  # between (4, 85) and (8, 60): 85 − 1/4 × 25
            "service_report_on_time": 85,  # 96 ≥ 95
            "spare_parts_accuracy": 100,
            "customer_etiquette": 88,  # (20 × 100 + 80 × 85) / 100
        },
        sections={
            "results": 93.4,  # (30 × 112 + 40 × 85 + 30 × 86) / 100 = 9340 / 100
            "process": 87,  # (40 × 78.75 + 30 × 85 + 30 × 100) / 100 = 8700 / 100
            "conduct": 94,  # (50 × 100 + 50 × 88) / 100
        },
        base=91.57,  # (55 × 93.4 + 30 × 87 + 15 × 94) / 100 = 9157 / 100
        total=90.57,  # + 2 praises × 2 − 1 complaint × 5
        grade="A",
        outputs={
            "coefficient": 1.2,
            "service_bonus": 1280,  # 40 × 20 + (56 − 40) × 30 = 800 + 480
        },
    )


def test_sales_representative_with_peers_and_written_feedback():
    definition = template("manufacturing", "mfg-sales-representative")
    words = {"strengths": "Shares every lead.", "improvements": "Update the CRM daily."}
    inputs = {
        "targets": {"sales_amount": 200000},
        "data": {
            "sales_amount": 212000,
            "collection_rate": 88,
            "new_customers": 2,
            "customer_coverage": 100,
            "expense_violations": 1,
        },
        "self": {"customer_focus": 4, "teamwork": 5, "market_sharing": 3},
        "manager": {
            "customer_focus": 5,
            "teamwork": 4,
            "market_sharing": 4,
            "overall_comment": "A strong month.",
        }
        | words,
        "peers": [
            {"customer_focus": 5, "teamwork": 5, "market_sharing": 4} | words,
            {"customer_focus": 4, "teamwork": 5, "market_sharing": 4},
            {"customer_focus": 4, "teamwork": 4, "market_sharing": 3} | words,
        ],
    }
    result = score(definition, inputs)
    check(
        result,
        items={
            "sales_amount": 106,  # 100 × 212000 / 200000
            "collection_rate": 70,  # 88 ≥ 80
            "new_customers": 85,  # 2 ≥ 2
            "customer_coverage": 100,  # 100 ≥ 90
            # self 10, manager 70, peers 20 (their average): (10 × 85 + 70 × 100 + 20 × 90) / 100
            "customer_focus": 96.5,  # peers (100 + 85 + 85) / 3 = 90
            "teamwork": 88.5,  # (10 × 100 + 70 × 85 + 20 × 95) / 100; peers 285 / 3 = 95
            "market_sharing": 82.5,  # (10 × 70 + 70 × 85 + 20 × 80) / 100; peers 240 / 3 = 80
        },
        sections={
            "results": 91,  # (50 × 106 + 30 × 70 + 20 × 85) / 100 = 9100 / 100
            "process": 100,  # customer coverage alone
            "behaviour": 89.9,  # (40 × 96.5 + 30 × 88.5 + 30 × 82.5) / 100 = 8990 / 100
        },
        base=92.08,  # (60 × 91 + 15 × 100 + 25 × 89.9) / 100 = 9207.5 / 100 = 92.075
        total=87.08,  # − 1 expense violation × 5
        grade="A",
        outputs={
            "coefficient": 1.2,
            # 150000 × 1 % + 62000 × 2 % = 2740, × 0.8 as collections are below 90 %
            "commission": 2192,
        },
    )
    # Words carry no score: the comments are not items' scores and leave the total alone.
    assert result.items["strengths"] is None and result.items["overall_comment"] is None
    silent = {
        rater: [{k: v for k, v in p.items() if k not in words} for p in value]
        if rater == "peers"
        else value
        for rater, value in inputs.items()
    }
    assert score(definition, silent).total == 87.08


def test_store_associate():
    check(
        score(
            template("retail", "retail-store-associate"),
            {
                "targets": {"personal_sales": 60000, "member_signups": 20},
                "data": {
                    "personal_sales": 72000,
                    "conversion_rate": 21,
                    "member_signups": 18,
                    "mystery_shopper": 86,
                    "cash_errors": 1,
                    "customer_complaints": 0,
                },
                "manager": {"display_compliance": 4, "store_teamwork": 4},
                "peers": [{"store_teamwork": 5}, {"store_teamwork": 5}, {"store_teamwork": 4}],
            },
        ),
        items={
            "personal_sales": 120,  # 100 × 72000 / 60000 = 120 (cap 130)
            "conversion_rate": 85,  # 21 ≥ 20
            "member_signups": 90,  # 100 × 18 / 20
            "mystery_shopper": 88,  # between (80, 80) and (95, 100): 80 + 6/15 × 20
            "cash_errors": 80,  # 100 − 20 × 1
            "display_compliance": 85,
            # manager 85 × 60, peers (100 + 100 + 85) / 3 = 95 × 40: (5100 + 3800) / 100
            "store_teamwork": 89,
        },
        sections={
            "sales": 107,  # (60 × 120 + 20 × 85 + 20 × 90) / 100
            "service": 84.7,  # (40 × 88 + 30 × 80 + 30 × 85) / 100 = 8470 / 100
            "team": 89,
        },
        base=98.73,  # (60 × 107 + 25 × 84.7 + 15 × 89) / 100 = 98.725 → 98.73 (half away)
        total=98.73,
        grade="S",
        outputs={
            "coefficient": 1.5,
            "commission": 830,  # 50000 × 1 % + (72000 − 50000) × 1.5 % = 500 + 330
        },
    )


def test_store_manager():
    check(
        score(
            template("retail", "retail-store-manager"),
            {
                "targets": {"store_sales": 1000000, "gross_margin": 30, "sales_per_head": 80000},
                "data": {
                    "store_sales": 1050000,
                    "gross_margin": 28.8,
                    "shrinkage": 0.8,
                    "sales_per_head": 84000,
                    "audit_score": 90,
                    "staff_turnover": 8,
                },
                "self": {"execution": 4},
                "manager": {"people_development": 4, "execution": 5},
                "subordinates": [
                    {"people_development": 5},
                    {"people_development": 4},
                    {"people_development": 3},
                ],
                "hr": {"regional_award": 2, "major_violation": 0},
            },
        ),
        items={
            "store_sales": 105,
            "gross_margin": 85,  # achievement 28.8 / 30 = 96 % ≥ 95 → 85
            "shrinkage": 65,  # between (0.6, 80) and (1.0, 50): 80 − 0.2/0.4 × 30
            "sales_per_head": 105,
            "audit_score": 90,  # between (85, 80) and (95, 100): 80 + 5/10 × 20
            "staff_turnover": 70,  # between (5, 85) and (10, 60): 85 − 3/5 × 25
            "people_development": 85,  # (60 × 85 + 40 × (100 + 85 + 70) / 3) / 100
            "execution": 97,  # (20 × 85 + 80 × 100) / 100
        },
        sections={
            "business": 92,  # (40 × 105 + 25 × 85 + 20 × 65 + 15 × 105) / 100 = 9200 / 100
            "operations": 82,  # (60 × 90 + 40 × 70) / 100
            "leadership": 91,  # (50 × 85 + 50 × 97) / 100
        },
        base=89.85,  # (65 × 92 + 20 × 82 + 15 × 91) / 100 = 8985 / 100
        total=91.85,  # + regional award 2
        grade="A",
        outputs={
            "coefficient": 1.15,
            "store_bonus": 2415,  # ROUND(1050000 × 0.002 × 1.15) = ROUND(2415.0)
        },
    )


def test_field_sales_commission_follows_collections():
    definition = template("retail", "retail-field-sales")
    inputs = {
        "targets": {"sales": 300000, "new_customers": 4, "store_visits": 80},
        "data": {
            "sales": 330000,
            "new_customers": 5,
            "collection_rate": 92,
            "store_visits": 92,
            "distribution": 85,
            "crm_on_time": 100,
            "customer_coverage": 90,
            "expense_violations": 0,
        },
        "self": {"expense_compliance": 5},
        "manager": {"market_feedback": 4, "expense_compliance": 5},
        "hr": {"fake_visits": 0},
    }
    check(
        score(definition, inputs),
        items={
            "sales": 110,  # 100 × 330000 / 300000
            "new_customers": 125,  # 100 × 5 / 4 (cap 150)
            "collection_rate": 85,  # 92 ≥ 90
            "store_visits": 110,  # 100 × 92 / 80 = 115, capped at 110
            "distribution": 86.67,  # between (80, 80) and (95, 100): 80 + 5/15 × 20 = 86.666…
            "crm_on_time": 100,
            "customer_coverage": 100,  # 90 ≥ 90
            "market_feedback": 85,
            "expense_compliance": 100,
        },
        sections={
            "results": 107.5,  # (50 × 110 + 25 × 125 + 25 × 85) / 100
            # (40 × 110 + 25 × 86.67 + 15 × 100 + 20 × 100) / 100 = 100.6675 → 100.67
            "process": 100.67,
            "conduct": 92.5,
        },
        base=103.54,  # (60 × 107.5 + 25 × 100.67 + 15 × 92.5) / 100 = 103.5425 → 103.54
        total=103.54,
        grade="S",
        outputs={
            "coefficient": 1.5,
            "commission": 4600,  # 200000 × 1 % + 130000 × 2 % = 2000 + 2600, collections ≥ 90 %
        },
    )
    inputs["data"]["collection_rate"] = 85  # below 90 %: only 80 % of the commission
    assert score(definition, inputs).outputs["commission"] == pytest.approx(3680)  # 4600 × 0.8


def test_customer_service_agent():
    check(
        score(
            template("services", "svc-customer-service-agent"),
            {
                "targets": {"tickets_resolved": 420},
                "data": {
                    "tickets_resolved": 441,
                    "fcr": 80,
                    "csat": 91,
                    "qa_score": 88,
                    "handle_minutes": 6.5,
                    "sla_rate": 97,
                    "escalated_complaints": 1,
                    "commendations": 2,
                },
                "self": {"knowledge_sharing": 5},
                "manager": {"knowledge_sharing": 4},
                "peers": [
                    {"internal_satisfaction": 4},
                    {"internal_satisfaction": 4},
                    {"internal_satisfaction": 5},
                ],
            },
        ),
        items={
            "tickets_resolved": 105,  # 100 × 441 / 420
            "fcr": 85,  # 80 ≥ 75
            "csat": 92,  # between (85, 80) and (95, 100): 80 + 6/10 × 20
            "qa_score": 88.33,  # between (80, 75) and (95, 100): 75 + 8/15 × 25 = 88.333…
            "handle_minutes": 92.5,  # between (5, 100) and (8, 85): 100 − 1.5/3 × 15
            "sla_rate": 85,  # 97 ≥ 95
            "internal_satisfaction": 90,  # (85 + 85 + 100) / 3
            "knowledge_sharing": 86.5,  # self weight 10: (10 × 100 + 90 × 85) / 100
        },
        sections={
            "results": 93.45,  # (30 × 105 + 35 × 85 + 35 × 92) / 100 = 9345 / 100
            "quality": 88.54,  # (50 × 88.33 + 25 × 92.5 + 25 × 85) / 100 = 8854 / 100
            "internal": 88.6,  # (60 × 90 + 40 × 86.5) / 100
        },
        base=91.01,  # (50 × 93.45 + 30 × 88.54 + 20 × 88.6) / 100 = 91.007 → 91.01
        total=89.01,  # − 1 escalation × 4 + 2 commendations × 1
        grade="A",
        outputs={"coefficient": 1.2},
    )


def test_field_technician():
    check(
        score(
            template("services", "svc-field-technician"),
            {
                "targets": {"visits_completed": 100},
                "data": {
                    "visits_completed": 110,
                    "first_time_fix": 86,
                    "on_time_arrival": 96,
                    "repeat_rate": 4,
                    "customer_rating": 4.6,
                    "valid_complaints": 0,
                },
                "self": {"tools_upkeep": 3},
                "manager": {"site_safety": 5, "tools_upkeep": 4},
                "hr": {"safety_violation": 0},
            },
        ),
        items={
            "visits_completed": 110,
            "first_time_fix": 85,  # 86 ≥ 80
            "on_time_arrival": 85,  # 96 ≥ 95
            "repeat_rate": 76.67,  # between (3, 85) and (6, 60): 85 − 1/3 × 25 = 76.666…
            "customer_rating": 92,  # between (4.5, 90) and (5, 100): 90 + 0.1/0.5 × 10
            "site_safety": 100,
            "tools_upkeep": 82,  # (20 × 70 + 80 × 85) / 100
        },
        sections={
            "results": 93.75,  # (35 × 110 + 35 × 85 + 30 × 85) / 100 = 9375 / 100
            "quality": 84.34,  # (50 × 76.67 + 50 × 92) / 100 = 84.335 → 84.34
            "conduct": 91,  # (50 × 100 + 50 × 82) / 100
        },
        base=90.38,  # (50 × 93.75 + 30 × 84.34 + 20 × 91) / 100 = 90.377 → 90.38
        total=90.38,
        grade="A",
        outputs={
            "coefficient": 1.2,
            "visit_pay": 1800,  # 80 × 15 + 30 × 20 = 1200 + 600
        },
    )


def test_account_manager():
    check(
        score(
            template("services", "svc-account-manager"),
            {
                "targets": {"revenue_collected": 500000, "new_accounts": 2, "customer_visits": 40},
                "data": {
                    "revenue_collected": 540000,
                    "renewal_rate": 88,
                    "new_accounts": 3,
                    "customer_visits": 42,
                    "customer_coverage": 80,
                    "account_plans": 90,
                    "bad_debt": 20000,
                },
                "manager": {"crm_quality": 4, "delivery_collaboration": 4},
                "peers": [
                    {"delivery_collaboration": 5},
                    {"delivery_collaboration": 5},
                    {"delivery_collaboration": 4},
                ],
            },
        ),
        items={
            "revenue_collected": 108,  # 100 × 540000 / 500000
            "renewal_rate": 70,  # 88 ≥ 80
            "new_accounts": 150,  # 100 × 3 / 2 = 150 (cap 150)
            "customer_visits": 105,  # 100 × 42 / 40
            "customer_coverage": 85,  # 80 ≥ 75
            "account_plans": 85,  # 90 ≥ 90
            "crm_quality": 85,
            "delivery_collaboration": 90,  # (50 × 85 + 50 × (100 + 100 + 85) / 3) / 100
        },
        sections={
            "results": 107.1,  # (45 × 108 + 30 × 70 + 25 × 150) / 100 = 10710 / 100
            "process": 91,  # (30 × 105 + 20 × 85 + 25 × 85 + 25 × 85) / 100 = 9100 / 100
            "collaboration": 90,
        },
        base=100.51,  # (60 × 107.1 + 25 × 91 + 15 × 90) / 100 = 10051 / 100
        total=98.51,  # − bad debt 20000 / 10000 = 2 points
        grade="S",
        outputs={
            "coefficient": 1.5,
            "commission": 13200,  # 300000 × 2 % + 240000 × 3 % = 6000 + 7200
        },
    )
