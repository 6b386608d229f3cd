"""graph.tables.variants finds, over whole columns, the very groups that the key-by-key
reference (tests/reference.py) finds: same keys, reasons and confidences, in the same order.
Its byte folds give what the Python folds give, key for key."""
from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reference import variant_groups as reference_groups

from graph.ingest.names import loose_key, lost_first_letter, twin_key
from graph.tables import variants
from graph.tables.variants import variant_groups

# Words, and every kind of character the folds treat apart: accents (composed, combining),
# letters with no decomposition, other scripts, capitals, ligatures, digits, particles.
WORDS = ["j", "jo", "john", "jane", "an", "smith", "li", "x", "wei", "wang", "josé", "garcía",
         "müller", "łukasz", "øre", "ıl", "i\u0307lkay", "e\u0301", "иван", "王", "ß", "ǆ", "ﬁ",
         "van", "de", "la", "O'Brien", "o’brien", "jean-pierre", "jean–pierre", "x_y", "a1", "ANN",
         "Élodie", "émile"]
# Blanks, dots, typographic and ASCII joiners, other punctuation, and a NUL.
SEPARATORS = [" ", " ", " ", " ", "  ", ". ", ".", "-", " - ", "'", "’", "`", "\t", "", ",", "\x00",
              "\u00a0", "\x1c"]
ACCENTED = str.maketrans({"e": "é", "a": "á", "u": "ü", "l": "ł", "o": "ø", "i": "ı", "c": "ç"})


