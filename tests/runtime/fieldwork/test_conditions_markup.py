"""The wrapper attributes a record form carries so the phone can evaluate its conditions."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from flask import Flask
from jinja2 import Environment

from appraisal.rules import compile_activity
from appraisal.runtime.fieldwork import conditions_markup
from appraisal.runtime.fieldwork.conditions_markup import condition_attributes

FORM = compile_activity(
    {
        "format": "activity/1",
        "key": "visit",
        "name": "Visit",
        "fields": [
            {"key": "amount", "label": "Amount", "type": "money", "min": 0},
            {
                "key": "reason",
                "label": "Reason",
                "type": "text",
                "visible_if": "amount > 1000",
                "required": "amount > 5000 and amount < 0.5 * 20000",
            },
            {"key": "quote", "label": "Quote", "type": "text", "visible_if": "reason == '<\"x\">'"},
            {"key": "later", "label": "Later", "type": "text", "visible_if": "ROUND(amount) > 1"},
            {"key": "when", "label": "When", "type": "datetime", "required": True},
        ],
    }
)


def test_a_field_with_conditions_carries_both_trees_and_its_rule():
    attributes = condition_attributes(FORM.field("reason"))
    assert set(attributes) == {"data-visible-if", "data-required-if", "data-field-rule"}
    assert json.loads(attributes["data-visible-if"])["ops"] == [">"]
    assert json.loads(attributes["data-required-if"])["op"] == "and"
    assert json.loads(attributes["data-field-rule"]) == {"type": "text", "limit": 500}


def test_a_condition_outside_the_subset_is_left_to_the_server():
    assert "data-visible-if" not in condition_attributes(FORM.field("later"))


def test_a_field_no_condition_reads_has_no_attributes():
    assert condition_attributes(FORM.field("when")) == {}
    assert set(condition_attributes(FORM.field("amount"))) == {"data-field-rule"}


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str | None] = {}

    def handle_starttag(self, tag, attrs):
        self.found.update(attrs)


def test_the_template_global_escapes_the_json_into_the_attribute():
    app = Flask(__name__)
    conditions_markup.init_app(app)
    helper = app.jinja_env.globals["field_condition_attributes"]
    html = (
        Environment(autoescape=True)
        .from_string('<div data-field="{{ f.key }}"{{ attrs(f)|xmlattr }}></div>')
        .render(f=FORM.field("quote"), attrs=helper)
    )
    assert "<x>" not in html
    parser = _Attributes()
    parser.feed(html)
    tree = json.loads(parser.found["data-visible-if"])
    assert tree["args"][1] == {"text": '<"x">'}
