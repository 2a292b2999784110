"""Generated form conditions and form values, with the server's answer, shared by the unit
tests of `condition_tree` and the browser test that runs the same cases in conditions.js.

A seeded generator over the browser's subset (so a failure replays): numbers that binary
floats get wrong (0.1 + 0.2), blanks, text, lists, dates, photos, and typed values the
server refuses (which then count as blank).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from appraisal.rules import FormulaError, check_activity_values, compile_activity

OPTIONS = [{"key": k, "label": k.upper()} for k in ("a", "b", "c")]
FIELDS = [
    {"key": "n", "label": "N", "type": "number"},
    {"key": "q", "label": "Q", "type": "number", "min": 0, "max": 10},
    {"key": "m", "label": "M", "type": "money"},
    {"key": "p", "label": "P", "type": "photos", "max_photos": 3},
    {"key": "t", "label": "T", "type": "text"},
    {"key": "c", "label": "C", "type": "choice", "options": OPTIONS},
    {"key": "tags", "label": "Tags", "type": "multi_choice", "options": OPTIONS},
    {"key": "ok", "label": "OK", "type": "yes_no"},
    {"key": "d1", "label": "D1", "type": "date"},
    {"key": "d2", "label": "D2", "type": "date"},
]
TARGET = "x"  # the field whose visibility the condition decides

RAW: dict[str, list[Any]] = {
    "n": [
        "",
        "0",
        "0.1",
        "0.2",
        "0.3",
        "-5",
        "1,000",
        "12.50",
        " 7 ",
        "abc",
        "1e3",
        "0.10",
        "999999999999",
        "1000000000000",
        "1_000",
        "１２",
        "3.",
        ".5",
        "+2",
        "1e-30",
        "123456789.123456789123456789",
        "-0",
    ],
    "q": ["", "0", "10", "10.01", "-0.001", "5", "2.5", "0.3"],
    "m": ["", "0.10", "0.1", "1.005", "100", "-0.01", "0.30", "1.50", "0.2"],
    "p": [0, 0, 1, 2, 3, 4],
    "t": ["", "  ", "a", "b", " a ", "A", "中文", "😀", "a\u3000", "x" * 501, "ｂ"],
    "c": ["", "a", "b", "c", "zz"],
    "tags": [[], ["a"], ["b", "a"], ["a", "b", "c"], ["zz"], "b", ["c"]],
    "ok": ["", "yes", "no", "true", "0", "maybe", "ON", " n "],
    "d1": ["", "2026-03-01", "2026-02-28", "2026-13-01", "20260301", "2024-02-29", "2025-02-29"],
    "d2": ["", "2026-03-01", "2026-01-31", "2024-02-29"],
}

HANDPICKED = [
    ("n + m == 0.3", {"n": "0.1", "m": "0.2"}),
    ("n + 0.2 == 0.3", {"n": "0.1"}),
    ("0.1 + 0.2 == 0.3", {}),
    ("n / 3 * 3 == n", {"n": "1"}),
    ("1 / 3 * 3 == 1", {}),
    ("2 / 3 == 0.6666666666666666666666666667", {}),
    # products rounded to 28 significant digits at each step, as the engine's context
    ("n * n / 1000000000000000 == 15.24157878067367851562262075", {"n": "123456789.123456789"}),
    (
        "n * n * n * n / 1e15 / 1e15 == 232.3057237274821376661880065",
        {"n": "123456789.123456789123456789"},
    ),
    ("AVG(n, m, 1) == 0.4333333333333333333333333333", {"n": "0.1", "m": "0.2"}),
    ("n - 0.1 == 0 and ISBLANK(m)", {"n": "0.10"}),
    ("ISBLANK(n) or n > 5", {}),
    ("ISBLANK(n) or n > 5", {"n": "abc"}),
    ("q > 5", {"q": "11"}),
    ("not (q > 5)", {"q": "11"}),
    ("p >= 2", {"p": 2}),
    ("ISBLANK(p)", {"p": 0}),
    ("COUNT(tags) == 2", {"tags": ["b", "a"]}),
    ("c == 'a' and ok", {"c": "a", "ok": "yes"}),
    ("d1 - d2 == 29", {"d1": "2024-03-01", "d2": "2024-02-01"}),
    ("d1 > d2", {"d1": "2026-03-01", "d2": "2026-02-28"}),
    ("t == 'a'", {"t": " a "}),
    ("t < '😀'", {"t": "\uffff"}),
    ("n / 0 > 1 or true", {"n": "1"}),
    ("true or n / 0 > 1", {"n": "1"}),
    ("ISBLANK(n) or n / 0 > 1", {}),
    ("1 < n < 0", {"n": "5"}),
    ("LOOKUP(c, ['a', 'b'], [1, 2], 0) == 0", {"c": "c"}),
    ("LOOKUP(ok, [1, 0], ['y', 'n']) == 'y'", {"ok": "true"}),
    ("IF(ISBLANK(t), n > 0, t == 'b')", {"n": "1"}),
    ("n > 0 if ok else m > 0", {"ok": "no", "m": "0.01"}),
    ("-n == -0.1", {"n": "0.1"}),
    ("MIN(n, m) == 0.1 and MAX(n, m, 0) == 0.2", {"n": "0.2", "m": "0.1"}),
    ("SUM(n, 1) == 1", {}),
    ("ISBLANK(SUM(n, m))", {}),
    ("ABS(n) == 5", {"n": "-5"}),
    ("COALESCE(n, m, 3) == 3", {}),
    ("n == m", {"n": "1.0", "m": "1.00"}),
]


# -- the generator -------------------------------------------------------------------------

NUMBERS = [
    "0",
    "1",
    "2",
    "3",
    "0.1",
    "0.2",
    "0.3",
    "0.5",
    "10",
    "100",
    "1000",
    "12.5",
    "1e3",
    "0.0001",
    "7",
    "1_000",
    "0.30",
    "999999999999",
]
TEXTS = ["'a'", "'b'", "'A'", "''", "'中文'", "'ｂ'", "'😀'"]


class Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options):
        return self.rng.choice(options)

    def num(self, depth: int) -> str:
        if depth <= 0 or self.rng.random() < 0.3:
            return self.pick([*NUMBERS, "n", "q", "m", "p", "n", "m"])
        a, b = self.num(depth - 1), self.num(depth - 1)
        return self.pick(
            [
                f"({a} {self.pick('+-*/')} {b})",
                f"({a} {self.pick('+-*/')} {b})",
                f"-{a}",
                f"COALESCE({a}, {b})",
                f"MIN({a}, {b})",
                f"MAX({a}, {b}, {self.num(0)})",
                f"SUM({a}, {b})",
                f"AVG({a}, {b}, {self.num(0)})",
                f"ABS({a})",
                f"COUNT({a}, {self.text(0)}, tags)",
                "COUNT(tags)",
                "(d1 - d2)",
                f"IF({self.bool(depth - 1)}, {a}, {b})",
                f"({a} if {self.bool(depth - 1)} else {b})",
                "LOOKUP(c, ['a', 'b', 'c'], [1, 2, 0.5])",
                f"LOOKUP(c, ['a', 'b'], [{a}, {b}], 0)",
                f"MIN([{a}, {b}, 3])",
            ]
        )

    def text(self, depth: int) -> str:
        if depth <= 0 or self.rng.random() < 0.5:
            return self.pick([*TEXTS, "t", "c", "t"])
        return self.pick(
            [
                f"COALESCE({self.text(depth - 1)}, {self.text(0)})",
                f"IF({self.bool(depth - 1)}, {self.text(depth - 1)}, {self.text(0)})",
                "LOOKUP(c, ['a', 'b'], ['x', 'y'])",
            ]
        )

    def bool(self, depth: int) -> str:
        if depth <= 0 or self.rng.random() < 0.15:
            return self.pick(
                ["ok", "true", "false", "ISBLANK(n)", "ISBLANK(t)", "ISBLANK(tags)", "ISBLANK(d1)"]
            )
        d = depth - 1
        cmp = self.pick(["==", "!=", "<", "<=", ">", ">="])
        return self.pick(
            [
                f"{self.num(d)} {cmp} {self.num(d)}",
                f"{self.num(d)} {cmp} {self.num(d)}",
                f"{self.num(d)} {cmp} {self.num(d)}",
                f"{self.num(0)} < {self.num(d)} <= {self.num(0)}",
                f"{self.text(d)} {cmp} {self.text(d)}",
                f"d1 {cmp} d2",
                f"ok {self.pick(['==', '!='])} {self.pick(['true', 'false', 'ok'])}",
                f"({self.bool(d)} and {self.bool(d)})",
                f"({self.bool(d)} or {self.bool(d)})",
                f"({self.bool(d)} or {self.bool(d)} and {self.bool(d)})",
                f"not {self.bool(d)}",
                f"IF({self.bool(d)}, {self.bool(d)}, {self.bool(d)})",
                f"ISBLANK({self.num(d)})",
                f"COUNT(tags) >= {self.pick(['1', '2'])}",
            ]
        )

    def values(self) -> dict[str, Any]:
        raw = {}
        for key, choices in RAW.items():
            if self.rng.random() < 0.85:
                raw[key] = self.pick(choices)
        return raw


def generated(seed: int, formulas: int, values_each: int) -> list[tuple[str, dict]]:
    """`formulas` random conditions, each with `values_each` random forms of values."""
    gen = Generator(random.Random(seed))
    cases = []
    for _ in range(formulas):
        source = gen.bool(3)
        cases.extend((source, gen.values()) for _ in range(values_each))
    return cases


# -- the server's answer ---------------------------------------------------------------------


def activity(condition: str):
    """A form with the fields above and a last field shown when `condition` holds."""
    target = {"key": TARGET, "label": "X", "type": "text", "visible_if": condition}
    return compile_activity(
        {"format": "activity/1", "key": "f", "name": "F", "fields": [*FIELDS, target]}
    )


def photo_uuids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{index:012d}" for index in range(count)]


def server_raw(raw: dict[str, Any]) -> dict[str, Any]:
    """What a phone sends: photos as their uuids (the browser counts files)."""
    sent = dict(raw)
    if "p" in sent:
        sent["p"] = photo_uuids(sent["p"])
    return sent


def server_shows(compiled, raw: dict[str, Any]) -> bool:
    """Whether `check_activity_values` keeps the target field (its condition held), checked
    against the formula evaluated directly on the values the server parsed."""
    checked = check_activity_values(compiled, {**server_raw(raw), TARGET: "shown"})
    shown = TARGET in checked.values
    formula = compiled.field(TARGET).visible_if
    seen = {key: _formula_value(compiled.field(key).type, v) for key, v in checked.values.items()}
    names = {name: seen.get(name) for name in formula.names}
    try:
        direct = formula.evaluate_exact(names) is True
    except FormulaError:
        direct = False
    assert direct == shown, (formula.source, raw)
    return shown


def _formula_value(field_type: str, value: Any) -> Any:
    if field_type in ("number", "money"):
        return Decimal(value)
    if field_type == "date":
        return dt.date.fromisoformat(value)
    if field_type == "photos":
        return Decimal(len(value))
    return value
