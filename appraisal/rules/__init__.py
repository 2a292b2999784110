"""Formula language and scoring engine. Pure Python: no Flask, no database.

The public API other packages and tests use:

    compile_formula(source, names) -> Formula;  FormulaError
    validate(definition) -> list[DefinitionError]
    compile_template(definition) -> CompiledTemplate;  score(definition, inputs) -> Result
    draft_structure(definition) -> CompiledTemplate  (what a draft's preview can show)
    function_catalogue() -> list[dict]
"""

from .catalogue import function_catalogue
from .definition import (
    CompiledTemplate,
    DefinitionError,
    DefinitionInvalid,
    compile_template,
    draft_structure,
    validate,
)
from .errors import FormulaError
from .formula import Formula, compile_formula, normalize_name
from .scoring import Result, round2, score

__all__ = [
    "CompiledTemplate",
    "DefinitionError",
    "DefinitionInvalid",
    "Formula",
    "FormulaError",
    "Result",
    "compile_formula",
    "compile_template",
    "draft_structure",
    "function_catalogue",
    "normalize_name",
    "round2",
    "score",
    "validate",
]
