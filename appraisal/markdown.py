"""Markdown shipped with the product (pack rationales) rendered as safe HTML."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark without raw HTML: tags in the text come out escaped, and link targets such as
# `javascript:` are refused by markdown-it's own link check.
_renderer = MarkdownIt("commonmark", {"html": False})


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text))  # noqa: S704 - escaped by the renderer above
