"""The KG folder's writers, each one transaction (graph.generations): `build`, `update`, and an
export into the folder. Each writes a draft generation and publishes it whole, or nothing.

What a generation's manifest holds besides its files (`settings`, `inputs`, `store`,
`exports`, `change`) is written here, and read back by the next writer: an update reuses
the build's settings and inputs, so it gives what a full build of the same inputs gives.

The exporters, the SPARQL store and the tables' engine are imported where they are used: an
update that finds nothing new needs none of them, and importing them took longer than the
rest of it (`python -X importtime`).
"""
from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.crash import crash_point, with_points
from graph.errors import InputError, KGNotFound
from graph.generations import CURRENT, Draft, locked, writing
from graph.ingest.parse import Input, as_input
from graph.tables import state
from graph.tables.facts import Staged
from graph.tables.plan import Plan, StateMissing, plan_update, unchanged

if TYPE_CHECKING:
    from exporters.base import ExportOptions, ProgressFactory
    from exporters.files import ExportSpec, Written
    from graph.rdf.delta import Delta
    from graph.tables.ingest import Steps
    from graph.tables.update import Change

VOCAB = "vocab.ttl"  # written with the RDF exports; the same for every generation
STALE = "stale"  # exports an update did not make again, kept for reference under stale/


@dataclass(frozen=True)
class Settings:
    """How a KG is built; recorded in its manifest, so that updates build it the same way."""

    formats: str  # --formats, as given
    store: bool
    base_iri: str

    @property
    def specs(self) -> list[ExportSpec]:
        from exporters.files import parse_specs

        return parse_specs(self.formats)


@dataclass(frozen=True)
class Outcome:
    """What a writer did. `published`: False when an update found nothing to do."""

    generation: str
    path: Path  # the generation's folder
    summary: dict[str, Any]
    exports: list[str] = field(default_factory=list)  # files written afresh
    stale: list[str] = field(default_factory=list)  # exports kept under stale/
    written: Written | None = None
    change: Change | None = None
    delta: Delta | None = None
    published: bool = True


def build(inputs: Sequence[str], kg_dir: str | Path, settings: Settings, *, jobs: int,
          steps: Steps, bars: ProgressFactory | None = None, wait: bool = False,
          staged_hook: Callable[[Staged], None] = lambda _: None) -> Outcome:
    """A new generation from the digests under `inputs` (`staged_hook` sees what was read, e.g.
    to report rejections, and may raise to publish nothing)."""
    from graph.tables.build import write_kg
    from graph.tables.ingest import staged

    given = [as_input(item) for item in inputs]
    steps = with_points(steps)
    flat = not (Path(kg_dir) / CURRENT).is_symlink()
    with writing(kg_dir, wait=wait, step=steps) as draft:
        with staged(list[str | Input](given), draft.path, jobs=jobs, steps=steps) as found:
            staged_hook(found)
            if not found.records:
                raise InputError(f"no usable records in {', '.join(inputs)}"
                                 + (f" (first problem: {found.rejected[0]})" if found.rejected else ""))
            summary = write_kg(found, draft.path, jobs=jobs, steps=steps)
            crash_point("build:tables")
            with steps("records kept for updates"):
                state.keep_staged(found.folder, draft.path)
                state.save_facts(found.facts, draft.path)
        written = _exports_and_store(draft, settings, steps, bars)
        draft.extra.update(_extra(draft, settings, given, written, exports=_fresh(draft, written)))
    if flat:
        _remove_flat_layout(Path(kg_dir))
    return Outcome(draft.name, draft.kg / "generations" / draft.name, summary,
                   [p.name for p in written.paths], written=written)


def _exports_and_store(draft: Draft, settings: Settings, steps: Steps, bars: ProgressFactory | None,
                       *, store: bool | None = None) -> Written:
    from exporters.files import Written, write_exports
    from graph.rdf.store import STORE_DIR, store_path

    store = settings.store if store is None else store
    specs = settings.specs
    if not specs and not store:
        return Written([])
    with steps("exports and SPARQL store" if store else "exports"):
        # The exports written before the store's load ends are hashed for the manifest while
        # it ends: publishing then reads little more than the store.
        return write_exports(draft.path, specs, base_iri=settings.base_iri, progress=bars,
                             store=store_path(draft.path) if store else None,
                             meanwhile=partial(draft.hash_written, skip=[STORE_DIR]) if store else None)


def _fresh(draft: Draft, written: Written) -> dict[str, dict[str, Any]]:
    return {p.name: {"made_from": draft.name, "stale": False} for p in written.paths
            if p.name != VOCAB}


