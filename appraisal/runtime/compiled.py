"""The compiled form of each published template version: the runtime's model of a template.

A published version never changes, so it is compiled once per process and every consumer
(forms, targets, figures, exports, scoring) reads the same `CompiledTemplate`, never the raw
JSON. The cache is keyed by the version's id and the moment it was published (a database
restored from a backup, or a test database, may reuse an id for another definition, never
with the same publication time), bounded, and shared by a server's threads under a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, defer

from ..db import in_list
from ..models import Appraisal, TemplateVersion
from ..rules import CompiledTemplate, compile_template

CACHE_SIZE = 256

_lock = threading.Lock()
_cache: OrderedDict[tuple[Any, ...], CompiledTemplate] = OrderedDict()


def version_template(version: TemplateVersion) -> CompiledTemplate:
    """The version's compiled template, compiled on first use."""
    if version.id is None:  # not saved yet: nothing identifies it for later
        return compile_template(version.definition)
    key = (version.id, version.template_id, version.version, _utc(version.published_at))
    with _lock:
        template = _cache.get(key)
        if template is not None:
            _cache.move_to_end(key)
            return template
    template = compile_template(version.definition)  # outside the lock: it takes milliseconds
    with _lock:
        _cache[key] = template
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return template


def _utc(moment: datetime | None) -> datetime | None:
    """The same instant whether the row was just written (aware) or read back (naive UTC)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def version_templates(session: Session, ids: Iterable[int]) -> dict[int, CompiledTemplate]:
    """The compiled template of each of these versions, by id, for a list that reads plain
    columns: a definition is read only to compile a version this process has not met."""
    versions = session.scalars(_versions_of_ids(), {"ids": sorted(set(ids))})
    return {version.id: version_template(version) for version in versions}


@cache
def _versions_of_ids() -> Select[tuple[TemplateVersion]]:
    """Built once per process, as every statement a fast page runs (issue 20)."""
    return (
        select(TemplateVersion)
        .where(in_list(TemplateVersion.id, "ids"))
        .options(defer(TemplateVersion.definition))
    )


def appraisal_template(appraisal: Appraisal) -> CompiledTemplate:
    """The compiled template an appraisal is scored and validated against (its version's)."""
    return version_template(appraisal.template_version)
