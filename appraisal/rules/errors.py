"""Formula errors: a kind, a column, and a message in English and Chinese."""

from __future__ import annotations

from typing import Any

KINDS = ("syntax", "unknown_name", "type", "forbidden", "limit", "evaluation")

# code -> (English, Chinese); str.format placeholders.
MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("The formula is empty.", "公式为空。"),
    "too_long": (
        "The formula is too long ({length} characters; at most {limit}).",
        "公式过长（{length} 个字符，最多 {limit} 个）。",
    ),
    "too_deep": (
        "The formula nests too deeply (at most {limit} levels of brackets or operators).",
        "公式嵌套过深（括号或运算符最多 {limit} 层）。",
    ),
    "too_big": (
        "The formula is too large (at most {limit} parts).",
        "公式过于复杂（最多 {limit} 个组成部分）。",
    ),
    "syntax": (
        "The formula is not valid at column {column}: {detail}.",
        "公式在第 {column} 列有误：{detail_zh}。",
    ),
    "bad_character": (
        "The character {char!r} at column {column} cannot be used in a formula.",
        "第 {column} 列的字符 {char!r} 不能用于公式。",
    ),
    "unknown_name": ("Unknown name `{name}`.", "未知名称 `{name}`。"),
    "unknown_name_hint": (
        "Unknown name `{name}` — did you mean `{hint}`?",
        "未知名称 `{name}`，是否想输入 `{hint}`？",
    ),
    "unknown_function": ("Unknown function `{name}`.", "未知函数 `{name}`。"),
    "unknown_function_hint": (
        "Unknown function `{name}` — did you mean `{hint}`?",
        "未知函数 `{name}`，是否想输入 `{hint}`？",
    ),
    "forbidden": ("{what} is not allowed in formulas.", "公式中不允许使用{what_zh}。"),
    "arity": (
        "`{name}` takes {expected}, but was given {given}.",
        "`{name}` 需要 {expected_zh}，实际给了 {given} 个。",
    ),
    "keyword_args": (
        "`{name}` takes values in order, without `name=` labels.",
        "`{name}` 的参数按顺序填写，不要使用 `名称=` 形式。",
    ),
    "type_arith": (
        "{what} cannot be used in arithmetic ({operand} is {type_name}).",
        "{what_zh}不能参与算术运算（{operand} 是{type_name_zh}）。",
    ),
    "type_compare": (
        "Cannot compare {left} with {right}.",
        "不能比较{left_zh}与{right_zh}。",
    ),
    "type_argument": (
        "Value {position} of `{name}` must be {expected}, not {given}.",
        "`{name}` 的第 {position} 个参数应为{expected_zh}，而不是{given_zh}。",
    ),
    "list_place": (
        "A list [ … ] can only be given to a function.",
        "列表 [ … ] 只能作为函数的参数。",
    ),
    "list_too_long": (
        "A list may hold at most {limit} values.",
        "列表最多包含 {limit} 个值。",
    ),
    "number_too_large": ("The number {text} is too large.", "数字 {text} 过大。"),
    "text_too_long": (
        "Text in quotes may be at most {limit} characters.",
        "引号中的文字最多 {limit} 个字符。",
    ),
    "division_by_zero": (
        "Division by zero in {owner}.",
        "{owner_zh}中出现除以零。",
    ),
    "not_finite": (
        "The result of {owner} is too large or not a number.",
        "{owner_zh}的结果过大或不是有效数字。",
    ),
    "evaluation": ("{detail} ({owner}).", "{detail_zh}（{owner_zh}）。"),
    "value_type": (
        "The value of `{name}` must be {expected}, not {given!r}.",
        "`{name}` 的值应为{expected_zh}，而不是 {given!r}。",
    ),
}

TYPE_NAMES = {
    "number": ("a number", "数字"),
    "text": ("text", "文字"),
    "bool": ("yes/no", "是/否"),
    "date": ("a date", "日期"),
    "list": ("a list", "列表"),
    "any": ("a value", "值"),
}


def type_name(kind: str, lang: str = "en") -> str:
    en, zh = TYPE_NAMES.get(kind, (kind, kind))
    return zh if lang == "zh" else en


class FormulaError(Exception):
    """A formula that cannot be compiled or evaluated. Never anything else escapes."""

    def __init__(
        self, kind: str, code: str, column: int | None = None, source: str = "", **params: Any
    ) -> None:
        self.kind = kind
        self.code = code
        self.column = column
        self.source = source
        self.params = params
        super().__init__(self.message)

    def message_in(self, lang: str = "en") -> str:
        en, zh = MESSAGES[self.code]
        params = {"column": self.column, **self.params}
        for key, value in list(params.items()):
            params.setdefault(f"{key}_zh", value)
        try:
            return (zh if lang.startswith("zh") else en).format(**params)
        except (KeyError, IndexError, ValueError):  # pragma: no cover - catalogue mistake
            return en

    @property
    def message(self) -> str:
        return self.message_in("en")

    @property
    def suggestion(self) -> str | None:
        return self.params.get("hint")

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "column": self.column,
            "message": self.message_in(lang),
            "suggestion": self.suggestion,
        }

    def __repr__(self) -> str:
        return f"FormulaError({self.kind!r}, {self.message!r})"
