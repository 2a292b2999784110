"""One i18n mechanism outside `rules` (issue 15 item 8): services word their messages through
the gettext catalogue (`lazy_gettext` with named placeholders), which the translations test
checks, never as inline `{"en": …, "zh": …}` pairs or `_msg(en, zh)` helpers.

`appraisal/rules` is pure Python without Flask: its typed errors carry both languages by
design, and `i18n.in_language` shows them like any catalogue message.
"""

from __future__ import annotations

import ast
from pathlib import Path

import appraisal

PACKAGE = Path(appraisal.__file__).parent
#: Bilingual *labels* (data in both languages at once, not messages): the import recognises a
#: target column by its header in either language; a new template's rating scale is stored
#: with both languages, like every label of a definition.
LABELS = {
    ("runtime/cycles/figures.py", "file_columns"),
    ("builder/services.py", "blank_definition"),
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(("rules/", "migrations/")):
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"))


class _Pairs(ast.NodeVisitor):
    """`{"en": …, "zh": …}` literals whose texts are written here (constants or f-strings,
    not data passed through), and `_msg` helpers, each with its enclosing function."""

    def __init__(self) -> None:
        self.function = ""
        self.found: list[tuple[int, str]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name == "_msg":
            self.found.append((node.lineno, node.name))
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    def visit_Dict(self, node: ast.Dict) -> None:
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
        if keys == {"en", "zh"} and all(
            isinstance(v, ast.Constant | ast.JoinedStr) for v in node.values
        ):
            self.found.append((node.lineno, self.function))
        self.generic_visit(node)


def _inline_pairs(tree: ast.AST) -> list[tuple[int, str]]:
    visitor = _Pairs()
    visitor.visit(tree)
    return visitor.found


def test_services_word_messages_through_the_catalogue():
    offenders = [
        f"{path}:{line} ({name})"
        for path, tree in _modules()
        for line, name in _inline_pairs(tree)
        if (path, name) not in LABELS
    ]
    assert not offenders, offenders


def test_the_guard_sees_an_inline_pair():
    tree = ast.parse(
        'def refuse(x):\n    return {"en": f"{x} is wrong", "zh": f"{x} 有误"}\n'
        "def _msg(en, zh):\n    return {'en': en, 'zh': zh}\n"
    )
    assert [name for _line, name in _inline_pairs(tree)] == ["refuse", "_msg"]
