"""Checks of untrusted text and JSON, pure (no Flask): the request hook (`boundary.py`), file
imports and the command line use them.

- Control characters (C0, and lone UTF-16 surrogates from JSON `\\ud800` escapes) in query
  parameters, form fields, JSON strings and path parts. PostgreSQL refuses NUL in text (a 500
  before), XLSX cannot hold most of them, and nobody types them; tab and line breaks stay
  allowed in form fields and JSON strings, where multi-line text is legitimate.
- JSON nested deeper than `MAX_JSON_DEPTH`, counted *before* parsing: Python's parser
  recurses and fails with RecursionError (a 500) near 1,000 levels.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_JSON_DEPTH = 64

_LINE_CONTROL = re.compile(r"[\x00-\x1f\ud800-\udfff]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")  # tab, LF, CR allowed
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_DEPTH_STEP = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")
# Raw control characters are already invalid JSON; only escapes can smuggle them in.
_JSON_ESCAPE = re.compile(r"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2})")


def bad_text(text: str, *, multiline: bool = True) -> str | None:
    """The first character `text` may not hold, or None. `multiline` allows tab and line
    breaks (text areas, descriptions); single-line values (query parameters, keys) refuse
    every control character."""
    found = (_TEXT_CONTROL if multiline else _LINE_CONTROL).search(text)
    return found.group() if found else None


def describe(char: str) -> str:
    """`U+0000` for a refused character: it cannot be shown as itself."""
    return f"U+{ord(char):04X}"


class JsonRefused(ValueError):
    """JSON that is well formed but refused: too deep, or a string with a control character
    (`path` says which, `char` which character)."""

    def __init__(self, message: str, path: str = "", char: str = "") -> None:
        super().__init__(message)
        self.message, self.path, self.char = message, path, char


def check_json_depth(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than `limit` without parsing or recursing, in C-speed byte
    operations (at most ~1.5 s for a 10 MB body of brackets here): escaped backslashes and
    quotes are dropped, strings cut out at their quotes, only brackets kept, and the deepest
    running count of open brackets taken."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(raw.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    steps = memoryview(brackets.translate(_DEPTH_STEP)).cast("b")  # +1 opens, -1 closes
    if max(accumulate(steps), default=0) > limit:
        raise JsonRefused(f"JSON may be nested at most {limit} levels deep.")


def _first_bad_string(data: Any) -> tuple[str, str] | None:
    """The path (`.employees[0].name`) and character of the first key or string in parsed
    JSON holding a control character other than tab and line breaks. Recursive: only called
    on JSON whose depth has been checked."""
    if isinstance(data, str):
        char = bad_text(data)
        return ("", char) if char else None
    if isinstance(data, dict):
        for key, value in data.items():
            char = bad_text(key)
            if char:
                return f".{key}", char
            found = _first_bad_string(value)
            if found:
                return f".{key}{found[0]}", found[1]
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = _first_bad_string(value)
            if found:
                return f"[{index}]{found[0]}", found[1]
    return None


def check_json_strings(text: str, data: Any) -> None:
    """Refuse the first JSON string (or key) holding a control character other than tab and
    line breaks; `text` is the raw JSON, so the walk only happens when an escape is in it."""
    if not _JSON_ESCAPE.search(text):
        return
    found = _first_bad_string(data)
    if found:
        path, char = found
        raise JsonRefused(
            f"Text may not contain control characters ({describe(char)} found).",
            path.removeprefix("."),
            char,
        )


def load_json(text: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` that refuses deep nesting before parsing and control characters after
    (JsonRefused); malformed JSON raises json.JSONDecodeError as usual."""
    check_json_depth(text, limit)
    data = json.loads(text)
    check_json_strings(text, data)
    return data
