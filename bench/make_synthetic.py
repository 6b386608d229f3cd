"""Make a large corpus from the dev corpus: copies of every digest with fresh arXiv IDs.

    python bench/make_synthetic.py [DEV_FOLDER] [OUT_FOLDER] [--copies 7] [--renamed 0.5] [--jobs N]

`--copies 7` gives a corpus the size of the whole cs.CV archive (192,941 records, 340 MB);
`--copies 91` one the size of all of arXiv (2.5M records, 4.4 GB).

Copy 0 is the dev corpus as it is. In every later copy each paper gets an ID of its own, the
same wherever the paper appears (its record, and `arxiv.org/abs/...` links to it in other
records): new-style IDs from year 50 on (`5001.00001`, `5001.00002`, ...), which are valid
(five-digit numbers, months 01-12) and can be no real paper's, 60M of them, enough for 2,000
copies. About `--renamed` of the author names in a copy get a per-copy suffix word of letters
(`Jane Doe Qb`), so authors overlap across copies as they do across years (the real archive has
~256k authors for 192k papers); letters, not digits, because a digit in a name is debris that
the name cleaner works on, and real names almost never have it (0.4% of the dev corpus's
author tokens take the cleaner's slow path; with `S1` suffixes 43% did). Titles, abstracts,
links and categories are kept, so per-record parsing cost and triples per paper match real data.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import multiprocessing
import re
from pathlib import Path

# A paper's own ID in its record, and links to papers in other records: `arxiv.org/abs/ID` + version.
_ABS_ID = re.compile(r"(arxiv\.org/abs/)(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)")
_AUTHORS = re.compile(r"^(- \*\*Authors\*\*: )(.*)$", re.M)
_NUMBERS = 99_999  # five-digit numbers per month
_FIRST_YEAR = 50


def paper_key(identifier: str) -> str:
    """One key per paper: an old-style ID's subject class is not part of it (math.GT/0309136)."""
    archive, slash, number = identifier.partition("/")
    return f"{archive.split('.')[0]}/{number}" if slash else identifier


def fresh_id(n: int) -> str:
    """The n-th (0-based) ID of the synthetic range: 5001.00001, 5001.00002, ..."""
    month_index, number = divmod(n, _NUMBERS)
    year, month = divmod(month_index, 12)
    if _FIRST_YEAR + year > 99:
        raise ValueError("more papers than synthetic IDs (60M)")
    return f"{_FIRST_YEAR + year:02d}{month + 1:02d}.{number + 1:05d}"


def renamed(name: str, copy: int, share: float) -> str:
    digest = hashlib.blake2b(f"{copy}:{name}".encode(), digest_size=2).digest()
    return f"{name} Q{_letters(copy)}" if int.from_bytes(digest, "big") < share * 65536 else name


def _letters(n: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "ba": a copy number as a word of letters."""
    word = ""
    while True:
        n, digit = divmod(n, 26)
        word = chr(ord("a") + digit) + word
        if n == 0:
            return word


def transform(text: str, copy: int, share: float, papers: dict[str, int]) -> str:
    """A digest's text as copy `copy` has it; `papers` numbers every paper key of the dev corpus."""
    if copy == 0:
        return text
    offset = (copy - 1) * len(papers)
    text = _ABS_ID.sub(lambda m: f"{m[1]}{fresh_id(offset + papers[paper_key(m[2])])}{m[3]}", text)
    return _AUTHORS.sub(lambda m: m[1] + ", ".join(renamed(n.strip(), copy, share)
                                                   for n in m[2].split(",")), text)


def number_papers(texts: list[str]) -> dict[str, int]:
    keys = {paper_key(m[2]) for text in texts for m in _ABS_ID.finditer(text)}
    return {key: i for i, key in enumerate(sorted(keys))}


def write_copy(copy: int, dev: Path, out: Path, files: list[Path], texts: list[str], share: float,
               papers: dict[str, int]) -> None:
    for f, text in zip(files, texts):
        target = out / f"copy{copy}" / f.relative_to(dev)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(transform(text, copy, share, papers), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dev", nargs="?", default="/tmp/corpus/cs.CV")
    ap.add_argument("out", nargs="?", default="/tmp/synthetic/cs.CV")
    ap.add_argument("--copies", type=int, default=7)
    ap.add_argument("--renamed", type=float, default=0.5)
    ap.add_argument("--jobs", type=int, default=2, help="copies written in parallel")
    args = ap.parse_args()
    dev, out = Path(args.dev), Path(args.out)
    files = sorted(dev.rglob("*.md"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    papers = number_papers(texts)
    write = functools.partial(write_copy, dev=dev, out=out, files=files, texts=texts,
                              share=args.renamed, papers=papers)
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        pool.map(write, range(args.copies), chunksize=1)
    print(f"{args.copies} copies of {len(files):,} files ({len(papers):,} papers) in {out}")


if __name__ == "__main__":
    main()
