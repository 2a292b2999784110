"""Form conditions for the browser: a checked formula as a small JSON tree.

An activity form may show a field only when a condition holds (`visible_if`) and require it
when one holds (`required`: a formula). The phone works offline, so it evaluates these
conditions itself (`static/fieldwork/conditions.js`) with the engine's meaning: blanks
propagate, numbers are exact decimals (28 significant digits, as `decimal`'s default
context), and a condition that is blank or errors counts as false. The server's
`check_activity_values` stays the authority; the tree only spares the phone a round trip.

`field_rule` says how the browser reads a field's value, as the server parses it.

Only a safe subset becomes a tree; for anything else `condition_tree` gives None and the
browser shows the field (and does not require it): the server decides.

Tree nodes (JSON objects):

    {"num": "0.1"}  {"text": "a"}  {"bool": true}  {"name": "field_key"}
    {"list": [node, ...]}                       only as a function's argument
    {"op": "+" | "-" | "*" | "/", "args": [a, b]}   {"op": "neg", "args": [a]}
    {"op": "compare", "ops": ["<", "<=", ...], "args": [a, b, c, ...]}   (chained)
    {"op": "and" | "or", "args": [a, b, ...]}   {"op": "not", "args": [a]}
    {"op": "if", "args": [condition, then, otherwise]}          (IF(...) and `a if c else b`)
    {"op": "call", "fn": "ISBLANK", "args": [...]}              (one of TREE_FUNCTIONS)
"""

from __future__ import annotations

import ast
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .activities import FORMULA_TYPES, MAX_NUMBER, TEXT_LIMITS, ActivityField
from .formula import (
    BINARY,
    COMPARE,
    CONSTANTS,
    DECIMAL_LITERAL,
    Formula,
    normalize_name,
    prepare_source,
)
from .numbers import to_decimal

#: The functions the browser evaluates: those that make sense in a condition and whose
#: meaning is small enough to repeat exactly in JavaScript.
TREE_FUNCTIONS = frozenset(
    {"ISBLANK", "COALESCE", "COUNT", "MIN", "MAX", "SUM", "AVG", "ABS", "LOOKUP"}
)
TREE_OPERATORS = frozenset({"+", "-", "*", "/"})

Tree = dict[str, Any]


def field_rule(field: ActivityField) -> dict[str, Any] | None:
    """How the browser reads a field's value for later conditions, as the server parses it
    (`check_activity_values`): a value the server would refuse counts as blank. None for a
    field no condition can read (customer, location, date and time)."""
    if field.type not in FORMULA_TYPES:
        return None
    rule: dict[str, Any] = {"type": field.type}
    if field.type in ("number", "money"):
        rule["limit"] = str(MAX_NUMBER)  # |value| must stay below it
        if field.minimum is not None:
            rule["min"] = str(field.minimum)
        if field.maximum is not None:
            rule["max"] = str(field.maximum)
    elif field.type in TEXT_LIMITS:
        rule["limit"] = TEXT_LIMITS[field.type]  # characters
    elif field.type in ("choice", "multi_choice"):
        rule["options"] = list(field.option_keys)
    elif field.type == "photos":
        rule["limit"] = field.max_photos
    return rule


class _Outside(Exception):
    """The formula uses something outside the browser's subset."""


def condition_tree(formula: Formula) -> Tree | None:
    """The checked formula as a JSON-ready tree, or None when it is outside the subset.

    The source is parsed again with the engine's own preparation (NFKC, typed aliases), so
    names, constants and number literals read exactly as the compiler read them.
    """
    text = _tree_json(formula.source, formula.names)
    return None if text is None else json.loads(text)


@lru_cache(maxsize=2048)
def _tree_json(source: str, names: frozenset[str]) -> str | None:
    """Worked out once per formula (~1 ms: the preparation and the parse), kept as text so
    no caller can change the cached tree."""
    text, _columns = prepare_source(source)
    text = text.strip()
    try:
        body = ast.parse(text, mode="eval").body
        tree = _Walker(text, names).node(body)
    except (_Outside, SyntaxError, RecursionError, ValueError):
        return None
    return json.dumps(tree, ensure_ascii=False)


class _Walker:
    def __init__(self, text: str, names: frozenset[str]) -> None:
        self.text = text
        self.names = names

    def node(self, node: ast.AST) -> Tree:
        handler = {
            ast.Constant: self.constant,
            ast.Name: self.name,
            ast.UnaryOp: self.unary,
            ast.BinOp: self.binary,
            ast.BoolOp: self.boolean,
            ast.Compare: self.compare,
            ast.IfExp: self.conditional,
            ast.Call: self.call,
        }.get(type(node))
        if handler is None:
            raise _Outside
        return handler(node)

    def constant(self, node: ast.Constant) -> Tree:
        value = node.value
        if isinstance(value, bool):
            return {"bool": value}
        if isinstance(value, str):
            return {"text": value}
        if isinstance(value, int | float):
            return {"num": str(self.literal_number(node))}
        raise _Outside

    def literal_number(self, node: ast.Constant) -> Decimal:
        """The number as typed, as the compiler reads it (`0.35`, not the float near it)."""
        text = ast.get_source_segment(self.text, node)
        if text and DECIMAL_LITERAL.fullmatch(text) and any(c.isdigit() for c in text):
            return Decimal(text.replace("_", ""))
        number = to_decimal(node.value)
        if number is None:
            raise _Outside
        return number

    def name(self, node: ast.Name) -> Tree:
        name = normalize_name(node.id)
        if name in self.names:  # a field called `true` is the field, as in the compiler
            return {"name": name}
        if name.lower() in CONSTANTS:
            return {"bool": CONSTANTS[name.lower()]}
        raise _Outside

    def unary(self, node: ast.UnaryOp) -> Tree:
        operand = self.node(node.operand)
        if isinstance(node.op, ast.Not):
            return {"op": "not", "args": [operand]}
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            if "num" in operand:  # the compiler folds a negated literal (and rounds it)
                return {"num": str(-Decimal(operand["num"]))}
            return {"op": "neg", "args": [operand]}
        raise _Outside

    def binary(self, node: ast.BinOp) -> Tree:
        op = BINARY.get(type(node.op))
        if op not in TREE_OPERATORS:
            raise _Outside
        return {"op": op, "args": [self.node(node.left), self.node(node.right)]}

    def boolean(self, node: ast.BoolOp) -> Tree:
        op = "and" if isinstance(node.op, ast.And) else "or"
        return {"op": op, "args": [self.node(value) for value in node.values]}

    def compare(self, node: ast.Compare) -> Tree:
        ops = [COMPARE.get(type(op)) for op in node.ops]
        if None in ops:
            raise _Outside
        args = [self.node(node.left), *(self.node(c) for c in node.comparators)]
        return {"op": "compare", "ops": ops, "args": args}

    def conditional(self, node: ast.IfExp) -> Tree:
        return {"op": "if", "args": [self.node(n) for n in (node.test, node.body, node.orelse)]}

    def call(self, node: ast.Call) -> Tree:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise _Outside
        name = normalize_name(node.func.id).upper()
        if name == "IF" and len(node.args) == 3:
            return {"op": "if", "args": [self.node(arg) for arg in node.args]}
        if name not in TREE_FUNCTIONS:
            raise _Outside
        args = [self.argument(arg) for arg in node.args]
        return {"op": "call", "fn": name, "args": args}

    def argument(self, node: ast.AST) -> Tree:
        if isinstance(node, ast.List):
            return {"list": [self.node(element) for element in node.elts]}
        return self.node(node)
