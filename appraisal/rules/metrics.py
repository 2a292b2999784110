"""The `metric/1` format: a rule that turns field records or business events into one number
per person and period (visits, distinct customers visited, average handling minutes, the
share of tickets within SLA, coverage = customers visited ÷ customers assigned), and the
arithmetic that computes it. Pure: the caller loads the rows and hands them over.

A definition names its **source** (`{"activity": key}`, `{"event": kind}`,
`{"customers": "assigned"}` or `{"plans": "on_time"}`, a `share` of plan tasks), its
**aggregation** (below), the **field** it reads, a **filter** (conditions
`{field, op, value}`, all of which must hold, and optionally a formula `where`), the
**date** that places a record in a period (`occurred`, the local day it happened, or a date
field of the record) and its **unit**. `share` counts the records meeting
its `condition` among those passing the filter; `ratio` divides two other metrics.

Results are exact decimals, rounded half up to `places` (default 2) as a person would;
`percent` (default true for share and ratio) multiplies by 100 first. An average, a minimum,
a share or a ratio of nothing is blank (no figure), a count or a sum of nothing is 0.
Each result carries its provenance: how many records it read, how many were flagged outside
a geofence, and for a ratio both parts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .activities import FORMULA_TYPES  # what a formula sees of each field type
from .definition import KEY, Checker, DefinitionError
from .errors import FormulaError
from .formula import Formula, compile_formula

METRIC_FORMAT = "metric/1"
AGGREGATIONS = ("count", "distinct", "sum", "avg", "min", "max", "duration_avg", "ratio", "share")
#: Aggregations whose value is a fraction, shown as a percentage unless `percent` is false.
PERCENT_AGGREGATIONS = ("share", "ratio")
SOURCE_KINDS = ("activity", "event", "customers", "plans")
#: The plans source's figures: "on_time", the share of a person's agreed plan tasks due in
#: the period that were completed by their due date (the condition is the source's own).
PLAN_SOURCES = ("on_time",)
OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "contains", "empty", "not_empty")
DURATION_UNITS = ("minutes", "hours")
MAX_CONDITIONS = 20
MAX_PLACES = 4
#: The record's own facts, beside its form's fields (they win over a field of the same key).
ACTIVITY_BUILTINS = {
    "customer": "customer",
    "outside_geofence": "yes_no",
    "has_location": "yes_no",
    "occurred_at": "datetime",
    "occurred_on": "date",
}
EVENT_BUILTINS = {"occurred_at": "datetime", "occurred_on": "date", "source": "text"}
#: Field types a number aggregation reads, a comparison orders, a formula sees (and as what).
NUMBER_TYPES = ("number", "money", "photos")
ORDERED_TYPES = (*NUMBER_TYPES, "date", "datetime")
TOP_FIELDS = {
    "format",
    "key",
    "name",
    "description",
    "unit",
    "source",
    "aggregation",
    "field",
    "from",
    "to",
    "in",
    "filter",
    "where",
    "condition",
    "condition_where",
    "numerator",
    "denominator",
    "percent",
    "places",
    "date",
    "approved_only",
}
CONDITION_FIELDS = {"field", "op", "value"}
#: What only a source of rows (records, events) can use.
READ_BY_ROWS = {
    "field",
    "from",
    "to",
    "in",
    "filter",
    "where",
    "condition",
    "condition_where",
    "date",
    "approved_only",
}

#: What the caller knows of a source: its fields and their types (None: no such source).
FieldsOf = Callable[["MetricSource"], Mapping[str, str] | None]


@dataclass(frozen=True)
class MetricSource:
    kind: str  # activity, event, customers (or ratio: no rows of its own)
    key: str  # the activity type's key, the event kind, "assigned" (or the ratio's key)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    type: str

    def holds(self, row: Mapping[str, Any]) -> bool:
        if self.op == "eq" and self.type in _PLAIN:  # the usual case, without `typed`
            value = row.get(self.field)
            return value is not None and value != "" and value == self.value
        value = typed(self.type, row.get(self.field))
        if self.op == "empty":
            return value is None or value == []
        if self.op == "not_empty":
            return not (value is None or value == [])
        if value is None:
            return False
        if self.op == "contains":
            return self.value in value
        if self.op in ("in", "not_in"):
            return (value in self.value) == (self.op == "in")
        other = self.value
        if isinstance(value, dt.datetime) and (value.tzinfo is None) != (other.tzinfo is None):
            value, other = value.replace(tzinfo=None), other.replace(tzinfo=None)  # local times
        try:
            return _COMPARE[self.op](value, other)
        except TypeError:  # a stored value of another type (an older form version's field)
            return False


#: Field types stored as they compare (no conversion): text, options, yes/no, customer ids.
_PLAIN = frozenset({"text", "long_text", "choice", "yes_no", "customer"})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class CompiledMetric:
    key: str
    name: Any
    unit: str
    source: MetricSource
    aggregation: str
    field: str | None = None
    field_type: str | None = None
    start: str | None = None  # duration_avg: from this datetime field ...
    end: str | None = None  # ... to this one
    duration_unit: str = "minutes"
    filters: tuple[Condition, ...] = ()
    where: Formula | None = None
    condition: tuple[Condition, ...] = ()
    condition_where: Formula | None = None
    numerator: str | None = None
    denominator: str | None = None
    percent: bool = False
    places: int = 2
    date_field: str | None = None  # None: the day it occurred
    date_type: str = "date"
    approved_only: bool = False
    types: Mapping[str, str] = dataclasses.field(default_factory=dict)  # the source's fields

    @property
    def reads(self) -> frozenset[str]:
        """The fields of a row this metric looks at (besides the day and the geofence flag),
        so a reader can leave the rest unread."""
        names = {self.field, self.start, self.end, self.date_field}
        names |= {c.field for c in (*self.filters, *self.condition)}
        for formula in (self.where, self.condition_where):
            if formula is not None:
                names |= formula.names
        if self.approved_only:
            names.add("status")
        return frozenset(n for n in names if n)

    @property
    def filtered(self) -> bool:
        """Whether some rows of the period may not count (a filter, a formula, approval)."""
        return bool(self.filters) or self.where is not None or self.approved_only

    @property
    def parts(self) -> tuple[str, ...]:
        """The metrics a ratio divides (computed first)."""
        return (self.numerator or "", self.denominator or "") if self.aggregation == "ratio" else ()

    def passes(self, row: Mapping[str, Any]) -> bool:
        if self.approved_only and row.get("status") != "approved":
            return False
        return all(c.holds(row) for c in self.filters) and _formula_holds(
            self.where, row, self.types
        )

    def meets(self, row: Mapping[str, Any]) -> bool:
        return all(c.holds(row) for c in self.condition) and _formula_holds(
            self.condition_where, row, self.types
        )

    def day(self, row: Mapping[str, Any]) -> dt.date | None:
        """The day that places a row in a period."""
        if self.date_field is None:
            return typed("date", row.get("occurred_on"))
        value = typed(self.date_type, row.get(self.date_field))
        return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class Measure:
    """A metric's value for one person and period, and where it came from."""

    value: Decimal | None
    records: int = 0  # rows that passed the filter in the period
    flagged: int = 0  # of those, recorded outside the customer's geofence
    parts: tuple[Measure, ...] = ()  # a ratio's numerator and denominator

    def provenance(self) -> dict[str, Any]:
        found: dict[str, Any] = {"records": self.records, "flagged": self.flagged}
        if self.parts:
            found["numerator"], found["denominator"] = (p.provenance() for p in self.parts)
        if self.value is not None:
            found["value"] = str(self.value)
        return found


