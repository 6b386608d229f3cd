"""parse -> normalise -> merge: from digest files to a Corpus."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from graph.gcpause import paused_gc
from graph.ingest.merge import merge_records
from graph.ingest.names import variant_groups
from graph.ingest.normalise import normalise
from graph.ingest.parse import Source, expand_inputs, parse_bytes, read_digest
from graph.model.records import Corpus, Notice, RawRecord, Record, Rejected, SourceFile

Progress = Callable[[Iterable[Source], int], Iterable[Source]]


def _no_progress(files: Iterable[Source], total: int) -> Iterable[Source]:
    return files


def read_corpus(inputs: Iterable[str], progress: Progress = _no_progress) -> Corpus:
    """Read every digest under `inputs`; bad files and records become `rejected` entries."""
    with paused_gc():
        return _read(inputs, progress)


def _read(inputs: Iterable[str], progress: Progress) -> Corpus:
    files, rejected = expand_inputs(inputs)
    records: list[Record] = []
    sources: list[SourceFile] = []
    notices = [Notice(f.label, 0, f.note) for f in files if f.note]
    controls = 0
    for source in progress(files, len(files)):
        data = read_digest(source)
        if isinstance(data, Rejected):
            rejected.append(data)
            continue
        kept, before = len(records), len(rejected)
        for item in parse_bytes(data, source.label):
            if isinstance(item, RawRecord):
                controls += item.controls
                item = normalise(item)
            (rejected if isinstance(item, Rejected) else records).append(item)
        sources.append(SourceFile(source.label, len(data), hashlib.sha256(data).hexdigest(),
                                  len(records) - kept, len(rejected) - before))
    papers, authors = merge_records(records)
    notices.extend(n for r in records for n in r.notices)
    return Corpus(papers=papers, authors=authors, variants=variant_groups(authors),
                  rejected=tuple(sorted(rejected, key=lambda r: (r.file, r.line, r.reason))),
                  files=len(files), records=len(records), sources=tuple(sources),
                  notices=tuple(sorted(notices, key=lambda n: (n.file, n.line, n.message))),
                  controls_removed=controls)

