"""Persian/English translation, digits and dates.

Catalogs are gettext ``.po`` files: every module ships its own
``i18n/locale/<lang>/LC_MESSAGES/<module>.po`` so modules never edit a shared file.
They are merged at first use. Message ids are the English text, so English needs no
catalog entry; Persian is the default language of the platform.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import jdatetime
from babel.messages.pofile import read_po

from smartgov import clock

LANGUAGES: tuple[str, ...] = ("fa", "en")
DEFAULT_LANGUAGE = "fa"
RTL_LANGUAGES = frozenset({"fa"})
LOCALE_DIR = Path(__file__).parent / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("smartgov_lang", default=DEFAULT_LANGUAGE)

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_FA_SEPARATORS = str.maketrans({",": "٬", ".": "٫"})  # Persian thousands separator and decimal point
_FA_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)


@cache
def catalog(lang: str) -> dict[str, str]:
    """All msgid → msgstr pairs for ``lang``, merged from every module's .po file."""
    merged: dict[str, str] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        with po.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    value = message.string if isinstance(message.string, str) else message.string[0]
                    merged[key] = value
    return merged


def normalize_language(value: str | None) -> str:
    """Map an ``Accept-Language`` header or a code to a supported language."""
    if not value:
        return DEFAULT_LANGUAGE
    for part in value.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def set_language(lang: str) -> contextvars.Token[str]:
    return _current.set(normalize_language(lang))


def get_language() -> str:
    return _current.get()


def gettext(message: str, lang: str | None = None, **params: Any) -> str:
    """Translate ``message`` into ``lang`` (default: the request's language), then format it."""
    lang = lang or _current.get()
    text = catalog(lang).get(message, message) if lang != "en" else message
    if params:
        text = text.format(**{k: localize_value(v, lang) for k, v in params.items()})
    return text


GROUP_FROM = 10_000
"""Whole numbers from here on are grouped by thousands in messages (``۵۳٬۰۰۰٬۰۰۰٬۰۰۰`` rial); below it
they read as written, so a year stays ``۱۴۰۵`` and a small count ``۱۲``. An id that must be typed back
(an SMS keyword) is passed as text, which is never grouped."""


def localize_value(value: Any, lang: str | None = None) -> Any:
    """A message parameter as shown: whole numbers in the language's digits (grouped from
    :data:`GROUP_FROM` on: amounts), fractions with the language's decimal point; anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) or abs(value) >= GROUP_FROM:
        return format_number(value, lang)
    return localize_digits(str(value), lang)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated when shown)."""
    return message


def direction(lang: str | None = None) -> str:
    return "rtl" if (lang or _current.get()) in RTL_LANGUAGES else "ltr"


def localize_digits(text: str, lang: str | None = None) -> str:
    """Persian digits for Persian pages; Latin digits otherwise."""
    return text.translate(_FA_DIGITS) if (lang or _current.get()) == "fa" else text



def text_language(text: str) -> str:
    """The language a stored text (a description, a name typed once) is written in, for its ``lang``:
    Persian if it holds Arabic-script letters, English otherwise."""
    return "fa" if any("\u0600" <= c <= "\u06ff" and c.isalpha() for c in text) else "en"


def isolate(text: Any) -> str:
    """``text`` between the Unicode isolates LRI and PDI: an identifier (a username, a code) keeps its
    order inside Persian text where no ``<bdi>`` can go (a page title, an ``<option>``, an attribute, SVG)."""
    return f"\u2066{text}\u2069"


def format_number(value: int | float, lang: str | None = None, places: int | None = None) -> str:
    """Grouped by thousands, with ``places`` decimals if given: ``۱۲٬۳۴۵٫۶۷`` in Persian, ``12,345.67`` in English."""
    lang = lang or _current.get()
    text = f"{value:,.{places}f}" if places is not None else f"{value:,}"
    return localize_digits(text.translate(_FA_SEPARATORS), lang) if lang == "fa" else text


def format_percent(value: float, lang: str | None = None, places: int = 0) -> str:
    """``value`` percent: ``۴۵٫۵٪`` in Persian, ``45.5%`` in English."""
    lang = lang or _current.get()
    return format_number(value, lang, places) + ("٪" if lang == "fa" else "%")


def format_date(value: dt.date | dt.datetime | None, lang: str | None = None) -> str:
    """Jalali with Persian month names in Persian; ISO-like Gregorian in English."""
    if value is None:
        return ""
    lang = lang or _current.get()
    day = clock.local(value).date() if isinstance(value, dt.datetime) else value
    if lang == "fa":
        j = jdatetime.date.fromgregorian(date=day)
        return localize_digits(f"{j.day} {_FA_MONTHS[j.month - 1]} {j.year}", lang)
    return day.strftime("%d %B %Y").lstrip("0")


def format_datetime(value: dt.datetime | None, lang: str | None = None) -> str:
    if value is None:
        return ""
    lang = lang or _current.get()
    return f"{format_date(value, lang)} {localize_digits(clock.local(value).strftime('%H:%M'), lang)}"






def gregorian_to_jalali(day: dt.date) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
