"""Groups of author keys that may be one person (variants.json), found over the authors table's
key and name columns.

The rules are graph.ingest.names's folds: split twins share a twin_key, an abbreviated name's
initials fit exactly one full name (by loose_key), and a name printed with a lower-case first
letter fits exactly one key that has the letter. Run key by key in Python they took 2.9 s on
an archive's 222,679 keys, in every build and every update. Here the keys that are ASCII once
stripped of their accents (all but 454 of those) are folded as bytes, the whole column at
once, with byte tables read off the Python folds themselves; the others go through those
functions key by key. Arrow sorts and matches; only the keys that may end up in a group
become Python strings. tests/reference.py keeps the key-by-key version (variant_groups), and
tests/test_variants.py holds this one to it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from string import ascii_lowercase
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.ingest.names import TWIN_FEATURES, loose_key, lost_first_letter, twin_key, twin_reason
from graph.ingest.text import strip_accents_all
from graph.model.records import VariantGroup

Column: TypeAlias = "pa.Array | pa.ChunkedArray | Sequence[str]"
Group: TypeAlias = tuple[str, ...]

# What each ASCII character becomes in a fold, asked of the Python folds one character at a
# time: on ASCII they delete some characters and (loose_key) make others blanks, then squeeze
# the blanks. Keys that are not ASCII once stripped of their accents are folded in Python.
_ASCII = [chr(byte) for byte in range(1, 128)]
_TWIN_DELETES = "".join(c for c in _ASCII if twin_key(c) != c).encode()
_LOOSE_DELETES = "".join(c for c in _ASCII if loose_key(f"a{c}a") == "aa").encode()
_LOOSE_BLANKS = "".join(c for c in _ASCII if loose_key(f"a{c}a") == "a a").encode()
_LOOSE_BYTES = bytes.maketrans(_LOOSE_BLANKS, b" " * len(_LOOSE_BLANKS))
_SPACE, _END = 32, 0
_NONE = np.zeros(0, np.uint8)
# For each feature of TWIN_FEATURES, the folds after accents but its own; each deletes a set
# of ASCII characters one by one, so on ASCII text all of them delete their sets' union.
_FOLDS_BUT = {name: tuple(fold for other, fold in TWIN_FEATURES[1:] if other != name) for name, _ in TWIN_FEATURES}
_DELETED_BUT = {name: "".join(c for c in map(chr, range(128)) if any(fold(c) == "" for fold in folds)).encode()
                for name, folds in _FOLDS_BUT.items()}
# islower() holds for no ASCII character but a-z; a name that starts with another character
# is asked of lost_first_letter.
_MAY_BE_LOWER = np.array([chr(byte).islower() for byte in range(128)] + [True] * 128)


def variant_groups(keys: Column, names: Column | None = None) -> tuple[VariantGroup, ...]:
    """Groups of `keys` (distinct author keys, no nulls) that are likely one person, each with
    a reason and a confidence, sorted.

    Split twins (see twin_key), an abbreviated name whose initials fit exactly one full name
    ("j. smith" / "john smith"), and, given the display `names` (row for row with the keys),
    a name that lost its first letter ("ane Doe" / "Jane Doe"). Listed for review, never
    merged: "Wei Wang" and "W. Wang" may well be two people.
    """
    keys = _strings(keys)
    if not len(keys):
        return ()
    twin, loose, python = _folds(keys)
    groups = _twin_groups(keys, twin)
    for group in _initial_groups(keys, loose, python):
        groups.setdefault(group, ("initials", "high"))
    if names is not None:
        for group in _lost_letter_groups(keys, twin, _strings(names)):
            groups.setdefault(group, ("first letter lost", "low"))
    return tuple(VariantGroup(g, *groups[g]) for g in sorted(groups))


def _twin_groups(keys: pa.StringArray, twin: pa.StringArray) -> dict[Group, tuple[str, str]]:
    # Sorted, equal twin keys stand side by side (a sort beats Arrow's hashing here).
    sort = pc.sort_indices(twin)
    ordered, order = twin.take(sort), sort.to_numpy()
    same = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1)).to_numpy(zero_copy_only=False)
    twinned = np.zeros(len(twin), bool)
    twinned[order[1:][same]] = twinned[order[:-1][same]] = True
    rows = _arrow(np.flatnonzero(twinned))
    groups = [tuple(sorted(g)) for g in _grouped(twin.take(rows), keys.take(rows)).values()]
    return dict(zip(groups, _twin_reasons(groups)))


def _twin_reasons(groups: list[Group]) -> list[tuple[str, str]]:
    """twin_reason of each group: the features whose keys differ with every other fold applied,
    in TWIN_FEATURES's order. Accents come first: the other features start from stripped keys."""
    if not groups:
        return []
    sizes = [len(g) for g in groups]
    starts = np.cumsum([0, *sizes[:-1]])
    firsts = np.repeat(starts, sizes)
    keys = [k for g in groups for k in g]
    stripped = strip_accents_all(keys)
    differing: list[list[str]] = [[] for _ in groups]
    for name, folds in _FOLDS_BUT.items():
        deleted = _DELETED_BUT[name]
        unfolded = np.array([k.encode().translate(None, deleted) if k.isascii() else _folded(folds, k)
                             for k in (keys if name == "accents" else stripped)], object)
        for group in np.flatnonzero(np.logical_or.reduceat(unfolded != unfolded[firsts], starts)):
            differing[group].append(name)
    return [twin_reason(d) for d in differing]


