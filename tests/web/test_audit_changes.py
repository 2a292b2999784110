"""Every edit's audit event says what it changed, before and after (issue 22): a guard over
the audit actions whose verb means an edit, each done for real through its service."""

from __future__ import annotations

import ast
import inspect
import json
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal import audit, encryption
from appraisal.builder import activity_types, metric_services
from appraisal.builder import services as builder
from appraisal.goals import services as goals
from appraisal.goals.tree import GoalViewer
from appraisal.labels import AUDIT_ACTION, RECORDED_BEFORE
from appraisal.models import AuditEvent, EmployeeStatus, GoalNode, Membership
from appraisal.notifications import robot_services as robots
from appraisal.notifications import setup as messages
from appraisal.people import services as people
from appraisal.runtime.calibration import calibration
from appraisal.runtime.continuous import checkins
from appraisal.runtime.cycles import cycles
from appraisal.runtime.fieldwork import customers, review
from appraisal.runtime.fieldwork.records import record_activity
from appraisal.runtime.metrics import values
from appraisal.runtime.reviews import reviews
from appraisal.states import Channel, NotificationKind
from appraisal.users import services as users
from tests.runtime import conftest as runtime
from tests.runtime.conftest import appraisal_of
from tests.runtime.fieldwork import conftest as fieldwork
from tests.runtime.metrics import conftest as metrics
from tests.runtime.metrics.conftest import metric_definition

# The runtime fixtures, requested by the drivers that need them (`request.getfixturevalue`).
company, launched, calibrating = runtime.company, runtime.launched, runtime.calibrating
field, visits, add_metric = fieldwork.field, metrics.visits, metrics.add_metric

#: A verb that means an existing row was changed.
EDIT_VERBS = (
    "saved",
    "edited",
    "updated",
    "changed",
    "settings",
    "set",
    "overridden",
    "bound",
    "proposed",
    "rescored",
)

#: Edit actions whose event carries no `changes`, and why.
ALLOWED = {
    "review.saved": "a review's answers are the rater's: the log, read with who acted, would "
    "unmask anonymous peer reviews; HR reads the answers on the appraisal",
    "password.changed": "a secret: the event itself says it changed, no value is ever kept",
    "password.set": "a secret: the event itself says it was set, no value is ever kept",
    "course.saved": "only ever adds a course (no edit path)",
    "cycle.figures_set": "a bulk import over many appraisals: the event counts the values; each "
    "appraisal's figures keep their own history",
    "cycle.targets_set": "a bulk import over many appraisals: the event counts the values",
    "cycle.quotas_set": "records changes; exercised in tests/runtime/test_calibration.py",
}

#: Edit actions that record `changes` and are driven for real elsewhere (their setup is a
#: whole scoped calibration or a rule change): named here with the test that checks them.
DRIVEN_ELSEWHERE = {
    "appraisal.grade_proposed": "tests/runtime/test_scoped_roles.py",
    "appraisal.rescored": "tests/runtime/test_anonymity.py",
}


def _edit_actions() -> set[str]:
    return {
        action
        for action in AUDIT_ACTION
        if action not in RECORDED_BEFORE and action.split(".", 1)[1].split("_")[-1] in EDIT_VERBS
    }


@pytest.fixture
def acme(make):
    org = make.org("acme", "Acme Ltd")
    make.member(org, "hr@acme.example", roles=("admin",))
    make.member(org, "boss@acme.example", roles=("manager",))
    return org


def _department(db, acme):
    made = people.save_department(db, acme.id, name="Sales")
    people.save_department(db, acme.id, name="Retail sales", code="RS", department=made)


def _position(db, acme):
    made = people.save_position(db, acme.id, name="Rep", staff_kind="field")
    people.save_position(db, acme.id, name="Senior rep", staff_kind="office", position=made)


def _employee(db, acme):
    fields = {"number": "E1", "name": "Ann", "email": None, "hire_date": None}
    made = people.save_employee(db, acme.id, **fields)
    people.save_employee(db, acme.id, **fields | {"name": "Ann Lee"}, employee=made)


def _status(db, acme):
    made = people.save_employee(db, acme.id, number="E2", name="Bo")
    people.set_employee_status(db, made, EmployeeStatus.LEFT, None)


def _indicator(db, acme):
    made = builder.save_indicator(db, acme.id, None, key="sales", name_zh="销售额", name_en="Sales")
    builder.save_indicator(
        db, acme.id, None, key="sales", name_zh="销售额", name_en="Revenue", indicator=made
    )


def _settings(db, acme):
    users.set_managers_see_chain(db, acme, not acme.managers_see_chain, None)


def _member(db, acme):
    hr, boss = db.scalars(
        select(Membership).where(Membership.organization_id == acme.id).order_by(Membership.id)
    ).all()
    users.update_member(db, boss, roles={"manager", "employee"}, acting_user_id=hr.user_id)


