"""Every message the assessment module can show has a Persian translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import smartgov.assessment
from smartgov.assessment.maturity import TGOV_CONTEXT_NEEDS_EXTERNAL, tgov_stage
from smartgov.errors import DomainError
from smartgov.i18n import LOCALE_DIR, catalog, gettext

PACKAGE = Path(smartgov.assessment.__file__).parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def message_ids() -> set[str]:
    found = set()
    for path in PACKAGE.glob("*.py"):
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"N_": None, "gettext": None}):
            found.add(message)
    return found


def test_po_file_is_valid_and_covers_every_message_id() -> None:
    with (LOCALE_DIR / "fa" / "LC_MESSAGES" / "assessment.po").open("rb") as fh:
        po = read_po(fh, locale="fa")
    translated = {m.id: m.string for m in po if m.id}
    ids = message_ids()
    assert len(ids) > 40
    assert ids - set(translated) == set()
    for message_id in ids:
        fa = translated[message_id]
        assert re.search(r"[\u0600-\u06FF]", fa), message_id
        assert set(PLACEHOLDER.findall(fa)) == set(PLACEHOLDER.findall(message_id)), message_id
        assert catalog("fa")[message_id] == fa


def test_domain_errors_render_in_persian() -> None:
    try:
        tgov_stage(True, False, True)
    except DomainError as err:
        assert err.message == TGOV_CONTEXT_NEEDS_EXTERNAL
        assert "T-Gov" in err.localized("fa") and "زمینه" in err.localized("fa")
        assert err.localized("en") == TGOV_CONTEXT_NEEDS_EXTERNAL
    assert gettext("alpha undefined (one item)", "fa") == "آلفا تعریف‌نشده است (تنها یک گویه)"
    assert gettext("Row {row}, column {column}: the value is not a number.", "fa", row=3, column="q2") == (
        "سطر ۳، ستون q2: مقدار عدد نیست."
    )
