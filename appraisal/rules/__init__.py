"""Formula language and scoring engine. Pure Python: no Flask, no database.

The public API other packages and tests use:

    compile_formula(source, names) -> Formula;  FormulaError
    validate(definition) -> list[DefinitionError]
    compile_template(definition) -> CompiledTemplate;  score(definition, inputs) -> Result
    function_catalogue() -> list[dict]
"""

from .errors import FormulaError
from .formula import Formula, compile_formula, normalize_name

__all__ = ["Formula", "FormulaError", "compile_formula", "normalize_name"]
