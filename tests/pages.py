"""Read pages as tests need them: a form the way a browser without JavaScript would post it,
the text without its random tokens."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*?value=")[^"]*')


class _Form(HTMLParser):
    def __init__(self, form_id: str | None, action: str | None) -> None:
        super().__init__()
        self.form_id, self.action, self.inside, self.data = form_id, action, False, {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            self.inside = (self.form_id is None or attrs.get("id") == self.form_id) and (
                self.action is None or (attrs.get("action") or "").split("?")[0] == self.action
            )
        elif not self.inside or "disabled" in attrs:
            return
        elif tag == "input" and name and attrs.get("type") in ("checkbox", "radio"):
            if "checked" in attrs:
                self.data.setdefault(name, []).append(attrs.get("value") or "on")
        elif tag == "input" and name and attrs.get("type") != "submit":
            self.data[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self.select = name
            self.data.pop(name, None)
        elif (
            tag == "option"
            and self.select
            and ("selected" in attrs or self.select not in self.data)
        ):
            self.data[self.select] = attrs.get("value") or ""  # the chosen one, else the first
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_data(html: str, form_id: str | None = None, action: str | None = None) -> dict:
    """The fields a browser would post from the form with this id or action (or from every
    form on the page): inputs, chosen options and text areas; disabled ones left out."""
    parser = _Form(form_id, action)
    parser.feed(html)
    return parser.data


def without_tokens(html: str) -> str:
    """The page with its CSRF tokens blanked: a token is random text, so a short name checked
    as absent ("Ann", "C4") is found in one now and then."""
    return _CSRF_VALUE.sub(r"\1", html)
