"""`appraisal templates validate|score`: the engine on files, for implementers and scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from ..inputs import JsonRefused, load_json
from ..rules import DefinitionError, score, validate
from .schemas import limit_problems


def _read_json(path: str, what: str) -> Any:
    """The parsed file, or a ClickException naming the problem (never a traceback)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{what} {path}: cannot read it ({exc})") from None
    try:
        return load_json(text)
    except JsonRefused as exc:
        where = f" at {exc.path}" if exc.path else ""
        raise click.ClickException(f"{what} {path}: refused{where}: {exc.message}") from None
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{what} {path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _check(definition: Any, file: str) -> None:
    """The template schema's size limits first (the engine never sees an oversized file),
    then every error the engine finds; exit 1 listing them with their paths."""
    limits = limit_problems(definition)
    for where, message in limits:
        click.echo(f"{where or '(top)'}: {message}", err=True)
    errors = [] if limits else validate(definition)
    _report(errors)
    if limits or errors:
        click.echo(f"{len(limits) + len(errors)} error(s) in {file}", err=True)
        raise SystemExit(1)


def _report(errors: list[DefinitionError]) -> None:
    for error in errors:
        suffix = f" (column {error.column})" if error.column else ""
        hint = (
            f" — did you mean `{error.suggestion}`?"
            if error.suggestion and ("did you mean" not in error.message)
            else ""
        )
        place = error.where or error.path or "(top)"  # the path, naming each element
        click.echo(f"{place}: {error.message}{suffix}{hint}", err=True)


@click.group("templates", cls=AppGroup)
def templates_cli() -> None:
    """Appraisal template definitions (appraisal-template/1 JSON)."""


@templates_cli.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
def validate_command(file: str) -> None:
    """Check FILE; exit 1 listing every error with its path."""
    _check(_read_json(file, "Template"), file)
    click.echo(f"{file}: valid")


@templates_cli.command("score")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--input",
    "input_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="INPUT.json: targets, data, self, manager, peers, subordinates, hr.",
)
@click.option("--explain/--no-explain", default=False, help="Include every figure's explanation.")
def score_command(file: str, input_file: str, explain: bool) -> None:
    """Score INPUT against the template FILE and print the result as JSON."""
    definition = _read_json(file, "Template")
    _check(definition, file)
    inputs = _read_json(input_file, "Input")
    if not isinstance(inputs, dict):
        raise click.ClickException(f"Input {input_file}: must be a JSON object")
    result = score(definition, inputs).to_dict()
    if not explain:
        result.pop("explanations")
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))