def _folded(folds: Iterable[Callable[[str], str]], key: str) -> bytes:
    for fold in folds:
        key = fold(key)
    return key.encode()


def _initial_groups(keys: pa.StringArray, loose: pa.StringArray, python: np.ndarray) -> set[Group]:
    """Pair "j. smith" with "john smith" when exactly one full name fits the initials.

    Only names that may take part are cut to their initials, as bytes: an abbreviated name
    begins with a letter and a space, and a full name that fits one begins and ends as it
    does (_outlines). The `python` rows (not ASCII) are cut in Python.
    """
    rows = _arrow(python)
    abbreviated, full = _python_initials(keys.take(rows).to_pylist(), loose.take(rows).to_pylist())
    by_bytes = np.ones(len(keys), bool)
    by_bytes[python] = False
    offsets, data = _buffers(loose)
    short = _arrow(_abbreviated_rows(loose, offsets, data, by_bytes))
    _extend(abbreviated, loose.take(short), keys.take(short))
    wanted = pa.array(list(abbreviated), pa.string())
    outlines = pc.is_in(_arrow(_outlines(offsets, data)), value_set=_arrow(_outlines(*_buffers(wanted))))
    fitting = _arrow(np.flatnonzero(by_bytes & outlines.to_numpy(zero_copy_only=False)))
    fitting_loose = loose.take(fitting)
    initials = _initials_of(fitting_loose)
    chosen = pc.and_(pc.not_equal(initials, fitting_loose), pc.is_in(initials, value_set=wanted))
    _extend(full, initials.filter(chosen), keys.take(fitting).filter(chosen))
    return {tuple(sorted([*abbreviated_keys, *full[abbrev]])) for abbrev, abbreviated_keys in abbreviated.items()
            if len(full.get(abbrev, ())) == 1}


