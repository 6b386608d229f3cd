"""What the RDF syntaxes share: a `Renderer` per syntax, `write_rdf`, which writes several
syntaxes and feeds the SPARQL store in one pass over the KG's subjects, and `write_rdf_files`,
which spreads that work over the machine's cores.

The subjects are streamed from the KG folder's tables (graph.rdf.subjects), so an RDF exporter
takes the KG folder where the graph exporters take a networkx graph.

How the work is spread (`write_rdf_files`): the main pass renders the N-Triples once (column by
column, graph.rdf.columnar, unless a syntax rendered subject by subject shares its pass: then
from the subjects); loading the store (pyoxigraph's bulk load, the costliest step) runs in a
child process (graph.rdf.load.StoreLoader) and Turtle is regrouped from the same N-Triples by
pyoxigraph in another (graph.rdf.reserialise), both fed by the main pass. Syntaxes rendered in
Python (JSON-LD) share the cores left, each group in a process that streams the subjects itself.
"""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import BinaryIO, Protocol

from exporters.base import Exporter, ExportOptions
from graph.fsutil import staged_paths
from graph.rdf import mapping as rdf
from graph.rdf.load import LoadStats, StoreLoader
from graph.rdf.subjects import Progress, subjects

Chunk = bytes | memoryview
_FLUSH_BYTES = 1 << 20  # write in ~1 MB pieces: few syscalls, bounded memory


class Converter(Protocol):
    """Takes the N-Triples of the pass and writes another syntax from them (close() to finish)."""

    def write(self, data: Chunk, /) -> object: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


@dataclass(frozen=True)
class Renderer:
    """One RDF syntax: a header, one chunk of bytes per subject, a footer; or, with
    `from_ntriples`, a converter fed the pass's N-Triples (rendered once for all who need them)."""

    label: str
    header: bytes
    render: Callable[[str, list[rdf.Pair]], bytes]
    footer: bytes = b""
    from_ntriples: Callable[[BinaryIO], Converter] | None = None
    # The same conversion from a finished N-Triples file (path, output), done after the pass.
    from_ntriples_file: Callable[[str, BinaryIO], None] | None = None
    # The whole syntax (but header and footer) at once from the KG folder, base IRI and progress
    # callback: what rendering each subject gives, by a faster road (used when rendered alone).
    whole: Callable[[str | Path, str, Progress | None], Iterable[Chunk]] | None = None


RendererFactory = Callable[[ExportOptions], Renderer]


class Sink(Protocol):
    def write(self, data: Chunk, /) -> object: ...


class _Output:
    """One syntax's rendered chunks, written to its sinks (a file, the store loader) per ~1 MB."""

    def __init__(self, renderer: Renderer, sinks: Sequence[Sink]) -> None:
        self.render, self.sinks = renderer.render, sinks
        self.chunks: list[Chunk] = [renderer.header]
        self.size = 0

    def add(self, subject: str, pairs: list[rdf.Pair]) -> None:
        self.append(self.render(subject, pairs))

    def append(self, chunk: Chunk) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.size >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        data = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        for sink in self.sinks:
            sink.write(data)
        self.chunks.clear()
        self.size = 0


def write_rdf(kg_dir: str | Path, outputs: Sequence[tuple[BinaryIO, Renderer]],
              options: ExportOptions, *, store: Sink | None = None) -> None:
    """Write the KG in several RDF syntaxes at once, e.g. ``[(fh, turtle.renderer(options))]``;
    `store`, if given, receives the N-Triples (rendered once, shared with an N-Triples output)."""
    from exporters import ntriples  # the N-Triples exporter is built on this module

    with contextlib.ExitStack() as stack:
        targets: list[tuple[Renderer, list[Sink]]] = []
        nt_sinks: list[Sink] = [store] if store is not None else []
        converters: list[Converter] = []
        nt_file = next((fh.name for fh, r in outputs if r.label == ntriples.LABEL
                        and isinstance(getattr(fh, "name", None), str)), None)
        later: list[tuple[BinaryIO, Renderer]] = []
        for fh, renderer in outputs:
            if nt_file is not None and renderer.from_ntriples_file is not None:
                # Converted from the N-Triples file once the pass is over: on two cores the
                # pass and the store's loader keep both busy until then.
                later.append((fh, renderer))
            elif renderer.from_ntriples is not None:
                converter = renderer.from_ntriples(fh)
                stack.callback(converter.abort)  # undone below once it closed cleanly
                converters.append(converter)
                nt_sinks.append(converter)
            elif renderer.label == ntriples.LABEL:
                nt_sinks.append(fh)
            else:
                targets.append((renderer, [fh]))
        if nt_sinks:
            targets.append((ntriples.renderer(options), nt_sinks))
        label = " + ".join(r.label for _, r in outputs) + (" + SPARQL store" if store else "")
        _render(kg_dir, targets, options, label)
        for converter in converters:
            converter.close()
        stack.pop_all()
    for fh, renderer in later:
        for out, r in outputs:
            if r.label == ntriples.LABEL:
                out.flush()
        renderer.from_ntriples_file(nt_file, fh)  # type: ignore[misc, arg-type]


