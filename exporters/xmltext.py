"""Text for XML exports: sanitising, escaping, and typed attribute columns.

XML 1.0 forbids most C0 control characters, U+FFFE, U+FFFF and (being UTF-8 encoded)
lone surrogates; a single one makes the whole file malformed, so every string that reaches
an XML writer goes through :func:`clean` (values) or :func:`clean_id` (identifiers).

The second half turns networkx attribute dicts into typed columns, shared by the GraphML
and GEXF writers so that both encode values identically:

* ``None``, empty strings, empty sequences and non-finite floats are *absent* (no value
  is written), so no key is ever empty-valued.
* ``bool`` -> boolean, ``int`` -> int (long beyond 32 bits), ``float`` -> double,
  anything else -> string. A column that mixes numbers is widened to the widest number
  type; any other mix becomes string.
* tuples, lists and sets become one string, their items joined with ``;`` (sets sorted).
  Items that contain ``;`` themselves cannot be told apart after joining.

Nodes and edges are written in id order (:func:`sorted_nodes`, :func:`sorted_edges`) so that
the same graph gives byte-identical files whatever order it was built in; :class:`TextSink`
streams the text out.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import networkx as nx

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ONLY_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]*")
LIST_SEPARATOR = ";"
_INT32 = 2**31
_INT64 = 2**63


def clean(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry."""
    # Every forbidden character is non-printable, so printable text (most of it) skips the regex.
    return text if text.isprintable() else FORBIDDEN.sub("", text)


def clean_id(text: str) -> str:
    """Make an identifier XML-safe while keeping distinct ids distinct (escape, don't drop)."""
    return text if text.isprintable() else FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def attr(value: str) -> str:
    """A quoted, escaped attribute value (quotes included)."""
    return quote(clean(value))


# --- typed columns -------------------------------------------------------------------

_NUMERIC_RANK = {"int": 0, "long": 1, "double": 2}
_SEQUENCES = (tuple, list, set, frozenset)


@dataclass(frozen=True, slots=True)
class Column:
    """One attribute as written: `name` in the graph, `title` in the file, `key` its XML id."""

    name: str
    title: str
    key: str
    kind: str  # "boolean", "int", "long", "double" or "string"


def value_kind(value: Any) -> str | None:
    """The column type a value needs, or None when the value is absent."""
    t = type(value)
    if t is str:
        return None if _ONLY_FORBIDDEN.fullmatch(value) else "string"
    if t is int or t is not bool and isinstance(value, int):
        return "int" if -_INT32 <= value < _INT32 else "long" if -_INT64 <= value < _INT64 else "string"
    if t is bool:
        return "boolean"
    if t is float or isinstance(value, float):
        return "double" if math.isfinite(value) else None
    if value is None:
        return None
    if isinstance(value, _SEQUENCES):
        for item in value:
            if value_kind(item):
                return "string"
        return None
    if isinstance(value, str):
        return None if _ONLY_FORBIDDEN.fullmatch(value) else "string"
    return "string"


def merge_kinds(a: str | None, b: str | None) -> str | None:
    if a is None or a == b:
        return b
    if b is None:
        return a
    if a in _NUMERIC_RANK and b in _NUMERIC_RANK:
        return max(a, b, key=_NUMERIC_RANK.__getitem__)
    return "string"


def encode(value: Any, kind: str) -> str | None:
    """The cleaned text of `value` in a column of type `kind`; None when absent."""
    t = type(value)
    if t is str:  # the common case first: most values are text
        return clean(value) or None
    if value is None:
        return None
    if kind == "double" and t is not bool:
        return repr(float(value)) if math.isfinite(value) else None
    out = _text_of(value)
    return (clean(out) or None) if out is not None else None


