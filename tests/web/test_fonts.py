"""PDFs find their font: the system's DejaVu Sans (any distribution's folder), or a configured file."""

from __future__ import annotations

import pytest

from smartgov import fonts


def test_the_font_is_found_and_its_bold_face_too() -> None:
    regular, bold = fonts.dejavu(), fonts.dejavu(bold=True)
    assert regular.name == "DejaVuSans.ttf" and bold.name == "DejaVuSans-Bold.ttf" and bold.is_file()


def test_the_first_folder_holding_the_font_wins(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "fedora", tmp_path / "arch"
    second.mkdir()
    (second / "DejaVuSans.ttf").write_bytes(b"font")
    monkeypatch.setattr(fonts, "SYSTEM_DIRS", (str(first), str(second)))
    assert fonts.dejavu() == second / "DejaVuSans.ttf"
    first.mkdir()
    (first / "DejaVuSans.ttf").write_bytes(b"font")
    assert fonts.dejavu() == first / "DejaVuSans.ttf"


def test_a_configured_font_replaces_the_search(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "Vazir.ttf").write_bytes(b"font")
    assert fonts.dejavu(configured=str(tmp_path / "Vazir.ttf")) == tmp_path / "Vazir.ttf"
    assert fonts.dejavu(bold=True, configured=str(tmp_path / "Vazir.ttf")) == tmp_path / "Vazir.ttf"
    (tmp_path / "Vazir-Bold.ttf").write_bytes(b"font")
    assert fonts.dejavu(bold=True, configured=str(tmp_path / "Vazir.ttf")) == tmp_path / "Vazir-Bold.ttf"
    with pytest.raises(fonts.FontMissing):
        fonts.dejavu(configured=str(tmp_path / "missing.ttf"))


def test_no_font_anywhere_is_a_clear_503(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(fonts, "SYSTEM_DIRS", ())
    monkeypatch.setattr(fonts, "_search_dirs", lambda: [])
    with pytest.raises(fonts.FontMissing) as caught:
        fonts.dejavu()
    assert caught.value.status == 503 and caught.value.code == "pdf_font_missing"