class MetricInvalid(ValueError):
    def __init__(self, errors: list[DefinitionError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the metric definition")
        self.errors = errors


def validate_metric(
    definition: Any, fields_of: FieldsOf, metrics: Mapping[str, Mapping[str, Any]]
) -> list[DefinitionError]:
    """Every problem of a metric definition, as `DefinitionError`s with JSON paths.
    `metrics` are the organization's other definitions by key (a ratio divides two of them)."""
    return _Compiler(fields_of, metrics).run(definition)[1]


def compile_metric(
    definition: Mapping[str, Any], fields_of: FieldsOf, metrics: Mapping[str, Mapping[str, Any]]
) -> CompiledMetric:
    compiled, errors = _Compiler(fields_of, metrics).run(definition)
    if errors or compiled is None:
        raise MetricInvalid(errors)
    return compiled


def builtin_fields(source: MetricSource) -> dict[str, str]:
    if source.kind == "activity":
        return dict(ACTIVITY_BUILTINS)
    if source.kind == "event":
        return dict(EVENT_BUILTINS)
    return {}


# -- computing -----------------------------------------------------------------------------


def measure(
    metric: CompiledMetric, rows: Iterable[Mapping[str, Any]], start: dt.date, end: dt.date
) -> Measure:
    """The metric over `rows` (one person's records or events, values as stored) whose day
    falls in start..end inclusive. Not for ratios (see `divide`) nor assigned customers
    (see `assigned`)."""
    return measure_all([metric], list(rows), start, end)[0]


def measure_all(
    metrics: Sequence[CompiledMetric],
    rows: Sequence[Mapping[str, Any]],
    start: dt.date,
    end: dt.date,
    placed: bool = False,
    placed_flagged: int | None = None,
) -> list[Measure]:
    """`measure` for several metrics of one source over the same rows, each row placed in
    the period once per date field (a cycle's recompute reads a million rows this way).
    `placed`: the rows are already those whose day of occurrence falls in start..end (the
    caller's query chose them so), which a metric placing rows by that day takes as is;
    `placed_flagged`: how many of them are outside the geofence, when the caller counted
    them as it read them."""
    in_period: dict[str | None, list[Mapping[str, Any]]] = {}
    flagged: dict[str | None, int] = {}  # of the rows in the period, by date field
    if placed:
        in_period[None] = rows if isinstance(rows, list) else list(rows)
        if placed_flagged is not None:
            flagged[None] = placed_flagged
    found = []
    for metric in metrics:
        if metric.date_field not in in_period:
            in_period[metric.date_field] = _in_period(metric, rows, start, end)
        chosen = in_period[metric.date_field]
        if metric.filtered:
            chosen = [row for row in chosen if metric.passes(row)]
            outside = _flagged(chosen)
        elif metric.date_field in flagged:
            outside = flagged[metric.date_field]
        else:
            outside = flagged[metric.date_field] = _flagged(chosen)
        found.append(Measure(_aggregate(metric, chosen), len(chosen), outside))
    return found


def _flagged(rows: list[Mapping[str, Any]]) -> int:
    return len([1 for row in rows if row.get("outside_geofence") is True])


def _in_period(
    metric: CompiledMetric, rows: Sequence[Mapping[str, Any]], start: dt.date, end: dt.date
) -> list[Mapping[str, Any]]:
    if metric.date_field is None and all(
        row.get("occurred_on").__class__ is dt.date for row in rows
    ):  # as the runtime reads them: the day, already a date
        return [row for row in rows if start <= row["occurred_on"] <= end]
    chosen = []
    for row in rows:
        day = metric.day(row)
        if day is not None and start <= day <= end:
            chosen.append(row)
    return chosen


def assigned(metric: CompiledMetric, count: int) -> Measure:
    """The customers-assigned source: how many customers the person is a rep of."""
    return Measure(Decimal(count), count)


def on_time(metric: CompiledMetric, due: int, done_on_time: int) -> Measure:
    """The plans source: of `due` tasks, the share completed by their due date; blank when
    none was due."""
    value = _finish(metric, Decimal(done_on_time) / due) if due else None
    return Measure(value, due)


def divide(metric: CompiledMetric, numerator: Measure, denominator: Measure) -> Measure:
    """A ratio of two measures; blank when either is blank or the denominator is 0."""
    value = None
    if numerator.value is not None and denominator.value:
        value = _finish(metric, numerator.value / denominator.value)
    return Measure(
        value,
        numerator.records,
        numerator.flagged,
        (numerator, denominator),
    )


def _aggregate(metric: CompiledMetric, rows: list[Mapping[str, Any]]) -> Decimal | None:
    kind = metric.aggregation
    if kind == "count":
        return Decimal(len(rows))
    if kind == "share":
        if not rows:
            return None
        meets = metric.meets
        if len(metric.condition) == 1 and metric.condition_where is None:
            meets = metric.condition[0].holds  # the usual case, one call less per row
        return _finish(metric, Decimal(len([1 for r in rows if meets(r)])) / len(rows))
    if kind == "duration_avg":
        return _average(metric, [d for d in (_duration(metric, r) for r in rows) if d is not None])
    key, field_type = metric.field or "", metric.field_type or ""
    values: list[Any]  # the values given, typed (a blank or unreadable one is no value)
    if field_type in ("number", "money"):
        values = _numbers(rows, key)
    elif field_type in _PLAIN:  # `typed` would hand them back as stored
        values = [v for r in rows if (v := r.get(key)) is not None and v != "" and v != []]
    else:
        values = [v for r in rows if (v := typed(field_type, r.get(key))) is not None and v != []]
    if kind == "distinct":
        return Decimal(len(set(values)))
    if kind == "sum":
        return _finish(metric, sum(values, Decimal(0)))
    if kind == "avg":
        return _average(metric, values)
    if not values:
        return None
    return _finish(metric, min(values) if kind == "min" else max(values))


def _numbers(rows: list[Mapping[str, Any]], key: str) -> list[Decimal]:
    """The rows' numbers under `key` (decimal text) as Decimals, blank and unreadable ones
    left out: `typed` for the common case, in one loop (a cycle reads millions, and the same
    texts again and again: amounts, minutes; so each text is converted once, `_NUMBERS`)."""
    found = []
    append = found.append
    known = _NUMBERS
    for row in rows:
        stored = row.get(key)
        if stored.__class__ is str:
            number = known.get(stored)
            if number is None:
                number = _number(stored)
                if number is None:
                    continue
                if len(known) < _NUMBERS_KEPT:
                    known[stored] = number
            append(number)
        elif stored is not None and (number := _number(str(stored))) is not None:
            append(number)  # a number stored as a JSON number
    return found


#: Decimal texts already converted, shared by every recompute (Decimals never change); a
#: bounded number of them, so a stream of distinct amounts cannot grow it without end.
_NUMBERS: dict[str, Decimal] = {}
_NUMBERS_KEPT = 65_536


def _number(text: str) -> Decimal | None:
    if text == "":
        return None
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        return None


def _average(metric: CompiledMetric, values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return _finish(metric, sum(values, Decimal(0)) / len(values))


def _duration(metric: CompiledMetric, row: Mapping[str, Any]) -> Decimal | None:
    start = typed("datetime", row.get(metric.start or ""))
    end = typed("datetime", row.get(metric.end or ""))
    if start is None or end is None:
        return None
    if (start.tzinfo is None) != (end.tzinfo is None):  # a typed local time vs a UTC moment
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    seconds = Decimal((end - start).days * 86400 + (end - start).seconds)
    return seconds / (60 if metric.duration_unit == "minutes" else 3600)


def _finish(metric: CompiledMetric, value: Decimal) -> Decimal:
    if metric.percent and metric.aggregation in PERCENT_AGGREGATIONS:
        value *= 100
    return value.quantize(Decimal(1).scaleb(-metric.places), rounding=ROUND_HALF_UP)


def typed(field_type: str, stored: Any) -> Any:
    """A stored value as the type it compares as: numbers as Decimals, dates as dates; blank
    (or unreadable) as None."""
    if stored is None or stored == "":
        return None
    try:
        if field_type in ("number", "money"):
            return Decimal(str(stored))
        if field_type == "photos":
            return Decimal(len(stored)) if isinstance(stored, list) else None
        if field_type == "date":
            return stored if isinstance(stored, dt.date) else dt.date.fromisoformat(stored)
        if field_type == "datetime":
            if isinstance(stored, dt.datetime):
                return stored
            return dt.datetime.fromisoformat(stored)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return stored


def _formula_holds(formula: Formula | None, row: Mapping[str, Any], types: Mapping[str, str]):
    if formula is None:
        return True
    names = {name: typed(types.get(name, ""), row.get(name)) for name in formula.names}
    try:
        return formula.evaluate_exact(names) is True
    except FormulaError:
        return False


# -- checking a definition -----------------------------------------------------------------


class _Compiler:
    def __init__(self, fields_of: FieldsOf, metrics: Mapping[str, Mapping[str, Any]]) -> None:
        self.check = Checker()
        self.fields_of = fields_of
        self.metrics = metrics
        self.types: dict[str, str] = {}

    def run(self, definition: Any) -> tuple[CompiledMetric | None, list[DefinitionError]]:
        check = self.check
        required = ("format", "key", "name", "source", "aggregation")
        if not isinstance(definition, Mapping) or definition.get("aggregation") == "ratio":
            required = ("format", "key", "name", "aggregation")
        if not check.obj(definition, "", TOP_FIELDS, required):
            return None, check.errors
        if definition.get("format") != METRIC_FORMAT:
            check.add("format", f"must be {METRIC_FORMAT}", f"应为 {METRIC_FORMAT}", "format")
        key = check.key(definition.get("key"), "key")
        check.label(definition.get("name"), "name")
        if "description" in definition:
            check.label(definition["description"], "description")
        unit = definition.get("unit", "")
        if not isinstance(unit, str) or len(unit) > 20:
            check.add("unit", "must be text of at most 20 characters", "应为最多 20 个字符", "type")
        aggregation = check.choice(definition.get("aggregation"), "aggregation", AGGREGATIONS)
        places = definition.get("places", 2)
        if isinstance(places, bool) or places not in range(MAX_PLACES + 1):
            check.add("places", "must be 0 to 4", "应为 0 到 4", "range")
            places = 2
        percent = definition.get("percent", aggregation in PERCENT_AGGREGATIONS)
        if not isinstance(percent, bool):
            check.boolean(percent, "percent")
        approved_only = check.boolean(definition.get("approved_only", False), "approved_only")
        parts: dict[str, Any] = {}
        if aggregation == "ratio":
            parts = self.ratio(definition, key)
            source = MetricSource("ratio", key or "")  # a ratio reads no rows itself
        else:
            source = self.source(definition.get("source"), aggregation)
            for name in ("numerator", "denominator"):
                if name in definition:
                    self.only_for(name, "ratio")
            if aggregation is not None and source is not None:
                parts = self.reading(definition, aggregation, source)
        if check.errors:
            return None, check.named_errors()
        assert key is not None and aggregation is not None and source is not None
        return (
            CompiledMetric(
                key=key,
                name=definition["name"],
                unit=unit,
                source=source,
                aggregation=aggregation,
                percent=bool(percent),
                places=int(places),
                approved_only=bool(approved_only),
                types=dict(self.types),
                **parts,
            ),
            [],
        )

    def only_for(self, name: str, aggregations: str) -> None:
        self.check.add(
            name,
            f"only applies to {aggregations}",
            f"只适用于 {aggregations}",
            "unknown_field",
        )

    def source(self, raw: Any, aggregation: str | None) -> MetricSource | None:
        check = self.check
        if not isinstance(raw, Mapping) or len(raw) != 1:
            check.add(
                "source",
                'must be {"activity": key}, {"event": kind}, {"customers": "assigned"} or '
                '{"plans": "on_time"}',
                '应为 {"activity": 键}、{"event": 类型}、{"customers": "assigned"} 或 '
                '{"plans": "on_time"}',
                "type",
            )
            return None
        ((kind, key),) = raw.items()
        if kind not in SOURCE_KINDS or not isinstance(key, str):
            check.add("source", f"must be one of {', '.join(SOURCE_KINDS)}", "来源无效", "choice")
            return None
        source = MetricSource(kind, key)
        if kind == "customers":
            fields = {} if key == "assigned" else None
        elif kind == "plans":
            fields = {} if key in PLAN_SOURCES else None
        else:
            fields = self.fields_of(source)
        if fields is None:
            check.add(f"source.{kind}", f"no such source `{key}`", f"没有来源 `{key}`", "source")
            return None
        self.types = {**fields, **builtin_fields(source)}
        if kind == "customers" and aggregation not in (None, "count"):
            check.add(
                "aggregation",
                "customers assigned can only be counted",
                "负责客户只能计数",
                "choice",
            )
        if kind == "plans" and aggregation not in (None, "share"):
            check.add(
                "aggregation",
                "plan tasks on time is a share",
                "按时完成任务只能按占比计算",
                "choice",
            )
        return source

    def field(self, raw: Any, path: str, allowed: tuple[str, ...] | None) -> str | None:
        if not isinstance(raw, str) or raw not in self.types:
            known = ", ".join(sorted(self.types)) or "—"
            self.check.add(path, f"must be a field of the source ({known})", "应为来源中的字段")
            return None
        if allowed is not None and self.types[raw] not in allowed:
            self.check.add(
                path,
                f"must be a field of type {', '.join(allowed)}",
                f"字段类型应为 {', '.join(allowed)}",
                "type",
            )
            return None
        return raw

    def reading(
        self, definition: Mapping[str, Any], aggregation: str, source: MetricSource
    ) -> dict[str, Any]:
        if source.kind == "plans":  # its rows, filter and condition are the source's own
            for name in sorted(READ_BY_ROWS & set(definition)):
                if definition[name] not in (None, "", [], False):  # the editor posts blanks
                    self.only_for(name, "activity and event sources")
            return {}
        found: dict[str, Any] = {}
        # A figure is a number: the earliest or latest of a date is no value to score.
        needs = {kind: NUMBER_TYPES for kind in ("sum", "avg", "min", "max")}
        if aggregation in needs or aggregation == "distinct":
            allowed = needs.get(aggregation) or tuple(
                t for t in set(self.types.values()) if t not in ("multi_choice", "photos")
            )
            found["field"] = self.field(definition.get("field"), "field", allowed)
            if found["field"]:
                found["field_type"] = self.types[found["field"]]
        elif "field" in definition:
            self.only_for("field", "distinct, sum, avg, min, max")
        if aggregation == "duration_avg":
            found["start"] = self.field(definition.get("from"), "from", ("datetime",))
            found["end"] = self.field(definition.get("to"), "to", ("datetime",))
            found["duration_unit"] = self.check.choice(
                definition.get("in", "minutes"), "in", DURATION_UNITS
            )
        else:
            for name in ("from", "to", "in"):
                if name in definition:
                    self.only_for(name, "duration_avg")
        found["filters"] = self.conditions(definition.get("filter", []), "filter")
        found["where"] = self.formula(definition.get("where"), "where")
        if aggregation == "share":
            found["condition"] = self.conditions(definition.get("condition", []), "condition")
            found["condition_where"] = self.formula(
                definition.get("condition_where"), "condition_where"
            )
            if not found["condition"] and found["condition_where"] is None:
                self.check.add("condition", "is required", "必填", "required")
        else:
            for name in ("condition", "condition_where"):
                if name in definition:
                    self.only_for(name, "share")
        if "date" in definition and definition["date"] != "occurred":
            found["date_field"] = self.field(definition["date"], "date", ("date", "datetime"))
            if found["date_field"]:
                found["date_type"] = self.types[found["date_field"]]
        if source.kind == "customers":
            found = {}
        return found

    def conditions(self, raw: Any, path: str) -> tuple[Condition, ...]:
        if not isinstance(raw, list) or len(raw) > MAX_CONDITIONS:
            self.check.add(
                path,
                f"must be a list of at most {MAX_CONDITIONS} conditions",
                f"应为最多 {MAX_CONDITIONS} 个条件的列表",
                "type",
            )
            return ()
        found = []
        for index, item in enumerate(raw):
            at = f"{path}[{index}]"
            if not self.check.obj(item, at, CONDITION_FIELDS, ("field", "op")):
                continue
            name = self.field(item.get("field"), f"{at}.field", None)
            op = self.check.choice(item.get("op"), f"{at}.op", OPERATORS)
            if name is None or op is None:
                continue
            value = self.operand(self.types[name], op, item.get("value"), f"{at}.value")
            if value is not _BAD:
                found.append(Condition(name, op, value, self.types[name]))
        return tuple(found)

    def operand(self, field_type: str, op: str, raw: Any, path: str) -> Any:
        check = self.check
        if op in ("empty", "not_empty"):
            return None
        if op == "contains":
            if field_type != "multi_choice" or not isinstance(raw, str):
                check.add(path, "contains needs a multi-choice field and an option", "需多选字段")
                return _BAD
            return raw
        if field_type == "multi_choice":
            check.add(path, "a multi-choice field takes contains", "多选字段请用 contains")
            return _BAD
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw:
                check.add(path, "must be a list of values", "应为值的列表", "type")
                return _BAD
            values = [self.operand(field_type, "eq", v, path) for v in raw]
            return _BAD if _BAD in values else tuple(values)
        if op in ("gt", "ge", "lt", "le") and field_type not in ORDERED_TYPES:
            check.add(path, "only numbers and dates can be compared so", "只有数字和日期可比较大小")
            return _BAD
        if field_type == "yes_no":
            return raw if isinstance(raw, bool) else check.boolean(raw, path) or _BAD
        if field_type == "customer":
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            check.add(path, "must be a customer id", "应为客户编号", "type")
            return _BAD
        compared_as = "number" if field_type == "photos" else field_type  # photos: how many
        value = typed(compared_as, raw) if not isinstance(raw, bool) else None
        if isinstance(value, Decimal) and not value.is_finite():
            value = None  # NaN raises when compared, infinity means nothing: finite only
        if value is None or (field_type in ORDERED_TYPES and isinstance(value, str)):
            check.add(path, f"must be a {field_type} value", f"应为{field_type}类型的值", "type")
            return _BAD
        return value

    def formula(self, raw: Any, path: str) -> Formula | None:
        if raw is None or raw == "":
            return None
        names = {n: FORMULA_TYPES[t] for n, t in self.types.items() if t in FORMULA_TYPES}
        try:
            formula = compile_formula(raw, names, path)
        except FormulaError as error:
            self.check.formula_error(path, error)
            return None
        if formula.result_type not in ("bool", "any"):
            self.check.add(path, "must be a condition (true or false)", "应为条件（真或假）")
            return None
        return formula

    def ratio(self, definition: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in ("numerator", "denominator"):
            other = definition.get(name)
            target = self.metrics.get(other) if isinstance(other, str) else None
            if not isinstance(other, str) or not KEY.fullmatch(other) or target is None:
                self.check.add(name, "must be the key of another metric", "应为另一指标的键")
            elif other == key or target.get("aggregation") == "ratio":
                self.check.add(
                    name, "cannot be this metric or another ratio", "不能是本指标或另一比率"
                )
            else:
                found[name] = other
        for name in TOP_FIELDS - {"format", "key", "name", "description", "unit", "aggregation"}:
            if name in definition and name not in ("numerator", "denominator", "percent", "places"):
                self.only_for(name, "count, distinct, sum, avg, min, max, duration_avg, share")
        return found


_BAD = object()
