"""The conservative name cleaner: the debris people leave in Authors fields, removed before identity.

`clean_token(token, after_name)` takes one comma-separated token of an Authors field and returns
the names it holds (none, one, or several people joined by `and`, a marker or a title) with a
Change for every rule that fired. Each rule removes one kind of debris and nothing else; a name
that has none is returned unchanged (tests/test_cleaning.py checks this on hard real names and
with hypothesis). The rules, in the order they run:

=======================  ===========================================  ============================
rule                     what it removes                              example
=======================  ===========================================  ============================
control character        C0/C1 controls, DEL, zero-width, soft hyphen ``Micha\\x7fel`` -> ``Michael``
latex                    LaTeX accents, braces, math, ``~``, ``\\\\``   ``Jos{\\'e}`` -> ``José``
backtick apostrophe      a backtick used as an apostrophe             ``O`Brien`` -> ``O'Brien``
enclosing quotes         quotes or brackets around the whole name     ``'John Smith'``
nickname                 a quoted or bracketed word inside a name     ``Chiyu "Max" Jiang``
bracketed affiliation    a bracketed tail                             ``Jane Doe (LIPADE)``
et al.                   ``others``, ``et al.`` (whole or trailing)   ``others`` -> dropped
list word                ``and``/``adn``/``ans``/``&`` at either end  ``and Jane Doe``
joined by and            an ``and`` between two people                ``A B and C D`` -> two names
title                    leading ``Dr.``, ``Prof.``, ``Assoc. Prof.``  ``Prof. Jane Doe``
joined at a title        a title starting a second person             ``B. Priya. Dr. K. Soman``
degree                   a trailing degree: ``Ph.D.``, ``MSc``, ...    ``John Smith, PhD`` (same token)
dotted degree            a token that is only degrees, after a name   ``M. D., Ph. D.`` -> dropped
affiliation fragment     a country or department cut from an address  ``United Kingdom`` -> dropped
leading article          ``the`` before an organisation               ``the ADNI`` -> ``ADNI``
marker                   affiliation/footnote marks at either end     ``Jane Doe1``, ``John Smith*``
joined by a marker       a marker between two people                  ``Yuyang Xue3 Qinquan Gao``
dot spacing              ``" ."`` and ``" . "``                        ``J . R. Smith`` -> ``J. R. Smith``
joined by a period       ``". "`` between two people                  ``Jane Doe. John Smith``
stray period             a period after a whole word                  ``Jane. Doe``, ``John Smith.``
punctuation only         a token with no letter                       ``.`` -> dropped
=======================  ===========================================  ============================

Corpus-wide rules (a name glued to the next, "Surname, Given" lists, organisations, variants)
need every record and live in graph.ingest.identity.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from pylatexenc.latex2text import LatexNodes2Text

from graph.ingest.kinds import any_affiliation, is_affiliation, is_organisation
from graph.model.records import Change

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060\ufeff]")
_LATEX_HINT = re.compile(r"[\\{}$~]")
_LATEX = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
_BACKTICK_VOWEL = re.compile(r"(?<=\w)`([aeiouAEIOU])")
_QUOTE_PAIRS = {'"': '"', "“": "”", "”": "”", "'": "'", "‘": "’", "(": ")", "[": "]", "«": "»"}
_NICKNAME = re.compile(r"(?<=\w) (?:\"[^\"“”]+(?:\"|'')|“[^\"“”]+”|\([^()]+\)|'[^'\s]+') (?=\w)")
_BRACKET_TAIL = re.compile(r" ?[(\[][^()\[\]]*[)\]]$")
_ET_AL = re.compile(r"^(?:and )?(?:others|et\.? ?al\.?|etc\.?)$|,? et\.? ?al\.?$", re.IGNORECASE)
_LIST_WORD = re.compile(r"^(?:and|adn|ans|&) |^(?:'and'|&) | (?:and|adn|ans|&)$")
_AND = re.compile(r" (?:and|'and'|&) ")
_TITLE = re.compile(r"^(?:(?:Assoc(?:iate)?|Asst|Assistant)\.? )?(?:Prof(?:essor)?|Dr|Mr|Mrs|Ms)\.? (?=\w)")
_TITLE_INSIDE = re.compile(r"(?<=\w)\.? (?:Prof|Dr)\. (?=\w)")
_DEGREES = r"Ph\. ?D\.?|PhD|DPhil|M\. ?Sc\.?|MSc|B\. ?Sc\.?|BSc|MBBS|MPH|FRCR|FRCS|M\. ?Eng\.?|MEng"
# Two dotted letters are a degree only after a full name: "Kumar, M. S." lists initials.
_INITIAL_LIKE_DEGREES = r"M\. ?D\.?|M\. ?S\.?|B\. ?S\.?|M\. ?A\.|B\. ?A\.|M\. ?P\. ?H\.?|MD|MS"
# Only degrees that cannot be initials end a name: "Vivek B. S." is a name, "Smith, M. S." not.
_DEGREE_TAIL = re.compile(r",? (?:Ph\. ?D\.?|PhD|DPhil|M\. ?Sc\.?|MSc|B\. ?Sc\.?|BSc|MBBS|M\. ?P\. ?H\.?|"
                          r"MPH|FRCR|FRCS)$")
_DEGREES_ONLY = re.compile(rf"^(?:(?:{_DEGREES}|{_INITIAL_LIKE_DEGREES})[ ,]*)+$")
_SURE_DEGREE = re.compile(rf"(?:^| )(?:{_DEGREES})(?: |$)")
_DEGREE_INITIALS = frozenset("PDMBF")  # every degree above starts with one of these
_MARKS = "*†‡§¶|?+#^¹²³⁴⁵⁶⁷⁸⁹⁰"
# After a word of two letters or more: "S1" ending a name is a label, not Doe's footnote mark.
_MARKER_TAIL = re.compile(rf"(?:(?<=[^\W\d_]{{2}})|(?<=\.)) ?[\d{re.escape(_MARKS)}][\d,{re.escape(_MARKS)}]*$")
_MARKER_HEAD = re.compile(rf"^[{re.escape(_MARKS)}]+ ?")
_MARKER_INSIDE = re.compile(rf"(?<=[^\W\d_])[\d{re.escape(_MARKS)}]+ (?=[^\W\d_])")
_DOT_AFTER_INITIAL = re.compile(r"(?<=\b\w) \.(?= |$)")
_LONE_DOT = re.compile(r" \.(?= |$)")
# Abbreviations that keep their period: Jr., Sr., Md. (Muhammad), Mohd., St., Yu., Ch., Kr. ...
_ABBREVIATIONS = frozenset({"jr", "sr", "jnr", "snr", "mohd", "muh", "moh", "st", "ste", "wm",
                            "chr", "abd", "esq", "inc", "ltd", "co", "sta"})
_WORD_PERIOD = re.compile(r"\b([^\W\d_]{3,})\.(?= |$)")
_PERIOD_BETWEEN = re.compile(r"(?<=[^\W\d_]{3})\. (?=\w)")
_LETTER = re.compile(r"[^\W\d_]")


def _plain_name(letter: str, joiners: str) -> str:
    word = rf"{letter}+(?:[{joiners}]{letter}+)*"
    initial = rf"{letter}{{1,2}}\.(?:-{letter}{{1,2}}\.)?"
    return rf"(?:{word}|{initial})(?: (?:{word}|{initial}))*"


# Most names are plain: words of letters (inner hyphens and apostrophes) and initials or short
# abbreviations with a period. Such a name skips every rule but the drop and kind checks,
# unless its first or last word is one a rule looks for.
_PLAIN = re.compile(_plain_name(r"[^\W\d_]", "-'’"))
# Plain tokens parted by ", "; on ASCII text, letters are [A-Za-z], which the engine tests
# twice as fast as the class of Unicode letters.
_PLAIN_LIST = re.compile(rf"{_PLAIN.pattern}(?:, {_PLAIN.pattern})*")
_ASCII_PLAIN = _plain_name("[A-Za-z]", "-'")
_PLAIN_LIST_ASCII = re.compile(rf"{_ASCII_PLAIN}(?:, {_ASCII_PLAIN})*")
_RULE_WORDS = frozenset({"and", "adn", "ans", "dr", "prof", "professor", "mr", "mrs", "ms", "assoc",
                         "associate", "asst", "assistant", "phd", "dphil", "msc", "bsc", "mbbs", "mph",
                         "frcr", "frcs", "meng", "others", "the", "al", "etc"})
# What all_kept looks for among all words: the rule words, and "etal", the et al. a plain token can be.
_LIST_STOP_WORDS = _RULE_WORDS | {"etal"}

Changes = list[Change]


@functools.lru_cache(maxsize=1 << 18)  # a name recurs on an author's every paper
def clean_token(token: str, after_name: bool = False) -> tuple[tuple[str, ...], tuple[Change, ...]]:
    """The names in one Authors token, cleaned, and the changes made.

    `after_name` says the token before was a full name (two words or more), so that a lone
    "M. D." after it is a degree, not a person's initials. Organisations keep their digits,
    periods and words (``Team 1``, ``Google Inc.``).
    """
    if _plain(token):
        dropped = _drop_plain(token, after_name)
        return ((), (dropped,)) if dropped else ((token,), ())
    changes: Changes = []
    name = _text_rules(token, changes)
    if _drop(name, after_name, changes, token):
        return (), tuple(changes)
    if is_organisation(name):
        if name.startswith("the "):  # "the ADNI" and "ADNI" are one signer
            name = _fire("leading article", name, name[4:], changes)
        return (name,), tuple(changes)
    while _TITLE.match(name):  # before the splits: "Assoc. Prof. Jane Doe" is one person
        name = _fire("title", name, _TITLE.sub("", name, count=1), changes)
    names = [name]
    for split in (_split_and, _split_title, _split_marker, _split_period):
        names = [part for n in names for part in split(n, changes)]
    out = []
    for n in names:
        n = _person_rules(n, changes)
        if n and _LETTER.search(n):
            out.append(n)
        elif n != "":
            changes.append(Change("rejected", "punctuation only", n, ""))
    return tuple(out), tuple(changes)


def _plain(token: str) -> bool:
    if not _PLAIN.fullmatch(token):
        return False
    first, _, rest = token.partition(" ")
    last = rest.rpartition(" ")[2] or first
    return first.rstrip(".").casefold() not in _RULE_WORDS and last.rstrip(".").casefold() not in _RULE_WORDS


def all_kept(text: str, tokens: list[str]) -> bool:
    """True if clean_token keeps each of `tokens`, `text` parted at ", ", as it is, whatever
    token comes before it: the checks of _plain and _drop_plain, each run once on the whole
    value (a word that is a rule word anywhere, not only first or last, says False)."""
    if not (_PLAIN_LIST_ASCII if text.isascii() else _PLAIN_LIST).fullmatch(text):
        return False
    folded = text.casefold()  # casefold makes no comma, space or period: folds token by token
    words = folded.replace(".", " ").replace(",", " ").split()
    if not _LIST_STOP_WORDS.isdisjoint(words):
        return False
    if any(map(only_degrees, tokens)):  # degrees may be glued ("PhDPhD"): no word tells them
        return False
    return not any_affiliation(text, tokens, folded.split(", "))


def _fire(rule: str, before: str, after: str, changes: Changes) -> str:
    after = " ".join(after.split())
    if after != before:
        changes.append(Change("cleaned", rule, before, after))
    return after


def _text_rules(name: str, changes: Changes) -> str:
    if _CONTROLS.search(name):
        name = _fire("control character", name, _CONTROLS.sub("", name), changes)
    if _LATEX_HINT.search(name):
        name = _fire("latex", name, _latex(name), changes)
    if "`" in name:
        grave = _BACKTICK_VOWEL.sub(lambda m: unicodedata.normalize("NFC", m[1] + "\u0300"), name)
        name = _fire("latex", name, grave, changes) if grave != name else name
        name = _fire("backtick apostrophe", name, name.replace("`", "'"), changes)
    return _quotes(name, changes)


def _latex(name: str) -> str:
    text = name.replace("~", " ").replace("\\\\", " ")
    if "\\" in text or "{" in text or "$" in text:
        try:
            text = _LATEX.latex_to_text(text)
        except Exception:  # pylatexenc raises assorted errors on broken markup: keep the text
            return name.replace("~", " ")
    return unicodedata.normalize("NFC", text.replace("{", "").replace("}", "").replace("$", ""))


def _quotes(name: str, changes: Changes) -> str:
    while len(name) > 2 and _QUOTE_PAIRS.get(name[0]) == name[-1] and name[0] not in name[1:-1]:
        name = _fire("enclosing quotes", name, name[1:-1], changes)
    # `name and`: a token of a quote or control characters alone is "" by now (it is dropped).
    if name and name[0] in "\"“" and name.count(name[0]) == 1:  # an opening quote never closed
        name = _fire("enclosing quotes", name, name[1:], changes)
    if name and name[-1] in "\"”" and name.count(name[-1]) == 1:
        name = _fire("enclosing quotes", name, name[:-1], changes)
    if _NICKNAME.search(name) and "'and'" not in name:  # "A B 'and' C D" is two people
        name = _fire("nickname", name, _NICKNAME.sub(" ", name), changes)
    if name.endswith((")", "]")) and _BRACKET_TAIL.search(name):
        name = _fire("bracketed affiliation", name, _BRACKET_TAIL.sub("", name), changes)
    return name


def _drop(name: str, after_name: bool, changes: Changes, token: str) -> bool:
    """Drop a token that names nobody: et al., only punctuation, only degrees, a place."""
    if _ET_AL.fullmatch(name):
        changes.append(Change("rejected", "et al.", token, ""))
        return True
    if not _LETTER.search(name):
        if name:
            changes.append(Change("rejected", "punctuation only", token, ""))
        return True
    if only_degrees(name) and (after_name or _SURE_DEGREE.search(name)):
        changes.append(Change("rejected", "dotted degree", token, ""))
        return True
    if is_affiliation(name):
        changes.append(Change("rejected", "affiliation fragment", token, ""))
        return True
    return False


def _drop_plain(token: str, after_name: bool) -> Change | None:
    """What _drop records for a plain token (see _plain), running only the checks such a
    token can fail: it has a letter, and "etal" is its only spelling of et al."""
    if len(token) == 4 and _ET_AL.fullmatch(token):
        return Change("rejected", "et al.", token, "")
    if only_degrees(token) and (after_name or _SURE_DEGREE.search(token)):
        return Change("rejected", "dotted degree", token, "")
    if is_affiliation(token):
        return Change("rejected", "affiliation fragment", token, "")
    return None


def only_degrees(name: str) -> bool:
    """True if `name` is nothing but degrees (``M. D., Ph. D.``): dropped after a full name
    (the only rule that looks at the token before), and after any name if a degree in it cannot
    be initials."""
    return name[:1] in _DEGREE_INITIALS and _DEGREES_ONLY.match(name) is not None


def _split_and(name: str, changes: Changes) -> list[str]:
    name = _fire("list word", name, _LIST_WORD.sub("", name), changes) if _LIST_WORD.search(name) else name
    return _split(name, _AND, "joined by and", changes)


def _split_title(name: str, changes: Changes) -> list[str]:
    return _split(name, _TITLE_INSIDE, "joined at a title", changes)


def _split_marker(name: str, changes: Changes) -> list[str]:
    return _split(name, _MARKER_INSIDE, "joined by a marker", changes, full_words=2)


def _split_period(name: str, changes: Changes) -> list[str]:
    return _split(name, _PERIOD_BETWEEN, "joined by a period", changes, full_words=2)


def _split(name: str, separator: re.Pattern[str], rule: str, changes: Changes,
           full_words: int = 1) -> list[str]:
    """`name` cut at `separator` when every part looks like a whole name (`full_words` words
    that are not initials); otherwise `name` as it is."""
    if not separator.search(name):
        return [name]
    parts = [p.strip() for p in separator.split(name)]
    if len(parts) < 2 or any(_full_words(p) < full_words for p in parts):
        return [name]
    if full_words > 1 and any(_abbreviated(p) for p in parts[:-1]):
        return [name]
    changes.append(Change("cleaned", rule, name, " | ".join(parts)))
    return parts


def _full_words(part: str) -> int:
    return sum(1 for word in part.split() if len(_LETTER.findall(word)) > 1 and not word.endswith("."))


def _abbreviated(part: str) -> bool:
    """True if the word before a ". " is an abbreviation ("Alceu de S. Britto Jr. ...")."""
    return part.rsplit(" ", 1)[-1].rstrip(".").casefold() in _ABBREVIATIONS


def _person_rules(name: str, changes: Changes) -> str:
    name = _sub("et al.", _ET_AL, name, changes)
    name = _sub("list word", _LIST_WORD, name, changes)
    while _TITLE.match(name):
        name = _fire("title", name, _TITLE.sub("", name, count=1), changes)
    while _DEGREE_TAIL.search(name):
        name = _fire("degree", name, _DEGREE_TAIL.sub("", name), changes)
    name = _sub("marker", _MARKER_HEAD, name, changes)
    name = _sub("marker", _MARKER_TAIL, name, changes)
    if " ." in name:
        name = _fire("dot spacing", name, _LONE_DOT.sub(" ", _DOT_AFTER_INITIAL.sub(".", name)), changes)
    if "." in name:
        name = _fire("stray period", name, _WORD_PERIOD.sub(_keep_abbreviation, name), changes)
    return name


def _sub(rule: str, pattern: re.Pattern[str], name: str, changes: Changes) -> str:
    return _fire(rule, name, pattern.sub("", name), changes) if pattern.search(name) else name


def _keep_abbreviation(m: re.Match[str]) -> str:
    word = m[1]
    return m[0] if word.casefold() in _ABBREVIATIONS else word
