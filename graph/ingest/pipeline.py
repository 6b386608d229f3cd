"""parse -> normalise, one digest file at a time: what an ingest worker does with each file."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph.ingest.normalise import Normalised, as_record, normalise_flat
from graph.ingest.parse import Source, parse_bytes, read_digest
from graph.model.records import Notice, RawRecord, Record, Rejected, SourceFile

R = TypeVar("R", Record, Normalised)


@dataclass(frozen=True, slots=True)
class FileRead(Generic[R]):
    """What one digest gave: its good records, its problems, and the file's own row
    (None when the file could not be read at all)."""

    records: tuple[R, ...]
    rejected: tuple[Rejected, ...]
    source: SourceFile | None
    notices: tuple[Notice, ...] = ()  # records and files kept with a warning
    controls: int = 0  # C0 control characters removed from its records


def read_file(source: Source) -> FileRead[Record]:
    """Parse and normalise one digest; bad records and files become `rejected` entries."""
    read = read_flat(source)
    return FileRead(tuple(map(as_record, read.records)), read.rejected, read.source, read.notices, read.controls)


def read_flat(source: Source) -> FileRead[Normalised]:
    """`read_file` with each record's values flat (graph.ingest.normalise.Normalised), as the
    ingest workers stage them."""
    data = read_digest(source)
    if isinstance(data, Rejected):
        return FileRead((), (data,), None, (Notice(source.label, 0, source.note),) if source.note else ())
    records: list[Normalised] = []
    rejected: list[Rejected] = []
    notices = [Notice(source.label, 0, source.note)] if source.note else []
    controls = 0
    for item in parse_bytes(data, source.label):
        if isinstance(item, RawRecord):
            controls += item.controls
        done = normalise_flat(item) if isinstance(item, RawRecord) else item
        if isinstance(done, Rejected):
            rejected.append(done)
        else:
            records.append(done)
    notices.extend(n for r in records for n in r.notices)
    return FileRead(tuple(records), tuple(rejected),
                    SourceFile(source.label, len(data), hashlib.sha256(data).hexdigest(),
                               len(records), len(rejected)), tuple(notices), controls)
