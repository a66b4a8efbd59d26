"""Which digits the platform reads, decided once: Latin, Persian and Arabic-Indic, invisible marks dropped.

The character tables alone, importing nothing of the platform, so that both ``digits`` (typed values,
with localized refusals) and ``i18n`` (free text, dates) read digits the same way without importing
each other (``digits`` needs ``i18n`` for its messages).
"""

from __future__ import annotations

import unicodedata

ACCEPTED_ZEROS = ("0", "\u06f0", "\u0660")
"""The zero of each script we accept: Latin, Persian (Extended Arabic-Indic), Arabic-Indic."""

LATIN = {ord(zero) + i: ord("0") + i for zero in ACCEPTED_ZEROS[1:] for i in range(10)}
"""``str.translate`` table: Persian and Arabic-Indic digits to ASCII (free text keeps everything else)."""

INVISIBLE = frozenset(
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
"""Invisible marks (soft hyphen, bidi marks/embeddings/isolates, zero-width characters, BOM) dropped from digits."""

_TABLE = {**LATIN, **dict.fromkeys(map(ord, INVISIBLE))}


def is_numeric_char(char: str) -> bool:
    """Whether Unicode gives ``char`` a numeric value (digits of any script, superscripts, fractions, …)."""
    return unicodedata.numeric(char, None) is not None


def latin(text: str) -> str | None:
    """``text`` with accepted digits as ASCII and invisible marks dropped; ``None`` if any other numeric
    character is left (``²``, ``５``, ``५``, ``①`` …): the caller refuses it in its own words."""
    out = text.translate(_TABLE)
    if not out.isascii() and any(is_numeric_char(c) for c in out if c > "\x7f"):
        return None
    return out
