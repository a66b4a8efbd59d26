"""Word-level differences between a draft section and its final text (difflib)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    op: str  # equal | insert | delete
    text: str


def diff_words(before: str, after: str) -> list[Segment]:
    """Segments that turn ``before`` into ``after``; a replacement is a delete then an insert."""
    a = _TOKENS.findall(before)
    b = _TOKENS.findall(after)
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(Segment("equal", "".join(a[i1:i2])))
        if tag in ("delete", "replace"):
            out.append(Segment("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(Segment("insert", "".join(b[j1:j2])))
    return out


def unified(before: str, after: str, name: str) -> str:
    """A plain-text unified diff (lines), for download and screen readers that prefer text."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"{name} (draft)", tofile=f"{name} (final)"))