def _extra(draft: Draft, settings: Settings, inputs: Sequence[Input], written: Written | None, *,
           exports: dict[str, dict[str, Any]], triples: int | None = None,
           change: dict[str, Any] | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {"settings": asdict(settings), "inputs": [asdict(i) for i in inputs],
                             "exports": exports, "state_version": state.VERSION}
    count = written.triples if triples is None and written is not None else triples
    if count is not None:
        extra["store"] = {"triples": count}
    if change is not None:
        extra["change"] = change
    return extra


def _remove_flat_layout(kg: Path) -> None:
    """What an arxiv-kg without generations wrote at the folder's top level: the rebuild that
    replaced it made it garbage."""
    from exporters import EXPORTERS
    from graph.rdf.store import STORE_DIR
    from graph.tables.schema import TABLES

    names = {*(t.file for t in TABLES.values()), "summary.json", "variants.json", VOCAB,
             *(f"{kind}.{e.extension}" for kind in ("kg", "coauthors") for e in EXPORTERS.values())}
    for entry in kg.iterdir():
        if entry.name in names and entry.is_file() and not entry.is_symlink():
            entry.unlink()
        elif entry.name in (STORE_DIR, "cache") and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith((".staging-", f".{STORE_DIR}.")) or (
                entry.name.startswith(".") and entry.name.endswith(".tmp")):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()


# --- update ----------------------------------------------------------------------------

def update(kg_dir: str | Path, inputs: Sequence[str], *, jobs: int, steps: Steps,
           bars: ProgressFactory | None = None, wait: bool = False, exports: bool = False,
           full: bool = False, warn: Callable[[str], None] = lambda _: None) -> Outcome:
    """Bring the KG up to date with its inputs (and `inputs`, added to them): only new and
    changed files are read; nothing is published when nothing changed, and when there was
    nothing to read either, nothing is written at all."""
    steps = with_points(steps)
    with locked(kg_dir, wait=wait) as writer:
        base = writer.base
        if base is None:
            raise KGNotFound(f"{kg_dir}: no knowledge graph to update; run "
                             f"`arxiv-kg build <digests> --out {kg_dir}` first")
        settings, given = _recorded(base.manifest, kg_dir, inputs)
        with steps("looking for new and changed files"):
            try:
                plan = plan_update(base.path, given)
            except StateMissing:
                raise KGNotFound(f"{kg_dir}: generation {base.name} keeps no state this version "
                                 f"can update from; rebuild with `arxiv-kg build <digests> "
                                 f"--out {kg_dir}`") from None
        summary = _summary(base.path)
        same = not exports and given == _inputs(base.manifest)
        if same and not plan.to_read and unchanged(plan, _nothing(), summary):
            return Outcome(base.name, base.path, summary, published=False)
        with writer.draft(steps) as draft:
            return _update(draft, plan, settings, given, summary, same=same, jobs=jobs,
                           steps=steps, bars=bars, exports=exports, full=full, warn=warn)


def _update(draft: Draft, plan: Plan, settings: Settings, given: list[Input],
            summary: dict[str, Any], *, same: bool, jobs: int, steps: Steps,
            bars: ProgressFactory | None, exports: bool, full: bool, warn: Callable[[str], None]
            ) -> Outcome:
    """The rest of an update, in `draft`: read what changed, and write the new generation
    unless what was read changed nothing after all."""
    from graph.tables.update import stage_changes, write_update

    base = draft.base
    assert base is not None
    scratch = draft.path / ".new"
    new = stage_changes(plan, scratch, jobs=jobs, steps=steps) if plan.to_read else _nothing(scratch)
    crash_point("update:staged")
    if same and unchanged(plan, new, summary):
        draft.cancelled = True
        return Outcome(base.name, base.path, summary, published=False)
    # The store's delta starts as soon as the tables are written, beside variants and summary.
    with ThreadPoolExecutor(1) as background:
        started: list[Future[Delta | None]] = []
        written = write_update(plan, new, base.path, draft.path, jobs=jobs, full=full, steps=steps,
                               reuse=draft.reuse, tables_done=lambda papers, authors: started.append(
                                   background.submit(_store_delta, draft, settings, papers, authors)))
        shutil.rmtree(scratch, ignore_errors=True)
        _warn_withdrawn(written.change, plan, warn)
        with steps("SPARQL store delta") if settings.store and "store" in base.manifest else contextlib.nullcontext():
            delta = started[0].result() if started else None
    fresh, stale, files = _exports_after_update(draft, settings, steps, bars, exports)
    if not (draft.path / VOCAB).exists():
        draft.reuse(VOCAB)
    draft.extra.update(_extra(draft, settings, given, files, exports=fresh,
                              triples=delta.triples if delta else None,
                              change=_change_record(written.change, delta, base.name)))
    return Outcome(draft.name, draft.kg / "generations" / draft.name, written.summary,
                   [p.name for p in files.paths] if files else [], stale, files, written.change, delta)


def _recorded(manifest: dict[str, Any], kg_dir: str | Path, extra: Sequence[str]
              ) -> tuple[Settings, list[Input]]:
    try:
        settings = Settings(**manifest["settings"])
    except (KeyError, TypeError):
        raise KGNotFound(f"{kg_dir}: its manifest does not say how it was built; rebuild with "
                         f"`arxiv-kg build <digests> --out {kg_dir}`") from None
    given = _inputs(manifest)
    for item in map(as_input, extra):
        if item.path not in {g.path for g in given}:
            given.append(item)
    if any(g.path == "-" for g in given):
        raise InputError("standard input cannot be read again: a KG built from it cannot be "
                         f"updated; rebuild with `arxiv-kg build <digests> --out {kg_dir}`")
    return settings, given


def _inputs(manifest: dict[str, Any]) -> list[Input]:
    return [Input(**i) for i in manifest.get("inputs", [])]


def _nothing(folder: Path | None = None) -> Staged:
    """What staging no file gives; in `folder`, made for the engine, if one is given."""
    if folder is None:
        return Staged(Path(), 0, 0, (), ())
    folder.mkdir(parents=True, exist_ok=True)
    return Staged(folder, 0, 0, (), ())


def _summary(generation: Path) -> dict[str, Any]:
    import orjson

    from graph.tables.persist import SUMMARY

    return orjson.loads((generation / SUMMARY).read_bytes())


def _warn_withdrawn(change: Change, plan: Any, warn: Callable[[str], None]) -> None:
    for label in change.files_changed:
        warn(f"warning: {label} changed since it was read: its {plan.old[label].source.records:,} "
             "records are replaced by what it holds now")
    for label in change.files_removed:
        warn(f"warning: {label} is gone (or unreadable): its {plan.old[label].source.records:,} "
             "records are withdrawn")


def _store_delta(draft: Draft, settings: Settings, papers: frozenset[str], authors: frozenset[str]
                 ) -> Delta | None:
    base = draft.base
    assert base is not None
    if not settings.store or "store" not in base.manifest:
        return None
    from graph.rdf.delta import apply_delta

    return apply_delta(base.path, draft.path, papers, authors, base_iri=settings.base_iri,
                       old_triples=base.manifest["store"]["triples"])


def _exports_after_update(draft: Draft, settings: Settings, steps: Steps,
                          bars: ProgressFactory | None, again: bool
                          ) -> tuple[dict[str, dict[str, Any]], list[str], Written | None]:
    """Exports made again (`again`), or the previous ones kept under stale/ and marked so
    (without importing the exporters, networkx with them: 0.6 s)."""
    base = draft.base
    assert base is not None
    if again:
        written = _exports_and_store(draft, settings, steps, bars, store=False)
        return _fresh(draft, written), [], written
    previous: dict[str, dict[str, Any]] = base.manifest.get("exports", {})
    kept: dict[str, dict[str, Any]] = {}
    for name, entry in previous.items():
        where = f"{STALE}/{name}" if entry.get("stale") else name
        if draft.reuse(f"{STALE}/{name}", source=where):
            kept[name] = {**entry, "stale": True}
    return kept, sorted(kept), None


def _change_record(change: Change, delta: Delta | None, parent: str) -> dict[str, Any]:
    record = {**asdict(change), "from": parent}
    if delta is not None:
        record.update(triples_added=delta.added, triples_removed=delta.removed)
    return record


# --- export into the folder ---------------------------------------------------------------

def export_into(kg_dir: str | Path, spec: ExportSpec,
                prepare: Callable[[Path], tuple[Any, ExportOptions]], *, wait: bool = False) -> Outcome:
    """A generation like the current one plus a fresh `spec` export (the other files are
    linked, not copied); `prepare(generation folder)` gives what the exporter writes from,
    and its options."""
    from exporters.files import output_path, write_file

    if not (Path(kg_dir) / CURRENT).is_symlink():  # before `writing` makes the folder
        raise KGNotFound(f"{kg_dir}: no knowledge graph here; run `arxiv-kg build <digests> "
                         f"--out {kg_dir}` first")
    with writing(kg_dir, wait=wait) as draft:
        base = draft.base
        if base is None:
            raise KGNotFound(f"{kg_dir}: no knowledge graph here; run `arxiv-kg build <digests> "
                             f"--out {kg_dir}` first")
        name = output_path(Path(), spec.kind, spec.exporter).name
        for file in base.manifest["files"]:
            if file not in (name, f"{STALE}/{name}"):
                draft.reuse(file)
        source, options = prepare(base.path)
        write_file(source, spec.exporter, draft.path / name, options)
        exports = {**base.manifest.get("exports", {}),
                   name: {"made_from": _tables_of(base.manifest), "stale": False}}
        draft.extra.update({k: v for k, v in base.manifest.items()
                            if k not in ("format", "generation", "parent", "files", "change")})
        draft.extra.update(exports=exports, tables_of=_tables_of(base.manifest))
    return Outcome(draft.name, draft.kg / "generations" / draft.name, {}, [name])


def _tables_of(manifest: dict[str, Any]) -> str:
    """The generation whose tables these are: the last one written by build or update."""
    return str(manifest.get("tables_of", manifest["generation"]))


def stale_exports(manifest: dict[str, Any]) -> list[str]:
    return sorted(name for name, entry in manifest.get("exports", {}).items() if entry.get("stale"))
