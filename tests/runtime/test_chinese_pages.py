"""Every page each role can reach, read in 中文, shows words, not internal codes.

A small company with a running cycle, a published cycle with an appeal, an interview and
an IDP, a peer invitation, and a pack's indicator library; each role signs in and follows
the navigation and the pages' links (same origin, no downloads, bounded). On every page,
after dropping what is code or the user's own text, no token of a known vocabulary's codes
(`goal_setting`, `ratio`, `review.submitted`, …) and no untranslated catalogue message
may remain. Failures name the page and the token.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

import appraisal
from appraisal.labels import VOCABULARIES
from appraisal.models import Cycle, Employee, Indicator, Template, User
from appraisal.packs import read_pack
from appraisal.packs.loading import load_pack
from appraisal.rules.definition import ITEM_TYPES, METHODS
from appraisal.runtime.act import act, results
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import cycles, figures
from appraisal.runtime.reviews import invitations
from tests.runtime.conftest import appraisal_of

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ROLES = {
    "HR admin": "hr@acme.example",
    "implementer": "imp@acme.example",
    "manager": "boss@acme.example",
    "employee": "ann@acme.example",
    "peer": "quinn@acme.example",
}
MAX_PAGES = 60
PER_SHAPE = 2  # pages of one shape (`/appraisals/N/result`, `/builder/templates/N/items/K`)
# Downloads, sign-out, and the API reference (it documents the codes the API takes).
SKIP = re.compile(
    r"/(logout|language)\b|/export|/download|\.(csv|xlsx|json|js|css)\b|/static/|^/api/docs"
)
# Every code of every vocabulary, plus the rules' own (methods, item types).
CODES = (
    {code for words in VOCABULARIES.values() for code in words}
    | set(METHODS)
    | set(ITEM_TYPES)
    | {"pip", "idp", "IDP", "PIP"}
) - {"draft saved"}
SKIPPED_TAGS = {"code", "pre", "script", "style", "textarea", "kbd", "samp"}
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[a-z_]+)?")
EMAIL = re.compile(r"\S+@\S+")
URL = re.compile(r"https?://\S+|/[\w/.-]+")
QUOTED = re.compile(r"`[^`]*`")  # names quoted as code in help texts


def _catalogue_english() -> list[str]:
    """Catalogue messages of two or more words whose Chinese differs: shown as they are,
    they are English left untranslated."""
    po = Path(appraisal.__file__).parent / "translations/zh/LC_MESSAGES/messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    phrases = []
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or "%(" in message.id:
            continue
        words = re.findall(r"[A-Za-z]+", message.id)
        if len(words) >= 2 and message.string and message.string != message.id:
            phrases.append(message.id.strip())
    return sorted(phrases, key=len, reverse=True)


class _Page(HTMLParser):
    """Visible text (without code, preformatted text and input values) and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED_TAGS or "data-insert" in attrs:  # code, or a name to insert
            self.skipping.append(tag)
        if tag == "a" and attrs.get("href") and "download" not in attrs:
            self.links.append(attrs["href"])
        for name in ("placeholder", "aria-label"):  # titles carry keys (`title="sales"`)
            if attrs.get(name) and not self.skipping:
                self.text.append(attrs[name])

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.text.append(data)


