"""The `arxiv-kg` command: a thin layer that parses options and calls graph/ and exporters/."""
from __future__ import annotations

import importlib

import click

# Command name -> the module that defines it. A command's module is imported only when that
# command runs (click's lazy-loading pattern): importing all of them, igraph and networkx's
# algorithms included, took 0.4 s before `arxiv-kg build` could start.
LAZY_COMMANDS = {
    "build": "arxiv_kg.cmd_build", "update": "arxiv_kg.cmd_update", "info": "arxiv_kg.cmd_info",
    "authors": "arxiv_kg.cmd_analysis", "components": "arxiv_kg.cmd_analysis",
    "stats": "arxiv_kg.cmd_analysis", "coauthors": "arxiv_kg.cmd_analysis",
    "path": "arxiv_kg.cmd_analysis",
    "export": "arxiv_kg.cmd_export",
    "query": "arxiv_kg.cmd_sparql", "serve": "arxiv_kg.cmd_sparql",
    "report": "arxiv_kg.cmd_report",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(LAZY_COMMANDS[cmd_name])
        return next(c for c in module.COMMANDS if c.name == cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arxiv-kg")
def main() -> None:
    """Turn folders of arXiv listing digests into a knowledge graph.

    \b
    Example:
      arxiv-kg build cs.CV/ --out out/
      arxiv-kg authors --top 20 --by pagerank
    """
