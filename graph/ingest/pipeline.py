"""parse -> normalise, one digest file at a time: what an ingest worker does with each file."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from graph.ingest.normalise import normalise
from graph.ingest.parse import Source, parse_bytes, read_digest
from graph.model.records import RawRecord, Record, Rejected, SourceFile


@dataclass(frozen=True, slots=True)
class FileRead:
    """What one digest gave: its good records, its problems, and the file's own row
    (None when the file could not be read at all)."""

    records: tuple[Record, ...]
    rejected: tuple[Rejected, ...]
    source: SourceFile | None


def read_file(source: Source) -> FileRead:
    """Parse and normalise one digest; bad records and files become `rejected` entries."""
    data = read_digest(source)
    if isinstance(data, Rejected):
        return FileRead((), (data,), None)
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in parse_bytes(data, source.label):
        result = normalise(item) if isinstance(item, RawRecord) else item
        (rejected if isinstance(result, Rejected) else records).append(result)
    return FileRead(tuple(records), tuple(rejected),
                    SourceFile(source.label, len(data), hashlib.sha256(data).hexdigest(),
                               len(records), len(rejected)))
