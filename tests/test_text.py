"""Mojibake repair is exact on every known case and never touches a correct name."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from graph.text import MOJIBAKE_CHARS, clean, repair

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
NAME_CHARS = st.characters(categories=("Lu", "Ll", "Lo", "Mn", "Zs"), exclude_characters=MOJIBAKE_CHARS + "ªº")


@given(st.text(alphabet=NAME_CHARS, max_size=40))
def test_utf8_text_read_as_mac_roman_round_trips(text):
    try:
        broken = text.encode("utf-8").decode("mac_roman")
    except UnicodeDecodeError:
        return
    if broken != text and any(m in broken for m in "√≈"):
        assert repair(broken) == text


def test_clean_collapses_whitespace_and_composes():
    assert clean("  Jose\u0301 \n  Garci\u0301a ") == "José García"
