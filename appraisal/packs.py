"""Where the industry packs live: the `seed_templates` package, in a checkout or a wheel."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def seed_root() -> Traversable:
    return files("seed_templates")
