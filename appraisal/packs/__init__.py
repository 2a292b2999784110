"""Industry packs: an indicator library, templates with their rationale, built-in activity
forms, metric rules bound to the templates' process items, and a demo organization, shipped
as data in the `seed_templates` package (in a checkout or a wheel)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

PACK_FORMAT = "appraisal-pack/1"


def seed_root() -> Traversable:
    return files("seed_templates")


@dataclass(frozen=True)
class Pack:
    key: str
    name: dict[str, str]
    description: dict[str, str]
    indicators: list[dict[str, Any]]
    templates: list[dict[str, Any]]
    demo: dict[str, Any]
    folder: Traversable
    #: Activity forms (`activity/1`) the pack starts an organization with.
    activities: list[dict[str, Any]] = field(default_factory=list)
    #: Metric rules (`metric/1`) over those forms and business events.
    metrics: list[dict[str, Any]] = field(default_factory=list)
    #: Which metric fills each `data` item of a template: {template key: {item: metric}},
    #: bound by default on the schemes the pack creates.
    bindings: dict[str, dict[str, str]] = field(default_factory=dict)

    def rationale(self, template_key: str, language: str = "zh") -> str | None:
        """The template's one-page rationale in one language: the file is Markdown, Chinese
        first, then English after a line `---`."""
        page = self.folder / "rationale" / f"{template_key}.md"
        if not page.is_file():
            return None
        parts = re.split(r"\n---[ \t]*\n", page.read_text(encoding="utf-8"), maxsplit=1)
        chosen = parts[1] if language == "en" and len(parts) > 1 else parts[0]
        return chosen.strip()


class PackNotFound(LookupError):
    pass


def _json(node: Traversable) -> Any:
    return json.loads(node.read_text(encoding="utf-8"))


def pack_names() -> list[str]:
    return sorted(
        node.name
        for node in seed_root().iterdir()
        if node.is_dir() and (node / "pack.json").is_file()
    )


def read_pack(name: str) -> Pack:
    if name not in pack_names():
        raise PackNotFound(name)
    folder = seed_root() / name
    manifest = _json(folder / "pack.json")
    if manifest.get("format") != PACK_FORMAT:
        raise ValueError(f"{name}/pack.json: format must be {PACK_FORMAT}")
    return Pack(
        key=manifest["key"],
        name=manifest["name"],
        description=manifest["description"],
        indicators=manifest["indicators"],
        templates=[_json(folder / path) for path in manifest["templates"]],
        demo=_json(folder / manifest["demo"]) if manifest.get("demo") else {},
        folder=folder,
        activities=[_json(folder / path) for path in manifest.get("activities", [])],
        metrics=[_json(folder / path) for path in manifest.get("metrics", [])],
        bindings=manifest.get("bindings", {}),
    )


def all_packs() -> list[Pack]:
    return [read_pack(name) for name in pack_names()]


def init_app(app: Any) -> None:
    from .commands import packs_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(packs_cli)
