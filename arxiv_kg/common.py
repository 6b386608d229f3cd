"""Helpers shared by the CLI commands: options, error mapping, warnings."""
from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from graph.errors import ArxivKGError, printable
from graph.generations import CURRENT

if TYPE_CHECKING:
    from arxiv_kg.writers import Outcome

DEFAULT_KG = "out"
# RocksDB's status text, the only sign pyoxigraph gives of a damaged store (a RuntimeError).
_CORRUPTION = "Corruption:"

quiet_option = click.option("--quiet", "-q", is_flag=True,
                            help="No progress or warnings on stderr.")
wait_option = click.option("--wait", is_flag=True,
                           help="If another build or update is writing the KG, wait for it to end "
                                "(default: fail at once).")
kg_option = click.option("--kg", "kg_dir", default=DEFAULT_KG, show_default=True,
                         type=click.Path(file_okay=False),
                         help="Knowledge-graph folder written by `arxiv-kg build` (its current "
                              "generation is read; a generation folder may be named too).")


def domain_errors(fn: Callable) -> Callable:
    """Turn the core's exceptions, and any failure of the file system (a full disk, a folder that
    cannot be written, a damaged store), into one-line click errors: `Error: ...`, exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ArxivKGError as exc:
            raise click.ClickException(_damaged_hint(str(exc), kwargs.get("kg_dir"))) from None
        except BrokenPipeError:
            _quiet_exit()  # the reader of stdout has gone (`| head`): nothing left to tell
        except OSError as exc:
            raise click.ClickException(printable(os_message(exc))) from None
        except RuntimeError as exc:
            if not str(exc).startswith(_CORRUPTION):
                raise
            raise click.ClickException(_damaged_hint(str(exc), kwargs.get("kg_dir"))) from None

    return wrapper


def os_message(exc: OSError) -> str:
    """`path: reason` for an OSError, as the user needs it (no errno, no repr)."""
    reason = exc.strerror or str(exc)
    names = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
    return f"{' -> '.join(names)}: {reason}" if names else reason


def _damaged_hint(message: str, kg_dir: str | None) -> str:
    if _CORRUPTION in message and kg_dir is not None:
        message = (f"the SPARQL store in {kg_dir} is damaged ({message}); rebuild it with "
                   f"`arxiv-kg build <digests> --out {kg_dir}`")
    return printable(message)


def _quiet_exit() -> None:
    # Python would report the pipe again when it flushes stdout at exit.
    with contextlib.suppress(OSError, ValueError):  # a stdout with no descriptor (CliRunner)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)


def check_out_folder(out_dir: str) -> None:
    """Fail before any work if `out_dir` cannot become a folder we write to (`--out /dev/null`,
    a path under a file, a read-only place)."""
    path = Path(out_dir)
    existing = next((p for p in (path, *path.parents) if os.path.lexists(p)), Path("."))
    if not existing.is_dir():
        where = "is" if existing == path else f"is under {printable(str(existing))}, which is"
        raise click.ClickException(f"cannot write to {printable(out_dir)}: it {where} not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise click.ClickException(f"cannot write to {printable(out_dir)}: "
                                   f"{printable(str(existing))} is not writable")


def warn(message: str, quiet: bool) -> None:
    if not quiet:
        click.echo(message, err=True)


def written_report(done: Outcome, out_dir: str, quiet: bool) -> None:
    """Where the generation went, its exports and store (stdout), and the RDF timings (stderr)."""
    written = done.written
    if written is not None and written.rdf is not None:
        warn(written.rdf.text(), quiet)
    if written is not None and written.triples is not None:
        click.echo(f"SPARQL store: {written.triples:,} triples")
    click.echo(f"written to {out_dir}/{CURRENT} ({done.generation}): "
               f"{', '.join(done.exports) or 'no exports'}")
