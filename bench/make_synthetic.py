"""Make a corpus the size of the whole cs.CV archive (about 192k records, 340 MB) from the dev corpus.

    python bench/make_synthetic.py [DEV_FOLDER] [OUT_FOLDER] [--copies 7] [--renamed 0.5]

Each copy gets fresh arXiv IDs, and in copies after the first, about `--renamed` of the
author names get a per-copy suffix, so authors overlap across copies as they do across years
(the real archive has ~256k authors for 192k papers). Titles, abstracts, links and categories
are kept, so per-record parsing cost and triples per paper match real data.
"""
from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

_ID = re.compile(r"(arxiv\.org/abs/)(\d{4})\.(\d{4,5})(v\d+)")
_OLD_ID = re.compile(r"(arxiv\.org/abs/[a-z\-]+(?:\.[A-Z]{2})?/)(\d)(\d{6})(v\d+)")
_AUTHORS = re.compile(r"^(- \*\*Authors\*\*: )(.*)$", re.M)


def renamed(name: str, copy: int, share: float) -> str:
    digest = hashlib.blake2b(f"{copy}:{name}".encode(), digest_size=2).digest()
    return f"{name} S{copy}" if int.from_bytes(digest, "big") < share * 65536 else name


def transform(text: str, copy: int, share: float) -> str:
    if copy == 0:
        return text
    # A copy-specific year (50+copy) keeps IDs valid and distinct: 1903.07011 -> 5303.07011.
    text = _ID.sub(lambda m: f"{m[1]}{50 + copy}{m[2][2:]}.{m[3]}{m[4]}", text)
    text = _OLD_ID.sub(lambda m: f"{m[1]}{copy}{m[3]}{m[4]}", text)
    return _AUTHORS.sub(lambda m: m[1] + ", ".join(renamed(n.strip(), copy, share)
                                                   for n in m[2].split(",")), text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dev", nargs="?", default="/tmp/corpus/cs.CV")
    ap.add_argument("out", nargs="?", default="/tmp/synthetic/cs.CV")
    ap.add_argument("--copies", type=int, default=7)
    ap.add_argument("--renamed", type=float, default=0.5)
    args = ap.parse_args()
    dev, out = Path(args.dev), Path(args.out)
    files = sorted(dev.rglob("*.md"))
    for copy in range(args.copies):
        for f in files:
            target = out / f"copy{copy}" / f.relative_to(dev)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(transform(f.read_text(encoding="utf-8"), copy, args.renamed), encoding="utf-8")
    print(f"{args.copies} copies of {len(files):,} files in {out}")


if __name__ == "__main__":
    main()
