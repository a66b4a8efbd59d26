"""Every insurance message shown to people has a Persian translation."""

from __future__ import annotations

import re
from pathlib import Path

import smartgov.insurance
from smartgov.i18n import catalog

SOURCE = Path(smartgov.insurance.__file__).parent


def test_every_insurance_message_is_translated_to_persian() -> None:
    ids = {m for p in SOURCE.glob("*.py") for m in re.findall(r'N_\(\s*"([^"]+)"', p.read_text())}
    assert len(ids) >= 40
    fa = catalog("fa")
    missing = sorted(i for i in ids if not fa.get(i))
    assert missing == []
    for i in ids:  # same placeholders on both sides, or formatting breaks at runtime
        assert set(re.findall(r"{(\w+)}", i)) == set(re.findall(r"{(\w+)}", fa[i])), i
