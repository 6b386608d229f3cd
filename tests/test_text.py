"""Mojibake repair is exact on every known case and never touches a correct name."""
from __future__ import annotations

import re
import unicodedata

import ftfy
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graph.ingest.text import MOJIBAKE_CHARS, clean, repair, strip_accents, strip_accents_all

MOJIBAKE = [
    ("Am√©lie", "Amélie"), ("Bart≈Çomiej", "Bartłomiej"), ("Wo≈∫niak", "Woźniak"),
    ("S≈Çowi≈Ñski", "Słowiński"), ("Czy≈ºewski", "Czyżewski"), ("Rados≈Çaw", "Radosław"),
    ("Herv√°s-Mart√≠nez", "Hervás-Martínez"), ("Wr√≥blewski", "Wróblewski"),
    ("GuimarÃ£es", "Guimarães"), ("JosÃ© MarÃ­a", "José María"), ("donâ€™t", "don’t"),
]
CORRECT = ["José", "Łukasz", "Müller", "Åström", "Hazım", "Ørting", "Œuvre", "Pål", "€uro",
           "Nießner", "Ümit", "√2 scaling", "≈ 3 ms", "Ã", "Zhang Wei", "Ðorđe", "Çağlar"]


@pytest.mark.parametrize("broken, fixed", MOJIBAKE)
def test_mojibake_is_repaired(broken, fixed):
    assert repair(broken) == fixed


@pytest.mark.parametrize("name", CORRECT)
def test_correct_text_is_never_changed(name):
    assert repair(name) == name


def test_sample_file_names_come_out_clean(sample_corpus):
    bad = [s for a in sample_corpus.authors.values() for s in a.spellings
           if any(m in s for m in ("√", "≈", "Ã", "â€"))]
    assert bad == []
    assert {"Amélie", "Bartłomiej", "Woźniak"} <= {w for a in sample_corpus.authors.values()
                                                  for w in a.name.split()}


# Letters a name may hold; the mojibake markers themselves are left out (a name made of
# them is indistinguishable from mojibake, and none is real).
_MARKER = re.compile(f"[{MOJIBAKE_CHARS}]")
NAME_CHARS = st.characters(categories=("Lu", "Ll", "Lo", "Mn", "Zs"), exclude_characters=MOJIBAKE_CHARS + "ªº")


@given(st.text(alphabet=NAME_CHARS, max_size=40))
def test_utf8_text_read_as_mac_roman_round_trips(text):
    # Text that is itself mojibake ("Îž" is "Ξ" read as Latin-1) is repaired twice, and
    # rightly so; it is no correct name to round-trip.
    assume(ftfy.fix_encoding(text) == text)
    try:
        broken = text.encode("utf-8").decode("mac_roman")
    except UnicodeDecodeError:
        return
    # repair() touches only words that hold a mojibake marker ("Á≠ª", 筻 broken, holds none).
    changed = [b for b, t in zip(broken.split(" "), text.split(" ")) if b != t]
    if changed and any(m in broken for m in "√≈") and all(_MARKER.search(b) for b in changed):
        assert repair(broken) == text


def test_clean_collapses_whitespace_and_composes():
    assert clean("  Jose\u0301 \n  Garci\u0301a ") == "José García"


@pytest.mark.parametrize("space", [*"\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000", "  ", " \t "])
def test_every_whitespace_run_becomes_one_space(space):
    assert clean(f"a{space}b c") == "a b c"
    assert clean(f"é{space}b c") == "é b c"


# Words, single and double spaces, and each other whitespace str.split() knows, alone or mixed.
PIECE = st.sampled_from(["ab", "é", "e\u0301", " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d",
                         "\x1e", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"])
WORDS = st.lists(st.sampled_from(["ab", " "]), max_size=8).map("".join)
SPACED = st.tuples(WORDS, PIECE, WORDS).map("".join)


@settings(max_examples=300)
@given(SPACED | st.text(max_size=30))
def test_clean_is_repair_then_nfc_then_single_spaces(text):
    assert clean(text) == " ".join(unicodedata.normalize("NFC", repair(text)).split())


# Marks of combining classes out of order, marks of class 0 and a spacing mark of class 216,
# Hangul, compatibility forms, regex brackets, a NUL.
ACCENTED = "ée\u0301\u0327\u0316\u05b0\u0e48\u034f\u0e31\U0001d165ḍ̇ǅﬁ한각①\u00a0]^\\-Łø\x00 a"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(), st.text(alphabet=ACCENTED))))
def test_stripping_many_texts_at_once_is_stripping_each(texts):
    assert strip_accents_all(texts) == [strip_accents(text) for text in texts]
