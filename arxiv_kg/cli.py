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
    "doctor": "arxiv_kg.cmd_doctor",
}


# What `arxiv-kg --help` lists, without importing every command (2.7 s with the report's
# matplotlib and the analyses' igraph); tests/test_build_cli.py keeps it equal to the commands'
# own short help.
SHORT_HELP = {
    "build": "Parse digest files or folders (recursively, *.md; - for stdin) into a knowledge graph.",
    "update": "Add the new and changed digest files under a KG's inputs, reading only those.",
    "info": "Show the KG's current generation: inputs, counts, store, exports, last change.",
    "authors": "Rank authors by a measure of the co-author network.",
    "components": "Connected components of the co-author network: the giant component and the sizes.",
    "stats": "Network-level figures: size, density, clustering, assortativity, components, path lengths of the...",
    "coauthors": "The ego network of an author: co-authors up to --depth steps away.",
    "path": "Collaboration distance between two authors and one shortest chain of joint papers.",
    "export": "Write the knowledge graph (or the co-author network) as FORMAT.",
    "query": "Run a read-only SPARQL query against the knowledge graph's store.",
    "serve": "Serve the knowledge graph as a read-only SPARQL 1.1 endpoint.",
    "report": "Write one self-contained HTML report of the KG: production, authors, collaboration, categories,...",
    "doctor": "List the values a build cleaned, merged, flagged or rejected, rule by rule, with examples and the...",
}
SHORT_HELP_LIMIT = 100


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(LAZY_COMMANDS[cmd_name])
        return next(c for c in module.COMMANDS if c.name == cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP[name]) for name in sorted(LAZY_COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arxiv-kg")
def main() -> None:
    """Turn folders of arXiv listing digests into a knowledge graph.

    \b
    Example:
      arxiv-kg build cs.CV/ --out out/
      arxiv-kg authors --top 20 --by pagerank
    """
