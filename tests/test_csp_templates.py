"""Every page works under the app's own CSP (`script-src 'self'; style-src 'self'`): no
template may carry a style= attribute, an inline <script> body, an on…= handler or a
`javascript:` link, since the browser silently drops them (the calibration bars and the grid
inputs' widths were lost that way)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "appraisal"
TEMPLATES = sorted(PACKAGE.rglob("templates/**/*.html"))

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)
INLINE = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: link": re.compile(r"=\s*[\"']?\s*javascript:", re.I),
}
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
# A JSON data block (a chart's spec) is never run, so script-src does not apply to it.
DATA_BLOCK = re.compile(r"""\stype\s*=\s*["']?application/json["'\s>]""", re.I)


def inline_code(html: str) -> list[str]:
    """What the CSP would block in `html` (template source with Jinja removed)."""
    found = []
    for tag in TAG.findall(html):
        found += [f"{what}: {tag[:80]}" for what, pattern in INLINE.items() if pattern.search(tag)]
    for attributes, body in SCRIPT.findall(html):
        if DATA_BLOCK.search(attributes + ">"):
            continue
        if "src=" not in attributes or body.strip():
            found.append(f"inline script: {body.strip()[:80]}")
    return found


def test_the_scanner_finds_what_the_csp_blocks():
    assert inline_code('<div class="x" style="width: 5%">') != []
    assert inline_code(JINJA.sub(" ", '<td {% if a %}style="min-width: 7rem"{% endif %}>')) != []
    assert inline_code('<button onclick="go()">') != []
    assert inline_code("<script>alert(1)</script>") != []
    assert inline_code('<a href="javascript:go()">') != []
    assert inline_code('<script src="/static/a.js"></script>') == []
    assert inline_code('<script type="module">go()</script>') != []
    assert inline_code('<script type="text/javascript">go()</script>') != []
    assert inline_code('<script type="application/json" class="chart-data">{"a": 1}</script>') == []
    assert (
        inline_code(JINJA.sub(" ", '<script type="application/json">{{ c|tojson }}</script>')) == []
    )
    assert inline_code(JINJA.sub("", '{{ render_field(f, button_style="primary") }}')) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_templates_have_no_inline_styles_or_scripts(path):
    source = JINJA.sub(" ", path.read_text(encoding="utf-8"))
    assert inline_code(source) == []