def _python_initials(keys: list[str], loose: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The abbreviated names among `loose` with their keys, and the keys of the full names by
    their initials."""
    abbreviated: dict[str, list[str]] = defaultdict(list)
    full: dict[str, list[str]] = defaultdict(list)
    for key, name in zip(keys, loose):
        *given, _ = name.split(" ")
        if given and all(len(word) == 1 for word in given):
            abbreviated[name].append(key)
        elif given:
            full[_initials(name)].append(key)
    return abbreviated, full


def _abbreviated_rows(loose: pa.StringArray, offsets: np.ndarray, data: np.ndarray, by_bytes: np.ndarray) -> np.ndarray:
    """The `by_bytes` rows of two words or more, all but the last one letter: those that begin
    with a letter and a space, and that _initials leaves as they are."""
    begun = np.flatnonzero(by_bytes & (np.diff(offsets) > 2) & (_at(data, offsets[:-1] + 1) == _SPACE))
    begun_loose = loose.take(_arrow(begun))
    return begun[pc.equal(_initials_of(begun_loose), begun_loose).to_numpy(zero_copy_only=False)]


def _initials(loose: str) -> str:
    """Every word but the last cut to its first letter: "john paul smith" -> "j p smith"."""
    *given, last = loose.split(" ")
    return " ".join([word[0] for word in given] + [last])


def _initials_of(loose: pa.StringArray) -> pa.StringArray:
    """_initials of ASCII strings."""
    return _array(_split(_initials_bytes(_joined(_buffers(loose)))))


def _outlines(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Per string, its first byte and its last four, those before a space among them zeroed:
    what a full name shares with its initials ("john smith" and "j smith": j, " smith")."""
    lengths = np.diff(offsets)
    outlines = np.zeros((len(lengths), 8), np.uint8)
    outlines[:, 0] = np.where(lengths > 0, _at(data, offsets[:-1]), 0)
    spaced = lengths < 1
    for back in range(1, 5):
        outlines[:, back] = np.where(spaced, 0, _at(data, offsets[1:] - back))
        spaced |= (outlines[:, back] == _SPACE) | (lengths <= back)
    return outlines.view(np.uint64).ravel()


def _at(data: np.ndarray, index: np.ndarray) -> np.ndarray:
    """data[index], the index clipped into the data (the callers mask the rows where it falls
    outside its string)."""
    return data[np.clip(index, 0, len(data) - 1)] if len(data) else np.zeros(len(index), np.uint8)


def _lost_letter_groups(keys: pa.StringArray, twin: pa.StringArray, names: pa.StringArray) -> set[Group]:
    """Pair "ane doe" (printed with a lower-case first letter) with the one "jane doe" it fits."""
    rows = _arrow(_lower_case_starts(names))
    lost = [(key, fold) for key, fold, name in zip(keys.take(rows).to_pylist(), twin.take(rows).to_pylist(),
                                                   names.take(rows).to_pylist()) if name and lost_first_letter(name)]
    probes = pa.array(sorted({letter + fold for _, fold in lost for letter in ascii_lowercase}), pa.string())
    near = pc.is_in(twin, value_set=probes)
    by_twin = _grouped(twin.filter(near), keys.filter(near))
    out = set()
    for key, fold in lost:
        fits = {k for letter in ascii_lowercase for k in by_twin.get(letter + fold, ())}
        if len(fits) == 1:
            out.add(tuple(sorted({key, *fits})))
    return out


def _lower_case_starts(names: pa.StringArray) -> np.ndarray:
    """The rows of the names that may begin with a lower-case letter: a-z, or not ASCII."""
    offsets, data = _buffers(names)
    nonempty = np.flatnonzero(np.diff(offsets))
    return nonempty[_MAY_BE_LOWER[data[offsets[nonempty]]]]


def _grouped(by: pa.StringArray, keys: pa.StringArray) -> dict[str, list[str]]:
    return _extend(defaultdict(list), by, keys)


def _extend(groups: dict[str, list[str]], by: pa.StringArray, keys: pa.StringArray) -> dict[str, list[str]]:
    """`groups` (a defaultdict) with each key added under its value of `by`."""
    for value, key in zip(by.to_pylist(), keys.to_pylist()):
        groups[value].append(key)
    return groups


# --- folds of a whole string column ------------------------------------------------------
# A column is handled as its offsets and bytes (Bytes), or as one bytes object holding its
# strings, each followed by a NUL (joined): a fold that deletes or swaps ASCII characters is
# then one bytes.translate, and the NULs give the strings back.

Bytes: TypeAlias = "tuple[np.ndarray, bytes | np.ndarray]"
# Rows folded at once: the blocks' scratch memory is reused from one to the next, where the
# whole column's would be fresh pages every time, and their first touch is dear (the archive's
# folds took 0.2 s at once, 0.15 s in blocks).
_BLOCK = 1 << 14


def _folds(keys: pa.StringArray) -> tuple[pa.StringArray, pa.StringArray, np.ndarray]:
    """twin_key and loose_key of every key, and the rows folded key by key.

    Every key is folded as bytes, which is right for the ASCII keys (97% of the archive's).
    The others are folded again: the folds strip a key's accents first, and the keys that
    are ASCII then (all but 454 of the archive's 222,679) are folded as bytes; the rest, and
    the keys that hold a NUL, by the Python folds.
    """
    column = _buffers(keys)
    other = pc.invert(pc.string_is_ascii(keys))
    if not column[1].all():  # a NUL in a key, where _joined puts the strings' ends: hide it
        other = pc.or_(other, pc.match_substring(keys, "\0"))
        column = column[0], np.frombuffer(column[1].tobytes().replace(b"\0", b"\1"), np.uint8)
    twin, loose = _byte_folds(column)
    if not other.true_count:
        return _array(twin), _array(loose), np.zeros(0, np.int64)
    originals = keys.filter(other).to_pylist()
    stripped = strip_accents_all(originals)
    by_python = np.array([not k.isascii() or "\0" in k for k in stripped], bool)
    blanked = [k if ascii else "" for k, ascii in zip(stripped, ~by_python)]
    fixed_twin, fixed_loose = _byte_folds(_buffers(pa.array(blanked, pa.string())))
    python = np.flatnonzero(by_python)
    originals = [originals[i] for i in python]
    fixed_twin = _array(_with(fixed_twin, python, map(twin_key, originals)))
    fixed_loose = _array(_with(fixed_loose, python, map(loose_key, originals)))
    return (pc.replace_with_mask(_array(twin), other, fixed_twin),
            pc.replace_with_mask(_array(loose), other, fixed_loose),
            np.flatnonzero(other.to_numpy(zero_copy_only=False))[python])


def _byte_folds(column: Bytes) -> tuple[Bytes, Bytes]:
    """The twin and loose folds of the strings of a column (no NULs), as bytes: right for the
    ASCII strings, and UTF-8 for any."""
    offsets, data = column
    folded = [_fold_block(offsets[start:start + _BLOCK + 1], data) for start in range(0, len(offsets) - 1, _BLOCK)]
    return _concatenated([twin for twin, _ in folded]), _concatenated([loose for _, loose in folded])


def _fold_block(offsets: np.ndarray, data: bytes | np.ndarray) -> tuple[Bytes, Bytes]:
    """The twin and loose folds of the (ASCII) strings data[offsets[0]:offsets[-1]]."""
    joined = _joined((offsets - offsets[0], np.frombuffer(data, np.uint8, offsets[-1] - offsets[0], offsets[0])))
    return _split(joined.translate(None, _TWIN_DELETES)), _split(_loose_bytes(joined))


def _concatenated(blocks: list[Bytes]) -> Bytes:
    ends = np.cumsum([0] + [len(data) for _, data in blocks[:-1]])
    offsets = np.concatenate([[0], *(block_offsets[1:] + end for (block_offsets, _), end in zip(blocks, ends))])
    return offsets.astype(np.int32), b"".join(data for _, data in blocks)  # type: ignore[misc]  # ndarrays are buffers


def _loose_bytes(joined: bytes) -> bytes:
    """loose_key of every string: some characters deleted, others made spaces, then, as
    " ".join(s.split()) does, each run of spaces made one and removed at either end."""
    data = np.frombuffer(joined.translate(_LOOSE_BYTES, _LOOSE_DELETES), np.uint8)
    # Of a run, the space that a word follows is kept: a run at a string's end goes.
    gone = data == _SPACE
    gone[:-1] &= (data[1:] == _SPACE) | (data[1:] == _END)
    return np.compress(~gone, data).tobytes().replace(b"\0 ", b"\0").removeprefix(b" ")


def _initials_bytes(joined: bytes) -> bytes:
    """_initials of every string (loose keys, ASCII, so a byte is a letter): in each word that
    a space follows, the bytes after its first are cut."""
    data = np.frombuffer(joined, np.uint8)
    ends = (data == _SPACE) | (data == _END)
    words = np.flatnonzero(ends)  # where each word ends
    lengths = np.diff(words, prepend=-1)  # with its end
    cut = np.repeat((data[words] == _SPACE) & (lengths > 2), lengths) & ~ends
    cut[1:] &= ~ends[:-1]  # a word's first byte stays
    cut[:1] = False
    return np.compress(~cut, data).tobytes()


def _strings(values: Column) -> pa.StringArray:
    """One Arrow string array of a column of any kind."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    elif not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    return values if values.type == pa.string() else values.cast(pa.string())


def _buffers(column: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (from 0) and UTF-8 bytes of a string column, without a copy of the bytes."""
    _, offsets, data = column.buffers()
    offsets = np.frombuffer(offsets, np.int32, len(column) + 1, column.offset * 4)
    start, end = int(offsets[0]), int(offsets[-1])
    return offsets - start, np.frombuffer(data, np.uint8, end - start, start) if data is not None else _NONE


def _arrow(values: np.ndarray) -> pa.Array:
    """An Arrow array of a numpy array of integers (pa.array would import numpy.ma, 20 ms, the
    first time)."""
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _array(column: Bytes) -> pa.StringArray:
    offsets, data = column
    return pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))


