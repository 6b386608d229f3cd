"""`arxiv-kg info`: which generation a KG folder is at, what it holds and what is stale."""
from __future__ import annotations

import click

from arxiv_kg.common import domain_errors, kg_option
from arxiv_kg.writers import stale_exports
from graph.generations import KGCorrupt, kg_folder, open_kg, verify


@click.command()
@kg_option
@click.option("--verify", "full", is_flag=True,
              help="Also compare every file's SHA-256 with the manifest (reads the whole KG; "
                   "every command already checks sizes).")
@domain_errors
def info(kg_dir: str, full: bool) -> None:
    """Show the KG's current generation: inputs, counts, store, exports, last change.

    Exports are listed fresh or stale.

    \b
    Example:
      arxiv-kg info --kg kg/cs.CV
      arxiv-kg info --kg kg/cs.CV --verify
    """
    with open_kg(kg_dir) as generation:
        if full:
            damaged = verify(generation)
            if damaged:
                raise KGCorrupt(f"{kg_dir}: {len(damaged)} files of generation {generation.name} "
                                f"differ from its manifest ({', '.join(damaged[:3])}); rebuild "
                                f"with `arxiv-kg build <digests> --out {kg_folder(generation.path)}`")
        for line in describe(generation.name, generation.manifest):
            click.echo(line)
        if full:
            click.echo(f"verified: {len(generation.manifest['files']):,} files match the manifest")


def describe(name: str, manifest: dict) -> list[str]:
    lines = [f"generation: {name} (parent: {manifest.get('parent') or 'none'})"]
    lines += [f"input: {i['path']}" for i in manifest.get("inputs", [])]
    if "store" in manifest:
        lines.append(f"store: {manifest['store']['triples']:,} triples")
    exports = manifest.get("exports", {})
    fresh = sorted(n for n, e in exports.items() if not e.get("stale"))
    lines.append(f"exports: {', '.join(fresh) or 'none'}")
    stale = stale_exports(manifest)
    if stale:
        lines.append(f"stale exports (under stale/; made from {exports[stale[0]]['made_from']}; "
                     f"`arxiv-kg update --exports` writes them afresh): {', '.join(stale)}")
    change = manifest.get("change")
    if change:
        lines.append(f"last update (from {change['from']}, {change['method']}): files "
                     f"+{len(change['files_added'])} ~{len(change['files_changed'])} "
                     f"-{len(change['files_removed'])}; papers +{change['papers_added']} "
                     f"~{change['papers_updated']} -{change['papers_withdrawn']}")
    return lines


COMMANDS = [info]
