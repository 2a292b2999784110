"""The business-event pages (HR admins): the list, the held-people queue and its mapping
screen (map → matched and remembered for the next batch; set aside; someone else first →
409; a bad number → the message next to the field, what was typed kept), the file import
(dry run, all or nothing, apply, mapping remembered), and who may open them."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from appraisal.models import AuditEvent, ExternalEvent, ExternalPerson, ImportMapping
from appraisal.runtime.metrics import events as services
from tests.conftest import PASSWORD, field_errors


def _browser(app, email="hr@acme.example", language="en"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client


def _push(db, org, *items):
    """Events arriving as the API would deliver them."""
    batch = [
        {
            "source": "crm",
            "external_id": external_id,
            "kind": "lead_created",
            "occurred_at": "2026-11-02T10:00:00+08:00",
            "person": person,
            "attributes": {"amount": "100"},
        }
        for external_id, person in items
    ]
    received = services.receive_events(db, org.id, batch, None)
    db.commit()
    return received


def _events(db):
    db.expire_all()
    return {e.external_id: e for e in db.scalars(select(ExternalEvent))}


def test_held_people_are_mapped_and_the_mapping_is_used_next_time(app, db, crm, refreshed):
    _push(
        db, crm.org, ("1", {"user_id": "u-7"}), ("2", {"user_id": "u-7"}), ("3", {"user_id": "u-9"})
    )
    client = _browser(app)
    queue = client.get("/events/held")
    assert queue.status_code == 200
    assert 'data-ref="user_id:u-7"' in queue.text and 'data-ref="user_id:u-9"' in queue.text
    url = "/events/held/person?source=crm&ref=user_id:u-7"
    screen = client.get(url)
    assert screen.status_code == 200 and "2 events" in screen.text

    wrong = client.post(
        url, data={"source": "crm", "ref": "user_id:u-7", "employee_number": "E404"}
    )
    assert wrong.status_code == 422
    assert field_errors(wrong.text) == ["No employee has this number."]
    assert 'value="E404"' in wrong.text
    assert _events(db)["1"].status == "held"

    done = client.post(
        url, data={"source": "crm", "ref": "user_id:u-7", "employee_number": "E0012"}
    )
    assert done.status_code == 302
    stored = _events(db)
    assert [(stored[i].status, stored[i].employee_id) for i in "12"] == [("matched", crm.li.id)] * 2
    assert stored["3"].status == "held"
    assert refreshed[-1] == (crm.org.id, [crm.li.id])
    assert (
        db.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "event.person_mapped")
        )
        == 1
    )

    # the next batch with that reference matches at once
    again = _push(db, crm.org, ("4", {"user_id": "u-7"}))
    assert [o.status for o in again.outcomes] == ["matched"]
    assert _events(db)["4"].employee_id == crm.li.id

    # someone else mapped it first (a second tab): a clear 409, nothing changes
    late = client.post(
        url, data={"source": "crm", "ref": "user_id:u-7", "employee_number": "E0013"}
    )
    assert late.status_code == 409
    assert "already mapped" in late.text
    assert db.scalar(select(func.count(ExternalPerson.id))) == 1


def test_the_picker_finds_employees_and_maps_with_a_click(app, db, crm):
    _push(db, crm.org, ("1", {"email": "lei@old-domain.cn"}))
    client = _browser(app)
    url = "/events/held/person?source=crm&ref=email:lei@old-domain.cn"
    page = client.get(url + "&q=李")
    assert "E0012 李雷" in page.text and "韩梅梅" not in page.text
    picked = client.post(
        "/events/held/person",
        data={"source": "crm", "ref": "email:lei@old-domain.cn", "employee_number": "E0012"},
    )
    assert picked.status_code == 302
    assert _events(db)["1"].employee_id == crm.li.id


def test_a_group_is_set_aside_and_a_second_try_is_a_conflict(app, db, crm):
    _push(db, crm.org, ("1", {"user_id": "bot"}))
    client = _browser(app)
    data = {"source": "crm", "ref": "user_id:bot"}
    assert client.post("/events/held/set-aside", data=data).status_code == 302
    assert _events(db)["1"].status == "dismissed"
    again = client.post("/events/held/set-aside", data=data)
    assert again.status_code == 409 and "already mapped or set aside" in again.text
    # a dismissed event sent again still changes nothing
    assert [o.status for o in _push(db, crm.org, ("1", {"user_id": "bot"})).outcomes] == [
        "unchanged"
    ]


def test_another_organizations_reference_is_not_found(app, db, crm):
    services.receive_events(
        db,
        crm.beta.id,
        [
            {
                "source": "crm",
                "external_id": "x",
                "kind": "lead_created",
                "occurred_at": "2026-11-02T10:00:00",
                "person": {"user_id": "secret"},
            }
        ],
        None,
    )
    db.commit()
    client = _browser(app)
    assert client.get("/events/held/person?source=crm&ref=user_id:secret").status_code == 404
    data = {"source": "crm", "ref": "user_id:secret", "employee_number": "E0012"}
    assert client.post("/events/held/person", data=data).status_code == 404
    assert client.post("/events/held/set-aside", data=data).status_code == 404
    assert _events(db)["x"].status == "held"
    assert "secret" not in client.get("/events").text


def test_the_list_filters_and_searches(app, db, crm):
    _push(
        db,
        crm.org,
        ("1", {"employee_number": "E0012"}),
        ("2", {"employee_number": "E0013"}),
        ("3", {"user_id": "u-1"}),
    )
    client = _browser(app, language="zh")
    page = client.get("/events")
    assert page.status_code == 200 and "新增线索" in page.text
    assert page.text.count("data-external-id=") == 3
    held = client.get("/events?status=held").text
    assert held.count("data-external-id=") == 1 and "user_id:u-1" in held
    assert client.get("/events?person=韩").text.count("data-external-id=") == 1
    odd = client.get("/events?status=lost&kind=x&page=-3&person=" + "x" * 500)
    assert odd.status_code == 200
    assert client.get("/events?person=%00").status_code == 400  # refused at the boundary


def test_only_hr_admins_open_the_event_pages(app, db, crm):
    _push(db, crm.org, ("1", {"user_id": "u-7"}))
    urls = [
        "/events",
        "/events/held",
        "/events/held/person?source=crm&ref=user_id:u-7",
        "/events/import",
    ]
    for email in ("imp@acme.example", "boss@acme.example", "li.sign-in@acme.example"):
        client = _browser(app, email)
        for url in urls:
            assert client.get(url).status_code == 403, (email, url)
        data = {"source": "crm", "ref": "user_id:u-7", "employee_number": "E0012"}
        assert client.post("/events/held/person", data=data).status_code == 403
        assert client.post("/events/held/set-aside", data=data).status_code == 403
    assert _events(db)["1"].status == "held"


HEADER = "线索编号,负责人工号,创建时间,金额,客户编码\n"


def _upload(client, text: str, kind="lead_created", source="crm"):
    response = client.post(
        "/events/import",
        data={
            "file": (io.BytesIO(text.encode("utf-8")), "leads.csv"),
            "encoding": "auto",
            "kind": kind,
            "source": source,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


MAPPING = {
    "map_external_id": "线索编号",
    "map_person": "负责人工号",
    "map_occurred_at": "创建时间",
    "map_amount": "金额",
    "map_customer": "客户编码",
}


def test_a_file_is_checked_then_applied_all_at_once(app, db, crm, refreshed):
    client = _browser(app)
    bad = _upload(
        client, HEADER + "L1,E0012,2026-11-02 09:00,1200,C001\n,,,,\nL2,E0013,not a time,abc,C002\n"
    )
    page = client.get(bad)
    assert page.status_code == 200
    for name, column in MAPPING.items():  # guessed from the Chinese headings
        assert (
            f'<option selected value="{column}">'
            in page.text.split(f'name="{name}"')[1].split("</select>")[0]
        ), name
    checked = client.post(
        bad, data={"action": "check", "source": "crm", "person_kind": "employee_number", **MAPPING}
    )
    assert checked.status_code == 422
    assert 'data-count="error">1<' in checked.text
    assert "<td>3</td><td>Occurred at</td>" in checked.text  # the reader skips blank lines
    assert "<td>3</td><td>Amount</td>" in checked.text
    applied = client.post(
        bad, data={"action": "apply", "source": "crm", "person_kind": "employee_number", **MAPPING}
    )
    assert applied.status_code == 422 and _events(db) == {}  # all or nothing

    good = _upload(
        client, HEADER + "L1,E0012,2026-11-02 09:00,1200,C001\nL2,U-77,2026-11-03 09:00,80.5,C002\n"
    )
    dry = client.post(
        good, data={"action": "check", "source": "crm", "person_kind": "employee_number", **MAPPING}
    )
    assert dry.status_code == 200
    assert 'data-count="matched">1<' in dry.text and 'data-count="held">1<' in dry.text
    assert _events(db) == {}
    done = client.post(
        good, data={"action": "apply", "source": "crm", "person_kind": "employee_number", **MAPPING}
    )
    assert done.status_code == 302
    stored = _events(db)
    assert stored["L1"].attributes == {"amount": "1200.00", "customer": "C001"}
    assert str(stored["L1"].occurred_on) == "2026-11-02" and stored["L2"].status == "held"
    remembered = db.scalar(select(ImportMapping).where(ImportMapping.kind == "events:lead_created"))
    assert remembered.columns["person_kind"] == "employee_number"
    assert remembered.columns["amount"] == "金额"

    # the same file again: every row unchanged
    again = _upload(client, HEADER + "L1,E0012,2026-11-02 09:00,1200,C001\n")
    redo = client.post(
        again,
        data={"action": "check", "source": "crm", "person_kind": "employee_number", **MAPPING},
    )
    assert 'data-count="unchanged">1<' in redo.text


def test_the_import_refuses_a_bad_source_and_missing_columns(app, db, crm):
    client = _browser(app)
    url = _upload(client, HEADER + "L1,E0012,2026-11-02 09:00,1200,C001\n")
    missing = client.post(
        url,
        data={
            "action": "check",
            "source": "crm",
            "person_kind": "employee_number",
            "map_person": "负责人工号",
        },
    )
    assert missing.status_code == 422
    assert "choose the column that holds this" in missing.text
    bad_source = client.post(
        url, data={"action": "check", "source": "C R M", "person_kind": "email", **MAPPING}
    )
    assert bad_source.status_code == 422
    assert client.get(url.replace("kind=lead_created", "kind=nope")).status_code == 404
    assert _events(db) == {}