def _render(kg_dir: str | Path, targets: list[tuple[Renderer, list[Sink]]], options: ExportOptions,
            label: str) -> None:
    sinks = [_Output(renderer, fhs) for renderer, fhs in targets]
    with options.progress(label) if options.progress else contextlib.nullcontext() as report:
        whole = targets[0][0].whole if len(targets) == 1 else None
        if whole is not None:  # one syntax: no subject stream to share with another
            for chunk in whole(kg_dir, options.base_iri, report):
                sinks[0].append(chunk)
        else:
            for subject, pairs in subjects(kg_dir, options.base_iri, report):
                for sink in sinks:
                    sink.add(subject, pairs)
    for sink, (renderer, _) in zip(sinks, targets):
        sink.append(renderer.footer)
        sink.flush()


def rdf_exporter(name: str, extension: str, media_type: str, description: str,
                 make_renderer: RendererFactory) -> Exporter:
    """The Exporter of one RDF syntax: `write_rdf` with that syntax alone (KG only)."""

    def write(kg_dir: str | Path, fh: BinaryIO, options: ExportOptions) -> None:
        write_rdf(kg_dir, [(fh, make_renderer(options))], options)

    return Exporter(name=name, extension=extension, media_type=media_type,
                    graphs=frozenset({"kg"}), write=write, description=description,
                    renderer=make_renderer)


@dataclass(frozen=True)
class RdfRun:
    """How long the RDF took: the main pass (subjects, rendering, writing, feeding the store),
    with the CPU it used (the steadier figure on a shared machine), then the wait for the other
    processes; and the store loader's own figures."""

    main_s: float
    wait_s: float
    store: LoadStats | None
    main_cpu_s: float = 0.0

    def text(self) -> str:
        lines = [f"RDF main pass {self.main_s:.1f} s ({self.main_cpu_s:.1f} s CPU), "
                 f"then {self.wait_s:.1f} s waiting for the others"]
        if self.store is not None:
            lines.append(f"SPARQL store (in parallel): {self.store.text()}")
        return "\n".join(lines)


def write_rdf_files(kg_dir: str | Path, files: Sequence[tuple[Path, RendererFactory]],
                    options: ExportOptions, *, store: Path | None = None,
                    cores: int | None = None, meanwhile: Callable[[], object] | None = None) -> RdfRun:
    """Write each (path, syntax) and, if `store` is given, load the store there, at once.

    Every file appears only if all succeed (and the store loaded). `meanwhile` is called once
    the files are written, while the store may still be loading (its optimize outlasts them).
    """
    lanes = _lanes(list(files), store is not None, cores or _cores())
    with staged_paths([path for path, _ in files]) as temps, contextlib.ExitStack() as stack:
        staged = [[(temps[files.index(entry)], entry[1]) for entry in lane] for lane in lanes]
        others: list[Future[None]] = []
        if len(lanes) > 1:
            pool = stack.enter_context(ProcessPoolExecutor(len(lanes) - 1, mp_context=get_context("spawn")))
            quiet = replace(options, progress=None)  # one progress bar: the main pass's
            others = [pool.submit(_write_files, str(kg_dir), lane, quiet) for lane in staged[1:]]
        loader = stack.enter_context(StoreLoader(store)) if store is not None else None
        started, cpu = time.perf_counter(), time.process_time()
        _write_files(kg_dir, staged[0], options, loader)
        main, cpu = time.perf_counter(), time.process_time() - cpu
        for future in others:
            future.result()  # re-raises a lane's error here
        if meanwhile is not None:
            meanwhile()
        stats = loader.close() if loader is not None else None
    return RdfRun(main - started, time.perf_counter() - main, stats, cpu)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _lanes(files: list[tuple[Path, RendererFactory]], store: bool,
           cores: int) -> list[list[tuple[Path, RendererFactory]]]:
    """Files split into groups, one process each; the first is the main pass (it feeds the store).

    A syntax made from the N-Triples (Turtle) has a child process of its own, fed by the main
    pass, so only the syntaxes rendered in Python are spread over the cores left."""
    converted = [f for f in files if f[1](ExportOptions()).from_ntriples is not None]
    rendered = [f for f in files if f not in converted]
    count = max(1, min(len(rendered), cores - (1 if store else 0) - (1 if converted else 0)))
    lanes = [rendered[i::count] for i in range(count)] if rendered else [[]]
    lanes[0] = converted + lanes[0]
    return lanes


def _write_files(kg_dir: str | Path, files: list[tuple[Path, RendererFactory]],
                 options: ExportOptions, store: Sink | None = None) -> None:
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(open(path, "wb")) for path, _ in files]
        write_rdf(kg_dir, [(fh, make(options)) for fh, (_, make) in zip(handles, files)], options,
                  store=store)
        for fh in handles:
            fh.flush()
            os.fsync(fh.fileno())
