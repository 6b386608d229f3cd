"""The KG folder as generations: atomic publish, one writer, cleanup, readers' checks."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph.errors import KGNotFound
from graph.generations import (
    CURRENT,
    GENERATIONS,
    KGBusy,
    KGCorrupt,
    open_current,
    verify,
    writing,
)


def publish(kg: Path, files: dict[str, bytes], **extra) -> str:
    with writing(kg) as draft:
        for name, data in files.items():
            (draft.path / name).parent.mkdir(parents=True, exist_ok=True)
            (draft.path / name).write_bytes(data)
        draft.extra.update(extra)
        return draft.name


def test_publish_makes_current_a_checked_generation(tmp_path):
    name = publish(tmp_path, {"a.parquet": b"aaa", "sub/b.txt": b"b"}, store={"triples": 7})
    gen = open_current(tmp_path)
    assert gen.name == name == "g000001"
    assert os.readlink(tmp_path / CURRENT) == f"{GENERATIONS}/g000001"
    assert gen.manifest["files"]["a.parquet"]["size"] == 3
    assert set(gen.manifest["files"]) == {"a.parquet", "sub/b.txt"}
    assert gen.manifest["store"] == {"triples": 7}
    assert verify(gen) == []
    gen.close()


def test_a_failed_write_publishes_nothing_and_leaves_no_draft(tmp_path):
    publish(tmp_path, {"a": b"old"})
    with pytest.raises(RuntimeError), writing(tmp_path) as draft:
        (draft.path / "a").write_bytes(b"new")
        raise RuntimeError("killed")
    assert (open_current(tmp_path).path / "a").read_bytes() == b"old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".draft")]


_CHILD = textwrap.dedent("""
    import sys, time
    from graph.generations import writing
    with writing(sys.argv[1]) as draft:
        (draft.path / "a").write_bytes(b"half")
        print("inside", flush=True)
        time.sleep(60)
""")


def _writer_inside(kg: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(kg)], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "inside"
    return child


def test_a_killed_writer_leaves_the_old_generation_and_the_next_writer_cleans_up(tmp_path):
    publish(tmp_path, {"a": b"old"})
    child = _writer_inside(tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert (open_current(tmp_path).path / "a").read_bytes() == b"old"
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".draft")]  # left by the kill
    publish(tmp_path, {"a": b"new"})
    assert (open_current(tmp_path).path / "a").read_bytes() == b"new"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".draft")]


def test_a_second_writer_fails_at_once_or_waits(tmp_path):
    child = _writer_inside(tmp_path)
    try:
        with pytest.raises(KGBusy, match="another build or update"):
            publish(tmp_path, {"a": b"x"})
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with writing(tmp_path, wait=True) as draft:  # the lock died with its holder
        (draft.path / "a").write_bytes(b"after")
    assert (open_current(tmp_path).path / "a").read_bytes() == b"after"


def test_old_generations_are_collected_unless_a_reader_holds_them(tmp_path):
    publish(tmp_path, {"a": b"1"})
    held = open_current(tmp_path)  # a reader of g000001
    publish(tmp_path, {"a": b"2"})
    publish(tmp_path, {"a": b"3"})
    names = sorted(os.listdir(tmp_path / GENERATIONS))
    assert names == ["g000001", "g000002", "g000003"]  # g000001 is still being read
    held.close()
    publish(tmp_path, {"a": b"4"})
    assert sorted(os.listdir(tmp_path / GENERATIONS)) == ["g000003", "g000004"]


def test_reuse_links_unchanged_files_and_keeps_their_hash(tmp_path):
    publish(tmp_path, {"big": b"x" * 1000})
    with writing(tmp_path) as draft:
        assert draft.reuse("big")
        assert not draft.reuse("missing")
    gen = open_current(tmp_path)
    assert os.stat(gen.path / "big").st_nlink == 2
    assert verify(gen) == []


def _age(path: Path, seconds: int) -> None:
    """Set the file's mtime `seconds` away from its generation's manifest's."""
    when = os.stat(path.parent / "manifest.json").st_mtime_ns + seconds * 10**9
    os.utime(path, ns=(when, when))


