"""The formula language: parse, check against a whitelist, compile the checked tree.

Only a tree that passed every check is turned into code, and that code is generated from
our own node-by-node translation, never from the user's text. Two versions are generated:

- a fast one, plain Python operators, used when every input is present and of its type;
- a safe one, where every operator handles blanks and types, which is the authority: when the
  fast one meets anything unusual (a blank, a division by zero, an odd type), the safe one
  runs and gives the value or the FormulaError.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import io
import re
import tokenize
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from decimal import Overflow as DecimalOverflow
from typing import Any

from .errors import FormulaError, type_name
from .functions import FUNCTIONS, NUMBER_ONLY, EvaluationProblem
from .numbers import LARGEST, ONE, to_decimal

MAX_SOURCE = 2000
MAX_BRACKET_DEPTH = 20
MAX_UNARY_RUN = 8
MAX_OPERATORS = 200
MAX_DEPTH = 50
MAX_NODES = 500
MAX_LIST = 200
MAX_TEXT = 200
MAX_LITERAL = Decimal("1e15")
MAX_EXPONENT = Decimal(1000)
MAX_VALUE_LIST = 10_000

NAME_TYPES = frozenset({"number", "text", "bool", "date", "list"})
CONSTANTS = {"true": True, "false": False}

# Characters that make text look other than it is: bidi controls, zero-width characters.
INVISIBLE = {
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x061C,
    0xFEFF,
    0x2060,
    0x180E,
}

# Functions whose arguments may be blank on purpose: a name read inside them is "blank-aware"
# (the formula decides what a blank means), so the scorer does not wait for it.
BLANK_TESTS = frozenset({"COALESCE", "ISBLANK"})
DECIMAL_LITERAL = re.compile(r"[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?")

# What a Chinese keyboard types for operators and quotes, read as their ASCII forms.
TYPED_ALIASES = {"×": "*", "÷": "/", "“": '"', "”": '"', "‘": "'", "’": "'", "。": "."}

FORBIDDEN = {
    ast.Attribute: ("Attribute access (`.`)", "属性访问（`.`）"),
    ast.Subscript: ("Indexing with `[ ]`", "下标 `[ ]`"),
    ast.Lambda: ("`lambda`", "`lambda`"),
    ast.ListComp: ("Comprehensions", "推导式"),
    ast.SetComp: ("Comprehensions", "推导式"),
    ast.DictComp: ("Comprehensions", "推导式"),
    ast.GeneratorExp: ("Comprehensions", "推导式"),
    ast.NamedExpr: ("Assignment (`:=`)", "赋值（`:=`）"),
    ast.JoinedStr: ("f-strings", "格式化字符串"),
    ast.FormattedValue: ("f-strings", "格式化字符串"),
    ast.Starred: ("`*` unpacking", "`*` 展开"),
    ast.Dict: ("Dictionaries", "字典"),
    ast.Set: ("Sets", "集合"),
    ast.Tuple: ("Values separated by commas outside a function", "函数之外用逗号分隔的多个值"),
    ast.Await: ("`await`", "`await`"),
    ast.Yield: ("`yield`", "`yield`"),
    ast.YieldFrom: ("`yield`", "`yield`"),
    ast.Slice: ("Slices", "切片"),
}
BINARY = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def normalize_name(name: str) -> str:
    """Names are compared after NFKC normalisation (full-width letters, compatibility forms)."""
    return unicodedata.normalize("NFKC", name)


class _Slow(Exception):
    """The fast path met something it leaves to the safe path."""


# -- the compiled formula --------------------------------------------------------------------


class Formula:
    """A checked, compiled formula. Immutable and safe to share between threads."""

    __slots__ = (
        "_fast",
        "_param_types",
        "_params",
        "_safe",
        "blank_aware",
        "functions",
        "names",
        "owner",
        "result_type",
        "sorted_names",
        "source",
        "strict_names",
    )

    def __init__(
        self,
        source: str,
        params: tuple[str, ...],
        param_types: tuple[str, ...],
        functions: frozenset[str],
        result_type: str,
        owner: str | None,
        fast: Callable[[Mapping[str, Any]], Any],
        safe: Callable[..., Any],
        blank_aware: frozenset[str] = frozenset(),
    ) -> None:
        self.source = source
        self.names = frozenset(params)
        self.blank_aware = blank_aware
        # worked out once for the scorer: the names in order, and those it waits for (all
        # it reads except those it tests for blank itself, inside COALESCE or ISBLANK)
        self.sorted_names = tuple(sorted(self.names))
        self.strict_names = self.names - blank_aware
        self.functions = functions
        self.result_type = result_type
        self.owner = owner
        self._params = params
        self._param_types = param_types
        self._fast = fast
        self._safe = safe

    def __repr__(self) -> str:
        return f"Formula({self.source!r})"

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value (None when it depends on a blank), or a FormulaError. A number comes back
        as the float nearest to the exact decimal result (0.1 + 0.2 gives 0.3)."""
        try:  # evaluate_exact, inlined: a call is a tenth of a short formula's time
            result = self._fast(values)
        except Exception:
            result = self._evaluate_safe(values)
        return float(result) + 0.0 if result.__class__ is Decimal else result  # to_float

    def evaluate_exact(self, values: Mapping[str, Any]) -> Any:
        """`evaluate`, with a number as the exact Decimal (what the scorer computes with)."""
        try:
            return self._fast(values)
        except Exception:
            return self._evaluate_safe(values)

    def _owner_params(self) -> dict[str, str]:
        if self.owner:
            return {"owner": f"`{self.owner}`", "owner_zh": f"`{self.owner}`"}
        return {"owner": "this formula", "owner_zh": "本公式"}

    def _evaluate_safe(self, values: Mapping[str, Any]) -> Any:
        if not isinstance(values, Mapping):
            raise FormulaError(
                "type",
                "value_type",
                None,
                self.source,
                name="values",
                expected="a mapping of names to values",
                expected_zh="名称到值的映射",
                given=type(values).__name__,
            )
        if any(name not in values for name in self._params):
            values = {normalize_name(str(k)): v for k, v in values.items()}
        args = [
            _convert(name, kind, values.get(name), self.source)
            for name, kind in zip(self._params, self._param_types, strict=True)
        ]
        try:
            result = self._safe(*args)
        except FormulaError:
            raise
        except EvaluationProblem as problem:
            raise FormulaError(
                "evaluation",
                "evaluation",
                None,
                self.source,
                detail=problem.en,
                detail_zh=problem.zh,
                **self._owner_params(),
            ) from None
        except ZeroDivisionError:
            raise FormulaError(
                "evaluation", "division_by_zero", None, self.source, **self._owner_params()
            ) from None
        except (OverflowError, DecimalOverflow, MemoryError, RecursionError):
            raise FormulaError(
                "limit", "not_finite", None, self.source, **self._owner_params()
            ) from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise FormulaError(
                "evaluation",
                "evaluation",
                None,
                self.source,
                detail=f"cannot work this out: {type(exc).__name__}",
                detail_zh="无法计算",
                **self._owner_params(),
            ) from None
        if result.__class__ is Decimal and not (result.is_finite() and abs(result) <= LARGEST):
            raise FormulaError("limit", "not_finite", None, self.source, **self._owner_params())
        if isinstance(result, list):
            raise FormulaError(
                "type",
                "evaluation",
                None,
                self.source,
                detail="the result is a list, not a single value",
                detail_zh="结果是列表而不是单个值",
                **self._owner_params(),
            )
        return result


