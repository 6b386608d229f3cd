"""Check a KG folder against the cleaning acceptance of issue 12, and print the figures.

    python bench/name_quality.py KG [--before OLD_KG]

Prints, for KG: author spellings still holding each class of debris (expected 0), split twin
pairs (pairs of keys that differ only in spacing, punctuation, case or accents) and how many of
them no variant group lists (expected 0), categories outside the arXiv taxonomy (expected 0),
and, when KG holds kg.nt, MSC concepts under the wrong edition's IRI and invalid classes minted
as concepts (both expected 0). With --before, the twin pairs of an older KG too. Exits 1 if an
expected 0 is not 0.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pyarrow.parquet as pq

from graph.model import subjects
from graph.model.taxonomy import CATEGORIES
from graph.tables.persist import read_table
from graph.tables.quality import debris, twin_pairs, unlisted

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import load_corpus  # noqa: E402  (the tests' reader of a KG into Python objects)

_CONCEPT = re.compile(r"^<(http://msc2010\.org/resources/MSC/2010/|https://msc2020\.org/resources/MSC/2020/MSC2020/|"
                      r"\S+/acm-ccs-1998/)([^>]+)> <http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> "
                      r"<http://www\.w3\.org/2004/02/skos/core#Concept> \.$")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kg")
    parser.add_argument("--before", help="an older KG folder, for the twin count before cleaning")
    args = parser.parse_args()
    corpus = load_corpus(args.kg)
    failures = 0
    for name, spellings in debris(corpus.authors.values()).items():
        print(f"debris {name:<26} {len(spellings):>6}  {spellings[:5]}")
        failures += bool(spellings)
    if args.before:
        before = pq.read_table(Path(args.before) / "authors.parquet", columns=["key"]).column("key").to_pylist()
        print(f"split twin pairs before          {len(twin_pairs(before)):>6}  ({len(before):,} keys)")
    pairs = twin_pairs(corpus.authors)
    missing = unlisted(pairs, corpus.variants)
    print(f"split twin pairs after           {len(pairs):>6}  ({len(corpus.authors):,} keys)")
    print(f"  of which in no variant group   {len(missing):>6}  {missing[:5]}")
    by_confidence = {c: sum(v.confidence == c for v in corpus.variants) for c in ("high", "medium", "low")}
    print(f"variant groups                   {len(corpus.variants):>6}  {by_confidence}")
    organisations = sorted(a.name for a in corpus.authors.values() if a.kind == "organisation")
    print(f"organisations                    {len(organisations):>6}  {organisations[:8]}")
    categories = set(read_table(args.kg, "categories", ["category"]).column("category").to_pylist())
    free_text = sorted(categories - set(CATEGORIES))
    print(f"categories outside the taxonomy  {len(free_text):>6}  {free_text[:5]}")
    failures += bool(missing) + bool(free_text)
    classes = read_table(args.kg, "subject_classes", ["scheme", "code", "edition"]).to_pylist()
    invalid = sorted({f"{r['scheme']}:{r['code']}" for r in classes if r["edition"] is None})
    print(f"class uses / invalid codes kept  {len(classes):>6} / {len(invalid)}  {invalid[:8]}")
    nt = Path(args.kg) / "kg.nt"
    if nt.is_file():
        wrong, minted = _concept_checks(nt)
        print(f"MSC concepts with a wrong IRI    {len(wrong):>6}  {wrong[:5]}")
        print(f"invalid classes minted           {len(minted):>6}  {minted[:5]}")
        failures += bool(wrong) + bool(minted)
    return 1 if failures else 0


def _concept_checks(nt: Path) -> tuple[list[str], list[str]]:
    wrong, minted = [], []
    with nt.open(encoding="utf-8") as fh:
        for line in fh:
            m = _CONCEPT.match(line)
            if m is None:
                continue
            namespace, code = m.groups()
            scheme = "ACM" if "acm-ccs-1998" in namespace else "MSC"
            found = subjects.edition(scheme, code)
            if found is None:
                minted.append(code)
            elif scheme == "MSC" and (namespace == subjects.MSC2010_IRI) != (found == "2010"):
                wrong.append(code)
    return wrong, minted


if __name__ == "__main__":
    sys.exit(main())
