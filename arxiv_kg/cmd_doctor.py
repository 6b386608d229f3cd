"""`arxiv-kg doctor`: what ingest cleaned, merged, flagged or rejected, with where to fix it."""
from __future__ import annotations

import click
import orjson

from arxiv_kg.common import domain_errors, kg_option, quiet_option
from graph.model.records import ACTIONS, Note
from graph.tables.quality import by_rule, load_notes

FIELDS = ("Authors", "Categories", "Summary/Comment")


@click.command()
@kg_option
@click.option("--action", type=click.Choice(ACTIONS), help="Only this action.")
@click.option("--field", type=click.Choice(FIELDS), help="Only this digest field.")
@click.option("--examples", default=5, show_default=True, type=click.IntRange(0),
              help="Examples listed per rule (0: counts only).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@quiet_option
@domain_errors
def doctor(kg_dir: str, action: str | None, field: str | None, examples: int, fmt: str, quiet: bool) -> None:
    """List the values a build cleaned, merged, flagged or rejected, rule by rule, with examples
    and the file:line of each, so that a curator can fix the digests.

    \b
    Example:
      arxiv-kg doctor --kg out/
      arxiv-kg doctor --kg out/ --action rejected --examples 20
    """
    groups = by_rule(load_notes(kg_dir), action, field)
    if fmt == "json":
        click.echo(orjson.dumps([{"field": f, "action": a, "rule": r, "count": len(notes),
                                  "examples": [_example(n) for n in notes[:examples]]}
                                 for (f, a, r), notes in groups], option=orjson.OPT_INDENT_2).decode())
        return
    if not groups:
        click.echo("nothing cleaned, merged, flagged or rejected")
    for (f, a, r), notes in groups:
        click.echo(f"{len(notes):>7,}  {a:<8}  {f}: {r}")
        for n in notes[:examples]:
            result = f" -> {n.result!r}" if n.result else ""
            click.echo(f"           {n.file}:{n.line}  {n.original!r}{result}")


def _example(n: Note) -> dict[str, str]:
    return {"where": f"{n.file}:{n.line}", "original": n.original, "result": n.result}


COMMANDS = [doctor]