def _convert(name: str, kind: str, value: Any, source: str) -> Any:
    """An input value checked against its declared type; numbers become Decimals."""
    if value is None:
        return None
    ok: Any = None
    if kind == "number":
        ok = to_decimal(value)
    elif kind == "text":
        ok = str.__str__(value) if isinstance(value, str) else None
    elif kind == "bool":
        ok = value if isinstance(value, bool) else None
    elif kind == "date":
        if isinstance(value, dt.datetime):
            ok = value.date()
        elif isinstance(value, dt.date):
            ok = value
        elif isinstance(value, str):
            try:
                ok = dt.date.fromisoformat(value)
            except ValueError:
                ok = None
    elif kind == "list" and isinstance(value, list | tuple) and len(value) <= MAX_VALUE_LIST:
        items = []
        for item in value:
            number = to_decimal(item)
            if item is None or isinstance(item, str):
                items.append(item)
            elif number is not None:
                items.append(number)
            else:
                break
        else:
            ok = items
    if ok is None:
        raise FormulaError(
            "type",
            "value_type",
            None,
            source,
            name=name,
            expected=type_name(kind),
            expected_zh=type_name(kind, "zh"),
            given=_short(value),
        )
    return ok


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 40 else text[:37] + "..."


# -- runtime helpers of the generated code ---------------------------------------------------


def _dnum(value: Any) -> Decimal:
    """A fast-path input that is not yet a Decimal: a float or an int, else the safe path.
    The usual float is read here as `to_decimal` reads it, without the call."""
    kind = value.__class__
    if kind is float:
        if value.is_integer():
            if -9e15 < value < 9e15:
                return Decimal(int(value))
        elif value - value == 0.0:  # finite (inf - inf and nan - nan are nan)
            return Decimal(repr(value))
    if kind is float or kind is int:
        number = to_decimal(value)
        if number is not None:
            return number
    raise _Slow


def _nb(value: Any) -> Any:
    if value is None:
        raise _Slow
    return value


