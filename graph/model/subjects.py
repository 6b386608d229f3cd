"""The subject classifications arXiv records cite: MSC (2010 and 2020 editions) and ACM CCS 1998.

Only the code lists are shipped (graph/data/classes/, see NOTICE.md there): enough to tell a
valid class from an invalid one, and to give a valid MSC code the IRI of the edition it belongs
to. A code in MSC 2010 keeps its 2010 IRI (what the KG has always used); a code only in MSC 2020
(``68T07``) gets the 2020 one; a code in neither is invalid and is never minted as a concept.
"""
from __future__ import annotations

import functools
from importlib import resources
from types import MappingProxyType

MSC2010_IRI = "http://msc2010.org/resources/MSC/2010/"
# The TIB/zbMATH MSC2020-SKOS draft (arXiv:2107.13877); no official RDF edition exists yet.
MSC2020_IRI = "https://msc2020.org/resources/MSC/2020/MSC2020/"

# Subject-class scheme and edition -> slug of its skos:ConceptScheme, and its label.
SCHEME_SLUGS = MappingProxyType({("MSC", "2010"): "msc2010", ("MSC", "2020"): "msc2020",
                                 ("ACM", "1998"): "acm-ccs-1998"})
SCHEME_LABELS = MappingProxyType({
    "msc2010": "Mathematics Subject Classification (2010)",
    "msc2020": "Mathematics Subject Classification (2020)",
    "acm-ccs-1998": "ACM Computing Classification System (1998)",
})


def _lines(name: str) -> list[str]:
    text = resources.files("graph").joinpath("data", "classes", name).read_text("utf-8")
    return text.splitlines()


@functools.cache
def msc_codes(edition: str) -> frozenset[str]:
    """Every code of an MSC edition ("2010" or "2020"), in its printed form (`68T07`, `68-XX`, `68Txx`)."""
    return frozenset(_lines(f"msc{edition}.txt"))


@functools.cache
def acm_tree() -> MappingProxyType[str, str]:
    """ACM CCS 1998: code -> parent code ("" for the letters A..K)."""
    pairs = (line.partition("\t") for line in _lines("acm_ccs1998.txt"))
    return MappingProxyType({code: parent for code, _, parent in pairs})


def edition(scheme: str, code: str) -> str | None:
    """The edition whose concept a class is ("2010", "2020", "1998"), or None if the code is invalid."""
    if scheme == "MSC":
        if code in msc_codes("2010"):
            return "2010"
        return "2020" if code in msc_codes("2020") else None
    if scheme == "ACM":
        return "1998" if code in acm_tree() else None
    return None


def concept_iri(scheme: str, code: str, base_iri: str) -> str | None:
    """The IRI of a valid class's concept; None for an invalid code (it stays a literal).

    MSC codes get their edition's IRI; ACM CCS 1998 has no official IRIs, so they are minted
    under `base_iri`.
    """
    found = edition(scheme, code)
    if found is None:
        return None
    if scheme == "MSC":
        return (MSC2010_IRI if found == "2010" else MSC2020_IRI) + code
    return f"{base_iri}acm-ccs-1998/{code}"


def scheme_slug(scheme: str, code: str) -> str | None:
    """Slug of the concept scheme a valid class is in (`msc2020`), None for an invalid code."""
    found = edition(scheme, code)
    return None if found is None else SCHEME_SLUGS[(scheme, found)]
