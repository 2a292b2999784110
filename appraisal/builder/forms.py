from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import (
    DecimalField,
    SelectField,
    SelectMultipleField,
    VersionedForm,
    choices,
    id_coerce,
)
from ..labels import label_choices
from ..rules import METHODS, RATERS
from .services import scoring_from_parts

RATER_CHOICES = choices(label_choices("rater", RATERS))
WRITING_RATERS = tuple(r for r in RATERS if r != "data")  # people who can write a comment
CATEGORY_CHOICES = choices(label_choices("category"))
STAFF_CHOICES = choices(label_choices("staff_kind"))
SCORING_METHODS = label_choices("method", METHODS)
ITEM_METHOD_CHOICES = choices(SCORING_METHODS)
# A library default cannot be a formula: formulas name the other items of a template.
METHOD_CHOICES = choices(m for m in SCORING_METHODS if METHODS[m[0]].in_library)
TYPE_CHOICES = choices(label_choices("item_type"))
PERIOD_CHOICES = choices(label_choices("period"))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScoringParameters:
    """The parameters of the scoring methods, shared by the library and the item editor:
    each field is named after the parameter it sets (`table` is a method's `MethodSpec.table`,
    the item editor's `score_formula` its `formula`); which ones a method reads is declared
    with the method (`rules.methods.METHODS`)."""

    on = SelectField(
        _l("Bands or points apply to"),
        choices=choices(label_choices("scoring_on")),
    )
    cap = DecimalField(places=None, label=_l("Cap"), validators=[Optional(), NumberRange(min=0)])
    floor = DecimalField(
        places=None, label=_l("Floor"), validators=[Optional(), NumberRange(min=0)]
    )
    base = DecimalField(places=None, label=_l("Base (deduction)"), validators=[Optional()])
    per_unit = DecimalField(
        places=None,
        label=_l("Points per unit (deduction)"),
        validators=[Optional(), NumberRange(min=0)],
    )
    table = TextAreaField(
        _l("Bands or points"),
        validators=[Length(max=2000)],
        description=_l("One per line: a minimum (or x) and its score, e.g. “95 100”."),
    )


def scoring_from_form(form: ScoringParameters, formula: str = "") -> dict:
    return scoring_from_parts(
        form.method.data,
        on=form.on.data,
        cap=form.cap.data,
        floor=form.floor.data,
        base=form.base.data,
        per_unit=form.per_unit.data,
        table=form.table.data or "",
        formula=formula,
    )


class IndicatorForm(ScoringParameters, VersionedForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("a–z, 0–9, _ or -; formulas use it as a name"),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    category = SelectField(_l("Category"), choices=CATEGORY_CHOICES)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    direction = SelectField(
        _l("Direction"),
        choices=choices(label_choices("direction")),
    )
    item_type = SelectField(_l("Input type"), choices=TYPE_CHOICES)
    method = SelectField(_l("Default scoring"), choices=METHOD_CHOICES)
    raters = CheckboxesField(_l("Default raters"), choices=RATER_CHOICES, default=["data"])
    staff_kind = SelectField(_l("Staff kind"), choices=STAFF_CHOICES)
    submit = SubmitField(_l("Save"))


class NewTemplateForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("a–z, 0–9, _ or -, unique in the organization"),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    staff = SelectField(_l("Staff kind"), choices=STAFF_CHOICES)
    period = SelectField(_l("Period"), choices=PERIOD_CHOICES, default="quarter")
    submit = SubmitField(_l("Create"))


class ImportForm(FlaskForm):
    file = FileField(_l("Template file (JSON)"), validators=[FileRequired()])
    as_copy = BooleanField(_l("Import as a copy when the key exists"))
    submit = SubmitField(_l("Import"))


def _weight(label):
    return DecimalField(
        places=None, label=label, validators=[Optional(), NumberRange(min=0, max=100)]
    )


class SettingsForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    staff = SelectField(_l("Staff kind"), choices=STAFF_CHOICES)
    period = SelectField(_l("Period"), choices=PERIOD_CHOICES)
    w_self = _weight(_l("Self weight"))
    w_manager = _weight(_l("Manager weight"))
    w_peer = _weight(_l("Peer weight"))
    w_subordinate = _weight(_l("Subordinate weight"))
    w_hr = _weight(_l("HR weight"))
    max_total = DecimalField(
        places=None, label=_l("Highest total"), validators=[Optional(), NumberRange(min=1)]
    )
    submit = SubmitField(_l("Save settings"))


class SectionForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=60)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    weight = DecimalField(
        places=None, label=_l("Weight"), validators=[DataRequired(), NumberRange(min=0, max=100)]
    )
    submit = SubmitField(_l("Save section"))


