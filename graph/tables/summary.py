"""The counts that `build` reports and writes to summary.json."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from graph.model.records import Corpus


def summarise(corpus: Corpus) -> dict[str, Any]:
    papers = corpus.papers
    return {
        "files": corpus.files,
        "records": corpus.records,
        "papers": len(papers),
        "duplicates_merged": corpus.records - len(papers),
        "authors": len(corpus.authors),
        "authorships": sum(len(p.authors) for p in papers),
        "categories": len({c for p in papers for c in p.categories}),
        "subject_classes": len({s for p in papers for s in p.subject_classes}),
        "repositories": len({r for p in papers for r in p.repositories}),
        "papers_with_code": sum(1 for p in papers if p.repositories),
        "links": len({link.url for p in papers for link in p.links}),
        "mentions": sum(len(p.mentions) for p in papers),
        "author_variant_groups": len(corpus.variants),
        "rejected": [asdict(r) for r in corpus.rejected],
        "warnings": [asdict(n) for n in corpus.notices],
        "control_characters_removed": corpus.controls_removed,
    }


def human_summary(summary: dict[str, Any]) -> str:
    lines = [f"{summary['records']:,} records from {summary['files']:,} files -> "
             f"{summary['papers']:,} papers ({summary['duplicates_merged']:,} duplicates merged)",
             f"{summary['authors']:,} authors, {summary['categories']:,} categories, "
             f"{summary['subject_classes']:,} subject classes",
             f"{summary['repositories']:,} repositories, {summary['links']:,} other links, "
             f"{summary['mentions']:,} paper mentions",
             f"{summary['author_variant_groups']:,} groups of likely author variants "
             f"(listed in variants.json, not merged)",
             f"{len(summary['rejected']):,} rejected, {len(summary['warnings']):,} kept with a warning"]
    return "\n".join(lines)
