"""`arxiv-kg update`: a new generation with what changed under the KG's inputs, read alone."""
from __future__ import annotations

import click

from arxiv_kg.common import (
    domain_errors,
    kg_option,
    quiet_option,
    wait_option,
    warn,
    written_report,
)
from arxiv_kg.progress import reporter, steps
from arxiv_kg.writers import Outcome
from arxiv_kg.writers import update as update_kg
from graph.children import usable_cpus


@click.command()
@kg_option
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("--exports", is_flag=True,
              help="Write the KG's exports (its build's --formats) afresh; without it they are "
                   "kept under <kg>/current/stale/ and marked stale in the manifest.")
@click.option("--full", is_flag=True,
              help="Merge every record again instead of only the affected papers' (the same "
                   "result, slower; for checking).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=usable_cpus,
              show_default="usable CPUs", help="Worker processes that parse the new digests.")
@wait_option
@quiet_option
@domain_errors
def update(kg_dir: str, inputs: tuple[str, ...], exports: bool, full: bool, jobs: int, wait: bool,
           quiet: bool) -> None:
    """Add the new and changed digest files under a KG's inputs, reading only those.

    The inputs are the folders and files the KG was built from, and any INPUT given here
    (added to them for good).

    Only new and changed files are read (a file whose size and time are unchanged is not
    even hashed); their records are merged by the build's own rules, so the result is what
    `arxiv-kg build` of all the files would give. A file that changed or vanished has its
    records replaced or withdrawn, with a warning. The SPARQL store is updated by delta.
    Nothing is written when nothing changed. Like build, it publishes a new generation at
    once, and a failed or killed update leaves the KG as it was.

    \b
    Example:
      arxiv-kg update --kg kg/cs.CV                  # after new days arrived in cs.CV/
      arxiv-kg update --kg kg/cs.CV ~/new/20260203.md --exports
    """
    done = update_kg(kg_dir, list(inputs), jobs=jobs, steps=steps(quiet), bars=reporter(quiet),
                     wait=wait, exports=exports, full=full, warn=lambda m: warn(m, quiet))
    if not done.published:
        click.echo(f"{kg_dir}: up to date ({done.generation}); nothing written")
        return
    from graph.tables.summary import human_summary  # imports the parsers: not for a no-op

    click.echo(change_line(done))
    click.echo(human_summary(done.summary))
    written_report(done, kg_dir, quiet)
    if done.stale:
        warn(f"stale exports (kept under {kg_dir}/current/stale/; `arxiv-kg update --exports` "
             f"writes them afresh): {', '.join(done.stale)}", quiet)


def change_line(done: Outcome) -> str:
    """One line: what the update changed."""
    c = done.change
    assert c is not None
    line = (f"{done.generation} ({c.method}): files {len(c.files_added):,} added, "
            f"{len(c.files_changed):,} changed, {len(c.files_removed):,} removed; papers "
            f"{c.papers_added:,} added, {c.papers_updated:,} updated, {c.papers_withdrawn:,} "
            f"withdrawn; authors {c.authors_added:,} added, {c.authors_removed:,} removed")
    if done.delta is not None:
        line += f"; triples {done.delta.added:,} added, {done.delta.removed:,} removed"
    return line


COMMANDS = [update]