def _draft(db, acme):
    template = builder.create_template(db, acme.id, None, key="sales", name="Sales")
    draft = dict(builder.start_draft(template)) | {"period": "month"}
    builder.save_draft(db, template, draft, None)


def _message(db, acme):
    kind = next(iter(messages.KINDS))
    messages.save_template(db, acme.id, kind, "en", "Hello", "First words", 0, None)
    row = messages.template_for(db, acme.id, kind, "en")
    messages.save_template(db, acme.id, kind, "en", "Hello", "Other words", row.version, None)


# -- edits that need a launched cycle, a field team or goals (the runtime fixtures) ----------


def _grade(db, calibrating, company):
    ann = appraisal_of(db, company, "ann")
    calibration.override_grade(db, ann, "C", "Lost the key account", None, ann.version)


def _targets(db, launched, company):
    ann, bo = appraisal_of(db, company, "ann"), company.viewer(db, "boss@acme.example")
    reviews.save_targets(db, ann, bo, {"targets.sales": "100000"}, None)
    reviews.save_targets(db, ann, bo, {"targets.sales": "120000"}, ann.version)


def _bound(db, launched, visits, add_metric):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    values.bind_metrics(db, launched.scheme, {"sales": "assigned"}, None, {"sales": "visits"})


def _override(db, launched, company, visits, add_metric):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    ann = appraisal_of(db, company, "ann")
    value = values.metric_value_or_none(db, company.org.id, ann.id, "sales")
    values.override_value(db, value, "5", "Two visits were logged on paper", None, value.version)


def _scheme(db, launched, company):
    scheme = launched.scheme
    cycles.save_scheme(
        db,
        company.org.id,
        scheme,
        name="Sales 2026 (field)",
        template_version_id=scheme.template_version_id,
        staff_kind="any",
        period="quarter",
        department_ids=[],
        position_ids=[],
        user_id=None,
        version=scheme.version,
    )


def _checkin(db, company):
    bo, ann = company.viewer(db, "boss@acme.example"), company.people["ann"]
    words = {"agenda": "Q4 pipeline", "notes": "Two deals late", "blockers": "", "actions": ""}
    made = checkins.record(
        db, bo, ann, checkins.CheckInInput(date(2026, 10, 5), **words, next_on=None)
    )
    edited = checkins.CheckInInput(
        date(2026, 10, 6), **words | {"notes": "One deal late"}, next_on=date(2026, 10, 20)
    )
    checkins.edit(db, bo, made, edited, made.version)


def _customer(db, field):
    org, shop, fay = field["org"], field["shop"], field["people"]["F1"]
    customers.save_customer(
        db,
        org.id,
        {"name": "徐汇旗舰店（新）", "address": "上海市徐汇区漕溪北路"},
        [fay.id],
        customer=shop,
        version=shop.version,
    )


def _robot(db, app, acme):
    keys, hosts = encryption.keys_from_config(app.config), ["127.0.0.1"]
    kinds = [NotificationKind.REVIEW_TO_FILL]
    made = robots.save_robot(
        db,
        acme.id,
        robots.RobotValues(
            "Sales group",
            Channel.DINGTALK,
            "http://127.0.0.1/send?access_token=a",
            secret="SECold",
            kinds=kinds,
        ),
        keys,
        hosts,
    )
    robots.save_robot(
        db,
        acme.id,
        robots.RobotValues(
            "East sales group",
            Channel.DINGTALK,
            "http://127.0.0.1/send?access_token=b",
            secret="SECnew",
            kinds=kinds,
        ),
        keys,
        hosts,
        robot=made,
        version=made.version,
    )


def _goal_fields(target: str) -> goals.GoalFields:
    return goals.GoalFields(
        "sales", "Sales", "CNY", Decimal(60), date(2026, 10, 1), date(2026, 12, 31), target
    )


def _goal(db, acme):
    made = goals.save_goal(db, acme.id, None, _goal_fields("100000"), None, None)
    goals.save_goal(db, acme.id, made, _goal_fields("120000"), made.version, None)


def _split(db, company):
    hr = GoalViewer(company.org.id, None, None, True, False)
    goal = goals.save_goal(db, company.org.id, None, _goal_fields("100000"), None, None)
    root = goals.load_tree(db, goal).root
    for key in ("ann", "pat"):
        seen = goals.seen_node(db, hr, root.id)
        goals.add_part(db, seen, hr, None, company.people[key].id, None)
    seen = goals.seen_node(db, hr, root.id)
    ann, pat = seen.tree.children_of(seen.node)
    rows = [goals.Row(ann.id, "60000", False, ann.version), goals.Row(pat.id, "40000", True, None)]
    goals.save_split(db, seen, root.version, rows, None)


