"""What an Authors token names: a person, an organisation (kept as an author), or an affiliation
fragment (dropped: a country or department is not an author).

Organisations are teams, consortia, collaborations, initiatives and companies that sign papers
(``the ADNI``, ``NVIDIA``, ``Alzheimer's Disease Neuroimaging Initiative``). Affiliation
fragments are what a comma cut off an address: ``United Kingdom``, ``Department of Radiology``.
Words alone never decide: ``Debarghya China`` and ``The Duc Kieu`` are people.
"""
from __future__ import annotations

import functools
import re

import pycountry

_ORG_WORDS = re.compile(  # whole words: "Company-Corcoles" is a surname
    r"(?<![\w-])(?:Team|Consortium|Collaboration|Collaborative|Initiative|Committee|Alliance|Association|"
    r"Society|Foundation|Network|Project|Group|Challenge|Workshop|Investigators|Participants|"
    r"Contributors|Members|Labs?|Laboratory|Laboratories|Research|Inc\.?|Ltd\.?|LLC|GmbH|Corp\.?|"
    r"Corporation|Company|Organi[sz]ation|Council|Agency)(?![\w-])")
# Signers without an organisation word; all-caps names of three or more letters are caught apart.
_COMPANIES = frozenset({"openai", "deepmind", "google", "microsoft", "meta", "apple", "amazon",
                        "baidu", "tencent", "alibaba", "huawei", "samsung", "intel", "ibm",
                        "anthropic", "qualcomm", "bytedance", "sensetime", "megvii", "facebook"})
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&-]{2,}$")
_AFFILIATION = re.compile(
    r"^(?:Dept\.?|Department|School|Faculty|College|University|Institute|Laboratory|Centre|Center|"
    r"Hospital|Division)\s+(?:of|for)\b|\b(?:University|Universit[àäé]t?|Hospital)\b")
_AFFILIATION_INITIALS = frozenset("DSFCUILH")  # of the words that may start an affiliation
# Country names that are also given names or surnames: never taken for a fragment alone.
_NAMELIKE_COUNTRIES = frozenset({"chad", "georgia", "jordan", "israel", "mali", "jersey", "guam",
                                 "niger", "malta", "peru", "togo", "oman", "cuba", "india"})
_EXTRA_PLACES = ("USA", "U.S.A.", "US", "UK", "U.K.", "PR China", "P.R. China", "P. R. China",
                 "Korea", "South Korea", "Republic of Korea", "Russia", "Iran", "Vietnam",
                 "Taiwan", "Hong Kong", "Macau", "England", "Scotland", "Wales")


@functools.cache
def _places() -> frozenset[str]:
    names = {getattr(c, attr, None) for c in pycountry.countries
             for attr in ("name", "common_name", "official_name")}
    names.update(_EXTRA_PLACES)
    return frozenset(n.casefold() for n in names if n and n.casefold() not in _NAMELIKE_COUNTRIES)


@functools.lru_cache(maxsize=1 << 18)  # asked several times per name; names repeat
def is_organisation(name: str) -> bool:
    """True for a team, consortium, initiative or company listed as an author."""
    if name.startswith("the ") or _ORG_WORDS.search(name):
        return not is_affiliation(name)
    if " " not in name:
        return name.casefold() in _COMPANIES or bool(_ACRONYM.match(name))
    return False


@functools.lru_cache(maxsize=1 << 18)
def is_affiliation(name: str) -> bool:
    """True for a place or department cut from an address: never an author."""
    return name.casefold() in _places() or _may_be_department(name) and bool(_AFFILIATION.search(name))


def any_affiliation(text: str, names: list[str], folded: list[str]) -> bool:
    """any(map(is_affiliation, names)), `names` being `text` parted at ", " and `folded` their
    casefold, mostly without a call per name: a department has "Universit", "Hospital" or
    " of"/" for" in it."""
    if not _places().isdisjoint(folded):
        return True
    return ("Universit" in text or "Hospital" in text or " of" in text or " for" in text) \
        and any(map(is_affiliation, names))


def _may_be_department(name: str) -> bool:
    """False when _AFFILIATION cannot match: no word it looks for starts the name or is in it."""
    return name[:1] in _AFFILIATION_INITIALS or "Universit" in name or "Hospital" in name


def author_kind(name: str) -> str:
    return "organisation" if is_organisation(name) else "person"
