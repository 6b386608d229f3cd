"""Domain exceptions; the CLI turns these into one-line messages."""
from __future__ import annotations

import re


class ArxivKGError(Exception):
    """Base class for errors a user can act on."""


class InputError(ArxivKGError):
    """Nothing usable could be read from the input."""


class KGNotFound(ArxivKGError):
    """A command needs a built knowledge graph folder that is missing, incomplete or damaged."""


# C0 and C1 controls, line and paragraph separators, and lone surrogates (what surrogateescape
# makes of bytes that are not UTF-8): each could split a one-line message or break a writer.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` as one printable line: control characters become \\xNN, undecodable bytes \\xNN.

    A file name holding a newline could otherwise forge a line of the report.
    """
    return _UNPRINTABLE.sub(_escape, text) if _UNPRINTABLE.search(text) else text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
