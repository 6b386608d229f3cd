"""Helpers shared by the CLI commands: options, error mapping, warnings."""
from __future__ import annotations

import functools
from collections.abc import Callable

import click

from graph.errors import ArxivKGError

DEFAULT_KG = "out"

quiet_option = click.option("--quiet", "-q", is_flag=True,
                            help="No progress or warnings on stderr.")
kg_option = click.option("--kg", "kg_dir", default=DEFAULT_KG, show_default=True,
                         type=click.Path(file_okay=False),
                         help="Knowledge-graph folder written by `arxiv-kg build`.")


def domain_errors(fn: Callable) -> Callable:
    """Turn the core's exceptions into one-line click errors (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ArxivKGError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def warn(message: str, quiet: bool) -> None:
    if not quiet:
        click.echo(message, err=True)