@st.composite
def families(draw: st.DrawFn) -> list[str]:
    """A name and some of its variants: other separators, accents, initials, a lost first letter."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
    spellings = [words]
    for change in draw(st.lists(st.sampled_from(["initials", "accents", "first", "case"]), max_size=3)):
        given = spellings[-1]
        if change == "initials":
            spellings.append([w[:1] + draw(st.sampled_from(["", "."])) for w in given[:-1]] + given[-1:])
        elif change == "accents":
            spellings.append([w.translate(ACCENTED) for w in given])
        elif change == "first":
            spellings.append([given[0][1:]] + given[1:])
        else:
            spellings.append([w.upper() for w in given])
    return [_joined(draw, spelling) for spelling in spellings for _ in range(draw(st.integers(1, 2)))]


def _joined(draw: st.DrawFn, words: list[str]) -> str:
    key = draw(st.sampled_from(["", "", "", " ", ".", "-"])) + words[0]
    for word in words[1:]:
        key += draw(st.sampled_from(SEPARATORS)) + word
    return key + draw(st.sampled_from(["", "", ".", " "]))


author_keys = st.lists(st.one_of(families(), st.lists(st.text(max_size=8), max_size=2)), max_size=8).map(
    lambda lists: list(dict.fromkeys(k for keys in lists for k in keys)))


def name_of(key: str, lower: bool) -> str:
    """A display name for a key, with a lower-case first letter when `lower`."""
    name = key.title()
    return name[:1].lower() + name[1:] if lower else name


@settings(max_examples=200, deadline=None)
@given(author_keys, st.lists(st.booleans(), min_size=40, max_size=40))
@example(["ane doe", "jane doe", "an xu", "yan xu", "nan xu"], [True, False, False, False, False] + [False] * 35)
@example(["j. smith", "john smith", "j smith", "jo smith", "j w", "john w"], [False] * 40)
@example(["", " ", ".", "-", "a", "\x00", "a\x00 b", "a b\x00", "a\x00b c"], [True] * 40)
def test_the_columns_give_the_reference_groups(keys, lower):
    names = [name_of(k, low) for k, low in zip(keys, lower)]
    assert variant_groups(keys, names) == reference_groups(keys, dict(zip(keys, names)))
    assert variant_groups(keys) == reference_groups(keys)


@settings(max_examples=100, deadline=None)
@given(author_keys)
@example([" a. b", "- c", "d .", "e\t-f", "ĳ. x ", "\x00 y"])
def test_the_byte_folds_are_the_python_folds(keys):
    column = pa.array(keys, pa.string())
    twin, loose, python = variants._folds(column)
    assert twin.to_pylist() == [twin_key(k) for k in keys]
    assert loose.to_pylist() == [loose_key(k) for k in keys]
    assert all(not k.isascii() or "\x00" in k for k in column.take(python).to_pylist())


@settings(max_examples=100, deadline=None)
@given(author_keys)
def test_initials_cut_and_outline_as_in_python(keys):
    """_initials_of is _initials; an abbreviated name is one that _initials leaves as it is; a
    full name and its initials have one outline (else it could not be found)."""
    ascii_loose = [k for k in dict.fromkeys(map(loose_key, keys)) if k.isascii() and "\x00" not in k]
    column = pa.array(ascii_loose, pa.string())
    initials = [variants._initials(k) for k in ascii_loose]
    assert variants._initials_of(column).to_pylist() == initials
    offsets, data = variants._buffers(column)
    abbreviated = variants._abbreviated_rows(column, offsets, data, np.ones(len(ascii_loose), bool)).tolist()
    assert abbreviated == [i for i, k in enumerate(ascii_loose) if " " in k and variants._initials(k) == k]
    everyone = [k for k in dict.fromkeys(map(loose_key, keys)) if " " in k]
    outlines = variants._outlines(*variants._buffers(pa.array(everyone, pa.string())))
    of_initials = variants._outlines(*variants._buffers(pa.array(map(variants._initials, everyone), pa.string())))
    assert outlines.tolist() == of_initials.tolist()


@given(st.lists(st.one_of(st.text(max_size=6), families().map(lambda f: name_of(f[-1], True)))))
@example(["élodie Martin", "ǆon X", "ane Doe", "van Gogh", "Ane Doe"])
def test_every_name_that_may_have_lost_a_letter_is_looked_at(names):
    looked_at = set(variants._lower_case_starts(pa.array(names, pa.string())).tolist())
    assert {i for i, name in enumerate(names) if lost_first_letter(name)} <= looked_at


@settings(max_examples=50, deadline=None)
@given(st.lists(families(), max_size=6).map(lambda f: list(dict.fromkeys(k for keys in f for k in keys))),
       st.integers(0, 5))
def test_chunks_and_slices_give_the_same_groups(keys, cut):
    """A column read from Parquet comes in chunks, or sliced, and is folded in blocks: the
    groups do not change."""
    whole = variant_groups(keys, keys)
    with patch.object(variants, "_BLOCK", 2):
        assert variant_groups(keys, keys) == whole
    padded = pa.array(["x"] + keys + ["y"], pa.string())[1:len(keys) + 1]
    chunked = pa.chunked_array([pa.array(keys[:cut], pa.string()), pa.array(keys[cut:], pa.string())])
    assert variant_groups(padded, chunked) == whole
    assert variant_groups(pa.array(keys, pa.large_string()), pa.array(keys, pa.string()).dictionary_encode()) == whole


def test_each_kind_of_group_is_found_with_its_reason():
    keys = ["adrien deliege", "adrien deliège", "a. deliege", "wen-hao xu", "wenhao xu", "jo smith",
            "josmith", "o'brien a", "obrien a", "x.y. zed", "x y zed", "ane doe", "jane doe", "p. li", "peng li"]
    names = [k.title() for k in keys]
    names[keys.index("ane doe")] = "ane Doe"
    found = {g.keys: (g.reason, g.confidence) for g in variant_groups(keys, names)}
    assert found == {
        ("adrien deliege", "adrien deliège"): ("accents", "high"),
        ("wen-hao xu", "wenhao xu"): ("hyphens", "low"),
        ("jo smith", "josmith"): ("spacing", "medium"),
        ("o'brien a", "obrien a"): ("apostrophes", "medium"),
        ("x y zed", "x.y. zed"): ("spacing+punctuation", "medium"),
        ("ane doe", "jane doe"): ("first letter lost", "low"),
        ("p. li", "peng li"): ("initials", "high"),
    }
