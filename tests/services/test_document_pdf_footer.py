"""The document PDF's footer (the QR code and the sentences beside it, English and Persian) stays
inside the page, whatever the number of fields above it pushes it to: read back from the PDF."""

from __future__ import annotations

import io
from typing import Any

import pytest

from smartgov.services.documents import QR_SIZE, find_font, render_pdf

pypdf = pytest.importorskip("pypdf")

PT = 72 / 25.4  # points per millimetre
MARGIN = 10 * PT  # fpdf's default left/right margin
LONG_URL = "https://khedmat.example-province.gov.ir/verify/" + "0f" * 16


def _payload(fields: int, url: str) -> dict[str, Any]:
    field = {"label_fa": "مبلغ ماهانه", "value_fa": "۱۲٬۵۰۰٬۰۰۰ ریال", "label_en": "Monthly amount",
             "value_en": "12,500,000 rials"}
    return {"document": {
        "issued_at": "2026-12-07T10:00:00+00:00", "title_en": "Retirement pension decision",
        "title_fa": "حکم مستمری بازنشستگی", "reference": "SG-1405-000003",
        "agency": {"name_fa": "سازمان تأمین اجتماعی، شعبهٔ تهران", "name_en": "Social Security Organization, Tehran",
                   "code": "sso-thr"},
        "service": {"title_fa": "مستمری بازنشستگی", "title_en": "Retirement pension"},
        "applicant": {"name_fa": "مریم احمدی", "name_en": "Maryam Ahmadi", "national_code": "0012345679"},
        "outcome": {"label_fa": "پذیرفته شد", "label_en": "Approved"},
        "fields": [field] * fields, "verify_url": url, "key_id": "sso-thr-2026-4f3a9c",
        "document_id": "0f" * 16}}


def _width(text: str, size: float, rtl: bool) -> float:
    """The drawn width of ``text`` in points, shaped as the PDF shapes it."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("body", "", str(find_font()))
    pdf.set_font("body", size=size)
    if rtl:
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="fas")
    else:
        pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    return float(pdf.get_string_width(text)) * PT


def _pieces(page: Any) -> list[tuple[float, float, float, str]]:
    """(x, y, size, text) of every run of text on the page, in points from the bottom left."""
    found: list[tuple[float, float, float, str]] = []

    def visit(text: str, _cm: Any, tm: Any, _font: Any, size: float) -> None:
        if text.strip():
            found.append((float(tm[4]), float(tm[5]), float(size), text.strip()))

    page.extract_text(visitor_text=visit)
    return found


def _image_boxes(page: Any) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of every image drawn on the page (its ``cm`` before ``Do``)."""
    boxes: list[tuple[float, float, float, float]] = []
    last: list[float] = []

    def visit(op: bytes, args: Any, _cm: Any, _tm: Any) -> None:
        nonlocal last
        if op == b"cm":
            last = [float(a) for a in args]
        elif op == b"Do" and last:
            boxes.append((last[4], last[5], last[0], last[3]))

    page.extract_text(visitor_operand_before=visit)
    return boxes


@pytest.mark.parametrize("fields", [0, 9, 10, 12, 30])
@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/verify/" + "0f" * 16, LONG_URL])
def test_the_footer_under_the_qr_code_stays_inside_the_page(fields: int, url: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(_payload(fields, url), "1234567890")))
    footer_pages = []
    for number, page in enumerate(reader.pages):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        pieces = _pieces(page)
        for _x, y, size, text in pieces:
            assert size <= y <= height - size, (fields, text, y)
        english = [p for p in pieces if p[3].startswith(("Check this document", "Verification code"))]
        persian = [p for p in pieces if p[3].startswith(("اصالت این سند", "کد استعلام"))]
        for x, _y, size, text in english + persian:
            right = x + _width(text, size, rtl=text in {p[3] for p in persian})
            assert x >= MARGIN - 1 and right <= width - MARGIN + 1, (fields, text, x, right)
        images = _image_boxes(page)
        if english or persian or images:
            footer_pages.append(number)
            # the QR code, the English lines and the Persian lines together, the code inside the page
            assert len(english) == 2 and len(persian) == 2 and len(images) == 1, (fields, number, pieces)
            x, y, w, h = images[0]
            assert abs(w - QR_SIZE * PT) < 1 and x >= 0 and x + w <= width and y >= 0 and y + h <= height
            assert all(y - 1 <= p[1] <= y + h + 1 for p in english)  # beside the code, not below the page
    assert len(footer_pages) == 1
