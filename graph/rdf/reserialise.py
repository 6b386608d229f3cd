"""N-Triples in, Turtle out, by pyoxigraph's serializer in a child process.

The KG's N-Triples are rendered once (graph.rdf.subjects, sorted by subject); Turtle is the same
stream regrouped. pyoxigraph's Turtle serializer does that in compiled code at about 1.2 µs a
triple, where rendering Turtle in Python cost as much as rendering the N-Triples and computing
the subjects together (a third of the main pass on the archive-sized KG). In a child process it
also takes the work off the main pass's core. Subjects keep the order of the input, and the
serializer groups consecutive triples of one subject (`;`) and predicate (`,`), so the file is
byte-identical for the same KG.

    with Reserialiser(fh, prefixes) as turtle:   # fh: any binary file object
        turtle.write(ntriples_bytes) ...
        turtle.close()
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from typing import IO, BinaryIO

import pyoxigraph as ox

from graph.errors import ArxivKGError

_COPY_BYTES = 1 << 20


class ReserialiseError(ArxivKGError):
    """The Turtle writer failed (its first line of error says why)."""


class Reserialiser:
    """A child process turning the N-Triples written to it into Turtle on `out`."""

    def __init__(self, out: BinaryIO, prefixes: dict[str, str]) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "graph.rdf.reserialise", json.dumps(prefixes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._pipe: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        # `out` may be any file object (a BytesIO in tests), so the child's output is copied
        # by a thread rather than handed over as a file descriptor.
        self._copier = threading.Thread(target=shutil.copyfileobj,
                                        args=(self._proc.stdout, out, _COPY_BYTES), daemon=True)
        self._copier.start()

    def write(self, data: bytes | memoryview) -> None:
        try:
            self._pipe.write(data)
        except BrokenPipeError:  # the child died: its message says why
            self._fail()

    def close(self) -> None:
        try:
            self._pipe.close()
        except BrokenPipeError:
            self._fail()
        self._copier.join()
        if self._proc.wait() != 0:
            self._fail()

    def abort(self) -> None:
        self._proc.kill()
        self._proc.wait()
        self._copier.join()

    def _fail(self) -> None:
        self._proc.kill()
        self._proc.wait()
        lines = self._proc.stderr.read().decode("utf-8", "replace").strip().splitlines()  # type: ignore[union-attr]
        raise ReserialiseError(f"Turtle writer: {lines[-1] if lines else 'stopped'}")

    def __enter__(self) -> Reserialiser:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is not None:
            self.abort()


def reserialise(ntriples: BinaryIO | str, out: BinaryIO, prefixes: dict[str, str]) -> None:
    """Turtle on `out` from N-Triples (a binary stream, or a file's path: read by pyoxigraph)."""
    # lenient: the N-Triples come from graph.rdf's writer, whose IRIs are checked when minted.
    source = {"path": ntriples} if isinstance(ntriples, str) else {"input": ntriples}
    triples = ox.parse(**source, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    try:
        ox.serialize(triples, out, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    except SyntaxError as exc:
        raise ReserialiseError(f"Turtle writer: {str(exc).splitlines()[0]}") from None


def _main(argv: list[str]) -> int:
    try:
        reserialise(sys.stdin.buffer, sys.stdout.buffer, json.loads(argv[0]))
    except (ReserialiseError, OSError) as exc:
        print(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, file=sys.stderr)
        return 1
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
