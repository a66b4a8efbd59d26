"""Text from uploaded files (TXT, DOCX, PDF) within the platform's hostile-file limits, and the
sentence units coding and agreement work on.

DOCX is a zip: it is opened by :func:`smartgov.files.open_zip` (entry count, sizes and ratios
checked before anything is unpacked) and ``word/document.xml`` is streamed through
:func:`smartgov.files.stream_xml` (DTDs and entities refused) while the characters are counted.
PDF text is read with pypdf from at most ``MAX_PDF_PAGES`` pages, stopping at ``MAX_CHARS``.
"""

from __future__ import annotations

import io
import re
from typing import Any

from smartgov import files
from smartgov.errors import DomainError
from smartgov.i18n import N_

MAX_UPLOAD_BYTES = 20 * files.MB
MAX_CHARS = 2_000_000  # a long interview is 100,000 characters; a book is 1,000,000
MAX_PDF_PAGES = 500
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _too_long(field: str) -> DomainError:
    return DomainError("text_too_long", N_("The text is longer than {max} characters."), field=field, status=422,
                       max=MAX_CHARS)


def clean(text: str, field: str = "text") -> str:
    """Line ends as ``\\n``, NUL and other control characters dropped (offsets count what remains)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or ord(c) >= 32)
    if len(text) > MAX_CHARS:
        raise _too_long(field)
    return text


def extract(filename: str, data: bytes, *, field: str = "file") -> str:
    """The plain text of an uploaded TXT, DOCX or PDF; anything else is refused with a 422 on ``field``."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError("file_too_big", N_("The file is larger than {max} MB."), field=field, status=422,
                          max=MAX_UPLOAD_BYTES // files.MB)
    name = filename.lower()
    if name.endswith(".txt"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError("file_not_utf8", N_("A text file must be in UTF-8."), field=field, status=422) from None
    elif name.endswith(".docx"):
        text = docx_text(data, field=field)
    elif name.endswith(".pdf"):
        text = pdf_text(data, field=field)
    else:
        raise DomainError("file_kind", N_("Upload a TXT, DOCX or PDF file."), field=field, status=422)
    text = clean(text, field).strip()
    if not text:
        raise DomainError("file_empty", N_("The file holds no text."), field=field, status=422)
    return text


class _DocxText:
    """A streaming target that keeps the text of ``w:t`` runs, paragraph by paragraph, counting as it goes."""

    def __init__(self, field: str) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.in_text = False
        self.field = field

    def start(self, tag: str, _attrs: Any) -> None:
        if tag == _W + "t":
            self.in_text = True
        elif tag == _W + "tab":
            self._add("\t")
        elif tag in (_W + "br", _W + "cr"):
            self._add("\n")

    def end(self, tag: str) -> None:
        if tag == _W + "t":
            self.in_text = False
        elif tag == _W + "p":
            self._add("\n")

    def data(self, text: str) -> None:
        if self.in_text:
            self._add(text)

    def _add(self, text: str) -> None:
        self.size += len(text)
        if self.size > MAX_CHARS:
            raise _too_long(self.field)
        self.parts.append(text)

    def close(self) -> str:
        return "".join(self.parts)


def docx_text(data: bytes, *, field: str) -> str:
    """The paragraphs of a DOCX's main document, one per line."""
    archive = files.open_zip(data, field=field, kind="DOCX")
    target = _DocxText(field)
    files.stream_xml(files.stream_entry(archive, "word/document.xml", field=field, kind="DOCX"), target,
                     field=field, kind="DOCX")
    return "".join(target.parts)


def pdf_text(data: bytes, *, field: str) -> str:
    """The text layer of a PDF (a scanned PDF without one is refused: there is nothing to code)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DomainError("pdf_too_many_pages", N_("The PDF has more than {max} pages."), field=field, status=422,
                              max=MAX_PDF_PAGES)
        parts, size = [], 0
        for page in reader.pages:
            text = page.extract_text() or ""
            size += len(text)
            if size > MAX_CHARS:
                raise _too_long(field)
            parts.append(text)
    except DomainError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise DomainError("file_damaged", N_("The file is damaged or is not a {kind} file."), field=field, status=422,
                          kind="PDF") from exc
    return "\n".join(parts)


_SENTENCE_END = re.compile(r"[.!?؟!…]+[\"»”']?\s+|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (or line) spans ``(start, end)`` covering the text's non-blank parts, in order.

    These are the units the no-JavaScript coding form offers and the units agreement is counted on.
    """
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group().rstrip())
        _keep(text, start, end, spans)
        start = match.end()
    _keep(text, start, len(text), spans)
    return spans


def _keep(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
