"""Every message the engine can show has a Persian translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import smartgov.services
from smartgov.i18n import LOCALE_DIR

PO = LOCALE_DIR / "fa" / "LC_MESSAGES" / "services.po"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def message_ids() -> set[str]:
    folder = Path(smartgov.services.__file__).parent
    found = extract_from_dir(
        str(folder),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"_": None, "N_": None, "gettext": None, "DomainError": (2,), "Conflict": (2,), "Forbidden": (1,)},
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def translations() -> dict[str, str]:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="fa")
    assert catalog.locale is not None and str(catalog.locale) == "fa"
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}


def test_every_message_is_translated() -> None:
    ids = message_ids()
    assert len(ids) > 40  # the extractor found the engine's messages
    po = translations()
    missing = sorted(i for i in ids if not po.get(i))
    assert missing == []


def test_translations_keep_placeholders_and_are_persian() -> None:
    for msgid, msgstr in translations().items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid
        assert re.search("[\u0600-\u06ff]", msgstr), msgid


def test_no_stale_entries() -> None:
    assert set(translations()) <= message_ids()
