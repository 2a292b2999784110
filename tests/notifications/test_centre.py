"""Issue 19: the bell and the in-app centre. Every signed-in page shows the unread count
(one query; "99+" past 99; none at all on anonymous pages); the centre lists the person's
own entries of the current organization, newest first, in the reader's language (HR's
words where HR wrote some); opening one marks it read and goes to its task, never to
another site; another person's or organization's entry is a 404."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from appraisal.models import MessageTemplate, Notification, User
from appraisal.notifications.services import Event, notify
from appraisal.states import NotificationKind

START = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
CONTEXT = {"cycle": "2026 Q4", "employee": "Li Lei", "step": "self", "due": "2026-12-10"}


@pytest.fixture
def people(make, db):
    acme, globex = make.org("acme", "Acme"), make.org("globex", "Globex")
    ann = make.member(acme, "ann@acme.example", roles=("employee",)).user_id
    make.member(globex, "ann@acme.example", roles=("employee",))
    bob = make.member(acme, "bob@acme.example", roles=("employee",)).user_id
    return acme, globex, ann, bob


def tell(db, org, users, n=1, link="/appraisals/1", context=CONTEXT, first=0, **fields):
    """`n` review tasks for `users`, a minute apart (entry i is "Employee i")."""
    for i in range(first, first + n):
        notify(
            db,
            Event(
                organization_id=org.id,
                kind=fields.get("kind", NotificationKind.REVIEW_TO_FILL),
                key=f"appraisal:{i}:self",
                user_ids=users,
                context={**context, "employee": context.get("employee", "") + f" {i}"},
                link=link,
            ),
            START + timedelta(minutes=i),
        )
    db.commit()


def entry_ids(db, user_id, org=None) -> list[int]:
    query = select(Notification.id).where(Notification.user_id == user_id)
    if org is not None:
        query = query.where(Notification.organization_id == org.id)
    return list(db.scalars(query.order_by(Notification.id)))


def unread(db, user_id) -> int:
    return db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def bell(html: str) -> tuple[str | None, str | None]:
    """(the badge's text, the bell's spoken label); (None, None) without a bell."""
    link = re.search(r'<a [^>]*id="nav-bell"[^>]*>', html)
    if link is None:
        return None, None
    spoken = re.search(r'aria-label="([^"]*)"', link.group()).group(1)
    badge = re.search(r'id="bell-count"[^>]*>([^<]*)<', html)
    return (badge.group(1) if badge else None), spoken


@contextmanager
def statements_on_notifications(app):
    """The SQL statements the app sends that read the notifications table."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bnotifications\b", statement):
            seen.append(statement)

    engine = app.extensions["appraisal.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_bell_shows_the_unread_count_on_every_signed_in_page(client, auth, db, people):
    acme, globex, ann, bob = people
    auth.login("ann@acme.example")
    assert bell(client.get("/").text) == (None, "0 unread notifications")  # no badge at 0
    tell(db, acme, [ann, bob], 3)
    tell(db, globex, [ann], 2, first=50)  # the other organization's are not counted here
    assert len(entry_ids(db, ann, globex)) == 2
    for page in ("/", "/notifications", "/notifications/preferences", "/account/"):
        assert bell(client.get(page).text) == ("3", "3 unread notifications"), page


def test_the_bell_says_99_plus_past_99(client, auth, db, people):
    acme, _globex, ann, _bob = people
    tell(db, acme, [ann], 99)
    auth.login("ann@acme.example")
    assert bell(client.get("/").text) == ("99", "99 unread notifications")
    tell(db, acme, [ann], 2, first=99)
    assert bell(client.get("/").text) == ("99+", "More than 99 unread notifications")


def test_the_count_is_one_query_per_page_and_none_for_anonymous_pages(app, client, auth, people):
    auth.login("ann@acme.example")
    with statements_on_notifications(app) as seen:
        assert client.get("/").status_code == 200
    assert len(seen) == 1
    auth.logout()
    with statements_on_notifications(app) as seen:
        assert client.get("/login").status_code == 200
    assert seen == []
    assert bell(client.get("/login").text) == (None, None)


def test_the_bell_fits_a_phone_beside_the_menu_button(client, auth, people):
    """At 375 px the menu collapses: the bell stays outside it, beside the toggler."""
    auth.login("ann@acme.example")
    html = client.get("/").text
    nav = html[html.index("<nav") : html.index('id="mainnav"')]
    assert 'id="nav-bell"' in nav and nav.index("nav-bell") < nav.index("navbar-toggler")


def test_the_centre_lists_only_the_persons_own_entries_of_this_organization_newest_first(
    client, auth, db, people
):
    acme, globex, ann, bob = people
    tell(db, acme, [ann], 3)
    tell(db, acme, [bob], 1, context={**CONTEXT, "employee": "Bob's task"}, first=10)
    tell(db, globex, [ann], 1, context={**CONTEXT, "employee": "Globex task"}, first=20)
    auth.login("ann@acme.example")
    html = client.get("/notifications").text
    subjects = re.findall(r"A review to fill: ([^,<]+), 2026 Q4", html)
    assert subjects == ["Li Lei 2", "Li Lei 1", "Li Lei 0"]
    assert "Bob&#39;s task" not in html and "Globex task" not in html
    assert html.count('data-read="no"') == 3


def test_the_centre_pages_through_many_entries(client, auth, db, people):
    acme, _globex, ann, _bob = people
    tell(db, acme, [ann], 25)
    auth.login("ann@acme.example")
    first, second = client.get("/notifications").text, client.get("/notifications?page=2").text
    assert first.count('id="entry-') == 20 and "Li Lei 24," in first
    assert second.count('id="entry-') == 5 and "Li Lei 0," in second
    assert "25 in total" in first


def test_opening_an_entry_marks_it_read_and_goes_to_its_task(client, auth, db, people):
    acme, _globex, ann, _bob = people
    tell(db, acme, [ann], 2, link="/appraisals/7/review/self?tab=2")
    first, second = entry_ids(db, ann)
    auth.login("ann@acme.example")
    response = client.post(f"/notifications/{first}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/appraisals/7/review/self?tab=2"
    db.expire_all()
    assert db.get(Notification, first).read_at is not None
    assert db.get(Notification, second).read_at is None
    html = client.get("/notifications").text
    assert bell(html)[0] == "1"
    assert re.search(rf'id="entry-{first}" data-read="yes"', html)
    # opening it again keeps the first moment it was read
    when = db.get(Notification, first).read_at
    client.post(f"/notifications/{first}/open")
    db.expire_all()
    assert db.get(Notification, first).read_at == when


def test_opening_is_a_post(client, auth, db, people):
    """A link in an e-mail or an image tag cannot mark entries read (GET is refused)."""
    acme, _globex, ann, _bob = people
    tell(db, acme, [ann])
    auth.login("ann@acme.example")
    assert client.get(f"/notifications/{entry_ids(db, ann)[0]}/open").status_code == 405
    assert unread(db, ann) == 1


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "",
        None,
    ],
)
def test_an_entry_never_sends_anyone_to_another_site(client, auth, db, people, link):
    acme, _globex, ann, _bob = people
    tell(db, acme, [ann], link=link)
    auth.login("ann@acme.example")
    response = client.post(f"/notifications/{entry_ids(db, ann)[0]}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    assert unread(db, ann) == 0


def test_mark_all_read_reads_only_the_persons_entries_of_this_organization(
    client, auth, db, people
):
    acme, globex, ann, bob = people
    tell(db, acme, [ann, bob], 3)
    tell(db, globex, [ann], 2, first=50)
    auth.login("ann@acme.example")
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert response.status_code == 200
    assert bell(response.text) == (None, "0 unread notifications")
    assert "Mark all read" not in response.text
    assert unread(db, bob) == 3
    assert unread(db, ann) == 2  # Globex's wait for Ann in Globex
    assert client.get("/notifications/read-all").status_code == 405


def test_another_persons_or_organizations_entry_is_not_found(client, auth, db, people):
    acme, globex, ann, bob = people
    tell(db, acme, [bob])
    tell(db, globex, [ann], first=50)
    auth.login("ann@acme.example")  # working in Acme (the first by name)
    for id_ in (entry_ids(db, bob)[0], entry_ids(db, ann, globex)[0], 10**6):
        assert client.post(f"/notifications/{id_}/open").status_code == 404
    assert unread(db, bob) == 1 and unread(db, ann) == 1


def test_entries_are_drawn_in_the_readers_language_with_hr_words(client, auth, db, people):
    acme, _globex, ann, _bob = people
    tell(db, acme, [ann])
    auth.login("ann@acme.example")
    english = client.get("/notifications").text
    assert "A review to fill: Li Lei 0, 2026 Q4" in english
    assert "The self review of Li Lei 0 in 2026 Q4 waits for you (due 2026-12-10)." in english
    client.post("/language", data={"language": "zh"})
    chinese = client.get("/notifications").text
    assert "待填写的评价：Li Lei 0，2026 Q4" in chinese
    assert "自评" in chinese and "self review" not in chinese
    assert "3 unread" not in chinese and "条未读通知" in chinese
    db.add(
        MessageTemplate(
            organization_id=acme.id,
            kind=NotificationKind.REVIEW_TO_FILL,
            language="zh",
            subject="{name}，请为 {employee} 评分",
            body="{organization}：截止 {due}",
        )
    )
    db.commit()
    chinese = client.get("/notifications").text
    assert "ann，请为 Li Lei 0 评分" in chinese and "Acme：截止 2026-12-10" in chinese
    client.post("/language", data={"language": "en"})
    assert "A review to fill: Li Lei 0, 2026 Q4" in client.get("/notifications").text


def test_values_in_an_entry_are_text_not_markup(client, auth, db, people):
    acme, _globex, ann, _bob = people
    tell(db, acme, [ann], context={**CONTEXT, "employee": '<img src=x onerror="alert(1)">'})
    auth.login("ann@acme.example")
    html = client.get("/notifications").text
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_an_account_with_no_entries_is_told_so(client, auth, db, people):
    auth.login("bob@acme.example")
    html = client.get("/notifications").text
    assert 'id="no-entries"' in html
    assert db.scalar(select(User.id).where(User.email == "bob@acme.example"))