def _pow(base: Decimal, exponent: Decimal) -> Decimal:
    if abs(exponent) > MAX_EXPONENT:
        raise EvaluationProblem("the power is too large", "乘方的指数过大")
    if base < 0 and exponent != exponent.to_integral_value():
        raise EvaluationProblem("a negative number has no fractional power", "负数不能求小数次方")
    if not exponent:
        return ONE
    if not base and exponent < 0:
        raise ZeroDivisionError
    return base**exponent


def _floordiv(left: Decimal, right: Decimal) -> Decimal:
    """`//` rounds down, as for floats (Decimal's own `//` truncates towards zero)."""
    quotient, remainder = divmod(left, right)
    if remainder and (remainder < 0) != (right < 0):
        quotient -= 1
    return quotient


def _mod(left: Decimal, right: Decimal) -> Decimal:
    """`%` takes the divisor's sign, as for floats (Decimal's own `%` takes the dividend's)."""
    remainder = left % right
    if remainder and (remainder < 0) != (right < 0):
        remainder += right
    return remainder


def _days(later: dt.date, earlier: dt.date) -> Decimal:
    return Decimal((later - earlier).days)


def _is_number(value: Any) -> bool:
    return value.__class__ is Decimal


def _arith(op: str) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if left is None or right is None:
            return None
        if op == "-" and isinstance(left, dt.date) and isinstance(right, dt.date):
            return _days(left, right)
        if not (_is_number(left) and _is_number(right)):
            raise EvaluationProblem(f"`{op}` needs numbers", f"`{op}` 需要数字")
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right
        if op == "//":
            return _floordiv(left, right)
        if op == "%":
            return _mod(left, right)
        return _pow(left, right)

    return apply


