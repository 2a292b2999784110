"""The `activity/1` format: activity forms (daily report, customer visit, check-in...) that
HR builds without code, and the check of the values a record brings.

A field may be shown only when a condition holds (`visible_if`) and may be required always
or when a condition holds (`required`: true, false or a formula). Conditions are formulas of
the formula language over the fields *before* them, so a phone can evaluate a form from
top to bottom and no condition can depend on itself.

Values are stored as JSON: numbers and money as the exact decimal text ("12.50"), dates as
ISO text, choices as option keys, photos as the list of their uuids, the customer as its
id. A location value is the position captured at that moment; the service stores it apart
from the other values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .definition import Checker
from .errors import FormulaError
from .formula import Formula, compile_formula
from .numbers import MAX_ID, typed_number

ACTIVITY_FORMAT = "activity/1"
ACTIVITY_KINDS = (
    "plan",
    "report",
    "visit",
    "check_in",
    "check_out",
    "expense",
    "service",
    "other",
)
FIELD_TYPES = (
    "text",
    "long_text",
    "number",
    "money",
    "date",
    "datetime",
    "choice",
    "multi_choice",
    "yes_no",
    "customer",
    "photos",
    "location",
)
LOCATION_PURPOSES = ("check_in", "visit")
STAFF_KINDS = ("office", "field")
#: What a later field's formula sees of an earlier field; customer and location are not
#: offered (a condition on "where" would make the form depend on consent).
FORMULA_TYPES = {
    "text": "text",
    "long_text": "text",
    "choice": "text",
    "number": "number",
    "money": "number",
    "multi_choice": "list",
    "yes_no": "bool",
    "date": "date",
    "photos": "number",
}
TEXT_LIMITS = {"text": 500, "long_text": 4000}
MAX_FIELDS = 60
MAX_OPTIONS = 50
MAX_PHOTOS = 10
DEFAULT_MAX_PHOTOS = 3
MAX_NUMBER = Decimal("1e12")
#: Keys a form page posts beside the fields (the CSRF token), which no field may take.
RESERVED_KEYS = frozenset({"csrf_token"})
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

TOP_FIELDS = {"format", "key", "name", "description", "kind", "review", "who", "fields", "version"}
FIELD_FIELDS = {
    "key",
    "label",
    "help",
    "type",
    "required",
    "visible_if",
    "options",
    "min",
    "max",
    "max_photos",
    "keep_location",
    "purpose",
}
WHO_FIELDS = {"staff", "positions", "departments"}
OPTION_FIELDS = {"key", "label"}


@dataclass(frozen=True)
class ActivityField:
    key: str
    type: str
    label: Any
    help: Any = None
    required: bool = False
    required_if: Formula | None = None
    visible_if: Formula | None = None
    options: tuple[tuple[str, Any], ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_photos: int = DEFAULT_MAX_PHOTOS
    keep_location: bool = False
    purpose: str | None = None

    @property
    def option_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.options)


@dataclass(frozen=True)
class Who:
    """Who may record this activity; an empty tuple does not narrow."""

    staff: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def admits(self, staff: str | None, position: str | None, departments: set[str]) -> bool:
        """`departments`: the names of the person's department and every one above it."""
        return (
            (not self.staff or staff in self.staff)
            and (not self.positions or position in self.positions)
            and (not self.departments or bool(departments & set(self.departments)))
        )


@dataclass(frozen=True)
class CompiledActivity:
    key: str
    name: Any
    kind: str
    review: bool
    who: Who
    fields: tuple[ActivityField, ...]
    description: Any = None

    def field(self, key: str) -> ActivityField | None:
        return next((f for f in self.fields if f.key == key), None)

    def first(self, field_type: str) -> ActivityField | None:
        return next((f for f in self.fields if f.type == field_type), None)


@dataclass(frozen=True)
class ValueProblem:
    field: str
    message: str
    message_zh: str