def _metric(db, company, visits):
    definition = metric_definition(
        "visits", source={"activity": "customer_visit"}, aggregation="count"
    )
    made = metric_services.create_metric(db, company.org.id, None, definition)
    renamed = definition | {"name": {"en": "Visits", "zh": "拜访次数"}}
    metric_services.update_metric(db, made, None, renamed, made.version)


def _activity(db, field):
    fay, manager = field["viewer"]("F1"), field["viewer"]("M1", roles=("manager",))
    values_ = {"customer": field["shop"].id, "purpose": "collect", "amount": "1200"}
    record = record_activity(
        db,
        fay,
        field["people"]["F1"],
        uuid=str(uuid.uuid4()),
        type_key="customer_visit",
        values=values_,
    ).record
    review.review_record(db, manager, record, "return", "Say what the demo showed")
    review.edit_record(db, fay, record, {"purpose": "demo"}, record.version)


def _activity_type(db, acme):
    made = activity_types.create_type(
        db, acme.id, None, key="visit", name={"zh": "拜访", "en": "Visit"}, kind="visit"
    )
    activity_types.save_settings(
        db,
        made,
        None,
        made.version,
        name={"zh": "客户拜访", "en": "Customer visit"},
        description=None,
        kind="visit",
        review=True,
        who={"staff": ["field"]},
    )


EDITS: dict[str, Callable] = {
    "department.saved": _department,
    "position.saved": _position,
    "employee.saved": _employee,
    "employee.status_changed": _status,
    "indicator.saved": _indicator,
    "organization.settings": _settings,
    "member.updated": _member,
    "template.draft_saved": _draft,
    "message_template.saved": _message,
    "appraisal.grade_overridden": _grade,
    "appraisal.targets_set": _targets,
    "scheme.metrics_bound": _bound,
    "metric.overridden": _override,
    "scheme.saved": _scheme,
    "checkin.edited": _checkin,
    "customer.saved": _customer,
    "robot.saved": _robot,
    "goal.saved": _goal,
    "goal.split_saved": _split,
    "metric.saved": _metric,
    "activity.edited": _activity,
    "activity_type.draft_saved": _activity_type,
}


def test_every_edit_action_is_driven_or_allowed_with_a_reason():
    known = set(EDITS) | set(ALLOWED) | set(DRIVEN_ELSEWHERE)
    assert _edit_actions() - known == set(), "an edit action nobody checks records its changes"
    assert known - _edit_actions() == set(), "a listed action is not an edit action any more"


@pytest.mark.parametrize("action", sorted(EDITS))
def test_an_edit_records_what_it_changed(app, db, request, action):
    """Each driver names the fixtures it needs (a launched cycle, a field team, …) as its
    parameters, and gets them here, as pytest would give them to a test."""
    drive = EDITS[action]
    given = {name: request.getfixturevalue(name) for name in inspect.signature(drive).parameters}
    with app.app_context():
        drive(**given)
    db.commit()
    last = db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()
    assert last is not None and last.detail.get("changes"), last and last.detail
    for field, pair in last.detail["changes"].items():
        assert pair == audit.CHANGED or (isinstance(pair, list) and pair[0] != pair[1]), field


def test_a_renamed_department_shows_old_and_new():
    before = {"name": "Sales", "code": None}
    assert audit.changes(before, {"name": "Retail", "code": None}) == {"name": ["Sales", "Retail"]}


def test_secrets_are_recorded_as_changed_without_values():
    moved = audit.changes(
        {"webhook_url": "https://x/?access_token=old", "password_hash": "a", "name": "R"},
        {"webhook_url": "https://x/?access_token=new", "password_hash": "b", "name": "R2"},
    )
    assert moved == {"webhook_url": "changed", "password_hash": "changed", "name": ["R", "R2"]}
    assert "access_token" not in json.dumps(moved)
    assert audit.changes({"notes": "private"}, {"notes": "words"}, withhold=["notes"]) == {
        "notes": "changed"
    }


def test_long_text_and_odd_values_are_kept_short_and_as_json():
    moved = audit.changes({"body": "a"}, {"body": "x" * 5000, "hire_date": date(2026, 1, 2)})
    assert len(moved["body"][1]) == audit.VALUE_LENGTH and moved["body"][1].endswith("…")
    assert moved["hire_date"] == [None, "2026-01-02"]
    json.dumps(moved)


def test_the_page_and_file_show_labels_and_words(client, auth, db, acme):
    audit.record(
        db,
        acme.id,
        None,
        "employee.saved",
        "employee",
        1,
        changes=audit.changes(
            {"status": "active", "webhook_url": "a"}, {"status": "left", "webhook_url": "b"}
        ),
    )
    db.commit()
    auth.login("hr@acme.example")
    html = client.get("/audit?entity=employee").get_data(as_text=True)
    assert (
        "<del><samp>Active</samp></del> → <ins><samp>Left</samp></ins>" in html
        and ">Status</span>" in html
    )
    assert "changed (not recorded)" in html
    csv = client.get("/audit.csv?entity=employee").get_data(as_text=True)
    assert "Status: Active → Left" in csv


