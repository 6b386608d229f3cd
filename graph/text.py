"""Conservative text repair: undo mojibake, normalise Unicode and whitespace.

Digests were sometimes decoded with the wrong codec: UTF-8 read as Mac Roman
(``Am√©lie``) or as Latin-1/Windows-1252 (``GuimarÃ£es``). ftfy fixes most of
these, but not every Mac Roman case (``Wo≈∫niak``), so a strict Mac Roman
round trip is tried after it. A string is only touched when it contains a
character that mojibake produces, and a repair is only kept when it removes
all of them, so a correct name is never changed.
"""
from __future__ import annotations

import re
import unicodedata

import ftfy

# Characters that UTF-8 bytes turn into when read as Mac Roman or Latin-1/cp1252.
_MOJIBAKE = re.compile("[√≈∫ŒœÃÂâ€™Ë¨Ø¥¢£¬±µ∂∑∏πΩ◊ﬁﬂ‚„‰ˆ˜¯˘˙˚¸˝˛ˇ]")


def repair(text: str) -> str:
    """Return `text` with mojibake undone; unchanged unless a repair is certain."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text
    fixed = ftfy.fix_encoding(text)
    if _MOJIBAKE.search(fixed):
        fixed = _mac_roman_roundtrip(fixed)
    return fixed if _mojibake_count(fixed) < _mojibake_count(text) else text


def _mac_roman_roundtrip(text: str) -> str:
    try:
        return text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _mojibake_count(text: str) -> int:
    return len(_MOJIBAKE.findall(text))


def clean(text: str) -> str:
    """Repair, NFC-normalise and collapse whitespace."""
    text = repair(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