@dataclass(frozen=True)
class CheckedValues:
    """The values to store (hidden fields dropped) and what is wrong, by field."""

    values: dict[str, Any]
    problems: tuple[ValueProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class ActivityInvalid(ValueError):
    def __init__(self, errors: list) -> None:
        super().__init__(f"{len(errors)} problem(s) in the activity definition")
        self.errors = errors


# -- the definition ----------------------------------------------------------------------------


def validate_activity(definition: Any) -> list:
    """Every problem of an activity definition, as `DefinitionError`s with JSON paths."""
    return _Compiler().run(definition)[1]


def compile_activity(definition: Mapping[str, Any]) -> CompiledActivity:
    compiled, errors = _Compiler().run(definition)
    if errors or compiled is None:
        raise ActivityInvalid(errors)
    return compiled


class _Compiler:
    def __init__(self) -> None:
        self.check = Checker()
        self.names: dict[str, str] = {}  # fields a later formula may read, with their type
        self.keys: set[str] = set()

    def run(self, definition: Any) -> tuple[CompiledActivity | None, list]:
        check = self.check
        if not check.obj(definition, "", TOP_FIELDS, ("format", "key", "name", "fields")):
            return None, check.named_errors()
        if definition.get("format") != ACTIVITY_FORMAT:
            check.add("format", f"must be {ACTIVITY_FORMAT}", f"应为 {ACTIVITY_FORMAT}", "format")
        key = check.key(definition.get("key"), "key")
        check.label(definition.get("name"), "name")
        if "description" in definition:
            check.label(definition["description"], "description")
        kind = check.choice(definition.get("kind", "other"), "kind", ACTIVITY_KINDS)
        review = check.boolean(definition.get("review", False), "review")
        who = self.who(definition.get("who", {}))
        fields = self.fields(definition.get("fields"))
        errors = check.named_errors()
        if errors:
            return None, errors
        compiled = CompiledActivity(
            key=key or "",
            name=definition["name"],
            kind=kind or "other",
            review=bool(review),
            who=who,
            fields=tuple(fields),
            description=definition.get("description"),
        )
        return compiled, []

    def who(self, raw: Any) -> Who:
        if not self.check.obj(raw, "who", WHO_FIELDS, ()):
            return Who()
        lists = {}
        for name in WHO_FIELDS:
            value = raw.get(name, [])
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                self.check.add(f"who.{name}", "must be a list of names", "应为名称列表", "type")
                value = []
            lists[name] = tuple(v.strip() for v in value)
        for staff in lists["staff"]:
            self.check.choice(staff, "who.staff", STAFF_KINDS)
        return Who(**lists)

    def fields(self, raw: Any) -> list[ActivityField]:
        if not isinstance(raw, list) or not raw:
            self.check.add("fields", "must list at least one field", "至少要有一个字段", "type")
            return []
        if len(raw) > MAX_FIELDS:
            self.check.add(
                "fields", f"at most {MAX_FIELDS} fields", f"最多 {MAX_FIELDS} 个字段", "range"
            )
        fields = []
        for index, item in enumerate(raw):
            self.check.element(f"fields[{index}]", item)
            field = self.field(item, f"fields[{index}]")
            if field is not None:
                fields.append(field)
        for single in ("customer", "location"):
            if sum(1 for f in fields if f.type == single) > 1:
                self.check.add(
                    "fields",
                    f"at most one field of type {single}",
                    f"类型为 {single} 的字段最多一个",
                    "single",
                )
        return fields

    def field(self, raw: Any, path: str) -> ActivityField | None:
        check = self.check
        if not check.obj(raw, path, FIELD_FIELDS, ("key", "label", "type")):
            return None
        key = check.key(raw.get("key"), f"{path}.key")
        if key is not None and key in self.keys:
            check.add(f"{path}.key", f"`{key}` is used twice", f"`{key}` 重复", "duplicate")
            key = None
        if key in RESERVED_KEYS:
            check.add(f"{path}.key", f"`{key}` is reserved", f"`{key}` 为保留字", "reserved")
            key = None
        check.label(raw.get("label"), f"{path}.label")
        if "help" in raw:
            check.label(raw["help"], f"{path}.help")
        field_type = check.choice(raw.get("type"), f"{path}.type", FIELD_TYPES)
        # conditions see the fields above this one only
        visible_if = self.formula(raw.get("visible_if"), f"{path}.visible_if", key)
        required, required_if = self.required(raw.get("required", False), f"{path}.required", key)
        options = self.options(raw, path, field_type)
        minimum = self.bound(raw, "min", path, field_type)
        maximum = self.bound(raw, "max", path, field_type)
        if minimum is not None and maximum is not None and minimum > maximum:
            check.add(f"{path}.max", "must not be below min", "不能小于 min", "range")
        max_photos = self.photo_count(raw, path, field_type)
        keep_location = self.flag(raw, "keep_location", path, field_type, "photos")
        purpose = None
        if field_type == "location":
            purpose = check.choice(raw.get("purpose"), f"{path}.purpose", LOCATION_PURPOSES)
        elif "purpose" in raw:
            self.only_for(path, "purpose", "location")
        if key is None or field_type is None:
            return None
        self.keys.add(key)
        if field_type in FORMULA_TYPES:
            self.names[key] = FORMULA_TYPES[field_type]
        return ActivityField(
            key=key,
            type=field_type,
            label=raw["label"],
            help=raw.get("help"),
            required=required,
            required_if=required_if,
            visible_if=visible_if,
            options=options,
            minimum=minimum,
            maximum=maximum,
            max_photos=max_photos,
            keep_location=keep_location,
            purpose=purpose,
        )

    def formula(self, source: Any, path: str, owner: str | None) -> Formula | None:
        if source is None:
            return None
        try:
            formula = compile_formula(source, dict(self.names), owner)
        except FormulaError as error:
            self.check.formula_error(path, error)
            return None
        if formula.result_type not in ("bool", "any"):
            self.check.add(
                path, "must be a condition (true or false)", "应为条件（真或假）", "formula_type"
            )
            return None
        return formula

    def required(self, raw: Any, path: str, owner: str | None) -> tuple[bool, Formula | None]:
        if isinstance(raw, bool):
            return raw, None
        if isinstance(raw, str):
            return False, self.formula(raw, path, owner)
        self.check.add(
            path, "must be true, false or a condition", "应为 true、false 或条件", "type"
        )
        return False, None

    def options(self, raw: Mapping, path: str, field_type: str | None) -> tuple:
        if field_type not in ("choice", "multi_choice"):
            if "options" in raw:
                self.only_for(path, "options", "choice, multi_choice")
            return ()
        options = raw.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
            self.check.add(
                f"{path}.options",
                f"must list 1–{MAX_OPTIONS} options",
                f"应列出 1–{MAX_OPTIONS} 个选项",
                "type",
            )
            return ()
        found: list[tuple[str, Any]] = []
        for index, option in enumerate(options):
            where = f"{path}.options[{index}]"
            if not self.check.obj(option, where, OPTION_FIELDS, ("key", "label")):
                continue
            key = self.check.key(option.get("key"), f"{where}.key")
            self.check.label(option.get("label"), f"{where}.label")
            if key is not None and key in dict(found):
                self.check.add(
                    f"{where}.key", f"`{key}` is used twice", f"`{key}` 重复", "duplicate"
                )
            elif key is not None:
                found.append((key, option.get("label")))
        return tuple(found)

    def bound(self, raw: Mapping, name: str, path: str, field_type: str | None) -> Decimal | None:
        if name not in raw:
            return None
        if field_type not in ("number", "money"):
            self.only_for(path, name, "number, money")
            return None
        return self.check.number(raw[name], f"{path}.{name}")

    def photo_count(self, raw: Mapping, path: str, field_type: str | None) -> int:
        if "max_photos" not in raw:
            return DEFAULT_MAX_PHOTOS
        if field_type != "photos":
            self.only_for(path, "max_photos", "photos")
            return DEFAULT_MAX_PHOTOS
        value = raw["max_photos"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PHOTOS:
            self.check.add(
                f"{path}.max_photos",
                f"must be a whole number from 1 to {MAX_PHOTOS}",
                f"应为 1 到 {MAX_PHOTOS} 的整数",
                "range",
            )
            return DEFAULT_MAX_PHOTOS
        return value

    def flag(self, raw: Mapping, name: str, path: str, field_type: str | None, kind: str) -> bool:
        if name not in raw:
            return False
        if field_type != kind:
            self.only_for(path, name, kind)
            return False
        return bool(self.check.boolean(raw[name], f"{path}.{name}"))

    def only_for(self, path: str, name: str, types: str) -> None:
        self.check.add(
            f"{path}.{name}",
            f"only for fields of type {types}",
            f"仅用于类型为 {types} 的字段",
            "unknown_field",
        )


# -- a record's values -------------------------------------------------------------------------


def check_activity_values(activity: CompiledActivity, raw: Mapping[str, Any]) -> CheckedValues:
    """Parse each field's value from what a form or the API sent, top to bottom: a hidden
    field's value is dropped, a visible required one must be there. A condition that cannot
    be decided (it reads a blank, or divides by zero) counts as false."""
    known = {f.key for f in activity.fields}
    problems = [
        ValueProblem(str(key), "is not a field of this form", "不是本表单的字段")
        for key in raw
        if key not in known
    ]
    values: dict[str, Any] = {}
    seen: dict[str, Any] = {}  # what the formulas read
    for field in activity.fields:
        if field.visible_if is not None and not _holds(field.visible_if, seen):
            continue
        value, problem = _parse(field, raw.get(field.key))
        if problem is not None:
            problems.append(ValueProblem(field.key, *problem))
            continue
        required = field.required or (
            field.required_if is not None and _holds(field.required_if, seen)
        )
        if _blank(value):
            if required:
                problems.append(ValueProblem(field.key, "is required", "必填"))
            continue
        values[field.key] = value
        if field.type in FORMULA_TYPES:
            seen[field.key] = _formula_value(field, value)
    return CheckedValues(values, tuple(problems))


def _holds(formula: Formula, values: Mapping[str, Any]) -> bool:
    names = {name: values.get(name) for name in formula.names}
    try:
        return formula.evaluate_exact(names) is True
    except FormulaError:
        return False


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _formula_value(field: ActivityField, value: Any) -> Any:
    if field.type in ("number", "money"):
        return Decimal(value)
    if field.type == "date":
        return dt.date.fromisoformat(value)
    if field.type == "photos":
        return Decimal(len(value))
    return value


Problem = tuple[str, str]


def _parse(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    parser = PARSERS[field.type]
    return parser(field, raw)


def _text(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    if not isinstance(raw, str):
        return None, ("must be text", "应为文字")
    text = raw.strip() if field.type == "text" else raw.strip("\n ").replace("\r\n", "\n")
    limit = TEXT_LIMITS[field.type]
    if len(text) > limit:
        return None, (f"at most {limit} characters", f"最多 {limit} 个字符")
    return text, None


def _number(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    number = None if isinstance(raw, bool) else typed_number(str(raw).replace(",", ""))
    if number is None or number.copy_abs() >= MAX_NUMBER:
        return None, ("must be a number", "应为数字")
    if field.type == "money":
        if number != number.quantize(Decimal("0.01")):
            return None, ("at most two decimals (fen)", "最多两位小数（分）")
        number = number.quantize(Decimal("0.01"))
    if field.minimum is not None and number < field.minimum:
        return None, (f"must be at least {field.minimum}", f"不能小于 {field.minimum}")
    if field.maximum is not None and number > field.maximum:
        return None, (f"must be at most {field.maximum}", f"不能大于 {field.maximum}")
    return str(number), None


def _date(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        if field.type == "date":
            return dt.date.fromisoformat(text).isoformat(), None
        moment = dt.datetime.fromisoformat(text)
        return moment.isoformat(timespec="minutes"), None
    except ValueError:
        if field.type == "date":
            return None, ("must be a date like 2026-03-31", "应为日期，如 2026-03-31")
        return None, (
            "must be a date and time like 2026-03-31 14:30",
            "应为日期时间，如 2026-03-31 14:30",
        )


def _choice(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    if raw not in field.option_keys:
        return None, ("is not one of the options", "不是可选项之一")
    return raw, None


def _choices(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(v in field.option_keys for v in raw):
        return None, ("is not among the options", "不在可选项中")
    return [key for key in field.option_keys if key in raw], None


YES = {"true", "yes", "1", "on", "y"}
NO = {"false", "no", "0", "off", "n"}


def _yes_no(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    if isinstance(raw, bool):
        return raw, None
    text = str(raw).strip().lower()
    if text in YES:
        return True, None
    if text in NO:
        return False, None
    return None, ("must be yes or no", "应为是或否")


def _customer(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    text = str(raw).strip()
    # ASCII digits only: `str.isdigit` also accepts "²", which `int` refuses (a 500); and an
    # id the database can hold (PostgreSQL refused a larger one in the lookup: a 500).
    if isinstance(raw, bool) or not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None, ("must be a customer", "应选择客户")
    number = int(text)
    if number > MAX_ID:
        return None, ("must be a customer", "应选择客户")
    return number, None


def _photos(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not all(
        isinstance(v, str) and UUID.fullmatch(v.strip().lower()) for v in raw
    ):
        return None, ("must be a list of photos", "应为照片列表")
    uuids = list(dict.fromkeys(v.strip().lower() for v in raw))
    if len(uuids) > field.max_photos:
        return None, (f"at most {field.max_photos} photos", f"最多 {field.max_photos} 张照片")
    return uuids, None


def _location(field: ActivityField, raw: Any) -> tuple[Any, Problem | None]:
    problem = ("must be a position the device gave", "应为设备提供的位置")
    if not isinstance(raw, Mapping):
        return None, problem
    try:
        latitude = Decimal(str(raw["latitude"]))
        longitude = Decimal(str(raw["longitude"]))
        accuracy = raw.get("accuracy")
        accuracy = None if accuracy in (None, "") else Decimal(str(accuracy))
    except (KeyError, InvalidOperation):
        return None, problem
    if not (latitude.is_finite() and longitude.is_finite()):
        return None, problem
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, problem
    if accuracy is not None and (not accuracy.is_finite() or not 0 <= accuracy < 100_000):
        return None, problem
    source = raw.get("source") or "device"
    if source not in ("gps", "network", "device"):
        return None, problem
    return {
        "latitude": str(latitude.quantize(Decimal("0.000001"))),
        "longitude": str(longitude.quantize(Decimal("0.000001"))),
        "accuracy": None if accuracy is None else str(accuracy.quantize(Decimal("0.1"))),
        "source": source,
    }, None


PARSERS = {
    "text": _text,
    "long_text": _text,
    "number": _number,
    "money": _number,
    "date": _date,
    "datetime": _date,
    "choice": _choice,
    "multi_choice": _choices,
    "yes_no": _yes_no,
    "customer": _customer,
    "photos": _photos,
    "location": _location,
}