def _with(column: Bytes, rows: np.ndarray, values: Iterable[str]) -> Bytes:
    """The column with the strings of `rows` (ascending) replaced by `values`."""
    if not rows.size:
        return column
    offsets, data = column
    encoded = [value.encode() for value in values]
    starts, ends = offsets[rows].tolist(), offsets[rows + 1].tolist()
    pieces: list[bytes | memoryview] = []
    at, view = 0, memoryview(data)  # type: ignore[arg-type]  # numpy's stubs miss its buffer protocol
    for start, end, value in zip(starts, ends, encoded):
        pieces += (view[at:start], value)
        at = end
    pieces.append(view[at:])
    grown = np.zeros(len(offsets), np.int64)
    grown[rows + 1] = np.array([len(e) for e in encoded]) - (offsets[rows + 1] - offsets[rows])
    return (offsets + np.cumsum(grown)).astype(np.int32), b"".join(pieces)


def _joined(column: Bytes) -> bytes:
    """The strings of a column, each followed by a NUL."""
    offsets, data = column
    count = len(offsets) - 1
    joined = np.zeros(len(data) + count, np.uint8)
    text = np.ones(len(joined), bool)
    text[offsets[1:] + np.arange(count, dtype=np.int32)] = False
    joined[text] = np.frombuffer(data, np.uint8)
    return joined.tobytes()


def _split(joined: bytes) -> Bytes:
    """The column of _joined bytes."""
    ends = np.flatnonzero(np.frombuffer(joined, np.uint8) == _END).astype(np.int32)
    offsets = np.zeros(len(ends) + 1, np.int32)
    offsets[1:] = ends - np.arange(len(ends), dtype=np.int32)
    return offsets, joined.translate(None, b"\0")
