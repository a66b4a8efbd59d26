"""Questionnaires: the instrument built from a framework (items, reverse items, stage questions) and its edits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.assessment.frameworks import Framework, load_framework
from smartgov.assessment.maturity import Instrument, Item
from smartgov.assessment.models import AssessmentRound, RoundStatus, SurveyInstrument, SurveyItem, SurveyResponse
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef

GARTNER_KEYS = ("presence", "interaction", "transaction", "transformation")
TGOV_KEYS = ("internal", "external", "context")

# Default item wording; the agency admin edits them afterwards. Data, not UI strings: they are
# stored per item in both languages.
LEAF_ITEM = ("در سازمان ما «{label}» به‌خوبی توسعه یافته است.", 'In our organization, "{label}" is well developed.')
FILLER_ITEMS = (
    (
        "در مجموع، سازمان ما در «{label}» عملکرد خوبی دارد.",
        'Overall, our organization performs well in "{label}".',
        False,
    ),
    ("«{label}» یکی از نقاط ضعف سازمان ما است.", '"{label}" is a weak point of our organization.', True),
    (
        "کارکنان و ذی‌نفعان ما پیشرفت در «{label}» را می‌بینند.",
        'Our staff and stakeholders see progress in "{label}".',
        False,
    ),
    ("برای «{label}» برنامه و مسئول مشخص داریم.", 'We have a plan and a named owner for "{label}".', False),
    ("در «{label}» از سازمان‌های مشابه عقب‌تریم.", 'We lag behind similar organizations in "{label}".', True),
)


@dataclass(frozen=True)
class ItemDraft:
    code: str
    component: str
    text_fa: str
    text_en: str
    reverse: bool = False


def questionnaire_frameworks() -> list[str]:
    """Frameworks that can carry a questionnaire (they have components below a top level)."""
    from smartgov.assessment.frameworks import list_frameworks

    return [f for f in list_frameworks() if len(load_framework(f).levels) >= 2]


def component_level(framework: Framework) -> str:
    return framework.levels[1]


def default_items(framework: Framework, min_items: int = 3) -> list[ItemDraft]:
    """One item per basic theme of each component, topped up to ``min_items`` with general items.

    A component measured by a single item has no alpha and cannot form a factor, hence the
    minimum; one of the top-up items is reverse-coded so acquiescence shows in the data.
    """
    if not 2 <= min_items <= 6:
        raise DomainError("min_items", N_("Choose between 2 and 6 items per component."), field="min_items")
    drafts: list[ItemDraft] = []
    for component in framework.at_level(component_level(framework)):
        leaves = [leaf for leaf in component.leaves() if leaf is not component]
        texts: list[tuple[str, str, bool]] = [
            (LEAF_ITEM[0].format(label=leaf.label_fa), LEAF_ITEM[1].format(label=leaf.label_en), False)
            for leaf in leaves
        ]
        fillers = iter(FILLER_ITEMS)
        while len(texts) < min_items:
            fa, en, reverse = next(fillers)
            texts.append((fa.format(label=component.label_fa), en.format(label=component.label_en), reverse))
        for n, (fa, en, reverse) in enumerate(texts, start=1):
            drafts.append(ItemDraft(f"{component.code}.q{n}", component.code, fa, en, reverse))
    return drafts


def framework_of(instrument: SurveyInstrument) -> Framework:
    return load_framework(instrument.framework_id, **{k: str(v) for k, v in instrument.framework_options.items()})


def create_instrument(
    db: Session,
    *,
    organization: OrganizationRef,
    framework_id: str,
    title_fa: str,
    title_en: str,
    scale_points: int = 5,
    min_items: int = 3,
    options: Mapping[str, str] | None = None,
    actor_id: int | None = None,
) -> SurveyInstrument:
    """A questionnaire from ``framework_id`` with default items in fa and en."""
    framework = load_framework(framework_id, **dict(options or {}))
    if len(framework.levels) < 2:
        raise DomainError(
            "framework_not_measurable",
            N_("This framework has no components to ask about; choose another one."),
            field="framework",
        )
    if scale_points not in (5, 7):
        raise DomainError("scale_points", N_("A Likert scale must have 5 or 7 points."), field="scale_points")
    instrument = SurveyInstrument(
        organization_id=organization.id,
        framework_id=framework.id,
        framework_options=dict(framework.options),
        scale_points=scale_points,
        title_fa=title_fa.strip(),
        title_en=title_en.strip(),
        created_by=actor_id,
        created_at=clock.now(),
    )
    for position, draft in enumerate(default_items(framework, min_items)):
        instrument.items.append(
            SurveyItem(
                code=draft.code,
                component=draft.component,
                text_fa=draft.text_fa,
                text_en=draft.text_en,
                reverse=draft.reverse,
                weight=1.0,
                position=position,
            )
        )
    db.add(instrument)
    db.flush()
    return instrument


def pure_instrument(instrument: SurveyInstrument) -> Instrument:
    """The questionnaire as the pure scoring code sees it."""
    return Instrument(
        framework_of(instrument),
        tuple(Item(i.code, i.component, i.reverse, i.weight) for i in instrument.items),
        instrument.scale_points,
    )


def _has_answers(db: Session, instrument: SurveyInstrument) -> bool:
    round_ids = select(AssessmentRound.id).where(AssessmentRound.instrument_id == instrument.id)
    return bool(
        db.scalar(select(func.count()).select_from(SurveyResponse).where(SurveyResponse.round_id.in_(round_ids)))
    )


def update_item(
    db: Session,
    rnd: AssessmentRound,
    code: str,
    *,
    text_fa: str | None = None,
    text_en: str | None = None,
    reverse: bool | None = None,
) -> SurveyItem:
    """Edit an item's wording or direction, only while nobody has answered the questionnaire."""
    if rnd.status != RoundStatus.DRAFT or _has_answers(db, rnd.instrument):
        raise Conflict("items_locked", N_("Items cannot change once the round is open or has answers."))
    item = next((i for i in rnd.instrument.items if i.code == code), None)
    if item is None:
        raise NotFound("item", field="code")
    for name, value in (("text_fa", text_fa), ("text_en", text_en)):
        if value is not None:
            if not value.strip():
                raise DomainError("required", N_("This field is required."), field=f"{code}.{name}")
            setattr(item, name, value.strip()[:2000])
    if reverse is not None:
        item.reverse = reverse
    return item
