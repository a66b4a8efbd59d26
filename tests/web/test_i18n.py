"""Every user-facing string has a Persian translation; digits and dates follow the language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from smartgov import digits, i18n

ROOT = Path(i18n.__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "DomainError": (2,), "Conflict": (2,), "Forbidden": (1,)}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
MODULES = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in ("i18n", "migrations", "__pycache__"))


@pytest.mark.parametrize("module", MODULES)
def test_every_message_has_a_persian_translation(module: str) -> None:
    catalog = i18n.catalog("fa")
    missing = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT / module, METHODS, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid and msgid not in catalog:
            missing.add(msgid)
    assert not missing, f"untranslated in {module} (run scripts/messages.sh, then translate): {sorted(missing)}"


@pytest.mark.parametrize("kernel_file", ["errors.py", "digits.py", "files.py"])
def test_kernel_messages_have_a_persian_translation(kernel_file: str) -> None:
    """Kernel files outside the module folders share the web catalog (``scripts/messages.sh``)."""
    from babel.messages.extract import extract_from_file

    catalog = i18n.catalog("fa")
    found = [m for _line, m, _c, _x in extract_from_file("python", ROOT / kernel_file, keywords=KEYWORDS)]
    missing = {m if isinstance(m, str) else m[0] for m in found} - set(catalog)
    assert found and not missing, f"untranslated in {kernel_file}: {sorted(missing)}"


def test_dates_and_times_are_shown_in_the_platform_time_zone() -> None:
    from smartgov import clock

    instant = dt.datetime(2026, 3, 20, 21, 0, tzinfo=dt.UTC)  # 00:30 on Nowruz 1405 in Tehran
    assert i18n.format_datetime(instant, "fa") == "۱ فروردین ۱۴۰۵ ۰۰:۳۰"
    assert i18n.format_datetime(instant, "en") == "21 March 2026 00:30"
    assert i18n.format_date(dt.date(2026, 3, 20), "fa") == "۲۹ اسفند ۱۴۰۴"  # a plain date is not shifted
    clock.freeze(instant)
    try:
        assert clock.today() == dt.date(2026, 3, 21)
        assert clock.day_start(dt.date(2026, 3, 21)) == dt.datetime(2026, 3, 20, 20, 30, tzinfo=dt.UTC)
    finally:
        clock.reset()


def test_digits_and_dates() -> None:
    assert i18n.localize_digits("2026", "fa") == "۲۰۲۶"
    assert i18n.format_number(1234567, "fa") == "۱٬۲۳۴٬۵۶۷"
    assert i18n.format_number(1234567, "en") == "1,234,567"
    assert i18n.format_date(dt.date(2025, 3, 21), "fa") == "۱ فروردین ۱۴۰۴"
    assert digits.jalali_to_gregorian("۱۴۰۴/۰۱/۰۱") == dt.date(2025, 3, 21)
    with pytest.raises(ValueError):
        digits.jalali_to_gregorian("1404/13/01")
    assert i18n.gettext("Sign in", "fa") == "ورود"
    assert i18n.normalize_language("en-US,en;q=0.9") == "en"
    assert i18n.normalize_language("de") == "fa"


def test_days_in_a_zone_with_daylight_saving_time() -> None:
    """A day is the local calendar day even when it has 23 or 25 hours, or begins at 01:00."""
    from smartgov import clock
    from smartgov.settings import Settings, get_settings, use_settings

    before = get_settings()
    try:
        use_settings(Settings(database_url=before.database_url, data_dir=before.data_dir, timezone="Europe/Berlin"))
        hours = [(clock.day_start(d + dt.timedelta(days=1)) - clock.day_start(d)) / dt.timedelta(hours=1)
                 for d in (dt.date(2026, 3, 29), dt.date(2026, 6, 1), dt.date(2026, 10, 25))]
        assert hours == [23, 24, 25]
        assert clock.day_start(dt.date(2026, 10, 25)) == dt.datetime(2026, 10, 24, 22, 0, tzinfo=dt.UTC)
        assert clock.local(dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)).hour == 2  # CEST, before the change
        assert clock.local(dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)).hour == 2  # CET, after it
        # Iran kept summer time until 2022: its clocks jumped from 00:00 to 01:00 on 1 Farvardin 1401
        use_settings(Settings(database_url=before.database_url, data_dir=before.data_dir, timezone="Asia/Tehran"))
        start = clock.day_start(dt.date(2022, 3, 22))
        assert start == dt.datetime(2022, 3, 21, 20, 30, tzinfo=dt.UTC) and clock.local(start).hour == 1
    finally:
        use_settings(before)


def test_persian_decimals_use_the_persian_decimal_point_and_english_its_own() -> None:
    from smartgov.assessment.indicators import Indicator, Reading, display
    from smartgov.notifications.service import MessageTemplate
    from smartgov.web.templating import environment

    assert i18n.format_number(1234.5, "fa", places=2) == "۱٬۲۳۴٫۵۰"
    assert i18n.format_number(1234.5, "en", places=2) == "1,234.50"
    assert i18n.format_number(0.25, "fa") == "۰٫۲۵" and i18n.format_number(-0.731, "fa", places=3) == "-۰٫۷۳۱"
    assert i18n.format_number(1234567, "fa") == "۱٬۲۳۴٬۵۶۷"  # whole numbers as before
    assert i18n.format_percent(45.55, "fa", places=1) == "۴۵٫۵٪" and i18n.format_percent(45.55, "en", 1) == "45.5%"
    assert i18n.gettext("{value} hours", "fa", value=2.5).startswith("۲٫۵")
    assert i18n.gettext("{value} hours", "en", value=2.5) == "2.5 hours"
    assert i18n.gettext("Page {page} of {pages}", "fa", page=1403, pages=2) == "صفحهٔ ۱۴۰۳ از ۲"  # no grouping
    assert MessageTemplate("t", "", "", "{x} {n}", "{x} {n}").render("fa", {"x": 0.5, "n": 12})[1] == "۰٫۵ ۱۲"
    score = Indicator("k", "label", "definition", "score5")
    assert display(score, Reading(4.256, 10), "fa") == "۴٫۲۶ / ۵"
    assert display(score, Reading(4.256, 10), "en") == "4.26 / 5"
    assert display(Indicator("k", "label", "definition", "percent"), Reading(40.0, 3), "fa") == "۴۰٫۰٪"
    env = environment()
    macros = '{% from "assessment/_macros.html" import num %}'
    token = i18n.set_language("fa")
    try:
        assert env.from_string(macros + "{{ num(0.73125, 3) }}").render() == '<span class="num">۰٫۷۳۱</span>'
        assert env.from_string("{{ 1234.5|number(1) }} {{ format_percent(12.5, places=1) }}").render() == \
            "۱٬۲۳۴٫۵ ۱۲٫۵٪"
    finally:
        i18n._current.reset(token)
    token = i18n.set_language("en")
    try:
        assert env.from_string(macros + "{{ num(1234.5) }}").render() == '<span class="num">1,234.50</span>'
    finally:
        i18n._current.reset(token)


def test_no_template_formats_a_fraction_by_hand() -> None:
    """``digits("%.2f"|format(x))`` printed ``۰.۷۳`` in Persian: fractions go through format_number."""
    import re

    for path in ROOT.glob("*/templates/**/*.html"):
        assert not re.search(r"digits\(\s*\(?[\"']%", path.read_text(encoding="utf-8")), path
