"""Choose the columnar engine by measuring: DuckDB, polars and pyarrow compute, in one run.

    python bench/bench_engines.py [DIGEST_FOLDER] [--runs 3] [--jobs N]

Stages the folder (graph.tables.ingest, as `arxiv-kg build` does) and builds its authorships
table once, then times two jobs in each engine, each in a fresh child process (so that peak RSS
is the job's own), best wall of `--runs`:
- merge: the build's work on the staging files: each paper's winning record (newest version,
  then updated, then earliest file and line), its versions and sources lists; the winners'
  authorships unnested with positions; one row per author key with its spellings ranked by
  frequency (ties: smallest), the display name and the number of distinct papers;
- self-join: the co-author edge table from authorships (arxiv_id, author_key): one row per
  pair of authors (a < b) with their number of joint papers.
Every engine's result is checked against DuckDB's (same rows), so the race is fair.
polars is needed only here: `pip install polars`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ENGINES = ("duckdb", "polars", "pyarrow")
JOBS = ("merge", "self-join")
_WIN_ORDER = ("version DESC, updated_text DESC, file, line, input")


# --- DuckDB ----------------------------------------------------------------------------------

def duckdb_merge(staging: str) -> dict[str, pa.Table]:
    import duckdb
    con = duckdb.connect()
    con.execute(f"CREATE VIEW staging AS SELECT * FROM read_parquet('{staging}/*.parquet')")
    con.execute(f"""CREATE TEMP TABLE winners AS SELECT arxiv_id,
        first({{'input': input, 'line': line}} ORDER BY {_WIN_ORDER}) AS won,
        list_sort(list_distinct(list(version))) AS versions,
        list(file || ':' || line ORDER BY file, line) AS sources
        FROM staging GROUP BY arxiv_id""")
    con.execute("""CREATE TEMP TABLE authorships AS
        SELECT r.arxiv_id, generate_subscripts(r.authorships, 1) AS position,
               unnest(r.authorships, recursive := true)
        FROM staging r SEMI JOIN winners w ON r.input = w.won.input AND r.line = w.won.line""")
    authors = con.sql("""
        WITH spelled AS (SELECT author_key AS key, name, count(*) AS n FROM authorships GROUP BY ALL),
             ranked AS (SELECT key, list(name ORDER BY n DESC, name) AS spellings FROM spelled GROUP BY key),
             counted AS (SELECT author_key AS key, count(DISTINCT arxiv_id) AS papers
                         FROM authorships GROUP BY key)
        SELECT key, spellings[1] AS name, spellings, papers FROM ranked JOIN counted USING (key)""")
    authors = authors.to_arrow_table()
    winners = con.sql("SELECT arxiv_id, won.input AS input, won.line AS line, versions, sources "
                      "FROM winners").to_arrow_table()
    return {"winners": winners, "authorships": con.sql("SELECT * FROM authorships").to_arrow_table(),
            "authors": authors}


def duckdb_self_join(authorships: str) -> pa.Table:
    import duckdb
    return duckdb.connect().sql(f"""
        WITH a AS (SELECT arxiv_id, author_key FROM read_parquet('{authorships}'))
        SELECT x.author_key AS a, y.author_key AS b, count(*) AS papers
        FROM a x JOIN a y ON x.arxiv_id = y.arxiv_id AND x.author_key < y.author_key
        GROUP BY ALL""").to_arrow_table()


# --- polars ----------------------------------------------------------------------------------

def polars_merge(staging: str) -> dict[str, pa.Table]:
    import polars as pl
    lf = pl.scan_parquet(f"{staging}/*.parquet")
    winners = lf.group_by("arxiv_id").agg(
        pl.col("input").sort_by(["version", "updated_text", "file", "line", "input"],
                                descending=[True, True, False, False, False]).first(),
        pl.col("line").sort_by(["version", "updated_text", "file", "line", "input"],
                               descending=[True, True, False, False, False]).first(),
        pl.col("version").unique().sort().alias("versions"),
        pl.concat_str([pl.col("file"), pl.col("line").cast(pl.String)], separator=":")
        .sort_by(["file", "line"]).alias("sources"),
    ).collect()
    authorships = (lf.join(winners.lazy().select("input", "line"), on=["input", "line"], how="semi")
                   .select("arxiv_id", "authorships")
                   .with_columns(pl.int_ranges(1, pl.col("authorships").list.len() + 1).alias("position"))
                   .explode(["authorships", "position"]).unnest("authorships").collect())
    spelled = authorships.group_by("author_key", "name").len()
    ranked = (spelled.sort(["author_key", "len", "name"], descending=[False, True, False])
              .group_by("author_key", maintain_order=True).agg(pl.col("name").alias("spellings")))
    counted = authorships.group_by("author_key").agg(pl.col("arxiv_id").n_unique().alias("papers"))
    authors = (ranked.join(counted, on="author_key")
               .select(pl.col("author_key").alias("key"), pl.col("spellings").list.first().alias("name"),
                       "spellings", "papers"))
    return {"winners": winners.to_arrow(), "authorships": authorships.to_arrow(),
            "authors": authors.to_arrow()}


def polars_self_join(authorships: str) -> pa.Table:
    import polars as pl
    a = pl.scan_parquet(authorships).select("arxiv_id", "author_key")
    return (a.join(a, on="arxiv_id", suffix="_b").filter(pl.col("author_key") < pl.col("author_key_b"))
            .group_by("author_key", "author_key_b").len().collect().to_arrow())


# --- pyarrow compute -------------------------------------------------------------------------

def pyarrow_merge(staging: str) -> dict[str, pa.Table]:
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    data = ds.dataset(staging, format="parquet")
    keys = data.to_table(columns=["input", "file", "line", "updated_text", "arxiv_id", "version"])
    ranked = keys.sort_by([("arxiv_id", "ascending"), ("version", "descending"),
                           ("updated_text", "descending"), ("file", "ascending"), ("line", "ascending"),
                           ("input", "ascending")])
    # Ordered aggregations (first, list) need one thread; the groups still come out in no
    # particular order, so each result is sorted by its key before they are lined up.
    won = (ranked.group_by("arxiv_id", use_threads=False).aggregate([("input", "first"), ("line", "first")])
           .sort_by("arxiv_id"))
    # "distinct" does not keep the sorted order (seen once in 187k papers): de-duplicate first.
    by_version = (keys.group_by(["arxiv_id", "version"]).aggregate([])
                  .sort_by([("arxiv_id", "ascending"), ("version", "ascending")]))
    versions = (by_version.group_by("arxiv_id", use_threads=False).aggregate([("version", "list")])
                .sort_by("arxiv_id"))
    by_source = keys.sort_by([("arxiv_id", "ascending"), ("file", "ascending"), ("line", "ascending")])
    by_source = by_source.append_column("source", pc.binary_join_element_wise(
        by_source["file"], pc.cast(by_source["line"], pa.string()), ":"))
    sources = (by_source.group_by("arxiv_id", use_threads=False).aggregate([("source", "list")])
               .sort_by("arxiv_id"))
    # Arrow's join takes no list columns: the three results line up by their sorted keys.
    winners = pa.table({"arxiv_id": won["arxiv_id"], "input": won["input_first"],
                        "line": won["line_first"], "versions": versions["version_list"],
                        "sources": sources["source_list"]})
    records = data.to_table(columns=["input", "line", "arxiv_id", "authorships"])
    # Arrow's join carries no list columns: join the keys with row numbers, then take the rows.
    numbered = records.select(["input", "line"]).append_column("row", pa.array(np.arange(len(records))))
    chosen = records.take(numbered.join(winners.select(["input", "line"]), ["input", "line"],
                                        join_type="left semi")["row"])
    lists = chosen["authorships"].combine_chunks()
    parents = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    offsets = lists.offsets.to_numpy()
    position = np.arange(len(flat)) - np.repeat(offsets[:-1] - offsets[0], np.diff(offsets)) + 1
    authorships = pa.table({"arxiv_id": pc.take(chosen["arxiv_id"], parents),
                            "position": pa.array(position, pa.int64()),
                            "author_key": flat.field("author_key"), "name": flat.field("name")})
    spelled = authorships.group_by(["author_key", "name"]).aggregate([([], "count_all")])
    ranked_names = spelled.sort_by([("author_key", "ascending"), ("count_all", "descending"),
                                    ("name", "ascending")])
    spellings = (ranked_names.group_by("author_key", use_threads=False).aggregate([("name", "list")])
                 .sort_by("author_key"))
    counted = (authorships.group_by("author_key").aggregate([("arxiv_id", "count_distinct")])
               .sort_by("author_key"))  # lined up with `spellings`, as above
    authors = pa.table({"key": spellings["author_key"],
                        "name": pc.list_element(spellings["name_list"], 0),
                        "spellings": spellings["name_list"], "papers": counted["arxiv_id_count_distinct"]})
    return {"winners": winners, "authorships": authorships, "authors": authors}


def pyarrow_self_join(authorships: str) -> pa.Table:
    import pyarrow.compute as pc
    a = pq.read_table(authorships, columns=["arxiv_id", "author_key"])
    pairs = a.join(a, "arxiv_id", right_suffix="_b")
    pairs = pairs.filter(pc.less(pairs["author_key"], pairs["author_key_b"]))
    return pairs.group_by(["author_key", "author_key_b"]).aggregate([([], "count_all")])


# --- harness ---------------------------------------------------------------------------------

def fingerprint(tables: dict[str, pa.Table]) -> str:
    """The same for the same rows, whatever the engine's column names, types or row order."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        rows = sorted(json.dumps([row[k] for k in sorted(row)], default=str)
                      for row in tables[name].to_pylist())
        digest.update(name.encode() + "\n".join(rows).encode())
    return digest.hexdigest()[:16]