@pytest.fixture
def lively(db, company, launched):
    """The running cycle with a peer invitation; a second, published cycle with an appeal,
    an interview and an IDP; the services pack's library and templates."""
    hr = company.viewer(db, "hr@acme.example")
    quinn = db.scalar(select(User).where(User.email == "quinn@acme.example"))
    ann_running = appraisal_of(db, company, "ann")
    invitations.invite(db, ann_running, hr, "peer", quinn.id)
    scheme = launched.scheme
    second = cycles.create_cycle(
        db,
        scheme,
        name="2026-Q3",
        dates=cycles.CycleDates(date(2026, 7, 1), date(2026, 9, 30), date(2026, 7, 15)),
        anonymity_threshold=3,
        user_id=None,
    )
    people = {e.employee.number: e for e in cycles.launch_cycle(db, second, set(), None)}
    figures.set_figures(
        db,
        second,
        [figures.Entry("A001", "collection", 70), figures.Entry("P001", "collection", 97)],
        None,
    )
    for number, grade in {"A001": "C", "P001": "A", "B001": "B", "Q001": "B"}.items():
        people[number].state, people[number].grade = "calibration", grade
        people[number].targets = {"sales": 100000}
        people[number].complete = True  # graded directly here; calibration needs complete ones
    for number in ("O001", "O002"):
        people[number].state, people[number].grade = "calibration", "B"
        people[number].complete = True
    calibration.start_calibration(db, second, None)
    calibration.lock(db, second, None)
    calibration.publish(db, second, None)
    ann, pat = people["A001"], people["P001"]
    results.appeal(db, ann, company.viewer(db, "ann@acme.example"), "Figure is wrong", [])
    boss = company.viewer(db, "boss@acme.example")
    act.schedule_interview(db, ann, boss, datetime(2026, 10, 10, 10), "Room 2")
    act.create_plan(db, pat, boss, "idp", "Lead the key-account project", None, "Mentor: Bo")
    load_pack(db, company.org.id, read_pack("services"), None)
    db.commit()
    return second


def _own_words(db, org_id: int) -> list[str]:
    """What users typed (names of people, cycles, schemes, template keys), to drop before
    checking."""
    words = [name for (name,) in db.execute(select(User.name))]
    words += [name for (name,) in db.execute(select(Employee.name))]
    words += [c.name for c in db.scalars(select(Cycle))] + [
        c.scheme.name for c in db.scalars(select(Cycle))
    ]
    words += [
        i.name_en for i in db.scalars(select(Indicator).where(Indicator.organization_id == org_id))
    ]
    words += [t.key for t in db.scalars(select(Template).where(Template.organization_id == org_id))]
    return sorted({w for w in words if w}, key=len, reverse=True)


def _shape(path: str) -> str:
    path = re.sub(r"\d+", "N", path)
    return re.sub(r"/(items|adjustments|outputs)/[^/]+", r"/\1/K", path)


def _crawl(client, start: str = "/"):
    seen, shapes, queue = set(), Counter(), [start]
    while queue and len(seen) < MAX_PAGES:
        url = urldefrag(queue.pop(0))[0]
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or url in seen or SKIP.search(parts.path):
            continue
        if shapes[_shape(parts.path)] >= PER_SHAPE:
            continue
        seen.add(url)
        shapes[_shape(parts.path)] += 1
        response = client.get(url, headers=CHINESE)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        page = _Page()
        page.feed(response.get_data(as_text=True))
        queue += [link for link in page.links if link.startswith("/")]
        yield url, " ".join(page.text)


def _context(text: str, token: str) -> str:
    """The token and a little text around it, so a failure shows where it is."""
    at = text.find(token)
    around = " ".join(text[max(at - 25, 0) : at + len(token) + 25].split())
    return f"{token} («{around}»)"


def test_every_page_in_chinese_shows_words_not_codes(client, auth, db, company, lively):
    english = _catalogue_english()
    own = _own_words(db, company.org.id)
    problems: dict[str, set[str]] = {}
    for role, email in ROLES.items():
        auth.login(email)
        for url, text in _crawl(client):
            for word in own:
                text = text.replace(word, " ")
            text = QUOTED.sub(" ", URL.sub(" ", EMAIL.sub(" ", text)))
            found = {_context(text, t) for t in TOKEN.findall(text) if t in CODES}
            for phrase in english:
                if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text):
                    found.add(_context(text, phrase))
                    text = text.replace(phrase, " ")
            if found:
                problems.setdefault(f"{role} {urlsplit(url).path}", set()).update(found)
        auth.logout()
    report = "\n".join(f"{page}: {', '.join(sorted(tokens))}" for page, tokens in problems.items())
    assert not problems, f"untranslated on Chinese pages:\n{report}"
