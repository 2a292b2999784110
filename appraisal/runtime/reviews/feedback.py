"""Written feedback: what raters wrote in a template's text items (strengths, areas to
improve, comments), as each reader may see it.

One rule for every surface (result page, API, export): a reader sees the texts of the inputs
`reviews.visible_inputs` gives them, so a peer or subordinate group's texts appear only where
at least the cycle's anonymity threshold of that group wrote one (`counted_group`), and they
are listed without names in an order that says nothing about who wrote which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ...i18n import label_text
from ...labels import export_header, export_value
from ...models import Appraisal, Cycle
from ...rules import NA, CompiledTemplate, Item
from ...scopes import EVERYWHERE, Reach
from ..compiled import appraisal_template
from ..cycles.figures import cycle_appraisals
from .access import GROUPS, visible_inputs

#: The text items' readers, in the order a page lists them.
SOURCE_ORDER = ("manager", "self", "peer", "subordinate", "hr")
EXPORT_COLUMNS = ["employee_number", "name", "department", "item", "from", "comment"]


@dataclass(frozen=True)
class Comment:
    item: str  # the item's key
    name: Any  # the item's label as the template gives it
    source: str  # self | manager | hr | peer | subordinate
    texts: tuple[str, ...]  # one for a single rater; a group's, sorted, without names


def comment_items(template: CompiledTemplate) -> list[Item]:
    """The template's written-feedback items (type `text`), in page order."""
    return [item for item in template.items.values() if item.type == "text" and item.raters]


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or value == NA:
        return None
    return value.strip() or None


def comments_from(template: CompiledTemplate, inputs: dict[str, Any]) -> list[Comment]:
    """The written feedback in `inputs` (already reduced to what the reader may see)."""
    found = []
    for item in comment_items(template):
        for rater in (r for r in SOURCE_ORDER if r in item.raters):
            if rater in GROUPS:
                answers = inputs.get(GROUPS[rater]) or []
                # Sorted, not in review order: the order of invitations must not tell the
                # appraisee whose comment is whose.
                texts = tuple(sorted(t for a in answers if (t := _text(a.get(item.key)))))
            else:
                text = _text((inputs.get(rater) or {}).get(item.key))
                texts = (text,) if text else ()
            if texts:
                found.append(Comment(item.key, item.name, rater, texts))
    return found


def written_feedback(appraisal: Appraisal, rels: frozenset[str]) -> list[Comment]:
    """The comments a reader with relations `rels` may see on this appraisal."""
    return comments_from(appraisal_template(appraisal), visible_inputs(appraisal, rels))


def official_feedback(appraisal: Appraisal) -> list[Comment]:
    """The comments as HR reads them (the API and the exports): what counts, no names."""
    return written_feedback(appraisal, frozenset({"hr"}))


def feedback_table(
    session: Session, cycle: Cycle, where: Reach = EVERYWHERE
) -> tuple[list[str], list[list[Any]]]:
    """A cycle's written feedback as a file: one row per comment, group comments one row
    each without names; headers and rater words in the user's language. `where`: a scoped
    reader's departments."""
    rows = []
    for appraisal in cycle_appraisals(session, cycle, where):
        employee = appraisal.employee
        for comment in official_feedback(appraisal):
            for text in comment.texts:
                rows.append(
                    [
                        employee.number,
                        employee.name,
                        employee.department.name if employee.department else "",
                        label_text(comment.name) or comment.item,
                        export_value(comment.source, "rater"),
                        text,
                    ]
                )
    return export_header(EXPORT_COLUMNS), rows