def child(engine: str, job: str, staging: str, authorships: str) -> dict[str, Any]:
    fn = globals()[f"{engine}_{job.replace('-', '_')}"]
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(staging if job == "merge" else authorships)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tables = result if isinstance(result, dict) else {"edges": result}
    return {"wall": wall, "cpu": cpu, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rows": {name: t.num_rows for name, t in tables.items()}, "check": fingerprint(tables)}


def prepare(folder: str, scratch: Path, jobs: int) -> tuple[str, str]:
    from graph.tables.build import write_kg
    from graph.tables.ingest import stage
    staging = scratch / "staging"
    staging.mkdir()
    found = stage([folder], staging, jobs=jobs)
    write_kg(found, scratch / "kg", jobs=jobs)
    return str(staging), str(scratch / "kg" / "authorships.parquet")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default="/tmp/synthetic/cs.CV")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="workers to stage the folder with")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--prepare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    if args.prepare:
        print(json.dumps(prepare(args.folder, Path(args.prepare), args.jobs)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as scratch:
        # Staged in a child too: Linux keeps a process's peak RSS across exec, so children of a
        # parent that had staged would all report the parent's peak.
        staging, authorships = json.loads(subprocess.run(
            [sys.executable, __file__, args.folder, "--jobs", str(args.jobs), "--prepare", scratch],
            check=True, capture_output=True, text=True).stdout)
        print(f"{args.folder}: {pq.ParquetFile(authorships).metadata.num_rows:,} authorships; "
              f"best wall of {args.runs} fresh processes, CPU and peak RSS of that run")
        for job in JOBS:
            reference = None
            for engine in ENGINES:
                runs = [json.loads(subprocess.run(
                    [sys.executable, __file__, "--child", engine, job, staging, authorships],
                    check=True, capture_output=True, text=True).stdout) for _ in range(args.runs)]
                best = min(runs, key=lambda r: r["wall"])
                reference = reference or best["check"]
                rows = ", ".join(f"{n} {c:,}" for n, c in best["rows"].items())
                print(f"{job:9s} {engine:8s} wall {best['wall']:6.2f} s  cpu {best['cpu']:6.2f} s  "
                      f"peak RSS {best['rss_mb']:6,.0f} MB  {rows}  "
                      f"{'same rows as duckdb' if best['check'] == reference else 'ROWS DIFFER'}")


if __name__ == "__main__":
    main()