class NewItemForm(FlaskForm):
    indicator_id = SelectField(_l("From the library"), coerce=id_coerce, default=0)
    key = StringField(_l("Key"), validators=[Optional(), Length(max=60)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=120)])
    type = SelectField(_l("Input type"), choices=TYPE_CHOICES)
    submit = SubmitField(_l("Add item"))


class FeedbackItemForm(FlaskForm):
    """A written-feedback item in one step: what to write, who writes it."""

    prompt = SelectField(_l("Written feedback"), choices=choices(label_choices("feedback_prompt")))
    raters = CheckboxesField(
        _l("Written by"),
        choices=choices(label_choices("rater", WRITING_RATERS)),
        default=["manager"],
        validators=[DataRequired(message=_l("Choose who writes it."))],
    )
    required = BooleanField(_l("Required"))
    submit = SubmitField(_l("Add written feedback"))


class ItemForm(ScoringParameters, FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=60)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    indicator = StringField(_l("Indicator"), validators=[Optional(), Length(max=60)])
    type = SelectField(_l("Input type"), choices=TYPE_CHOICES)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    raters = CheckboxesField(_l("Raters"), choices=RATER_CHOICES)
    weight = DecimalField(
        places=None,
        label=_l("Weight"),
        validators=[Optional(), NumberRange(min=0, max=100)],
        default=0,
    )
    method = SelectField(_l("Scoring"), choices=ITEM_METHOD_CHOICES)
    score_formula = StringField(
        _l("Scoring formula"),
        validators=[Length(max=2000)],
        description=_l("The score; `actual` and `target` are this item's figures."),
    )
    scale = SelectField(_l("Rating scale"), choices=[], validate_choice=False)
    choices = TextAreaField(
        _l("Choices"),
        validators=[Length(max=2000)],
        description=_l("One per line: value, score, label, e.g. “yes 100 是”."),
    )
    target = DecimalField(
        places=None,
        label=_l("Fixed target"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l("Leave empty to set a target per employee in the cycle."),
    )
    min = DecimalField(places=None, label=_l("Lowest allowed value"), validators=[Optional()])
    max = DecimalField(places=None, label=_l("Highest allowed value"), validators=[Optional()])
    formula = StringField(
        _l("Computed from other items"),
        validators=[Length(max=2000)],
        description=_l("A formula; the item then has no raters."),
    )
    visible_if = StringField(_l("Shown only when"), validators=[Length(max=2000)])
    required = BooleanField(_l("Required"), default=True)
    allow_na = BooleanField(_l("May be marked not applicable"))
    w_self = _weight(_l("Self weight"))
    w_manager = _weight(_l("Manager weight"))
    w_peer = _weight(_l("Peer weight"))
    w_subordinate = _weight(_l("Subordinate weight"))
    w_hr = _weight(_l("HR weight"))
    submit = SubmitField(_l("Save item"))


class AdjustmentForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=60)])
    kind = SelectField(
        _l("Kind"),
        choices=choices(
            [("bonus", _l("Bonus")), ("deduction", _l("Deduction")), ("veto", _l("Veto"))]
        ),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    raters = CheckboxesField(_l("Raters"), choices=RATER_CHOICES)
    formula = StringField(
        _l("Points formula"),
        validators=[Length(max=2000)],
        description=_l("Empty: the value given is the points."),
    )
    max = DecimalField(
        places=None, label=_l("Most points"), validators=[Optional(), NumberRange(min=0)]
    )
    condition = StringField(_l("Veto condition"), validators=[Length(max=2000)])
    grade = StringField(_l("Grade when the veto fires"), validators=[Length(max=10)])
    submit = SubmitField(_l("Save"))


class OutputForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=60)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    formula = StringField(_l("Formula"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class TableForm(FlaskForm):
    text = TextAreaField(_l("Rows"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Save"))


class ScaleForm(FlaskForm):
    """A rating scale: its name and its levels, one `value score label` a line."""

    name = StringField(_l("Name"), default="")
    text = TextAreaField(_l("Levels"), default="")
