"""What crosses the API boundary, as marshmallow schemas; the OpenAPI document is generated
from them."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

GRADE = "The final grade: HR's calibrated grade where set, else the computed one"
COMPUTED = "The grade the total (or a veto) gives, before calibration"


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ErrorDetail(Schema):
    path = fields.String(metadata={"description": "Where: a field, `row 3 / hire_date`, …"})
    message = fields.String()


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True)
    details = fields.List(fields.Nested(ErrorDetail))


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


class PageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class PageInfo(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class CycleOut(Schema):
    id = fields.Integer()
    name = fields.String()
    state = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    scheme = fields.String(attribute="scheme.name")
    template_version_id = fields.Integer(attribute="scheme.template_version_id")


class CyclePage(PageInfo):
    items = fields.List(fields.Nested(CycleOut))


class AppraisalOut(Schema):
    id = fields.Integer()
    employee_number = fields.String(attribute="employee.number")
    employee_name = fields.String(attribute="employee.name")
    state = fields.String()
    complete = fields.Boolean()
    total = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True, metadata={"description": GRADE})
    computed_grade = fields.String(allow_none=True, metadata={"description": COMPUTED})
    targets = fields.Dict(keys=fields.String(), values=fields.Float())


class AppraisalPage(PageInfo):
    items = fields.List(fields.Nested(AppraisalOut))


class CommentOut(Schema):
    item = fields.String(metadata={"description": "The text item's key"})
    source = fields.String(
        data_key="from",
        metadata={"description": "self, manager, hr, peer or subordinate"},
    )
    texts = fields.List(
        fields.String(),
        metadata={
            "description": "What was written: one text, or a peer or subordinate group's"
            " texts, sorted, without names, only when at least the cycle's anonymity"
            " threshold of the group wrote one"
        },
    )


class ResultOut(Schema):
    appraisal_id = fields.Integer()
    employee_number = fields.String()
    items = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    sections = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    base_total = fields.Float(allow_none=True)
    total = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True, metadata={"description": GRADE})
    computed_grade = fields.String(allow_none=True, metadata={"description": COMPUTED})
    veto = fields.String(allow_none=True)
    outputs = fields.Dict(keys=fields.String(), values=fields.Raw())
    missing = fields.List(fields.String())
    complete = fields.Boolean()
    comments = fields.List(fields.Nested(CommentOut), metadata={"description": "Written feedback"})


class EmployeeIn(Strict):
    number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    email = fields.String(load_default="", validate=validate.Length(max=254))
    department = fields.String(load_default="", validate=validate.Length(max=120))
    position = fields.String(load_default="", validate=validate.Length(max=120))
    manager_number = fields.String(load_default="", validate=validate.Length(max=40))
    hire_date = fields.String(
        load_default="", metadata={"description": "2024-03-01, 2024/03/01 or 2024年3月1日"}
    )
    status = fields.String(load_default="active", validate=validate.OneOf(["active", "left"]))


class EmployeesIn(Strict):
    employees = fields.List(
        fields.Nested(EmployeeIn), required=True, validate=validate.Length(min=1, max=50000)
    )
    dry_run = fields.Boolean(load_default=False)


class RowOutcomeOut(Schema):
    row = fields.Integer()
    number = fields.String()
    outcome = fields.String(metadata={"description": "create | update | unchanged"})


class EmployeesOut(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    dry_run = fields.Boolean()
    new_departments = fields.List(fields.String())
    new_positions = fields.List(fields.String())
    rows = fields.List(fields.Nested(RowOutcomeOut))


class ValueIn(Strict):
    employee_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    key = fields.String(required=True, validate=validate.Length(min=1, max=60))
    value = fields.Raw(
        required=True,
        allow_none=True,
        metadata={"description": "A number, text or null (clears a figure)", "type": "number"},
    )
    expected = fields.Raw(
        allow_none=True,
        metadata={
            "description": "Optional precondition: the value you last read (null: blank). When "
            "given and the stored value is neither this nor `value`, the whole request is "
            "refused with 409 and nothing is saved. Without it the last writer wins.",
            "type": "number",
        },
    )


class FiguresIn(Strict):
    figures = fields.List(
        fields.Nested(ValueIn), required=True, validate=validate.Length(min=1, max=50000)
    )


class TargetsIn(Strict):
    targets = fields.List(
        fields.Nested(ValueIn), required=True, validate=validate.Length(min=1, max=50000)
    )


class ChangedOut(Schema):
    received = fields.Integer()
    changed = fields.Integer()


class TemplateOut(Schema):
    id = fields.Integer()
    key = fields.String()
    latest_version = fields.Integer(allow_none=True)
    has_draft = fields.Boolean()


class TemplateList(Schema):
    items = fields.List(fields.Nested(TemplateOut))


class TemplateImportQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    as_copy = fields.Boolean(load_default=False)


class Definition(Schema):
    """An `appraisal-template/1` definition (design §4); checked by the template schema."""

    class Meta:
        unknown = EXCLUDE

    format = fields.String(required=True, metadata={"example": "appraisal-template/1"})
    key = fields.String(required=True)