def _last_changes(db, action: str) -> dict:
    db.commit()
    last = db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()
    return last.detail["changes"]


def test_a_value_taken_away_is_recorded_as_emptied():
    """An edit of a JSON document (a form's draft, a record's values) may drop a key: the
    log says what it held, not nothing."""
    moved = audit.changes({"purpose": "collect", "amount": "1200"}, {"purpose": "demo"})
    assert moved == {"purpose": ["collect", "demo"], "amount": ["1200", None]}


def test_a_corrected_record_that_drops_a_field_says_so(app, db, field):
    """Collect → demo hides the amount, so the correction drops it: the event names it."""
    with app.app_context():
        _activity(db, field)
    assert _last_changes(db, "activity.edited") == {
        "purpose": ["collect", "demo"],
        "amount": ["1200.00", None],
    }


def test_a_cleared_description_of_an_activity_form_says_so(db, acme):
    made = activity_types.create_type(
        db, acme.id, None, key="visit", name={"zh": "拜访", "en": "Visit"}, kind="visit"
    )
    settings = {"name": {"zh": "拜访", "en": "Visit"}, "kind": "visit", "review": False}
    for description in ({"zh": "上门", "en": "On site"}, None):
        activity_types.save_settings(
            db, made, None, made.version, description=description, who={}, **settings
        )
        db.flush()
    assert _last_changes(db, "activity_type.draft_saved") == {
        "description": [{"en": "On site", "zh": "上门"}, None]
    }


def test_rebinding_one_item_records_that_item_only(app, db, launched, visits, add_metric):
    """Bindings of the other items stay as they were: the event names the item moved."""
    with app.app_context():
        _bound(db, launched, visits, add_metric)
    assert _last_changes(db, "scheme.metrics_bound") == {"sales": ["visits", "assigned"]}


def test_a_lock_alone_is_a_recorded_change_of_a_split(db, company):
    """Locking a part keeps its target through the next split: a change of its own."""
    _split(db, company)
    hr = GoalViewer(company.org.id, None, None, True, False)
    root = db.scalar(select(GoalNode).where(GoalNode.parent_id.is_(None)))
    seen = goals.seen_node(db, hr, root.id)
    ann, pat = seen.tree.children_of(seen.node)
    rows = [goals.Row(ann.id, "60000", True, None), goals.Row(pat.id, "40000", True, None)]
    assert goals.save_split(db, seen, root.version, rows, None) == 1
    assert _last_changes(db, "goal.split_saved") == {f"{ann.id}.locked": [False, True]}


def test_a_robot_saved_with_its_webhook_pasted_again_records_no_webhook_change(app, db, acme):
    """The webhook is stored encrypted, a new ciphertext each time: the same address pasted
    again is not a change (and a real change says only "changed", see the next test)."""
    keys, kinds = encryption.keys_from_config(app.config), [NotificationKind.REVIEW_TO_FILL]
    url = "http://127.0.0.1/send?access_token=a"
    made = robots.save_robot(
        db,
        acme.id,
        robots.RobotValues("Sales", Channel.DINGTALK, url, kinds=kinds),
        keys,
        ["127.0.0.1"],
    )
    again = robots.RobotValues("Sales east", Channel.DINGTALK, url, kinds=kinds)
    robots.save_robot(db, acme.id, again, keys, ["127.0.0.1"], robot=made, version=made.version)
    assert _last_changes(db, "robot.saved") == {"name": ["Sales", "Sales east"]}


def test_a_robots_new_webhook_and_secret_are_recorded_without_their_values(app, db, acme):
    with app.app_context():
        _robot(db, app, acme)
    db.commit()
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "robot.saved").order_by(AuditEvent.id.desc())
    ).first()
    assert event.detail["changes"]["webhook_url"] == audit.CHANGED
    assert event.detail["changes"]["secret"] == audit.CHANGED
    kept = json.dumps(event.detail)
    assert "access_token" not in kept and "127.0.0.1" not in kept
    assert "SEC" not in kept  # not a page


def test_no_event_keeps_a_before_and_after_of_its_own():
    """The class of defect: an edit audited as `before=…, after=…` beside `changes` (a
    department head's proposal, a result worked out again) reads in the log as raw keys and
    `None` instead of "Proposed grade: — → A" in the reader's words. Every edit's values go
    through `audit.changes`."""
    root = Path(__file__).parents[2] / "appraisal"
    own = {"before", "after", "old", "new", "was", "now", "previous"}
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
            ):
                keys = {k.arg for k in node.keywords} & own
                if keys:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {sorted(keys)}")
    assert found == []
