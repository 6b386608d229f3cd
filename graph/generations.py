"""A KG folder as a sequence of generations, each published with one atomic step.

Layout of a KG folder::

    out/
      current -> generations/g000003   the published generation (a relative symlink)
      generations/g000002/             the one before, kept for readers that still use it
      generations/g000003/             tables, summary.json, exports, store/, state/, manifest.json
      .lock                            held by the one writer
      .draft-g000004-<pid>/            a generation being written (removed if its writer died)

A writer takes the lock (one writer at a time; a second one fails at once or waits), cleans up
what killed writers left, writes the new generation into a draft folder, records every file's
size and SHA-256 in ``manifest.json``, renames the draft into ``generations/`` and then swaps
the ``current`` symlink with one rename(2): readers see the old generation or the new one, never
a mix (the way git and SQLite publish a new state). The generations other than the current one
and its parent are removed, unless a reader holds them (readers take a shared lock on their
manifest); so are generations renamed into place by a writer that died before the swap.

Readers resolve ``current`` once (`open_kg`), check the manifest (every file present with its
recorded size; `verify` compares hashes too), and read only from that folder.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

import orjson

from graph.crash import crash_point
from graph.errors import ArxivKGError, KGNotFound

CURRENT = "current"
GENERATIONS = "generations"
LOCK = ".lock"
MANIFEST = "manifest.json"
CACHE = "cache"  # written by readers into a published generation, so never in its manifest
FORMAT = "arxiv-kg"
_DRAFT_PREFIX = ".draft-"
_NAME = re.compile(r"g(\d{6,})$")
_HASH_CHUNK = 1 << 20
_HASH_THREADS = 2  # hashlib leaves the GIL for large buffers
_OPEN_ATTEMPTS = 20
_UNLINKED = {MANIFEST, "state"}  # generation entries not linked at the top of the KG folder


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

    def __enter__(self) -> Generation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_kg(kg_dir: str | os.PathLike[str], *, hold: bool = True) -> Generation:
    """The generation a reader named with `kg_dir`: the KG folder's current generation, or a
    generation folder itself (``out/generations/g000003``, ``out/current``), checked.

    With `hold`, a shared lock on the manifest keeps writers from removing the generation
    while it is read (released by Generation.close() or at exit).
    """
    kg = Path(kg_dir)
    if not os.path.islink(kg / CURRENT) and (kg / MANIFEST).is_file():
        path = Path(os.path.realpath(kg))
        return _open(path, kg, hold, rebuild=kg_folder(path))
    return open_current(kg, hold=hold)


def open_current(kg_dir: str | os.PathLike[str], *, hold: bool = True) -> Generation:
    """The published generation of the KG folder `kg_dir`, checked against its manifest."""
    kg = Path(kg_dir)
    link = kg / CURRENT
    # A writer may publish twice and remove this generation between our readlink and our lock:
    # then `current` has moved on, and we follow it (a bounded number of times).
    for _ in range(_OPEN_ATTEMPTS):
        if not link.is_symlink():
            raise KGNotFound(_not_found(kg))
        target = os.readlink(link)
        generation = _try_open(kg / target, kg, hold, rebuild=kg)
        if generation is not None:
            return generation
        if os.readlink(link) == target:
            break
    raise _missing(kg, Path(target), kg)


def kg_folder(generation: str | os.PathLike[str]) -> Path:
    """The KG folder a generation folder belongs to (what a user names and rebuilds); any other
    folder as given."""
    path = Path(os.path.realpath(generation))
    return path.parent.parent if path.parent.name == GENERATIONS else Path(generation)


def build_command(folder: str | os.PathLike[str]) -> str:
    """The command that (re)builds the KG that `folder` (a generation, or a KG folder) is of."""
    return f"arxiv-kg build <digests> --out {kg_folder(folder)}"


def _open(path: Path, kg: Path, hold: bool, *, rebuild: Path) -> Generation:
    generation = _try_open(path, kg, hold, rebuild=rebuild)
    if generation is None:
        raise _missing(kg, path, rebuild)
    return generation


def _missing(kg: Path, path: Path, rebuild: Path) -> KGCorrupt:
    return KGCorrupt(f"{kg}: the current generation {path.name} is missing or has no "
                     f"manifest; {_rebuild(rebuild)}")


def _try_open(path: Path, kg: Path, hold: bool, *, rebuild: Path) -> Generation | None:
    """The generation at `path`, or None when it is gone (removed under us)."""
    try:
        handle = open(path / MANIFEST, "rb")
    except (FileNotFoundError, NotADirectoryError):
        return None
    with contextlib.ExitStack() as undo:
        undo.callback(handle.close)
        if hold:
            fcntl.flock(handle, fcntl.LOCK_SH)
            if not _still_linked(handle, path / MANIFEST):
                return None
        manifest = _parse_manifest(handle.read(), kg, path, rebuild)
        check(path, manifest, rebuild)
        undo.pop_all()
    if not hold:
        handle.close()
    return Generation(path, manifest, handle if hold else None)


def _rebuild(kg: Path) -> str:
    return f"rebuild with `arxiv-kg build <digests> --out {kg}`"


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
        except (FileNotFoundError, NotADirectoryError):
            raise KGCorrupt(f"{kg}: {name} is missing from generation {path.name}; "
                            f"{_rebuild(kg)}") from None
        if size != entry["size"]:
            raise KGCorrupt(f"{kg}: {name} in generation {path.name} has {size:,} bytes, the "
                            f"manifest says {entry['size']:,}; {_rebuild(kg)}")


def verify(generation: Generation) -> list[str]:
    """Names of the files whose SHA-256 differs from the manifest (a full, slower check)."""
    files = generation.manifest["files"]
    hashes = _hash_all([generation.path / name for name in files])
    return [name for name, digest in zip(files, hashes) if digest != files[name]["sha256"]]


def _parse_manifest(data: bytes, kg: Path, path: Path, rebuild: Path) -> dict[str, Any]:
    try:
        manifest = orjson.loads(data)
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
            raise ValueError("not an arxiv-kg manifest")
    except (ValueError, AttributeError):
        raise KGCorrupt(f"{kg}: {path.name}/{MANIFEST} is damaged; {_rebuild(rebuild)}") from None
    return manifest


def _not_found(kg: Path) -> str:
    if (kg / "papers.parquet").exists() or (kg / "papers.jsonl").exists():
        return (f"{kg}: written by an older arxiv-kg without generations; "
                f"{_rebuild(kg)}")
    return f"{kg}: no knowledge graph here; run `arxiv-kg build <digests> --out {kg}` first"


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
    cancelled: bool = False  # set to leave the block without publishing (nothing changed)
    _linked: dict[str, str] = field(default_factory=dict, repr=False)  # name -> base file linked
    _hashed: dict[tuple[int, ...], str] = field(default_factory=dict, repr=False)  # by _signature

    def reuse(self, name: str, *, source: str | None = None) -> bool:
        """Hard-link `source` (default `name`) of the base generation as `name` (files are never
        changed in place); its hash is taken from the base manifest."""
        source = source or name
        if self.base is None or not (self.base.path / source).is_file():
            return False
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(self.base.path / source, target)
        self._linked[name] = source
        return True

    def reuse_tree(self, folder: str) -> bool:
        """Hard-link every file the base generation lists under `folder`."""
        if self.base is None:
            return False
        prefix = folder.rstrip("/") + "/"
        names = [n for n in self.base.manifest["files"] if n.startswith(prefix)]
        for name in names:
            self.reuse(name)
        return bool(names)

    def hash_written(self, *, skip: Iterable[str] = ()) -> None:
        """Hash (and fsync) now every file of the draft but those under the top-level names in
        `skip` or in a temporary beside one (``.NAME.*``, as graph.fsutil and the store's loader
        name theirs), for publishing to take up: a build calls this while it waits for another
        process (the store's load), so that publishing then reads only what that one wrote
        (it read 3 GB after the archive's load). A file changed after this is read again then:
        its size, mtime or inode no longer match."""
        names = tuple(skip)
        paths = [self.path / n for n in _files(self.path) if not _under(Path(n).parts[0], names)]
        before = [_signature(os.stat(p)) for p in paths]
        for path, seen, digest in zip(paths, before, _hash_all(paths, sync=True)):
            if _signature(os.stat(path)) == seen:  # not written to while it was read
                self._hashed[seen] = digest


def _under(top: str, names: tuple[str, ...]) -> bool:
    return any(top == name or top.startswith(f".{name}.") for name in names)


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


@contextlib.contextmanager
def writing(kg_dir: str | os.PathLike[str], *, wait: bool = False,
            step: Callable[[str], contextlib.AbstractContextManager[Any]] | None = None
            ) -> Iterator[Draft]:
    """Lock `kg_dir`, yield a Draft, and publish it if the block succeeds (and did not set
    `draft.cancelled`). `step(label)` wraps the publishing (a progress line).

    If the block raises (or the process dies), nothing is published and the previous
    generation stays current; the draft is removed now or by the next writer.
    """
    with locked(kg_dir, wait=wait) as writer, writer.draft(step) as draft:
        yield draft


@dataclass(frozen=True)
class Writer:
    """The one writer of a KG folder, holding its lock: `base` is the published generation
    (None for none), and `draft()` starts the next one."""

    kg: Path
    base: Generation | None

    @contextlib.contextmanager
    def draft(self, step: Callable[[str], contextlib.AbstractContextManager[Any]] | None = None
              ) -> Iterator[Draft]:
        """A Draft, published as `writing` says."""
        name = _next_name(self.kg)
        path = self.kg / f"{_DRAFT_PREFIX}{name}-{os.getpid()}"
        path.mkdir()
        draft = Draft(self.kg, path, name, self.base)
        try:
            crash_point("draft:created")
            yield draft
            if not draft.cancelled:
                with step(f"publishing {name}") if step else contextlib.nullcontext():
                    _publish(draft)
        finally:
            shutil.rmtree(path, ignore_errors=True)
        if not draft.cancelled:
            crash_point("publish:done")
            _collect(self.kg)


@contextlib.contextmanager
def locked(kg_dir: str | os.PathLike[str], *, wait: bool = False) -> Iterator[Writer]:
    """Hold `kg_dir`'s writer lock (one writer at a time: fail at once, or `wait`), with what
    killed writers left removed. Nothing more is written before Writer.draft(): a writer that
    finds nothing to do leaves the folder as it was (but for the lock file of a new one)."""
    kg = Path(kg_dir)
    kg.mkdir(parents=True, exist_ok=True)
    with _writer_lock(kg, wait):
        _remove_drafts(kg)
        base = _current_or_none(kg)
        try:
            yield Writer(kg, base)
        finally:
            if base is not None:
                base.close()


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
    manifest = {"format": FORMAT, "generation": draft.name,
                "parent": draft.base.name if draft.base else None, "files": _manifest_files(draft),
                **draft.extra}
    _write_synced(draft.path / MANIFEST, orjson.dumps(
        manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE))
    for folder, _, _ in os.walk(draft.path):  # the names of new files and of links
        _fsync_dir(Path(folder))
    crash_point("publish:manifest")
    generations = draft.kg / GENERATIONS
    generations.mkdir(exist_ok=True)
    final = generations / draft.name
    os.rename(draft.path, final)
    _fsync_dir(generations)
    crash_point("publish:renamed")
    link = draft.kg / f".{CURRENT}.{os.getpid()}"
    os.symlink(os.path.join(GENERATIONS, draft.name), link)
    crash_point("publish:linked")
    os.rename(link, draft.kg / CURRENT)  # the one step that publishes
    _fsync_dir(draft.kg)
    _link_names(draft.kg, final)


def _link_names(kg: Path, generation: Path) -> None:
    """Top-level names (``out/summary.json``, ``out/store``, ...) as fixed links through
    ``current``, so that a person or a script finds the files where a KG folder always had them.
    They never change, so they need no atomic step: each resolves to the current generation when
    opened (the commands themselves read one generation, through `open_kg`). Links whose target
    the current generation lacks are removed; a real file of an older layout is left alone."""
    names = {n for n in os.listdir(generation) if n not in _UNLINKED}
    for entry in _listdir(kg):
        path = kg / entry
        if path.is_symlink() and os.readlink(path) == os.path.join(CURRENT, entry) and entry not in names:
            path.unlink()
    for name in sorted(names):
        if not os.path.lexists(kg / name):
            os.symlink(os.path.join(CURRENT, name), kg / name)


def _manifest_files(draft: Draft) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file of the draft, each file the draft wrote fsynced.

    A file that Draft.hash_written read keeps that hash while its size, mtime and inode match.

    A file linked from the base generation keeps the base's hash, and needs no fsync (that was
    done when the base was published), when its inode, size and mtime prove it is the base's
    file, unchanged since (the mtime is older than the base's manifest). The others are read.
    """
    names = sorted(_files(draft.path))
    published = _published_at(draft.base)
    sizes, hashes, todo = {}, {}, []
    for name in names:
        stat = os.stat(draft.path / name)
        sizes[name] = stat.st_size
        digest = _reused_hash(draft, name, stat, published) or draft._hashed.get(_signature(stat))
        if digest is None:
            todo.append(name)
        else:
            hashes[name] = digest
    hashes.update(zip(todo, _hash_all([draft.path / n for n in todo], sync=True)))
    return {name: {"size": sizes[name], "sha256": hashes[name]} for name in names}


def _published_at(generation: Generation | None) -> int:
    """When `generation`'s manifest was written (ns), after every file of it; 0 for none."""
    return 0 if generation is None else os.stat(generation.path / MANIFEST).st_mtime_ns


def _reused_hash(draft: Draft, name: str, stat: os.stat_result, published: int) -> str | None:
    base = draft.base
    source = draft._linked.get(name, name)  # a store file its backup linked keeps its name
    entry = None if base is None else base.manifest["files"].get(source)
    if base is None or entry is None:
        return None
    try:
        original = os.stat(base.path / source)
    except FileNotFoundError:
        return None
    same = (original.st_dev, original.st_ino) == (stat.st_dev, stat.st_ino)
    unchanged = stat.st_size == entry["size"] and stat.st_mtime_ns < published
    return str(entry["sha256"]) if same and unchanged else None


def _hash_all(paths: list[Path], *, sync: bool = False) -> list[str]:
    """SHA-256 of each file (`sync`: and each fsynced, while it is open)."""
    hash_one = partial(sha256_file, sync=sync)
    if len(paths) < 2:
        return [hash_one(p) for p in paths]
    with ThreadPoolExecutor(_HASH_THREADS) as pool:
        return list(pool.map(hash_one, paths))


def _files(root: Path) -> Iterable[str]:
    """Files the manifest lists: everything but the analysis cache (written later by readers)."""
    for parent, dirs, names in os.walk(root):
        rel = os.path.relpath(parent, root)
        if rel == ".":
            dirs[:] = [d for d in dirs if d != CACHE]
        for n in names:
            if n != MANIFEST or rel != ".":
                yield os.path.normpath(os.path.join(rel, n))


def sha256_file(path: Path, *, sync: bool = False) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
        if sync:
            os.fsync(fh.fileno())
    return digest.hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _collect(kg: Path) -> None:
    """Remove every generation but the current one and its parent, unless a reader holds it.

    A generation renamed into place by a writer that died before the swap is nobody's parent,
    so it goes too."""
    current = open_current(kg, hold=False)
    keep = {current.name, current.manifest.get("parent")}
    for name in _listdir(kg / GENERATIONS):
        if _NAME.match(name) and name not in keep:
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
        crash_point("collect:removing")
        shutil.rmtree(path, ignore_errors=True)