def _text_of(value: Any) -> str | None:
    """Text of one value, or None when absent; sequences are joined with LIST_SEPARATOR."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, _SEQUENCES):
        items = [t for t in map(_text_of, value) if t]
        if isinstance(value, (set, frozenset)):
            items.sort()
        return LIST_SEPARATOR.join(items) or None
    return str(value)


def escape_text(value: str) -> str:
    """Escape already-clean element content.

    CR becomes a character reference: parsers turn a raw CR into LF (XML 1.0 section 2.11).
    """
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def quote(value: str) -> str:
    """Quote and escape an already-clean attribute value; whitespace survives normalisation."""
    out = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    if "\n" in out or "\r" in out or "\t" in out:
        out = out.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return f'"{out}"'


def infer_kinds(rows: Iterable[Mapping[str, Any]], skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """One pass over attribute dicts: attribute name -> column type (absent-only names omitted)."""
    kinds: dict[str, str | None] = {}
    for row in rows:
        for name, value in row.items():
            if name not in skip:
                kinds[name] = merge_kinds(kinds.get(name), value_kind(value))
    return {name: kind for name, kind in kinds.items() if kind is not None}


def encoded(data: Mapping[str, Any], columns: Mapping[str, Column]) -> list[tuple[Column, str]]:
    """(column, clean text) for each value of `data` that has a column and is present.

    Iterates the row's own attributes, not every column: most nodes carry a few of many.
    The order is the columns' order (both sorted by name).
    """
    out = []
    for name in sorted(data, key=str):
        col = columns.get(name)
        if col is not None:
            value = encode(data[name], col.kind)
            if value is not None:
                out.append((col, value))
    return out


def make_columns(kinds: Mapping[str, str], *, reserved: frozenset[str], key_prefix: str,
                 used_keys: set[str], token_titles: bool = False) -> list[Column]:
    """Columns sorted by name; reserved names get a ``_value`` suffix, keys stay unique.

    With `token_titles`, titles are NMTOKENs like keys (GraphML's ``attr.name`` must be one).
    """
    columns = []
    titles: set[str] = set()
    for name in sorted(kinds, key=str):
        base = _nmtoken(str(name)) if token_titles else str(name)
        title = _unique(f"{base}_value" if base.lower() in reserved else base, titles)
        key = _unique(key_prefix + _nmtoken(title), used_keys)
        columns.append(Column(name=name, title=title, key=key, kind=kinds[name]))
    return columns


def _nmtoken(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


def _unique(candidate: str, used: set[str]) -> str:
    out, n = candidate, 1
    while out in used:
        n += 1
        out = f"{candidate}_{n}"
    used.add(out)
    return out


def node_label(node: Any, data: Mapping[str, Any]) -> str:
    """Every node gets a non-empty label: its own, else its id."""
    label = encode(data.get("label"), "string")
    return label if label else clean(str(node)) or clean_id(str(node))


def node_type(data: Mapping[str, Any]) -> str:
    return encode(data.get("type"), "string") or "Node"


class TextSink:
    """Collect text and write it as UTF-8 in large chunks (one encode per ~64 KiB)."""

    def __init__(self, fh: BinaryIO, chunk: int = 1 << 16) -> None:
        self._fh = fh
        self._parts: list[str] = []
        self._size = 0
        self._chunk = chunk

    def write(self, s: str) -> None:
        self._parts.append(s)
        self._size += len(s)
        if self._size >= self._chunk:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._fh.write("".join(self._parts).encode("utf-8"))
            self._parts.clear()
            self._size = 0


# --- deterministic order ---------------------------------------------------------------

def quoted_ids(nodes: Iterable[Any]) -> dict[Any, str]:
    """Node -> its quoted XML id, computed once rather than at every edge end."""
    return {n: quote(clean_id(str(n))) for n in nodes}


# --- NMTOKEN ids (GraphML) ---------------------------------------------------------------

# ASCII only: validators differ on which non-ASCII characters a name may hold (XML 1.0's
# 4th and 5th editions list different ones); ASCII letters and digits they all accept.
_NMTOKEN_SAFE = re.compile(r"[^A-Za-z0-9.:-]")


def nmtoken(text: str) -> str:
    """`text` as an ASCII xs:NMTOKEN, reversibly: every other character is written ``_HEX_``.

    ``author:a v subramanyam`` -> ``author:a_20_v_20_subramanyam``. ``_`` itself is escaped
    (``_5F_``), so a ``_`` always opens an escape and distinct texts stay distinct. The empty
    text gives "" (not a NMTOKEN): :func:`nmtoken_ids` gives it one.
    """
    return _NMTOKEN_SAFE.sub(lambda m: f"_{ord(m.group()):02X}_", text)


def nmtoken_ids(nodes: Iterable[Any]) -> dict[Any, str]:
    """Node -> a unique NMTOKEN id: :func:`nmtoken` of its text.

    Nodes whose texts are equal (1 and "1"), or empty, get ``_x2``, ``_x3``... appended
    (``_x1`` for the first empty one). No text encodes to such an id: after a whole
    encoding a ``_`` opens an escape, and ``x`` is no hex digit.
    """
    ids: dict[Any, str] = {}
    taken: set[str] = set()
    for n in nodes:
        base = nmtoken(str(n))
        token, k = base or "_x1", 1
        while token in taken:
            k += 1
            token = f"{base}_x{k}"
        taken.add(token)
        ids[n] = token
    return ids


def sorted_nodes(graph: nx.Graph) -> list[Any]:
    """Nodes by id text, so the output does not depend on insertion order."""
    return sorted(graph, key=str)


def sorted_edges(graph: nx.Graph, nodes: list[Any]) -> Iterator[tuple[Any, Any, dict]]:
    """Edges sorted by (source, target) without materialising the whole edge list.

    Undirected edges come once, oriented from the smaller id to the larger one.
    """
    directed = graph.is_directed()
    for u in nodes:
        su = str(u)
        neighbours = graph.adj[u]
        for v in sorted(neighbours, key=str):
            if directed or su <= str(v):
                yield u, v, neighbours[v]
