"""A KG folder as a sequence of generations, each published with one atomic step.

Layout of a KG folder::

    out/
      current -> generations/g000003   the published generation (a relative symlink)
      generations/g000002/             the one before, kept for readers that still use it
      generations/g000003/             tables, summary.json, exports, store/, manifest.json
      .lock                            held by the one writer
      .draft-g000004-<pid>/            a generation being written (removed if its writer died)

A writer takes the lock (one writer at a time; a second one fails at once or waits), cleans up
what killed writers left, writes the new generation into a draft folder, records every file's
size and SHA-256 in ``manifest.json``, renames the draft into ``generations/`` and then swaps
the ``current`` symlink with one rename(2): readers see the old generation or the new one, never
a mix (the way git and SQLite publish a new state). Generations older than the previous one are
removed, unless a reader holds them (readers take a shared lock on their manifest).

Readers resolve ``current`` once, check the manifest (every file present with its recorded
size), and read only from that folder.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from graph.errors import ArxivKGError, KGNotFound

CURRENT = "current"
GENERATIONS = "generations"
LOCK = ".lock"
MANIFEST = "manifest.json"
FORMAT = "arxiv-kg"
_DRAFT_PREFIX = ".draft-"
_NAME = re.compile(r"g(\d{6,})$")
_HASH_CHUNK = 1 << 20
_OPEN_ATTEMPTS = 20


class KGBusy(ArxivKGError):
    """Another writer holds the KG folder."""


class KGCorrupt(ArxivKGError):
    """The published generation does not match its manifest."""


@dataclass(frozen=True)
class Generation:
    """One published, verified generation: read everything from `path`."""

    path: Path
    manifest: dict[str, Any]
    _lock: IO[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path.name

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()


def open_current(kg_dir: str | os.PathLike[str], *, hold: bool = True) -> Generation:
    """The published generation of `kg_dir`, checked against its manifest.

    With `hold`, a shared lock on the manifest keeps writers from removing the generation
    while it is read (released by Generation.close() or at exit).
    """
    kg = Path(kg_dir)
    link = kg / CURRENT
    # A writer may publish twice and remove this generation between our readlink and our lock:
    # then `current` has moved on, and we follow it (a bounded number of times).
    for _ in range(_OPEN_ATTEMPTS):
        if not link.is_symlink():
            raise KGNotFound(_not_found(kg))
        target = os.readlink(link)
        generation = _try_open(kg, kg / target, hold)
        if generation is not None:
            return generation
        if os.readlink(link) == target:
            break
    raise KGCorrupt(f"{kg}: the current generation {Path(target).name} is missing or has no "
                    f"manifest; rebuild with `arxiv-kg build --out {kg}`")


def _try_open(kg: Path, path: Path, hold: bool) -> Generation | None:
    """The generation at `path`, or None when it is gone (removed under us)."""
    try:
        handle = open(path / MANIFEST, "rb")
    except FileNotFoundError:
        return None
    with contextlib.ExitStack() as undo:
        undo.callback(handle.close)
        if hold:
            fcntl.flock(handle, fcntl.LOCK_SH)
            if not _still_linked(handle, path / MANIFEST):
                return None
        manifest = _parse_manifest(handle.read(), kg, path)
        check(path, manifest, kg)
        undo.pop_all()
    if not hold:
        handle.close()
    return Generation(path, manifest, handle if hold else None)


def _still_linked(handle: IO[bytes], name: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(name))
    except FileNotFoundError:
        return False


def check(path: Path, manifest: dict[str, Any], kg: Path) -> None:
    """Every file of the manifest present with its recorded size (a cheap check on each open)."""
    for name, entry in manifest["files"].items():
        try:
            size = (path / name).stat().st_size
        except FileNotFoundError:
            raise KGCorrupt(f"{kg}: {name} is missing from generation {path.name}; "
                            f"rebuild with `arxiv-kg build --out {kg}`") from None
        if size != entry["size"]:
            raise KGCorrupt(f"{kg}: {name} has {size:,} bytes, the manifest says "
                            f"{entry['size']:,}; rebuild with `arxiv-kg build --out {kg}`")


def verify(generation: Generation) -> list[str]:
    """Names of the files whose SHA-256 differs from the manifest (a full, slower check)."""
    return [name for name, entry in generation.manifest["files"].items()
            if sha256_file(generation.path / name) != entry["sha256"]]


def _parse_manifest(data: bytes, kg: Path, path: Path) -> dict[str, Any]:
    try:
        manifest = orjson.loads(data)
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
            raise ValueError("not an arxiv-kg manifest")
    except (ValueError, AttributeError):
        raise KGCorrupt(f"{kg}: {path.name}/{MANIFEST} is damaged; "
                        f"rebuild with `arxiv-kg build --out {kg}`") from None
    return manifest


def _not_found(kg: Path) -> str:
    if (kg / "papers.parquet").exists() or (kg / "papers.jsonl").exists():
        return (f"{kg}: written by an older arxiv-kg without generations; "
                f"rebuild with `arxiv-kg build --out {kg}`")
    return f"{kg}: no knowledge graph here; run `arxiv-kg build --out {kg}` first"


# --- writing ---------------------------------------------------------------------------

@dataclass
class Draft:
    """A generation being written. Put its files under `path`; `base` is the generation it
    replaces (None for the first), whose unchanged files can be linked with `reuse`."""

    kg: Path
    path: Path
    name: str
    base: Generation | None
    extra: dict[str, Any] = field(default_factory=dict)  # more manifest entries (e.g. store)

    def reuse(self, name: str) -> bool:
        """Hard-link `name` from the base generation (files are never changed in place)."""
        if self.base is None or not (self.base.path / name).is_file():
            return False
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(self.base.path / name, target)
        return True


@contextlib.contextmanager
def writing(kg_dir: str | os.PathLike[str], *, wait: bool = False) -> Iterator[Draft]:
    """Lock `kg_dir`, yield a Draft, and publish it if the block succeeds.

    If the block raises (or the process dies), nothing is published and the previous
    generation stays current; the draft is removed now or by the next writer.
    """
    kg = Path(kg_dir)
    kg.mkdir(parents=True, exist_ok=True)
    with _writer_lock(kg, wait):
        _remove_drafts(kg)
        base = _current_or_none(kg)
        name = _next_name(kg)
        path = kg / f"{_DRAFT_PREFIX}{name}-{os.getpid()}"
        path.mkdir()
        draft = Draft(kg, path, name, base)
        try:
            yield draft
            _publish(draft)
        finally:
            shutil.rmtree(path, ignore_errors=True)
            if base is not None:
                base.close()
        _collect(kg)


def _current_or_none(kg: Path) -> Generation | None:
    try:
        return open_current(kg, hold=False)
    except (KGNotFound, KGCorrupt):
        return None  # a broken or missing generation is simply replaced


@contextlib.contextmanager
def _writer_lock(kg: Path, wait: bool) -> Iterator[None]:
    with open(kg / LOCK, "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise KGBusy(f"{kg}: another build or update is writing this knowledge graph; "
                         f"try again when it ends (or pass --wait)") from None
        yield


def _remove_drafts(kg: Path) -> None:
    # Holding the writer lock, any draft left here belongs to a writer that died.
    for entry in kg.iterdir():
        if entry.name.startswith(_DRAFT_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{CURRENT}.") and entry.is_symlink():
            entry.unlink()


def _next_name(kg: Path) -> str:
    numbers = [int(m.group(1)) for m in map(_NAME.match, _listdir(kg / GENERATIONS)) if m]
    return f"g{max(numbers, default=0) + 1:06d}"


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


def _publish(draft: Draft) -> None:
    files = {name: {"size": (draft.path / name).stat().st_size,
                    "sha256": _hash(draft, name)}
             for name in sorted(_files(draft.path))}
    manifest = {"format": FORMAT, "generation": draft.name,
                "parent": draft.base.name if draft.base else None, "files": files, **draft.extra}
    _write_synced(draft.path / MANIFEST, orjson.dumps(
        manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE))
    _fsync_tree(draft.path)
    generations = draft.kg / GENERATIONS
    generations.mkdir(exist_ok=True)
    final = generations / draft.name
    os.rename(draft.path, final)
    _fsync_dir(generations)
    link = draft.kg / f".{CURRENT}.{os.getpid()}"
    os.symlink(os.path.join(GENERATIONS, draft.name), link)
    os.rename(link, draft.kg / CURRENT)  # the one step that publishes
    _fsync_dir(draft.kg)


def _hash(draft: Draft, name: str) -> str:
    # A file linked from the base generation is the same inode: its hash is already known.
    base = draft.base
    if base is not None and name in base.manifest["files"]:
        old, new = base.path / name, draft.path / name
        with contextlib.suppress(FileNotFoundError):
            if os.path.samefile(old, new):
                return str(base.manifest["files"][name]["sha256"])
    return sha256_file(draft.path / name)


def _files(root: Path) -> Iterable[str]:
    """Files the manifest lists: everything but the store (which keeps its own checksums)
    and the analysis cache (written later by readers)."""
    for parent, dirs, names in os.walk(root):
        rel = os.path.relpath(parent, root)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in ("store", "cache")]
        for n in names:
            if n != MANIFEST or rel != ".":
                yield os.path.normpath(os.path.join(rel, n))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_tree(root: Path) -> None:
    for parent, _, names in os.walk(root):
        for n in names:
            fd = os.open(os.path.join(parent, n), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(parent))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _collect(kg: Path) -> None:
    """Remove generations older than the previous one, and unpublished ones, unless read."""
    current = os.path.basename(os.readlink(kg / CURRENT))
    names = [n for n in _listdir(kg / GENERATIONS) if _NAME.match(n)]
    keep = {current}
    older = [n for n in names if n < current]
    if older:
        keep.add(older[-1])
    for name in names:
        if name not in keep:
            _remove_unless_read(kg / GENERATIONS / name)


def _remove_unless_read(path: Path) -> None:
    try:
        handle = open(path / MANIFEST, "rb")
    except FileNotFoundError:
        shutil.rmtree(path, ignore_errors=True)
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a reader holds it; the next writer tries again
        shutil.rmtree(path, ignore_errors=True)
