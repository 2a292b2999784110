"""Numbers as the decimals people typed (design §5, "Decimal exactness").

The engine computes with `decimal.Decimal` from the inputs to the rounded total, so a
comparison, a band lookup or a rounding gives what a person (or a spreadsheet) gets:
0.57 / 0.6 is exactly 0.95, and 100 × 16.999 / 20 = 84.995 rounds to 85.00. Floats only
appear at the boundary: a float input is read as its shortest decimal form (`repr`, the
digits that were typed or stored in JSON), and results are handed out as the float nearest
to the exact decimal (so `66.67`, never `66.66999…`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from numbers import Real
from typing import Any

# What `score()` computes in: Python's default precision (28 digits) and traps, pinned so a
# caller that changed its thread's context cannot change a score.
CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
# Beyond what a float can hold: such a number is "too large" (design §6: finite numbers only).
LARGEST = Decimal("1.7976931348623157e308")
_LARGEST_INT = int(LARGEST)  # the same bound, compared with an int without a conversion
QUANTA = {digits: Decimal(1).scaleb(-digits) for digits in range(-12, 13)}
CENT = QUANTA[2]
# The largest row id: ids are 32-bit integers in PostgreSQL (`appraisal.db.MAX_ID` is this
# one). A value read as an id beyond it is no row, never a number sent to the driver.
MAX_ID = 2**31 - 1


# Plain ints and floats already converted, kept by type (80 == 80.0 as keys) and bounded:
# figures repeat (targets, levels, whole scores) and building a Decimal costs more than a
# lookup. A Decimal is immutable, so sharing one is the same as making it again.
_SEEN_INTS: dict[int, Decimal] = {}
_SEEN_FLOATS: dict[float, Decimal] = {}
_SEEN_SIZE = 4096
# The same memos, for a hot loop to look a plain int or float up before calling
# `to_decimal` (a miss calls it). Only `to_decimal` fills them (and clears them in place), so
# what is found is what it returns.
SEEN_INTS: Mapping[int, Decimal] = _SEEN_INTS
SEEN_FLOATS: Mapping[float, Decimal] = _SEEN_FLOATS


def to_decimal(value: Any) -> Decimal | None:
    """A number as the decimal it stands for, or None when it is not a finite number.

    Floats go through their shortest decimal form: 16.999 is 16.999, not
    16.998999999999998777…; integers and Decimals (from the database) are exact.
    """
    kind = value.__class__
    if kind is Decimal:
        return value if value.is_finite() and value.copy_abs() <= LARGEST else None
    if kind is int or kind is float:
        seen: dict[Any, Decimal] = _SEEN_INTS if kind is int else _SEEN_FLOATS
        number = seen.get(value)
        if number is None:
            number = _from_int(value) if kind is int else _from_float(value)
            if number is not None:
                if len(seen) >= _SEEN_SIZE:
                    seen.clear()
                seen[value] = number
        return number
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        return None
    if isinstance(value, Decimal):
        return to_decimal(Decimal(value))
    if isinstance(value, int):
        return to_decimal(int(value))
    try:
        return to_decimal(float(value))
    except (OverflowError, ValueError, TypeError):
        return None


def _from_int(value: int) -> Decimal | None:
    return Decimal(value) if -_LARGEST_INT <= value <= _LARGEST_INT else None


def _from_float(value: float) -> Decimal | None:
    if value.is_integer() and -9e15 < value < 9e15:
        return Decimal(int(value))  # quicker than repr for the usual whole figures
    return Decimal(repr(value)) if math.isfinite(value) else None


def typed_number(text: Any) -> Decimal | None:
    """The number a person or a file typed, exactly, or None when `text` is not a finite number
    a float can hold: "nan", "inf", "sNaN", "1e400" or 400 digits are no figure (every
    form, import and API reads typed numbers here, so none of them meets an overflow or a NaN
    that no comparison survives; the caller says "not a number" beside the field)."""
    try:
        return to_decimal(Decimal(str(text).strip()))
    except (InvalidOperation, ValueError):
        return None


def json_number(number: Decimal | float) -> int | float:
    """A finite number as the JSON definitions and values keep it: 60 rather than 60.0."""
    return int(number) if number == int(number) else float(number)


def to_float(value: Decimal) -> float:
    """The float people see for an exact figure: the nearest one (84.99 → 84.99)."""
    return float(value) + 0.0  # + 0.0: no "-0"


def rounded(value: Decimal, digits: int = 2, mode: str = ROUND_HALF_UP) -> Decimal:
    """Rounded on the decimal figures (half away from zero by default: 2.345 → 2.35).

    A value that already has no more decimals than asked is returned as it is, so a large
    whole number never overflows the precision.
    """
    try:
        result = value.quantize(QUANTA[digits], mode, CONTEXT)  # positional: keywords cost
    except InvalidOperation:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= -digits:
            return value  # more digits than the precision, none of them to round
        raise
    return result if result else ZERO


def round2(value: Decimal) -> Decimal:
    """Scores are kept to 2 decimals, halves away from zero (design §5). Scores are small
    numbers, so this is `rounded` without its large-number care."""
    result = value.quantize(CENT, ROUND_HALF_UP, CONTEXT)  # positional: keywords cost 2×
    return result if result else ZERO


def shown(value: Any) -> str:
    """A figure as people write it: 85 rather than 85.00, 84.995 exactly, never 1E+2."""
    if value.__class__ is not Decimal:
        number = to_decimal(value)
        if number is None:
            return str(value)
        value = number
    text = str(value)
    if len(text) <= 24 and "E" not in text:  # the usual case, quickly: "84.9950" → "84.995"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if not value:
        return "0"
    if value == value.to_integral_value():
        return f"{value:.0f}" if abs(value) < Decimal("1e21") else f"{value:.6g}"
    text = f"{value.normalize():f}"
    if len(text) > 24:  # 66.666…: a division that does not end
        return f"{value:.10g}" + "…"
    return text