def test_a_linked_file_changed_since_its_generation_was_published_is_hashed_again(tmp_path):
    publish(tmp_path, {"big": b"x" * 1000})
    base = tmp_path / GENERATIONS / "g000001"
    (base / "big").write_bytes(b"y" * 1000)  # same inode, same size: only the mtime tells
    _age(base / "big", +1)
    with writing(tmp_path) as draft:
        draft.reuse("big")
    gen = open_current(tmp_path)
    assert gen.manifest["files"]["big"]["sha256"] == hashlib.sha256(b"y" * 1000).hexdigest()
    assert verify(gen) == []


def test_files_hashed_while_waiting_are_not_read_again_unless_they_changed(tmp_path, monkeypatch):
    import graph.generations as generations

    read: list[str] = []
    sha256_file = generations.sha256_file

    def recording(path: Path, **kwargs) -> str:
        read.append(str(path))
        return sha256_file(path, **kwargs)

    monkeypatch.setattr(generations, "sha256_file", recording)
    with writing(tmp_path) as draft:
        for name in ("done", "grows", "store/db", ".store.x1.tmp/sst", ".done.x2.tmp"):
            (draft.path / name).parent.mkdir(parents=True, exist_ok=True)
            (draft.path / name).write_bytes(name.encode())
        draft.hash_written(skip=["store", "done"])
        assert read == [str(draft.path / "grows")]  # the skipped names and their temporaries are left
        with open(draft.path / "grows", "ab") as fh:
            fh.write(b" and more")  # written after it was hashed
        read.clear()
    assert sorted(os.path.relpath(p, draft.path) for p in read) == [
        ".done.x2.tmp", ".store.x1.tmp/sst", "done", "grows", "store/db"]
    gen = open_current(tmp_path)
    assert gen.manifest["files"]["grows"]["sha256"] == hashlib.sha256(b"grows and more").hexdigest()
    assert verify(gen) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name synced files")
def test_publishing_syncs_every_file_and_folder_the_draft_wrote_and_no_linked_file(tmp_path, monkeypatch):
    publish(tmp_path, {"old": b"o" * 100})
    _age(tmp_path / GENERATIONS / "g000001" / "old", -1)
    synced: list[str] = []
    fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    with writing(tmp_path) as draft:
        assert draft.reuse("old")
        (draft.path / "sub").mkdir()
        (draft.path / "sub" / "new").write_bytes(b"n")
        folder = str(draft.path)
    inside = {os.path.relpath(p, folder) for p in synced if p.startswith(folder)}
    assert {".", "sub", "sub/new", "manifest.json"} <= inside
    assert "old" not in inside
    assert verify(open_current(tmp_path)) == []


@pytest.mark.parametrize("damage, message", [
    (lambda g: (g / "a").write_bytes(b"tampered, longer"), "a in generation g000001 has 16 bytes, the manifest says 3"),
    (lambda g: (g / "a").unlink(), "a is missing from generation g000001"),
    (lambda g: (g / "manifest.json").write_bytes(b"{"), "manifest.json is damaged"),
])
def test_readers_refuse_a_generation_that_does_not_match_its_manifest(tmp_path, damage, message):
    publish(tmp_path, {"a": b"abc"})
    damage(tmp_path / GENERATIONS / "g000001")
    with pytest.raises(KGCorrupt, match=message) as info:
        open_current(tmp_path)
    assert "rebuild with `arxiv-kg build <digests> --out" in str(info.value)
    assert "\n" not in str(info.value)


def test_no_kg_and_an_old_flat_kg_are_named(tmp_path):
    with pytest.raises(KGNotFound, match="no knowledge graph here"):
        open_current(tmp_path)
    (tmp_path / "papers.jsonl").write_text("{}")
    with pytest.raises(KGNotFound, match="older arxiv-kg without generations"):
        open_current(tmp_path)


def test_a_reader_racing_writers_sees_whole_generations(tmp_path):
    publish(tmp_path, {"a": b"0", "b": b"0"})
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys
        from graph.generations import writing
        for i in range(1, 40):
            with writing(sys.argv[1], wait=True) as d:
                (d.path / "a").write_bytes(str(i).encode())
                (d.path / "b").write_bytes(str(i).encode())
    """), str(tmp_path)])
    seen = set()
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        gen = open_current(tmp_path)
        a, b = (gen.path / "a").read_bytes(), (gen.path / "b").read_bytes()
        gen.close()
        assert a == b  # never one file from one generation and one from another
        seen.add(a)
    assert child.wait() == 0
    assert len(seen) > 1
