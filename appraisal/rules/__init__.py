"""Formula language and scoring engine. Pure Python: no Flask, no database.

The public API: the rest of the project imports only these names (an architecture test
checks), so the inside can be rearranged freely.

    compile_formula(source, names) -> Formula;  FormulaError;  MAX_SOURCE (characters)
    validate(definition) -> list[DefinitionError];  formula_names(definition, ...)
    compile_template(definition) -> CompiledTemplate;  compiled(definition) (cached)
    score(definition, inputs) -> Result;  NA (the "not applicable" mark in inputs)
    draft_structure(definition) -> CompiledTemplate  (what a draft's preview can show)
    METHODS (the scoring methods' declarations, by name)
    function_catalogue() -> list[dict]
    FORMAT (the definition format's name), KEY (the pattern of keys), RATERS
    Activity forms (`activity/1`): validate_activity, compile_activity -> CompiledActivity,
    check_activity_values(compiled, values) -> CheckedValues; ACTIVITY_FORMAT,
    ACTIVITY_KINDS, FIELD_TYPES, LOCATION_PURPOSES; ACTIVITY_FORMULA_TYPES (which field
    types a later field's condition can read, and as what)
    Form conditions in the browser: condition_tree(formula) -> dict | None (the JSON tree
    static/fieldwork/conditions.js evaluates), field_rule(field) (how it reads a value);
    TREE_FUNCTIONS
    Metrics (`metric/1`): validate_metric, compile_metric -> CompiledMetric, measure, divide,
    assigned, on_time -> Measure; METRIC_FORMAT, AGGREGATIONS, OPERATORS, MetricSource, typed
    Business events: EVENT_KINDS (each kind's attributes as a form), check_event_attributes
"""

from .activities import (
    ACTIVITY_FORMAT,
    ACTIVITY_KINDS,
    FIELD_TYPES,
    LOCATION_PURPOSES,
    ActivityField,
    ActivityInvalid,
    CheckedValues,
    CompiledActivity,
    ValueProblem,
    Who,
    check_activity_values,
    compile_activity,
    validate_activity,
)
from .activities import (
    FORMULA_TYPES as ACTIVITY_FORMULA_TYPES,
)
from .catalogue import function_catalogue
from .conditions import TREE_FUNCTIONS, condition_tree, field_rule
from .definition import (
    FORMAT,
    KEY,
    RATERS,
    CompiledTemplate,
    DefinitionError,
    DefinitionInvalid,
    Item,
    compile_template,
    draft_structure,
    formula_names,
    validate,
)
from .errors import FormulaError
from .events import EVENT_KINDS, check_event_attributes
from .formula import MAX_SOURCE, Formula, compile_formula, normalize_name
from .methods import METHODS
from .metrics import (
    ACTIVITY_BUILTINS,
    AGGREGATIONS,
    DURATION_UNITS,
    MAX_CONDITIONS,
    METRIC_FORMAT,
    OPERATORS,
    PERCENT_AGGREGATIONS,
    CompiledMetric,
    FieldsOf,
    Measure,
    MetricInvalid,
    MetricSource,
    assigned,
    builtin_fields,
    compile_metric,
    divide,
    measure,
    measure_all,
    on_time,
    typed,
    validate_metric,
)
from .metrics import FORMULA_TYPES as METRIC_FORMULA_TYPES
from .numbers import CENT, CONTEXT, MAX_ID, json_number, to_decimal, typed_number
from .scoring import NA, Result, compiled, round2, score

__all__ = [
    "ACTIVITY_BUILTINS",
    "ACTIVITY_FORMAT",
    "ACTIVITY_FORMULA_TYPES",
    "ACTIVITY_KINDS",
    "AGGREGATIONS",
    "CENT",
    "CONTEXT",
    "DURATION_UNITS",
    "EVENT_KINDS",
    "FIELD_TYPES",
    "FORMAT",
    "KEY",
    "LOCATION_PURPOSES",
    "MAX_CONDITIONS",
    "MAX_ID",
    "MAX_SOURCE",
    "METHODS",
    "METRIC_FORMAT",
    "METRIC_FORMULA_TYPES",
    "NA",
    "OPERATORS",
    "PERCENT_AGGREGATIONS",
    "RATERS",
    "TREE_FUNCTIONS",
    "ActivityField",
    "ActivityInvalid",
    "CheckedValues",
    "CompiledActivity",
    "CompiledMetric",
    "CompiledTemplate",
    "DefinitionError",
    "DefinitionInvalid",
    "FieldsOf",
    "Formula",
    "FormulaError",
    "Item",
    "Measure",
    "MetricInvalid",
    "MetricSource",
    "Result",
    "ValueProblem",
    "Who",
    "assigned",
    "builtin_fields",
    "check_activity_values",
    "check_event_attributes",
    "compile_activity",
    "compile_formula",
    "compile_metric",
    "compile_template",
    "compiled",
    "condition_tree",
    "divide",
    "draft_structure",
    "field_rule",
    "formula_names",
    "function_catalogue",
    "json_number",
    "measure",
    "measure_all",
    "normalize_name",
    "on_time",
    "round2",
    "score",
    "to_decimal",
    "typed",
    "typed_number",
    "validate",
    "validate_activity",
    "validate_metric",
]