def _compare(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    comparable = (
        (_is_number(left) and _is_number(right))
        or (isinstance(left, str) and isinstance(right, str))
        or (isinstance(left, bool) and isinstance(right, bool))
        or (isinstance(left, dt.date) and isinstance(right, dt.date))
    )
    if not comparable:
        if op in ("==", "!="):
            return op == "!="
        raise EvaluationProblem("these values cannot be compared", "这些值无法比较")
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def _chain(first: Any, rest: list[tuple[str, Callable[[], Any]]]) -> Any:
    left = first
    for op, right_thunk in rest:
        right = right_thunk()
        outcome = _compare(op, left, right)
        if outcome is not True:
            return outcome
        left = right
    return True


def _truth(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str | list):
        raise EvaluationProblem("text is not a condition", "文字不能作为条件")
    return bool(value)


def _and(left: Callable[[], Any], right: Callable[[], Any]) -> Any:
    """Blank only where it decides: `blank and false` is false (either side)."""
    first = _truth(left())
    if first is False:
        return False
    second = _truth(right())
    if second is False:
        return False
    return None if first is None or second is None else True


def _or(left: Callable[[], Any], right: Callable[[], Any]) -> Any:
    """Blank only where it decides: `blank or true` is true (either side)."""
    first = _truth(left())
    if first is True:
        return True
    second = _truth(right())
    if second is True:
        return True
    return None if first is None or second is None else False


def _not(value: Any) -> Any:
    truth = _truth(value)
    return None if truth is None else not truth


def _neg(value: Any) -> Any:
    if value is None:
        return None
    if not _is_number(value):
        raise EvaluationProblem("`-` needs a number", "`-` 需要数字")
    return -value


def _if(condition: Any, then: Callable[[], Any], otherwise: Callable[[], Any]) -> Any:
    truth = _truth(condition)
    if truth is None:
        return None
    return then() if truth else otherwise()


_RUNTIME: dict[str, Any] = {
    "_Slow": _Slow,
    "_dnum": _dnum,
    "_nb": _nb,
    "_pow": _pow,
    "_floordiv": _floordiv,
    "_mod": _mod,
    "_days": _days,
    "_chain": _chain,
    "_and": _and,
    "_or": _or,
    "_not": _not,
    "_neg": _neg,
    "_if": _if,
    "_truth": _truth,
    "_D": Decimal,
    "_LARGEST": LARGEST,
    "_str": str,
    "_bool": bool,
    "_date": dt.date,
    **{f"_op{index}": _arith(op) for index, op in enumerate(BINARY.values())},
    **{f"_f_{name}": spec.impl for name, spec in FUNCTIONS.items()},
    **{f"_n_{name}": impl for name, impl in NUMBER_ONLY.items()},
}
_ARITH_HELPER = {op: f"_op{index}" for index, op in enumerate(BINARY.values())}
_CHECK_FAST = {"text": "_str", "bool": "_bool"}  # exact classes the fast path accepts


# -- checking --------------------------------------------------------------------------------


@dataclass
class _Typed:
    """A checked node: its type, whether it can be blank on the fast path, and its code."""

    type: str
    fast: str
    safe: str
    may_be_blank: bool = False
    literal: Any = None
    is_literal: bool = False


class _Compiler:
    def __init__(
        self, source: str, names: Mapping[str, str], column_map: list[int], lines: list[str]
    ) -> None:
        self.source = source
        self.names = names
        self.column_map = column_map
        self.lines = lines
        self.params: dict[str, str] = {}
        self.functions: set[str] = set()
        self.constants: list[Decimal] = []  # number literals, as `_k0`, `_k1`, … in the code
        self.blank_aware: set[str] = set()
        self._blank_test_depth = 0

    # errors
    def column(self, node: ast.AST) -> int | None:
        lineno = getattr(node, "lineno", None)
        offset = getattr(node, "col_offset", None)
        if lineno is None or offset is None:
            return None
        before = sum(len(line) + 1 for line in self.lines[: lineno - 1])
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        index = before + len(line.encode("utf-8")[:offset].decode("utf-8", "ignore"))
        return self.column_map[min(index, len(self.column_map) - 1)] + 1

    def error(self, kind: str, code: str, node: ast.AST | None, **params: Any) -> FormulaError:
        return FormulaError(kind, code, self.column(node) if node else None, self.source, **params)

    def forbidden(self, node: ast.AST, what: str, what_zh: str) -> FormulaError:
        return self.error("forbidden", "forbidden", node, what=what, what_zh=what_zh)

    # the walk
    def check(self, node: ast.AST, in_call: bool = False) -> _Typed:
        for node_type, (what, what_zh) in FORBIDDEN.items():
            if isinstance(node, node_type):
                raise self.forbidden(node, what, what_zh)
        handler = {
            ast.Constant: self.constant,
            ast.Name: self.name,
            ast.BinOp: self.binary,
            ast.UnaryOp: self.unary,
            ast.BoolOp: self.boolean,
            ast.Compare: self.compare,
            ast.Call: self.call,
        }.get(type(node))
        if handler is not None:
            return handler(node)
        if isinstance(node, ast.IfExp):
            return self.conditional(node.test, node.body, node.orelse)
        if isinstance(node, ast.List):
            if not in_call:
                raise self.error("forbidden", "list_place", node)
            return self.list_(node)
        raise self.forbidden(node, "This construct", "这种写法")

    def constant(self, node: ast.Constant) -> _Typed:
        value = node.value
        if isinstance(value, bool):
            return _Typed("bool", repr(value), repr(value), literal=value, is_literal=True)
        if value is None or isinstance(value, bytes | complex):
            raise self.forbidden(node, "This kind of value", "这种值")
        if value is Ellipsis:
            raise self.forbidden(node, "`...`", "`...`")
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise self.error("limit", "text_too_long", node, limit=MAX_TEXT)
            for char in value:  # also what escapes such as "\u202e" decoded into
                if _invisible(char):
                    raise self.error("syntax", "bad_character", node, char=f"U+{ord(char):04X}")
            return _Typed("text", repr(value), repr(value), literal=value, is_literal=True)
        number = self._literal_number(node)
        if number is None or abs(number) > MAX_LITERAL:
            raise self.error("limit", "number_too_large", node, text=_short_text(value))
        return self.number_constant(number)

    def _literal_number(self, node: ast.Constant) -> Decimal | None:
        """The number as typed (`0.35` is 0.35, not the float nearest to it)."""
        text = self.segment(node)
        if text and DECIMAL_LITERAL.fullmatch(text) and any(c.isdigit() for c in text):
            try:
                return Decimal(text.replace("_", ""))
            except InvalidOperation:  # pragma: no cover - the regex admits only decimals
                return None
        return to_decimal(node.value)

    def segment(self, node: ast.AST) -> str | None:
        try:
            return ast.get_source_segment("\n".join(self.lines), node)
        except (TypeError, ValueError, IndexError):  # pragma: no cover - defensive
            return None

    def number_constant(self, number: Decimal) -> _Typed:
        name = f"_k{len(self.constants)}"
        self.constants.append(number)
        return _Typed("number", name, name, literal=number, is_literal=True)

    def name(self, node: ast.Name) -> _Typed:
        name = normalize_name(node.id)
        if name.startswith("__"):
            raise self.forbidden(node, "Names starting with `__`", "以 `__` 开头的名称")
        if name in self.names:
            kind = self.names[name]
            if name not in self.params:
                self.params[name] = kind
            if self._blank_test_depth:
                self.blank_aware.add(name)
            var = f"n{list(self.params).index(name)}"
            return _Typed(kind, var, var)
        if name.lower() in CONSTANTS:
            value = CONSTANTS[name.lower()]
            return _Typed("bool", repr(value), repr(value), literal=value, is_literal=True)
        if name.upper() in FUNCTIONS:
            raise self.error(
                "syntax",
                "syntax",
                node,
                detail=f"`{node.id}` is a function: write {name.upper()}( … )",
                detail_zh=f"`{node.id}` 是函数，请写成 {name.upper()}( … )",
            )
        hint = _closest(name, [*self.names, *CONSTANTS])
        if hint:
            raise self.error("unknown_name", "unknown_name_hint", node, name=node.id, hint=hint)
        raise self.error("unknown_name", "unknown_name", node, name=node.id)

    def _operand_error(self, node: ast.AST, operand: ast.AST, typed: _Typed) -> FormulaError:
        what = {
            "text": ("Text", "文字"),
            "bool": ("A yes/no value", "是/否值"),
            "list": ("A list", "列表"),
            "date": ("A date", "日期"),
        }[typed.type]
        return self.error(
            "type",
            "type_arith",
            node,
            what=what[0],
            what_zh=what[1],
            operand=_describe(operand),
            type_name=type_name(typed.type),
            type_name_zh=type_name(typed.type, "zh"),
        )

    def binary(self, node: ast.BinOp) -> _Typed:
        op = BINARY.get(type(node.op))
        if op is None:
            raise self.forbidden(
                node,
                f"The operator `{_operator_text(node.op)}`",
                f"运算符 `{_operator_text(node.op)}`",
            )
        left, right = self.check(node.left), self.check(node.right)
        blank = left.may_be_blank or right.may_be_blank
        helper = _ARITH_HELPER[op]
        safe = f"{helper}({left.safe}, {right.safe})"
        if op == "-" and left.type == right.type == "date":
            return _Typed("number", f"_days({left.fast}, {right.fast})", safe, blank)
        for operand, typed in ((node.left, left), (node.right, right)):
            if typed.type not in ("number", "any"):
                raise self._operand_error(node, operand, typed)
        if op in ("**", "//", "%"):
            helper = {"**": "_pow", "//": "_floordiv", "%": "_mod"}[op]
            fast = f"{helper}({left.fast}, {right.fast})"
        elif "any" in (left.type, right.type):
            fast = safe  # unknown types: let the checking helper decide
        else:
            fast = f"({left.fast} {op} {right.fast})"
        return _Typed("number", fast, safe, blank)

    def unary(self, node: ast.UnaryOp) -> _Typed:
        operand = self.check(node.operand)
        if isinstance(node.op, ast.Not):
            if operand.type in ("text", "list", "date"):
                raise self._operand_error(node, node.operand, operand)
            safe = f"_not({operand.safe})"
            fast = safe if operand.type == "any" else f"(not {operand.fast})"
            return _Typed("bool", fast, safe, operand.may_be_blank)
        if isinstance(node.op, ast.Invert):
            raise self.forbidden(node, "The operator `~`", "运算符 `~`")
        if operand.type not in ("number", "any"):
            raise self._operand_error(node, node.operand, operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if operand.is_literal:
            return self.number_constant(-operand.literal)
        safe = f"_neg({operand.safe})"
        fast = safe if operand.type == "any" else f"(-{operand.fast})"  # any: let the helper check
        return _Typed("number", fast, safe, operand.may_be_blank)

    def _condition(self, node: ast.AST, typed: _Typed) -> str:
        if typed.type in ("text", "list", "date"):
            raise self.error(
                "type",
                "type_argument",
                node,
                position=1,
                name="IF",
                expected="a yes/no value",
                expected_zh="是/否值",
                given=type_name(typed.type),
                given_zh=type_name(typed.type, "zh"),
            )
        return typed.fast if typed.type == "bool" else f"_truth({typed.fast})"

    def boolean(self, node: ast.BoolOp) -> _Typed:
        values = [self.check(value) for value in node.values]
        for value_node, typed in zip(node.values, values, strict=True):
            self._condition(value_node, typed)
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        helper = "_and" if isinstance(node.op, ast.And) else "_or"
        fast = (
            "("
            + joiner.join(v.fast if v.type == "bool" else f"_truth({v.fast})" for v in values)
            + ")"
        )
        safe = values[0].safe
        for value in values[1:]:
            safe = f"{helper}(lambda: {safe}, lambda: {value.safe})"
        return _Typed("bool", fast, safe, any(v.may_be_blank for v in values))

    def compare(self, node: ast.Compare) -> _Typed:
        operands = [self.check(node.left)] + [self.check(c) for c in node.comparators]
        ops = []
        for op_node in node.ops:
            op = COMPARE.get(type(op_node))
            if op is None:
                raise self.forbidden(node, "`in` and `is`", "`in` 与 `is`")
            ops.append(op)
        for op, left, right in zip(ops, operands, operands[1:], strict=False):
            kinds = {left.type, right.type} - {"any"}
            if "list" in kinds or len(kinds) > 1:
                raise self.error(
                    "type",
                    "type_compare",
                    node,
                    left=type_name(left.type),
                    right=type_name(right.type),
                    left_zh=type_name(left.type, "zh"),
                    right_zh=type_name(right.type, "zh"),
                )
            if op not in ("==", "!=") and kinds == {"bool"}:
                raise self.error(
                    "type",
                    "type_compare",
                    node,
                    left=type_name("bool"),
                    right=type_name("bool"),
                    left_zh=type_name("bool", "zh"),
                    right_zh=type_name("bool", "zh"),
                )
        fast = operands[0].fast + "".join(
            f" {op} {operand.fast}" for op, operand in zip(ops, operands[1:], strict=True)
        )
        rest = ", ".join(
            f"({op!r}, lambda: {operand.safe})"
            for op, operand in zip(ops, operands[1:], strict=True)
        )
        safe = f"_chain({operands[0].safe}, [{rest}])"
        blank = any(o.may_be_blank for o in operands)
        if any(o.type == "any" for o in operands):
            fast = safe
        return _Typed("bool", f"({fast})", safe, blank)

    def conditional(self, test: ast.AST, body: ast.AST, orelse: ast.AST) -> _Typed:
        condition, then, otherwise = self.check(test), self.check(body), self.check(orelse)
        fast_condition = self._condition(test, condition)
        kind = then.type if then.type == otherwise.type else "any"
        fast = f"({then.fast} if {fast_condition} else {otherwise.fast})"
        safe = f"_if({condition.safe}, lambda: {then.safe}, lambda: {otherwise.safe})"
        blank = condition.may_be_blank or then.may_be_blank or otherwise.may_be_blank
        return _Typed(kind, fast, safe, blank)

    def call(self, node: ast.Call) -> _Typed:
        if not isinstance(node.func, ast.Name):
            raise self.forbidden(node, "Calling this", "调用这种对象")
        raw = node.func.id
        name = normalize_name(raw).upper()
        if normalize_name(raw).startswith("__"):
            raise self.forbidden(node, "Names starting with `__`", "以 `__` 开头的名称")
        spec = FUNCTIONS.get(name)
        if spec is None:
            hint = _closest(name, list(FUNCTIONS))
            if hint:
                raise self.error("unknown_name", "unknown_function_hint", node, name=raw, hint=hint)
            raise self.error("unknown_name", "unknown_function", node, name=raw)
        if node.keywords:
            raise self.error("syntax", "keyword_args", node, name=name)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.forbidden(arg, "`*` unpacking", "`*` 展开")
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise self.error(
                "syntax",
                "arity",
                node,
                name=name,
                given=count,
                expected=_arity_text(spec),
                expected_zh=_arity_text(spec, "zh"),
            )
        self.functions.add(name)
        if name == "IF":
            return self.conditional(*node.args)
        self._blank_test_depth += name in BLANK_TESTS
        try:
            args = [self.check(arg, in_call=True) for arg in node.args]
        finally:
            self._blank_test_depth -= name in BLANK_TESTS
        for index, (arg_node, typed) in enumerate(zip(node.args, args, strict=True)):
            self._check_argument(spec, index, arg_node, typed)
        kind = spec.returns
        if kind == "any":
            kind = self._result_type(name, args)
        safe = f"_f_{name}({', '.join(a.safe for a in args)})"
        fast = f"_f_{name}({', '.join(a.fast for a in args)})"
        blank_args = any(a.may_be_blank for a in args)
        if name in NUMBER_ONLY and all(a.type == "number" for a in args):
            fast = f"_n_{name}({', '.join(a.fast for a in args)})"  # numbers: never blank
        elif spec.may_be_blank:
            fast = f"_nb({fast})"
        return _Typed(kind, fast, safe, blank_args and spec.may_be_blank)

    def _check_argument(self, spec, index: int, node: ast.AST, typed: _Typed) -> None:
        expected = spec.arg_type(index)
        allowed = {
            "number": {"number", "any"},
            "numbers": {"number", "list", "any"},
            "list": {"list", "any"},
            "bool": {"bool", "number", "any"},
            "any": {"number", "text", "bool", "date", "list", "any"},
        }[expected]
        if typed.type not in allowed:
            shown = "numbers or a list" if expected == "numbers" else type_name(expected)
            shown_zh = "数字或列表" if expected == "numbers" else type_name(expected, "zh")
            raise self.error(
                "type",
                "type_argument",
                node,
                position=index + 1,
                name=spec.name,
                expected=shown,
                expected_zh=shown_zh,
                given=type_name(typed.type),
                given_zh=type_name(typed.type, "zh"),
            )
        literal_text = (
            typed.type == "list"
            and typed.literal is not None
            and any(isinstance(v, str) for v in typed.literal)
        )
        if typed.type == "list" and expected == "numbers" and literal_text:
            raise self.error(
                "type",
                "type_argument",
                node,
                position=index + 1,
                name=spec.name,
                expected="numbers",
                expected_zh="数字",
                given=type_name("text"),
                given_zh=type_name("text", "zh"),
            )

    @staticmethod
    def _result_type(name: str, args: list[_Typed]) -> str:
        if name in ("BANDS", "LOOKUP") and args[2].literal is not None:
            kinds = {_literal_type(v) for v in args[2].literal}
            if name == "LOOKUP" and len(args) == 4:
                kinds.add(args[3].type)
            return kinds.pop() if len(kinds) == 1 else "any"
        if name == "COALESCE":
            kinds = {a.type for a in args}
            return kinds.pop() if len(kinds) == 1 else "any"
        return "any"

    def list_(self, node: ast.List) -> _Typed:
        if len(node.elts) > MAX_LIST:
            raise self.error("limit", "list_too_long", node, limit=MAX_LIST)
        items = [self.check(element) for element in node.elts]
        for element, typed in zip(node.elts, items, strict=True):
            if typed.type == "list":
                raise self.error("forbidden", "list_place", element)
        literal = [i.literal for i in items] if all(i.is_literal for i in items) else None
        return _Typed(
            "list",
            "[" + ", ".join(i.fast for i in items) + "]",
            "[" + ", ".join(i.safe for i in items) + "]",
            literal=literal,
        )


def _literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "text"
    return "number"


def _arity_text(spec, lang: str = "en") -> str:
    low, high = spec.min_args, spec.max_args
    if high is None:
        return f"at least {low} value(s)" if lang == "en" else f"至少 {low} 个参数"
    if low == high:
        return f"{low} value(s)" if lang == "en" else f"{low} 个参数"
    return f"{low} to {high} values" if lang == "en" else f"{low} 到 {high} 个参数"


def _closest(name: str, candidates: list[str]) -> str | None:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return f"`{node.id}`"
    if isinstance(node, ast.Constant):
        return _short_text(node.value)
    return "this part"


def _short_text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _operator_text(op: ast.AST) -> str:
    return {
        ast.MatMult: "@",
        ast.BitOr: "|",
        ast.BitAnd: "&",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
    }.get(type(op), "?")


# -- before parsing --------------------------------------------------------------------------


def _invisible(char: str) -> bool:
    """Bidi controls, zero-width and control characters: they make text look other than it
    is. Checked on the source and again on text literals after escapes are decoded."""
    return ord(char) in INVISIBLE or unicodedata.category(char) == "Cc"


def prepare_source(source: str) -> tuple[str, list[int]]:
    """NFKC per character, so full-width brackets and commas typed with a Chinese IME become
    ASCII (and × ÷ “ ” are read as * / "); keeps each character's original column for error
    messages, and refuses invisible characters."""
    out: list[str] = []
    columns: list[int] = []
    for column, char in enumerate(source):
        if _invisible(char) and char not in "\t\n\r":
            raise FormulaError(
                "syntax", "bad_character", column + 1, source, char=f"U+{ord(char):04X}"
            )
        normal = TYPED_ALIASES.get(char) or unicodedata.normalize("NFKC", char)
        out.append(normal)
        columns.extend([column] * len(normal))
    columns.append(len(source))
    return "".join(out), columns


_UNARY_BEFORE = {
    None,
    "(",
    "[",
    ",",
    "if",
    "else",
    "and",
    "or",
    "not",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "~",
}


def _precheck(text: str, source: str, columns: list[int]) -> None:
    """Bound nesting with the tokenizer (which does not recurse) before Python's parser
    (which does) ever sees the text."""
    depth = unary_run = operators = conditionals = 0
    previous: str | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            string = token.string
            column = columns[min(token.start[1], len(columns) - 1)] + 1
            if token.type == tokenize.OP or (
                token.type == tokenize.NAME
                and string in ("not", "and", "or", "if", "else", "lambda")
            ):
                if string in "([{":
                    depth += 1
                    if depth > MAX_BRACKET_DEPTH:
                        raise FormulaError(
                            "limit", "too_deep", column, source, limit=MAX_BRACKET_DEPTH
                        )
                elif string in ")]}":
                    depth -= 1
                elif string not in (",", ":"):
                    operators += 1
                if string in ("-", "+", "~", "not") and previous in _UNARY_BEFORE:
                    unary_run += 1
                    if unary_run > MAX_UNARY_RUN:
                        raise FormulaError("limit", "too_deep", column, source, limit=MAX_UNARY_RUN)
                else:
                    unary_run = 0
                conditionals += string == "if"
                if operators > MAX_OPERATORS or conditionals > MAX_BRACKET_DEPTH:
                    raise FormulaError("limit", "too_big", column, source, limit=MAX_OPERATORS)
            else:
                unary_run = 0
            if token.type not in (
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.ENDMARKER,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.COMMENT,
            ):
                previous = string
    except tokenize.TokenError:
        raise FormulaError(
            "syntax",
            "syntax",
            len(source),
            source,
            detail="a bracket or quote is not closed",
            detail_zh="括号或引号没有闭合",
        ) from None
    except (SyntaxError, IndentationError) as exc:
        raise _syntax_error(exc, source, columns) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("limit", "too_big", None, source, limit=MAX_OPERATORS) from None


def _syntax_error(exc: SyntaxError, source: str, columns: list[int]) -> FormulaError:
    offset = (exc.offset or 1) - 1
    column = columns[min(max(offset, 0), len(columns) - 1)] + 1
    return FormulaError(
        "syntax",
        "syntax",
        column,
        source,
        detail="check the brackets, commas and operators around it",
        detail_zh="请检查该处附近的括号、逗号和运算符",
    )


def _measure(tree: ast.AST, source: str) -> None:
    """Depth and size of the tree, without recursion."""
    stack = [(tree, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise FormulaError("limit", "too_deep", None, source, limit=MAX_DEPTH)
        if count > MAX_NODES:
            raise FormulaError("limit", "too_big", None, source, limit=MAX_NODES)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


# -- the public entry ------------------------------------------------------------------------


def compile_formula(source: str, names: Mapping[str, str], owner: str | None = None) -> Formula:
    """Check and compile a formula against the names available to it and their types.

    `names` maps each name to `number`, `text`, `bool`, `date` or `list`. `owner` (an item
    or output key) is named in evaluation errors such as a division by zero.
    """
    if not isinstance(source, str):
        raise FormulaError(
            "type",
            "value_type",
            None,
            "",
            name="formula",
            expected="text",
            expected_zh="文字",
            given=_short(source),
        )
    if len(source) > MAX_SOURCE:
        raise FormulaError(
            "limit", "too_long", MAX_SOURCE + 1, source[:80], length=len(source), limit=MAX_SOURCE
        )
    if not source.strip():
        raise FormulaError("syntax", "empty", 1, source)
    normalized_names: dict[str, str] = {}
    for name, kind in names.items():
        if kind not in NAME_TYPES:
            raise ValueError(f"unknown type {kind!r} for name {name!r}")
        normalized_names[normalize_name(name)] = kind

    text, columns = prepare_source(source)
    _precheck(text, source, columns)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        leading = len(text) - len(text.lstrip())
        exc.offset = (exc.offset or 1) + leading
        raise _syntax_error(exc, source, columns) from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise FormulaError("limit", "too_big", None, source, limit=MAX_NODES) from None
    _measure(tree, source)

    lines = text.strip().split("\n")
    leading = len(text) - len(text.lstrip())
    compiler = _Compiler(source, normalized_names, columns[leading:], lines)
    typed = compiler.check(tree.body)
    if typed.type == "list":
        raise compiler.error("forbidden", "list_place", tree.body)

    params = tuple(compiler.params)
    param_types = tuple(compiler.params.values())
    fast, safe = _generate(params, param_types, typed, compiler.constants)
    return Formula(
        source,
        params,
        param_types,
        frozenset(compiler.functions),
        typed.type,
        owner,
        fast,
        safe,
        frozenset(compiler.blank_aware),
    )


def _generate(
    params: tuple[str, ...], kinds: tuple[str, ...], typed: _Typed, constants: list[Decimal]
):
    variables = [f"n{i}" for i in range(len(params))]
    lines = ["def _fast(_v):"]
    for var, name, kind in zip(variables, params, kinds, strict=True):
        lines.append(f"    {var} = _v[{name!r}]")
        if kind == "number":
            lines.append(f"    if {var}.__class__ is not _D: {var} = _dnum({var})")
        elif kind == "list":
            lines.append("    raise _Slow")
        elif kind == "date":
            lines.append(f"    if {var}.__class__ is not _date: raise _Slow")
        else:
            lines.append(f"    if {var}.__class__ is not {_CHECK_FAST[kind]}: raise _Slow")
    lines.append(f"    _r = {typed.fast}")
    lines.append("    if _r.__class__ is _D and not -_LARGEST <= _r <= _LARGEST: raise _Slow")
    lines.append("    return _r")
    lines.append(f"def _safe({', '.join(variables)}):")
    lines.append(f"    return {typed.safe}")
    namespace = dict(_RUNTIME)
    namespace.update({f"_k{index}": number for index, number in enumerate(constants)})
    code = compile("\n".join(lines), "<formula>", "exec")
    exec(code, namespace)  # noqa: S102 - our generated code, from a checked tree only
    return namespace["_fast"], namespace["_safe"]
