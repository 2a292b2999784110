"""The HTML forms of the metrics area: HR's override of a computed figure, and a scheme's
binding of figures to metrics."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField

from ...forms import PostedForm, SelectField, choices, version_field
from ...i18n import label_text

TYPED = ""  # the binding select's value for "typed or imported as before"


class OverrideForm(PostedForm):
    """A new value (blank: use the computed one again) and why; the service checks both."""

    value = StringField(_l("Value to use instead (blank: the computed value)"), default="")
    reason = TextAreaField(_l("Reason"), default="")
    version = version_field()


class BindingForm(FlaskForm):
    """One select per bindable figure (`item-<key>`), built for the scheme."""

    keys: tuple[str, ...] = ()
    submit = SubmitField(_l("Save and compute"))

    @classmethod
    def build(cls, items: list[Any], options: list[tuple[str, str]]) -> BindingForm:
        class Bound(cls):
            keys = tuple(item.key for item in items)

        for item in items:
            setattr(
                Bound,
                f"item-{item.key}",
                SelectField(label_text(item.label) or item.key, choices=choices(options)),
            )
            setattr(Bound, f"was-{item.key}", HiddenField())  # what the page showed
        return Bound()

    def chosen(self) -> dict[str, str | None]:
        return {key: self[f"item-{key}"].data or None for key in self.keys}

    def shown(self) -> dict[str, str | None]:
        return {key: self[f"was-{key}"].data or None for key in self.keys}
