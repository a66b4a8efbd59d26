"""Property: any definition the builder saves, exported to YAML and imported, is the same definition."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from smartgov.services import designer, parse_definition
from smartgov.services.definitions import DefinitionInvalid

NAMES = st.from_regex(r"^[a-z][a-z0-9_]{0,10}$", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
               max_size=30).map(str.strip).filter(bool)
POSTED_TEXT = st.one_of(st.just(""), TEXT)


@st.composite
def posted_field(draw: st.DrawFn, earlier: list[str]) -> tuple[str, dict[str, Any]]:
    """A field type and what its builder form could post (some posts are refused: that is fine)."""
    ftype = draw(st.sampled_from(designer.SUB_FIELD_TYPES))
    form: dict[str, Any] = {"name": draw(NAMES), "label_fa": draw(TEXT), "label_en": draw(TEXT),
                            "hint_fa": draw(POSTED_TEXT), "required": draw(st.sampled_from(["yes", ""]))}
    if earlier and draw(st.booleans()):
        form["when"] = f"answers.{draw(st.sampled_from(earlier))} != null"
    for prop in designer.props(("form", 0), ftype)[len(designer.props(("form", 0), "yes_no")):]:
        if prop.kind == "bool":
            form[prop.key] = draw(st.sampled_from(["yes", ""]))
        elif prop.kind == "int":
            form[prop.key] = draw(st.one_of(st.just(""), st.integers(1, 10**7).map(str)))
        elif prop.kind == "decimal":
            form[prop.key] = draw(st.one_of(st.just(""), st.decimals(-1000, 1000, places=2).map(str)))
        elif prop.kind == "list":
            form[prop.key] = draw(st.sampled_from(["application/pdf", "image/png, image/jpeg"]))
        elif prop.kind == "options":
            values = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
            form[prop.key] = "\n".join(f"{v} | {draw(TEXT).replace('|', '')} | {draw(TEXT).replace('|', '')}"
                                       for v in values)
    return ftype, form


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_what_the_builder_saves_round_trips_through_yaml(data: st.DataObject) -> None:
    current = designer.skeleton("svc", "SSO", "خدمت", "Service", "G2C")
    saved = designer.builder_yaml(current)
    for _ in range(data.draw(st.integers(1, 6))):
        names = [f["name"] for f in current.get("form", [])]
        ftype, form = data.draw(posted_field(names))
        values, errors = designer.read_item(designer.props(("form",), ftype), form, "en", field_type=ftype)
        if errors:
            continue
        candidate, _ = designer.put_item(current, ("form",), values, add=True)
        if data.draw(st.booleans()) and len(candidate["form"]) > 1:
            candidate = designer.move_item(candidate, ("form", len(candidate["form"]) - 1), -1)
        try:
            saved = designer.builder_yaml(candidate)
        except DefinitionInvalid:
            continue  # refused whole: the builder stores nothing
        current = designer.to_data(parse_definition(saved))
    event(f"fields saved: {len(current.get('form', []))}")
    imported = parse_definition(saved, "exported.yaml")
    assert designer.to_data(imported) == current
    assert parse_definition(designer.dump_yaml(designer.to_data(imported))) == imported
    assert designer.builder_yaml(designer.to_data(imported)) == saved
