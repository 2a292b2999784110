"""What the builder shows beside a formula box, generated from the engine's declarations."""

from __future__ import annotations

from typing import Any

from .functions import FUNCTIONS


def function_catalogue() -> list[dict[str, Any]]:
    """Every function with its arguments, a description in English and Chinese, and examples
    (each example is a formula and the value it gives; tests evaluate them)."""
    return [
        {
            "name": spec.name,
            "signature": spec.signature,
            "arguments": list(spec.params),
            "min_args": spec.min_args,
            "max_args": spec.max_args,
            "returns": spec.returns,
            "description": dict(spec.description),
            "examples": [{"formula": f, "result": r} for f, r in spec.examples],
        }
        for spec in FUNCTIONS.values()
    ]
