"""Content checks that need no database: profanity (fa/en), spam heuristics, language, redaction.

Word lists live in ``wordlists/`` (see its README); everything here is a pure function so the
rules can be tested on their own and reused by the SMS channel.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from smartgov.digits import to_latin_digits

WORDLISTS = Path(__file__).parent / "wordlists"

_ARABIC_TO_PERSIAN = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "ـ": None, "\u200c": None,
                                    "\u200d": None, "\u200f": None, "\u200e": None})
_WORD = re.compile(r"[\w\u0600-\u06FF]+", re.UNICODE)
_URL = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.(com|ir|net|org|info|xyz|ru|io|me)\b", re.IGNORECASE)
_REPEAT = re.compile(r"(.)\1{2,}")
_PERSIAN_LETTER = re.compile(r"[\u0600-\u06FF]")
_PHONE = re.compile(r"(?<!\d)(\+?98|0)?9\d{9}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")

#: More links than this hold a text for a moderator.
MAX_LINKS = 1


def normalize(text: str) -> str:
    """Lower case, Persian letter forms, no diacritics or joiners, long letter runs collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_TO_PERSIAN).lower()
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return _REPEAT.sub(r"\1", text)


@cache
def profanity_words() -> frozenset[str]:
    words: set[str] = set()
    for path in WORDLISTS.glob("profanity_*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.add(normalize(line))
    return frozenset(words)


def profane_words(text: str) -> list[str]:
    """The listed words found in ``text`` as whole words (after normalisation)."""
    bad = profanity_words()
    return [w for w in _WORD.findall(normalize(text)) if w in bad]


def detect_language(text: str) -> str:
    """``fa`` if the text is mostly in Persian script, else ``en``."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "fa"
    persian = sum(1 for c in letters if _PERSIAN_LETTER.match(c))
    return "fa" if persian * 2 >= len(letters) else "en"


@dataclass(frozen=True)
class SpamVerdict:
    """``hold`` sends the text to the moderation queue; ``reasons`` say why (for moderators)."""

    hold: bool
    reasons: tuple[str, ...]


def spam_verdict(text: str) -> SpamVerdict:
    """Heuristics that hold, not refuse: a moderator may still approve.

    - more than ``MAX_LINKS`` links (advertising);
    - a character repeated 10+ times, or one word making up over half of a text of 6+ words;
    - mostly capital letters in a longer Latin text (shouting).
    """
    reasons = []
    if len(_URL.findall(text)) > MAX_LINKS:
        reasons.append("links")
    if re.search(r"(.)\1{9,}", text):
        reasons.append("repeated_characters")
    words = _WORD.findall(normalize(text))
    if len(words) >= 6:
        most = max(words.count(w) for w in set(words))
        if most * 2 > len(words):
            reasons.append("repeated_words")
    latin = [c for c in text if c.isascii() and c.isalpha()]
    if len(latin) >= 20 and sum(c.isupper() for c in latin) / len(latin) > 0.8:
        reasons.append("shouting")
    return SpamVerdict(bool(reasons), tuple(reasons))


def fingerprint(text: str) -> str:
    """The text reduced to its words, for duplicate detection."""
    return " ".join(_WORD.findall(normalize(to_latin_digits(text))))


def redact(text: str) -> str:
    """Remove mobile numbers, e-mail addresses and 10-digit codes before a text leaves in an export."""
    text = to_latin_digits(text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _TEN_DIGITS.sub("[number]", text)
