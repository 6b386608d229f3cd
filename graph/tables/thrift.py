"""Thrift's compact protocol, read and written generically: what a Parquet footer (FileMetaData)
is encoded in, so that graph.tables.rowgroups can move a file's row groups and write the
footer Arrow's writer would have written for them.

A struct is read as a tuple of fields (id, type, value), unknown ones included, and written
back the way Apache Thrift's writers do (short field headers where the id delta allows,
short list headers below 15 items), so that decoding and encoding give the same bytes.
pyarrow reads a footer but cannot write one; Thrift's own Python library needs classes
generated from Parquet's IDL, which would drop the fields they do not know.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(1, 13)
_INTS = (I16, I32, I64)


class ThriftError(ValueError):
    """Bytes that are not a compact-protocol struct this module reads."""


@dataclass(frozen=True)
class Field:
    id: int
    type: int
    value: Any  # int, bytes, Struct, (element type, tuple of values) or None for a bool


Struct = tuple[Field, ...]


def value(struct: Struct, field_id: int, default: Any = None) -> Any:
    for field in struct:
        if field.id == field_id:
            return field.value
    return default


def with_values(struct: Struct, values: dict[int, Any]) -> Struct:
    """`struct` with the value of the fields in `values` replaced (fields it lacks stay absent)."""
    return tuple(replace(f, value=values[f.id]) if f.id in values else f for f in struct)


def decode(data: bytes) -> Struct:
    reader = _Reader(data)
    struct = reader.struct()
    if reader.pos != len(data):
        raise ThriftError(f"{len(data) - reader.pos} bytes after the struct")
    return struct


def encode(struct: Struct) -> bytes:
    out = bytearray()
    _write_struct(out, struct)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ThriftError("truncated")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def integer(self) -> int:
        z = self.varint()
        return (z >> 1) ^ -(z & 1)

    def struct(self) -> Struct:
        fields: list[Field] = []
        last = 0
        while (header := self.byte()) != 0:
            kind, delta = header & 0x0F, header >> 4
            last = last + delta if delta else self.integer()
            fields.append(Field(last, kind, None if kind in (TRUE, FALSE) else self.value(kind)))
        return tuple(fields)

    def value(self, kind: int) -> Any:
        if kind in _INTS:
            return self.integer()
        if kind in (BYTE, TRUE, FALSE):  # a bool in a list is a byte
            return self.byte()
        if kind in (DOUBLE, BINARY):
            size = 8 if kind == DOUBLE else self.varint()
            self.pos += size
            if self.pos > len(self.data):
                raise ThriftError("truncated")
            return self.data[self.pos - size:self.pos]
        if kind in (LIST, SET):
            header = self.byte()
            size = header >> 4 if header >> 4 != 15 else self.varint()
            return header & 0x0F, tuple(self.value(header & 0x0F) for _ in range(size))
        if kind == STRUCT:
            return self.struct()
        raise ThriftError(f"type {kind} is not read here")  # maps: not in Parquet's footer


def _write_struct(out: bytearray, struct: Iterable[Field]) -> None:
    last = 0
    for field in struct:
        delta = field.id - last
        if 0 < delta <= 15:
            out.append(delta << 4 | field.type)
        else:
            out.append(field.type)
            _write_varint(out, _zigzag(field.id))
        if field.type not in (TRUE, FALSE):
            _write_value(out, field.type, field.value)
        last = field.id
    out.append(0)


def _write_value(out: bytearray, kind: int, item: Any) -> None:
    if kind in _INTS:
        _write_varint(out, _zigzag(item))
    elif kind in (BYTE, TRUE, FALSE):
        out.append(item)
    elif kind == DOUBLE:
        out += item
    elif kind == BINARY:
        _write_varint(out, len(item))
        out += item
    elif kind in (LIST, SET):
        element, items = item
        if len(items) < 15:
            out.append(len(items) << 4 | element)
        else:
            out.append(0xF0 | element)
            _write_varint(out, len(items))
        for each in items:
            _write_value(out, element, each)
    elif kind == STRUCT:
        _write_struct(out, item)
    else:
        raise ThriftError(f"type {kind} is not written here")


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _write_varint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
