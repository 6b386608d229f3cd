"""Property: any record written in the digest layout parses back to the same values."""
from __future__ import annotations

import unicodedata

from conftest import digest, record
from hypothesis import given, settings, strategies as st

from graph.normalise import normalise
from graph.parse import parse_bytes
from graph.text import MOJIBAKE_CHARS
from graph.records import Record

# Text that contains mojibake markers is repaired on purpose (tests/test_text.py covers it).
WORD = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Nd"), exclude_characters=MOJIBAKE_CHARS),
               min_size=1, max_size=12).map(lambda w: unicodedata.normalize("NFC", w))  # as the normaliser does
NAME = st.lists(WORD, min_size=1, max_size=4).map(" ".join).filter(
    lambda n: n.casefold() not in {"jr", "sr", "ii", "iii", "iv", "v", "vi", "esq", "phd", "md", "jnr", "snr"})
SENTENCE = st.lists(WORD, min_size=1, max_size=30).map(" ".join)
NEW_ID = st.tuples(st.integers(700, 2512), st.integers(1, 99999)).map(lambda t: f"{t[0]:04d}.{t[1]:05d}")
OLD_ID = st.tuples(st.sampled_from(["cs", "math-ph", "hep-th", "q-bio"]), st.integers(0, 9999999)).map(
    lambda t: f"{t[0]}/{t[1]:07d}")
STAMP = st.datetimes(min_value=__import__("datetime").datetime(1991, 1, 1)).map(
    lambda d: d.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S+00:00"))
CATEGORY = st.sampled_from(["cs.CV", "cs.LG", "eess.IV", "stat.ML", "math-ph", "q-bio.NC", "cond-mat.stat-mech"])


def wrap(text: str, width: int) -> str:
    """Break a value onto continuation lines, as real digests do."""
    words = text.split(" ")
    return "\n  ".join(" ".join(words[i:i + width]) for i in range(0, len(words), width))


@settings(max_examples=150, deadline=None)
@given(ident=st.one_of(NEW_ID, OLD_ID), version=st.integers(1, 30), title=SENTENCE,
       authors=st.lists(NAME, min_size=1, max_size=40), cats=st.lists(CATEGORY, min_size=1, max_size=4, unique=True),
       published=STAMP, comment=st.none() | SENTENCE, summary=SENTENCE, width=st.integers(1, 8))
def test_write_then_parse_round_trip(ident, version, title, authors, cats, published, comment, summary, width):
    text = digest(record(f"{ident}v{version}", title=title, authors=wrap(", ".join(authors), width),
                         categories=", ".join([f"**{cats[0]}**", *cats[1:]]), published=published,
                         updated=published, comment=wrap(comment, width) if comment else "None",
                         summary=summary))
    (raw,) = parse_bytes(text.encode(), "p.md")
    r = normalise(raw)
    assert isinstance(r, Record), r
    assert (r.arxiv_id, r.version, r.title, r.abstract, r.comment) == (ident, version, title, summary, comment)
    assert r.authors == tuple(authors)
    assert (r.primary_category, r.categories) == (cats[0], tuple(cats))
    assert r.published == published.replace(" ", "T")
