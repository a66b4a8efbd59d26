"""Persian normalization and tokenization for assisted themes, written here on top of
``smartgov.digits.search_text`` (the platform's one reading of letters and digits).

Why not hazm: it does not install cleanly on this platform's Python (its pinned dependencies
pull a compiled tagger), and what assisted coding needs from it is small — the same words must
look the same however a person typed them. What this module does, in order:

1. **ZWNJ first.** Persian glues affixes to words with a zero-width non-joiner («کتاب‌ها»,
   «می‌خواهم»). ``search_text`` drops every ZWNJ, which keeps a search box forgiving but hides
   where the affix was; so before that, a ZWNJ followed by a plural or comparative suffix
   (ها، های، هایی، تر، ترین) drops the suffix, and a verb prefix (می، نمی) followed by a ZWNJ
   is dropped. A ZWNJ anywhere else joins the two halves, as ``search_text`` does.
2. **``search_text``**: Arabic look-alikes (ي→ی، ك→ک، ة→ه …), diacritics, tatweel, Persian and
   Arabic-Indic digits to Latin, lower case, one space between words.
3. **Tokens**: runs of letters; numbers and one-letter tokens are dropped, stop words (the list
   below: pronouns, prepositions, conjunctions, auxiliaries, fillers of spoken Persian) go too.
4. **Light plural handling** for words written without a ZWNJ («کتابها», «مدارکهای»): a final
   ها/های/هایی is removed when at least three letters remain and the word is not one of the
   few whose letters merely end that way (تنها، آنها …). Nothing else is stemmed: a wrong
   stem merges words a person would keep apart, and the TF-IDF weights cope with the rest.
"""

from __future__ import annotations

import re
from functools import lru_cache

from smartgov.digits import search_text

ZWNJ = "\u200c"
#: Suffixes a ZWNJ separates that do not change what a word is about.
_ZWNJ_SUFFIXES = ("هایی", "های", "ها", "ترین", "تر", "ای", "ام", "اش", "ات", "اند", "ایم", "اید", "ی")
_ZWNJ_PREFIXES = ("نمی", "می")
_AFFIXED = re.compile(rf"(?<![\w])({'|'.join(_ZWNJ_PREFIXES)}){ZWNJ}|{ZWNJ}({'|'.join(_ZWNJ_SUFFIXES)})(?![\w])")
_PLURAL = ("هایی", "های", "ها")
_ARABIC = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})  # before the affixes: «مي‌» is «می‌»
#: Words that end in ها without being plurals (or whose plural is a stop word anyway).
_NOT_PLURAL = frozenset({"تنها", "آنها", "اینها", "بها", "رها", "انتها", "سها", "نهها"})
_WORD = re.compile(r"[^\W\d_]+")

#: Persian stop words, normalized as ``search_text`` writes them (no ZWNJ, Persian ی and ک).
_STOP_TEXT = """
و در به از که این آن را با برای تا یا هم نیز اما ولی پس اگر چون چه چرا چگونه کجا کی هر همه هیچ دیگر
دیگری خود خودش خودم خودمان خودشان من تو او ما شما ایشان آنها اینها آن\u200cها این\u200cها است هست
نیست بود بودند باشد باشند باشیم شد شده شود شوند می\u200cشود نمی\u200cشود کرد کرده کند کنند کنیم
می\u200cکند می\u200cکنند نمی\u200cکند کردن شدن داشت دارد دارند داریم ندارد ندارند داشته بودن خواهد
خواهند باید نباید شاید می\u200cتوان می\u200cتواند نمی\u200cتواند توان بر روی زیر بالای پیش بعد قبل
بین میان درباره دربارهٔ مورد طور طوری چنین چنان همین همان اینکه آنکه وقتی زمانی جایی چیزی کسی کسانی
بسیار خیلی کمی بیشتر کمتر فقط تنها حتی هنوز الان اکنون دیروز امروز فردا ها های هایی ای ام ات اش یک
دو سه چند برخی بعضی تمام کل ی ای را رو هم که نه بله آره لطفا لطفاً ممنون مثلا مثلاً یعنی می نمی
البته واقعا واقعاً ببینید بگویم بگم می\u200cگویم گفت گفتم گویم آقای خانم سلام نظر نظرم به\u200cنظر
بنده کنید دهید بدهید بکنید بگذارید بفرستید بگیرید نکنید ندهید
اینجا آنجا اون این\u200cکه اونها اینا چون\u200cکه زیرا چونکه ولیکن لذا بنابراین همچنین سپس
"""
STOP_WORDS = frozenset(search_text(_STOP_TEXT).split())

#: Parameters recorded with every suggestion, so a result can be traced to the reading that made it.
PARAMETERS = {"normalizer": "smartgov.insight.persian", "zwnj": "affix-aware", "plural": "ها/های/هایی",
              "stop_words": len(STOP_WORDS)}


def normalize(text: str) -> str:
    """One reading of a Persian (or English) text: affixes split off at ZWNJ, then ``search_text``."""
    return search_text(_AFFIXED.sub(" ", text.translate(_ARABIC)))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A normalized word without a plural suffix written without ZWNJ (see the module's note 4)."""
    if word in _NOT_PLURAL:
        return word
    for suffix in _PLURAL:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """The content words of ``text``: normalized, stop words and numbers out, plurals folded."""
    out = []
    for word in _WORD.findall(normalize(text)):
        if len(word) < 2 or word in STOP_WORDS:
            continue
        word = stem(word)
        if word not in STOP_WORDS:
            out.append(word)
    return out


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """Each word of the original ``text`` with its offsets and its token (``""`` for a stop word):
    keyword-in-context matches on tokens and shows the words as they were written."""
    out = []
    for match in re.finditer(rf"[^\W\d_](?:[^\W\d_]|{ZWNJ})*", text):
        found = tokens(match.group())
        out.append((match.start(), match.end(), found[0] if found else ""))
    return out
