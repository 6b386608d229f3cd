"""The `arxiv-kg` command: a thin layer that parses options and calls graph/ and exporters/."""
from __future__ import annotations

import click

from arxiv_kg import cmd_analysis, cmd_build, cmd_export, cmd_sparql


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arxiv-kg")
def main() -> None:
    """Turn folders of arXiv listing digests into a knowledge graph.

    \b
    Example:
      arxiv-kg build cs.CV/ --out out/
      arxiv-kg authors --top 20 --by pagerank
    """


for _module in (cmd_build, cmd_analysis, cmd_export, cmd_sparql):
    for _command in _module.COMMANDS:
        main.add_command(_command)
