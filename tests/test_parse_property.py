"""Property: any record written in the digest layout parses back to the same values."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from conftest import digest, record
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.ingest.names import clean_authors
from graph.ingest.normalise import normalise
from graph.ingest.parse import parse_bytes
from graph.ingest.text import MOJIBAKE_CHARS
from graph.model.records import RawRecord, Record, Rejected

# Text that contains mojibake markers is repaired on purpose (tests/test_text.py covers it).
WORD = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Nd"), exclude_characters=MOJIBAKE_CHARS),
               min_size=1, max_size=12).map(lambda w: unicodedata.normalize("NFC", w))  # as the normaliser does
# Names the cleaner keeps as they are (tests/test_cleaning.py covers the ones it changes).
LETTERS = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo"), exclude_characters=MOJIBAKE_CHARS),
                  min_size=1, max_size=12).map(lambda w: unicodedata.normalize("NFC", w))
NAME = st.lists(LETTERS, min_size=1, max_size=4).map(" ".join).filter(
    lambda n: n.casefold() not in {"jr", "sr", "ii", "iii", "iv", "v", "vi", "esq", "phd", "md", "jnr", "snr"}
    and clean_authors(n) == ((n,), ()))
SENTENCE = st.lists(WORD, min_size=1, max_size=30).map(" ".join)
# A comment or summary of "None" is the digests' own word for no value (the writer below uses it
# so), so the format cannot carry it as text.
VALUE = SENTENCE.filter(lambda s: s != "None")
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
       published=STAMP, comment=st.none() | VALUE, summary=VALUE, width=st.integers(1, 8))
def test_write_then_parse_round_trip(ident, version, title, authors, cats, published, comment, summary, width):
    text = digest(record(f"{ident}v{version}", title=title, authors=wrap(", ".join(authors), width),
                         categories=", ".join([f"**{cats[0]}**", *cats[1:]]), published=published,
                         updated=published, comment=wrap(comment, width) if comment else "None",
                         summary=summary))
    (raw,) = parse_bytes(text.encode(), "p.md")
    normalised = normalise(raw)
    assert isinstance(normalised, Record), normalised
    r = normalised.paper
    assert (r.arxiv_id, r.version, r.title, r.abstract, r.comment) == (ident, version, title, summary, comment)
    assert normalised.author_names == tuple(authors)
    assert (r.primary_category, r.categories) == (cats[0], tuple(cats))
    assert r.published == published.replace(" ", "T")



def read_naively(text: str, label: str) -> list:
    """The format read literally, the slow way: join each record's continuation lines first,
    then split it into field lines. The parser joins piece by piece, only where needed."""
    items, line = [], 1
    for i, chunk in enumerate(text.split("\n### ")):
        if i:
            items.append(naive_record(chunk, label, line))
        line += chunk.count("\n") + 1
    if not text.endswith("\n"):  # a file cut inside its last record
        items[-1] = Rejected(label, items[-1].line, "record cut off at end of file (no newline after its last line)")
    return items


def naive_record(chunk: str, label: str, line: int) -> RawRecord | Rejected:
    if "\n " in chunk:
        chunk = re.sub(r"[ \t]*\n[ \t]+", " ", chunk)
    head, *parts = chunk.split("\n- **")
    fields = {}
    for part in parts:
        name, sep, value = part.partition("**:")
        if not sep:
            return Rejected(label, line, f"malformed field line '- **{part[:40]}'")
        fields[name] = one_line(value)
    return RawRecord(label, line, one_line(head), fields)


def one_line(value: str) -> str:
    return " ".join(part.strip() for part in value.strip().split("\n") if part.strip())


# Lines of a record body: field lines, continuation lines (space or tab), stray lines, and
# the near misses of each; a lone "-" joined to "  **Name**: ..." makes a field line.
LINE = st.sampled_from(["- **A**: x", "- **B**:", "- **C**: y  ", "- **D", "  z", "  **: v", "  **E**: w",
                        "  **F", "\tq", "\t**: t", "-", "- ", "", "stray", "a\xa0"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.lists(LINE, max_size=12).map("\n".join), min_size=1, max_size=3), st.sampled_from(["", "\n"]))
def test_parser_agrees_with_the_literal_reading(bodies, end):
    text = "# Arxiv Papers in cs.CV on 2021-05-31\n" + "\n".join(f"### T\n{b}" for b in bodies) + end
    assert list(parse_bytes(text.encode(), "p.md")) == read_naively(text, "p.md")


CONTROL = st.sampled_from([chr(c) for c in range(32) if chr(c) not in "\t\n\r"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), CONTROL), max_size=8))
def test_control_characters_are_removed_and_counted(insertions):
    clean = digest(record("2105.00001v1"), record("2105.00002v1", comment="two\n  lines"))
    body = clean.index("\n") + 1  # anywhere after the header line, record marks included
    spots = sorted(((body + pos % (len(clean) - body), char) for pos, char in insertions), reverse=True)
    text = clean
    for at, char in spots:
        text = text[:at] + char + text[at:]
    items = list(parse_bytes(text.encode(), "p.md"))
    assert [replace(i, controls=0) for i in items] == list(parse_bytes(clean.encode(), "p.md"))
    assert sum(i.controls for i in items) == len(insertions)
