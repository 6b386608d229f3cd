"""graph.tables.rowgroups: a file written again with rows withdrawn and added, copying the row
groups that did not change, is byte for byte what persist.write_batches writes for the new
rows; graph.tables.thrift reads and writes a footer back to the same bytes."""
from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.tables import persist, rowgroups, thrift

SCHEMA = pa.schema([pa.field("key", pa.string(), nullable=False),
                    pa.field("tags", pa.list_(pa.string()), nullable=False),
                    pa.field("n", pa.int64()), pa.field("odd", pa.bool_())])  # no dictionary


def table(keys: list[int], revised: frozenset[int] = frozenset()) -> pa.Table:
    return pa.Table.from_pylist([{"key": f"k{k:04d}", "tags": [f"t{k % 3}"] * (k % 4),
                                  "n": None if k % 5 == 0 else k * 7 + 1000 * (k in revised),
                                  "odd": k % 2 == 1}
                                 for k in keys], schema=SCHEMA)


def footer(path: Path) -> bytes:
    data = path.read_bytes()
    return data[-8 - int.from_bytes(data[-8:-4], "little"):-8]


@settings(max_examples=80, deadline=None)
@given(st.sets(st.integers(0, 200), max_size=80), st.data())
def test_a_rewrite_is_the_whole_file_written_again(tmp_path_factory, keys, data):
    """Rows withdrawn, added and revised (same key, another row: the groups after it keep
    their rows but move)."""
    folder = tmp_path_factory.mktemp("rg")
    old_keys = sorted(keys)
    dropped = data.draw(st.sets(st.sampled_from(old_keys))) if old_keys else set()
    revised = frozenset(data.draw(st.sets(st.sampled_from(old_keys))) if old_keys else set()) - dropped
    added = data.draw(st.sets(st.integers(0, 200).filter(lambda k: k not in keys), max_size=20))
    merged = sorted((keys - dropped) | added)
    new = sorted(added | revised)
    source = np.array([-1 - new.index(k) if k in new else old_keys.index(k) for k in merged], np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(persist, "ROW_GROUP", 4)
        persist.write_table(table(old_keys), folder / "old.parquet")
        rowgroups.rewrite(folder / "old.parquet", folder / "new.parquet", SCHEMA, source,
                          table(new, revised))
        persist.write_table(table(merged, revised), folder / "whole.parquet")
    assert (folder / "new.parquet").read_bytes() == (folder / "whole.parquet").read_bytes()


def test_groups_are_copied_and_a_file_of_another_writer_is_written_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(persist, "ROW_GROUP", 4)
    copied: list[int] = []
    write = rowgroups._write
    monkeypatch.setattr(rowgroups, "_write", lambda path, groups, *rest: copied.append(
        sum(isinstance(data, mmap.mmap) for _, data, _ in groups)) or write(path, groups, *rest))
    source = np.array([*range(20), -1], np.int64)  # one row added at the end
    persist.write_table(table(list(range(20))), tmp_path / "ours.parquet")
    pq.write_table(table(list(range(20))), tmp_path / "theirs.parquet", row_group_size=4,
                   compression="snappy")
    persist.write_table(table([*range(20), 500]), tmp_path / "whole.parquet")
    for name in ("ours", "theirs"):
        rowgroups.rewrite(tmp_path / f"{name}.parquet", tmp_path / "new.parquet", SCHEMA, source, table([500]))
        assert (tmp_path / "new.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert copied == [5, 0]  # ours: 5 groups of 4 copied, the 6th encoded; theirs: all encoded


def test_a_footer_decoded_and_encoded_again_has_the_same_bytes(tmp_path):
    persist.write_table(table(list(range(300))), tmp_path / "t.parquet")
    data = footer(tmp_path / "t.parquet")
    struct = thrift.decode(data)
    assert thrift.encode(struct) == data
    assert thrift.value(struct, 3) == 300  # FileMetaData.num_rows
    with pytest.raises(thrift.ThriftError):
        thrift.decode(data[:-3])
