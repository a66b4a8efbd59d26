"""Assessment use cases: questionnaires, rounds, invitations, answers, imports, results, roadmap.

Functions take a Session and never commit; the caller's unit of work does. Scores and
psychometrics are computed by the pure functions of :mod:`maturity` and :mod:`psychometrics`
on the submitted answers, so a round's results are exactly what a researcher gets offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, digits, events, files, identity
from smartgov.assessment import indicators
from smartgov.assessment import roadmap as roadmap_data
from smartgov.assessment.frameworks import Framework, Node, load_framework
from smartgov.assessment.maturity import (
    Instrument,
    Item,
    MaturityScores,
    compare_rounds,
    gartner_stage,
    score,
    tgov_stage,
)
from smartgov.assessment.models import (
    AssessmentRound,
    Invitation,
    ResponseStatus,
    RoadmapAction,
    RoundStatus,
    SurveyInstrument,
    SurveyItem,
    SurveyResponse,
)
from smartgov.assessment.psychometrics import (
    alpha_by_component,
    cfa,
    efa,
    measurement_from_framework,
    sampling_adequacy,
)
from smartgov.assessment.schemas import (
    AdequacyOut,
    AlphaOut,
    CfaOut,
    ChangeOut,
    ComparisonOut,
    EfaOut,
    FitOut,
    ItemStatOut,
    LoadingOut,
    Note,
    ReliabilityOut,
    RoundResults,
    ScoreOut,
    StageOut,
)
from smartgov.db import lock
from smartgov.errors import Conflict, DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import AccountRef, AccountView, OrganizationRef, OrganizationView, OrgKind

#: Largest import accepted (bytes); a national survey is far below this.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
IMPORT_LIMITS = files.Limits(max_rows=100_000, max_columns=1_000, max_cells=1_000_000)
"""A round's responses: respondents × items (the file is read by ``smartgov.files``, within these)."""
RESPONDENT_COLUMNS = ("respondent", "respondent_id", "id")
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


# --------------------------------------------------------------------------- questionnaires


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


# --------------------------------------------------------------------------- rounds


def _check_titles(title_fa: str, title_en: str) -> None:
    errors = [
        DomainError("required", N_("This field is required."), field=f)
        for f, v in (("title_fa", title_fa), ("title_en", title_en))
        if not v or not v.strip()
    ]
    if errors:
        raise ValidationFailed(errors)


def create_round(
    db: Session,
    *,
    organization: OrganizationRef,
    framework_id: str,
    title_fa: str,
    title_en: str,
    scale_points: int = 5,
    min_items: int = 3,
    anonymous: bool = True,
    options: Mapping[str, str] | None = None,
    reuse: AssessmentRound | None = None,
    actor_id: int | None = None,
) -> AssessmentRound:
    """A draft round owned by an agency, on a new questionnaire or on an earlier round's one."""
    _check_titles(title_fa, title_en)
    if organization.kind != OrgKind.AGENCY:
        raise DomainError("not_agency", N_("Only agencies run assessment rounds."), field="organization")
    if reuse is not None:
        if reuse.organization_id != organization.id:
            raise DomainError(
                "reuse_other_agency", N_("Only your own agency's questionnaires can be reused."), field="reuse_round"
            )
        instrument = reuse.instrument
    else:
        instrument = create_instrument(
            db,
            organization=organization,
            framework_id=framework_id,
            title_fa=title_fa,
            title_en=title_en,
            scale_points=scale_points,
            min_items=min_items,
            options=options,
            actor_id=actor_id,
        )
    rnd = AssessmentRound(
        instrument_id=instrument.id,
        organization_id=organization.id,
        title_fa=title_fa.strip(),
        title_en=title_en.strip(),
        anonymous=anonymous,
        status=RoundStatus.DRAFT,
        tgov_answers={},
        gartner_answers={},
        created_by=actor_id,
        created_at=clock.now(),
    )
    db.add(rnd)
    db.flush()
    events.publish(
        db,
        "assessment.round_created",
        actor_id=actor_id,
        round_id=rnd.id,
        organization_id=organization.id,
        framework_id=instrument.framework_id,
    )
    return rnd


def get_round(db: Session, round_id: int) -> AssessmentRound:
    rnd = db.get(AssessmentRound, round_id)
    if rnd is None:
        raise NotFound("assessment round")
    return rnd


def organization_of(db: Session, rnd: AssessmentRound) -> OrganizationView:
    org = identity.organization_view(db, rnd.organization_id)
    assert org is not None  # foreign key
    return org


def rounds_for(db: Session, org_ids: Iterable[int] | None) -> Any:
    """A select of rounds in ``org_ids`` (``None``: every agency), newest first."""
    stmt = select(AssessmentRound).order_by(AssessmentRound.id.desc())
    if org_ids is not None:
        stmt = stmt.where(AssessmentRound.organization_id.in_(list(org_ids)))
    return stmt


def open_round(db: Session, rnd: AssessmentRound, actor_id: int | None = None) -> None:
    """Start collecting answers; the items are fixed from now on."""
    if rnd.status != RoundStatus.DRAFT:
        raise Conflict("round_not_draft", N_("Only a draft round can be opened."))
    rnd.status = RoundStatus.OPEN
    rnd.opened_at = clock.now()
    events.publish(db, "assessment.round_opened", actor_id=actor_id, round_id=rnd.id)


def close_round(db: Session, rnd: AssessmentRound, actor_id: int | None = None) -> RoundResults:
    """Stop answers and store the results so reading them later is instant.

    The CFA is left to the outbox worker (``complete_results``): on a real round it takes from
    seconds to minutes, too long for a request to wait. Until then the stored results say it is
    pending; everything else in them is final.
    """
    if rnd.status != RoundStatus.OPEN:
        raise Conflict("round_not_open", N_("Only an open round can be closed."))
    rnd.status = RoundStatus.CLOSED
    rnd.closed_at = clock.now()
    results = compute_results(db, rnd, full=True, defer_cfa=True)
    rnd.results = results.model_dump(mode="json")
    rnd.results_at = results.computed_at
    events.publish(db, "assessment.round_closed", actor_id=actor_id, round_id=rnd.id, respondents=results.n_respondents)
    return results


def complete_results(db: Session, rnd: AssessmentRound) -> RoundResults | None:
    """Compute a closed round's pending CFA and store the results with it (None: nothing pending).

    The round's row is locked first, so a change of its stage answers waits and is not lost.
    """
    lock(db, rnd)
    if rnd.status != RoundStatus.CLOSED or not (rnd.results or {}).get("cfa_pending"):
        return None
    results = compute_results(db, rnd, full=True)
    rnd.results = results.model_dump(mode="json")
    rnd.results_at = results.computed_at
    events.publish(db, "assessment.results_completed", actor_id=None, round_id=rnd.id,
                   cfa=results.cfa is not None)
    return results


def _complete_closed_round(db: Session, evt: events.Event, _outbox_id: int) -> None:
    """Outbox handler: the CFA of a round just closed."""
    rnd = db.get(AssessmentRound, int(evt.data["round_id"]))
    if rnd is not None:
        complete_results(db, rnd)


events.subscribe_async("assessment.round_closed", "assessment.complete_results", _complete_closed_round)


def update_settings(db: Session, rnd: AssessmentRound, values: Mapping[str, Any]) -> None:
    """Stage answers (T-Gov, Gartner) and the agency's own figures; invalid T-Gov answers are refused."""
    tgov = {k: values[f"tgov_{k}"] for k in TGOV_KEYS if values.get(f"tgov_{k}") is not None}
    if len(tgov) == 3:
        tgov_stage(**tgov)  # raises with the rule that is broken
    gartner = {k: values[f"gartner_{k}"] for k in GARTNER_KEYS if values.get(f"gartner_{k}") is not None}
    rnd.tgov_answers = tgov
    rnd.gartner_answers = gartner
    rnd.total_services = values.get("total_services")
    rnd.operating_cost_rial = values.get("operating_cost_rial")
    if rnd.status == RoundStatus.CLOSED and rnd.results is not None:
        stored = RoundResults.model_validate(rnd.results)
        _stages(rnd, stored)
        rnd.results = stored.model_dump(mode="json")


def counts(db: Session, rnd: AssessmentRound) -> dict[str, int]:
    rows = db.execute(
        select(SurveyResponse.status, func.count())
        .where(SurveyResponse.round_id == rnd.id)
        .group_by(SurveyResponse.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {
        "submitted": found.get(ResponseStatus.SUBMITTED, 0),
        "in_progress": found.get(ResponseStatus.IN_PROGRESS, 0),
    }


# --------------------------------------------------------------------------- items


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


# --------------------------------------------------------------------------- invitations


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invite_links(db: Session, rnd: AssessmentRound, count: int, labels: Sequence[str] = ()) -> list[str]:
    """Make single-use links; the raw tokens are returned once and only their hashes are stored."""
    if rnd.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", N_("This round is closed."))
    total = max(count, len(labels))
    if not 1 <= total <= 500:
        raise DomainError("invitation_count", N_("Make between 1 and 500 links at a time."), field="count")
    raws = []
    for n in range(total):
        raw = secrets.token_urlsafe(24)
        label = (labels[n].strip()[:120] or None) if n < len(labels) and not rnd.anonymous else None
        db.add(Invitation(round_id=rnd.id, token_hash=_hash(raw), label=label, created_at=clock.now()))
        raws.append(raw)
    db.flush()
    return raws


def invite_accounts(db: Session, rnd: AssessmentRound, usernames: Sequence[str]) -> list[AccountView]:
    """Invite existing accounts; they answer while signed in."""
    if rnd.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", N_("This round is closed."))
    invited = []
    for name in usernames:
        name = name.strip().lower()
        if not name:
            continue
        account = identity.account_view_by_username(db, name)
        if account is None:
            raise DomainError(
                "unknown_account", N_("There is no account {username}."), field="usernames", username=name
            )
        exists = db.scalar(
            select(Invitation.id).where(Invitation.round_id == rnd.id, Invitation.account_id == account.id)
        )
        if not exists:
            db.add(Invitation(round_id=rnd.id, account_id=account.id, created_at=clock.now()))
        invited.append(account)
    db.flush()
    return invited


def invitation_by_token(db: Session, raw: str) -> Invitation:
    """The invitation behind a link; a used link answers 410 so it works only once."""
    inv = db.scalar(select(Invitation).where(Invitation.token_hash == _hash(raw.strip())))
    if inv is None:
        raise NotFound("invitation")
    if inv.used_at is not None:
        raise DomainError("invitation_used", N_("This link has already been used to submit answers."), status=410)
    return inv


def account_invitation(db: Session, rnd: AssessmentRound, account: AccountRef) -> Invitation:
    inv = db.scalar(select(Invitation).where(Invitation.round_id == rnd.id, Invitation.account_id == account.id))
    if inv is None:
        raise NotFound("invitation")
    if inv.used_at is not None:
        raise DomainError("invitation_used", N_("You have already submitted your answers."), status=410)
    return inv


def invitations_of(db: Session, account: AccountRef) -> list[tuple[Invitation, AssessmentRound]]:
    """Open rounds an account has been invited to and has not answered yet."""
    rows = db.execute(
        select(Invitation, AssessmentRound)
        .join(AssessmentRound, AssessmentRound.id == Invitation.round_id)
        .where(
            Invitation.account_id == account.id,
            Invitation.used_at.is_(None),
            AssessmentRound.status == RoundStatus.OPEN,
        )
    ).all()
    return [(inv, rnd) for inv, rnd in rows]


def response_for(db: Session, inv: Invitation) -> SurveyResponse | None:
    return db.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == inv.id))


# --------------------------------------------------------------------------- answering


def _likert(value: Any, top: int) -> int | None:
    """A whole number 1..top from a form/JSON/CSV value; ``None`` if blank; ValueError if bad."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("bool")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        typed = digits.decimal_number(text)  # DigitsRefused (a ValueError) for digits of other scripts
        if typed is None:
            raise ValueError("not a number")
        number = float(typed)
    if not np.isfinite(number):
        raise ValueError("not finite")
    if number != round(number) or not 1 <= number <= top:
        raise OverflowError(str(value))
    return int(number)


def save_answers(
    db: Session, rnd: AssessmentRound, inv: Invitation, answers: Mapping[str, Any], *, submit: bool
) -> SurveyResponse:
    """Save progress, or submit (every item answered); submitting uses the invitation up."""
    if rnd.status != RoundStatus.OPEN:
        raise Conflict("round_not_open", N_("This round is not accepting answers."))
    if inv.used_at is not None:
        raise DomainError("invitation_used", N_("This link has already been used to submit answers."), status=410)
    items = rnd.instrument.items
    known = {i.code for i in items}
    errors: list[DomainError] = []
    clean: dict[str, int] = {}
    for code, raw in answers.items():
        if code not in known:
            errors.append(DomainError("unknown_item", N_("Unknown item: {item}."), field=code, item=code))
            continue
        try:
            value = _likert(raw, rnd.instrument.scale_points)
        except digits.DigitsRefused:
            errors.append(digits.DigitsRefused(code))
            continue
        except (ValueError, OverflowError):
            errors.append(
                DomainError(
                    "out_of_range", N_("Choose a value from 1 to {top}."), field=code, top=rnd.instrument.scale_points
                )
            )
            continue
        if value is not None:
            clean[code] = value
    response = response_for(db, inv)
    merged = {**(response.answers if response else {}), **clean}
    if submit and not errors:
        errors = [
            DomainError("required", N_("Answer this statement."), field=i.code) for i in items if i.code not in merged
        ]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    if response is None:
        response = SurveyResponse(
            round_id=rnd.id,
            respondent_key=f"inv-{inv.id}" if rnd.anonymous or not inv.label else inv.label[:80],
            invitation_id=inv.id,
            account_id=None if rnd.anonymous else inv.account_id,
            answers=merged,
            status=ResponseStatus.IN_PROGRESS,
            source="web",
            created_at=now,
            updated_at=now,
        )
        db.add(response)
    response.answers = merged
    response.updated_at = now
    if submit:
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = now
        inv.used_at = now
    db.flush()
    if submit:
        events.publish(db, "assessment.response_submitted", round_id=rnd.id, response_id=response.id)
    return response


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class CellProblem:
    row: int
    column: str
    error: DomainError


class ImportFailed(ValidationFailed):
    """Every problem of an uploaded file, each at a spreadsheet row (header = row 1) and column."""

    def __init__(self, problems: list[CellProblem]) -> None:
        super().__init__([p.error for p in problems])
        self.problems = problems


def _read_table(filename: str, content: bytes) -> list[list[Any]]:
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError(
            "file_too_large",
            N_("The file is larger than {mb} MB."),
            field="file",
            status=413,
            mb=MAX_IMPORT_BYTES // (1024 * 1024),
        )
    return files.read_table(filename, content, field="file", limits=IMPORT_LIMITS)


_FOREIGN_DIGITS = N_(
    "Row {row}, column {column}: write the digits with 0–9 or ۰–۹; digits of other scripts are not accepted.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def import_responses(db: Session, rnd: AssessmentRound, filename: str, content: bytes) -> int:
    """Add submitted responses from CSV/XLSX: one row per respondent, a ``respondent`` column and
    one column per item code. All cells are checked first; on any problem nothing is stored."""
    if rnd.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", N_("This round is closed."))
    rows = [r for r in _read_table(filename, content) if any(_cell(v) for v in r)]
    if not rows:
        raise DomainError("file_empty", N_("The file is empty."), field="file")
    header = [_cell(h) for h in rows[0]]
    items = {i.code for i in rnd.instrument.items}
    top = rnd.instrument.scale_points
    problems: list[CellProblem] = []

    def problem(row: int, column: str, code: str, message: str, **params: Any) -> None:
        problems.append(
            CellProblem(row, column, DomainError(code, message, field=column, row=row, column=column, **params))
        )

    id_col = next((i for i, h in enumerate(header) if h.lower() in RESPONDENT_COLUMNS), None)
    if id_col is None:
        problem(1, "respondent", "no_respondent_column", N_("Row {row}: the file has no {column} column."))
    columns: dict[int, str] = {}
    for i, name in enumerate(header):
        if i == id_col:
            continue
        if name in items:
            if name in columns.values():
                problem(1, name, "duplicate_column", N_("Row {row}, column {column}: the column appears twice."))
            columns[i] = name
        else:
            problem(
                1,
                name or f"#{i + 1}",
                "unknown_item",
                N_("Row {row}, column {column}: there is no item with this code in the questionnaire."),
            )
    for code in sorted(items - set(columns.values())):
        problem(1, code, "missing_column", N_("Row {row}, column {column}: this item's column is missing."))
    existing = set(db.scalars(select(SurveyResponse.respondent_key).where(SurveyResponse.round_id == rnd.id)))
    seen: dict[str, int] = {}
    parsed: list[tuple[str, dict[str, int]]] = []
    for number, row in enumerate(rows[1:], start=2):
        key = _cell(row[id_col]) if id_col is not None and id_col < len(row) else ""
        try:
            key, foreign = digits.to_latin(key)[:80], False
        except digits.DigitsRefused:
            key, foreign = key[:80], True
        if id_col is not None:
            if foreign:
                problem(number, header[id_col], "digits_script", _FOREIGN_DIGITS)
            elif not key:
                problem(
                    number, header[id_col], "no_respondent", N_("Row {row}, column {column}: the respondent is empty.")
                )
            elif key in seen:
                problem(
                    number,
                    header[id_col],
                    "duplicate_respondent",
                    N_("Row {row}, column {column}: respondent {respondent} already appears in row {first}."),
                    respondent=key,
                    first=seen[key],
                )
            elif key in existing:
                problem(
                    number,
                    header[id_col],
                    "respondent_exists",
                    N_("Row {row}, column {column}: respondent {respondent} already has answers in this round."),
                    respondent=key,
                )
            seen.setdefault(key, number)
        answers: dict[str, int] = {}
        for i, code in columns.items():
            raw = row[i] if i < len(row) else None
            try:
                value = _likert(raw, top)
            except digits.DigitsRefused:
                problem(number, code, "digits_script", _FOREIGN_DIGITS)
                continue
            except ValueError:
                problem(number, code, "not_numeric", N_("Row {row}, column {column}: the value is not a number."))
                continue
            except OverflowError:
                problem(
                    number,
                    code,
                    "out_of_range",
                    N_("Row {row}, column {column}: {value} is not a whole number from 1 to {top}."),
                    value=_cell(raw),
                    top=top,
                )
                continue
            if value is not None:
                answers[code] = value
        parsed.append((key, answers))
    if problems:
        raise ImportFailed(problems)
    if not parsed:
        raise DomainError("file_empty", N_("The file is empty."), field="file")
    now = clock.now()
    for key, answers in parsed:
        db.add(
            SurveyResponse(
                round_id=rnd.id,
                respondent_key=key,
                answers=answers,
                status=ResponseStatus.SUBMITTED,
                source="import",
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
        )
    db.flush()
    events.publish(db, "assessment.responses_imported", round_id=rnd.id, count=len(parsed))
    return len(parsed)


# --------------------------------------------------------------------------- results


def response_frame(db: Session, rnd: AssessmentRound) -> pd.DataFrame:
    """Submitted answers as respondents × item codes (NaN where unanswered), in item order."""
    codes = [i.code for i in rnd.instrument.items]
    rows = db.execute(
        select(SurveyResponse.respondent_key, SurveyResponse.answers)
        .where(SurveyResponse.round_id == rnd.id, SurveyResponse.status == ResponseStatus.SUBMITTED)
        .order_by(SurveyResponse.id)
    ).all()
    data = [[answers.get(c, np.nan) for c in codes] for _key, answers in rows]
    return pd.DataFrame(data, columns=codes, index=[key for key, _ in rows], dtype=float)


def recoded(instrument: SurveyInstrument, frame: pd.DataFrame) -> pd.DataFrame:
    """Reverse-coded items flipped (top + 1 − x), as reliability and factor analysis need them."""
    out = frame.copy()
    for item in instrument.items:
        if item.reverse:
            out[item.code] = (instrument.scale_points + 1) - out[item.code]
    return out


def _note(err: DomainError) -> Note:
    return Note(
        message_id=err.message, params={k: v for k, v in err.params.items() if isinstance(v, str | int | float)}
    )


def _score_out(fw: Framework, code: str, s: Any, level: str) -> ScoreOut:
    if code == "overall":
        return ScoreOut(
            code="overall", label_fa="کل", label_en="Overall", level="overall", mean=s.mean, percent=s.percent, n=s.n
        )
    node = fw.node(code)
    parent = fw.parent_of(code)
    return ScoreOut(
        code=code,
        label_fa=node.label_fa,
        label_en=node.label_en,
        level=level,
        parent=parent.code if parent else None,
        mean=s.mean,
        percent=s.percent,
        n=s.n,
    )


def scores_of(db: Session, rnd: AssessmentRound) -> MaturityScores | None:
    frame = response_frame(db, rnd)
    if frame.empty:
        return None
    return score(pure_instrument(rnd.instrument), frame)


def previous_round(db: Session, rnd: AssessmentRound) -> AssessmentRound | None:
    """The latest earlier round of the same agency on the same framework that has answers."""
    candidates = db.scalars(
        select(AssessmentRound)
        .join(SurveyInstrument, SurveyInstrument.id == AssessmentRound.instrument_id)
        .where(
            AssessmentRound.organization_id == rnd.organization_id,
            AssessmentRound.id < rnd.id,
            SurveyInstrument.framework_id == rnd.instrument.framework_id,
        )
        .order_by(AssessmentRound.id.desc())
    )
    for cand in candidates:
        if counts(db, cand)["submitted"]:
            return cand
    return None


def compute_results(db: Session, rnd: AssessmentRound, *, full: bool = True, defer_cfa: bool = False) -> RoundResults:
    """Scores, reliability, adequacy, EFA, CFA (``full`` only), comparison and stages of a round.

    Whatever the sample does not allow is replaced by a note saying why, never a NaN. With
    ``defer_cfa`` a CFA the sample allows is marked pending instead of computed.
    """
    instrument = rnd.instrument
    fw = framework_of(instrument)
    frame = response_frame(db, rnd)
    n = len(frame)
    p = len(instrument.items)
    level = component_level(fw)
    results = RoundResults(
        round_id=rnd.id,
        framework_id=fw.id,
        scale_points=instrument.scale_points,
        n_respondents=n,
        n_items=p,
        full=full,
        computed_at=clock.now(),
        overall=None,
        dimensions=[],
        components=[],
        alphas=[],
    )
    if n == 0:
        results.adequacy_note = results.efa_note = results.cfa_note = Note(message_id=NO_ANSWERS)
        _stages(rnd, results)
        return results
    scores = score(pure_instrument(instrument), frame)
    results.components = [_score_out(fw, c, s, level) for c, s in scores.components.items()]
    results.dimensions = [_score_out(fw, c, s, fw.levels[0]) for c, s in scores.dimensions.items()]
    results.overall = _score_out(fw, "overall", scores.overall, "overall") if scores.overall else None
    data = recoded(instrument, frame)
    spec: dict[str, list[str]] = {}
    for item in instrument.items:
        spec.setdefault(item.component, []).append(item.code)
    for code, res in alpha_by_component(data, spec).items():
        node = fw.node(code)
        ref = node.attrs.get("reference_alpha")
        results.alphas.append(
            AlphaOut(
                component=code,
                label_fa=node.label_fa,
                label_en=node.label_en,
                k=res.k,
                n_used=res.n_used,
                n_dropped=res.n_dropped,
                alpha=res.alpha,
                ci_low=res.ci_low,
                ci_high=res.ci_high,
                reference_alpha=float(ref) if ref is not None else None,
                below_threshold=res.below_threshold,
                note=Note(message_id=res.message) if res.message else None,
                items=[ItemStatOut(**vars(i)) for i in res.items],
            )
        )
    complete = data.dropna()
    if len(complete) <= p:
        note = Note(message_id=SAMPLE_TOO_SMALL, params={"n": len(complete), "k": p})
        results.adequacy_note = results.efa_note = results.cfa_note = note
    else:
        try:
            adequacy = sampling_adequacy(data)
            results.adequacy = AdequacyOut(
                kmo=adequacy.kmo,
                bartlett_chi2=adequacy.bartlett_chi2,
                bartlett_df=adequacy.bartlett_df,
                bartlett_p=adequacy.bartlett_p,
                n_used=adequacy.n_used,
            )
        except DomainError as err:
            results.adequacy_note = _note(err)
        try:
            found = efa(data)
            results.efa = EfaOut(
                n_factors=found.n_factors,
                rotation=found.rotation,
                method=found.method,
                parallel_factors=found.parallel.n_factors if found.parallel else None,
                variance=[(f, *v) for f, v in found.variance.items()],
                loadings=found.loadings,
            )
        except DomainError as err:
            results.efa_note = _note(err)
        if full and defer_cfa:
            results.cfa_pending = True
            results.cfa_note = Note(message_id=CFA_PENDING)
        elif full:
            results.cfa, results.cfa_note = _cfa(fw, spec, data, level)
        else:
            results.cfa_note = Note(message_id=CFA_ON_CLOSE)
    before = previous_round(db, rnd)
    if before is not None:
        old = scores_of(db, before)
        if old is not None:
            changes = compare_rounds(old, scores)
            results.comparison = ComparisonOut(
                previous_round=before.id,
                previous_title_fa=before.title_fa,
                previous_title_en=before.title_en,
                changes=[
                    ChangeOut(code=c.code, before=c.before, after=c.after, delta=c.delta) for c in changes.values()
                ],
            )
    _stages(rnd, results)
    return results


NO_ANSWERS = N_("No submitted answers yet.")
SAMPLE_TOO_SMALL = N_(
    "Not enough complete responses for factor analysis: {n} respondents for {k} items (more respondents than "
    "items are needed)."
)
CFA_ON_CLOSE = N_("The confirmatory factor analysis is computed when the round is closed.")
CFA_PENDING = N_("The confirmatory factor analysis is being computed; it appears here within a few minutes.")


def _cfa(
    fw: Framework, spec: Mapping[str, list[str]], data: pd.DataFrame, level: str
) -> tuple[CfaOut | None, Note | None]:
    model = measurement_from_framework(fw, spec, component_level=level)
    if not model.first_order:
        return None, Note(message_id=N_("No component has two or more items, so no CFA model can be built."))
    try:
        res = cfa(data, model)
    except DomainError as err:
        return None, _note(err)
    except (np.linalg.LinAlgError, ValueError) as err:
        return None, Note(message_id=N_("The CFA did not converge: {reason}."), params={"reason": type(err).__name__})
    htmt = [v for row in res.htmt.values() for v in row.values()]
    return CfaOut(
        second_order=bool(model.second_order),
        fit=FitOut(**{k: getattr(res.fit, k) for k in FitOut.model_fields}),
        loadings=[
            LoadingOut(factor=e.lhs, indicator=e.rhs, est=e.est, se=e.se, z=e.z, p=e.p, std=e.std)
            for e in res.estimates
            if e.op == "=~"
        ],
        reliability=[ReliabilityOut(factor=r.factor, cr=r.cr, ave=r.ave) for r in res.reliability.values()],
        fornell_larcker_ok=all(res.fornell_larcker.values()) if res.fornell_larcker else None,
        htmt_max=max(htmt) if htmt else None,
        excluded=list(model.excluded),
        notes=[Note(message_id=m, params=dict(p)) for m, p in res.notes],
    ), None


def _stages(rnd: AssessmentRound, results: RoundResults) -> None:
    results.tgov = results.tgov_note = results.gartner = results.gartner_note = None
    tgov = rnd.tgov_answers or {}
    if all(k in tgov for k in TGOV_KEYS):
        try:
            node = tgov_stage(bool(tgov["internal"]), bool(tgov["external"]), bool(tgov["context"]))
            results.tgov = StageOut(
                model="tgov",
                stage=int(node.code),
                label_fa=node.label_fa,
                label_en=node.label_en,
                description_fa=node.description_fa,
                description_en=node.description_en,
            )
        except DomainError as err:
            results.tgov_note = _note(err)
    else:
        results.tgov_note = Note(message_id=STAGE_NOT_ANSWERED)
    gartner = rnd.gartner_answers or {}
    if all(k in gartner for k in GARTNER_KEYS):
        g = gartner_stage(*(bool(gartner[k]) for k in GARTNER_KEYS))
        gnode: Node | None = g.node
        results.gartner = StageOut(
            model="gartner",
            stage=g.stage,
            label_fa=gnode.label_fa if gnode else "هیچ مرحله‌ای",
            label_en=gnode.label_en if gnode else "No stage yet",
            description_fa=gnode.description_fa if gnode else None,
            description_en=gnode.description_en if gnode else None,
            unsupported=list(g.unsupported),
        )
        if g.unsupported:
            results.gartner_note = Note(message_id=GARTNER_GAP, params={"stages": ", ".join(g.unsupported)})
    else:
        results.gartner_note = Note(message_id=STAGE_NOT_ANSWERED)


STAGE_NOT_ANSWERED = N_("The stage questions have not been answered yet.")
GARTNER_GAP = N_("Stages {stages} were claimed, but an earlier stage is missing; Gartner's stages build on each other.")


def results_for(db: Session, rnd: AssessmentRound) -> RoundResults:
    """Stored results of a closed round, or provisional results (no CFA) computed now."""
    if rnd.status == RoundStatus.CLOSED and rnd.results is not None:
        return RoundResults.model_validate(rnd.results)
    return compute_results(db, rnd, full=False)


# --------------------------------------------------------------------------- roadmap


def weakest(results: RoundResults, limit: int = 5) -> list[ScoreOut]:
    """Components below 60 % (at least the ``limit`` lowest), weakest first."""
    ranked = sorted(results.components, key=lambda s: s.percent)
    weak = [s for s in ranked if s.percent < 60]
    return weak if len(weak) >= limit else ranked[:limit]


def build_roadmap(db: Session, rnd: AssessmentRound, results: RoundResults, limit: int = 5) -> list[RoadmapAction]:
    """Actions for the weakest components from the bilingual mapping; keeps owners and dates already set."""
    fw = framework_of(rnd.instrument)
    existing = {a.action_key: a for a in db.scalars(select(RoadmapAction).where(RoadmapAction.round_id == rnd.id))}
    now = clock.now()
    out = []
    for s in weakest(results, limit):
        node = fw.node(s.code)
        parent = fw.parent_of(s.code)
        for n, action in enumerate(roadmap_data.actions_for(fw.id, node, parent)):
            key = f"{s.code}:{action.key}:{n}"
            row = existing.get(key)
            if row is None:
                row = RoadmapAction(
                    round_id=rnd.id,
                    component=s.code,
                    action_key=key,
                    phase=action.phase,
                    title_fa=action.text_fa,
                    title_en=action.text_en,
                    capabilities=list(action.capabilities),
                    status="planned",
                    updated_at=now,
                )
                db.add(row)
            row.score_percent = s.percent
            out.append(row)
    db.flush()
    return sorted(out, key=lambda a: (a.phase, a.score_percent or 0, a.id))


def roadmap_of(db: Session, rnd: AssessmentRound) -> list[RoadmapAction]:
    return list(
        db.scalars(
            select(RoadmapAction)
            .where(RoadmapAction.round_id == rnd.id)
            .order_by(RoadmapAction.phase, RoadmapAction.score_percent, RoadmapAction.id)
        )
    )


def update_action(
    db: Session,
    rnd: AssessmentRound,
    action_id: int,
    *,
    owner: str | None = None,
    due_date: dt.date | None = None,
    status: str | None = None,
    phase: int | None = None,
) -> RoadmapAction:
    """The agency admin names an owner and a date (and moves status or phase) for one action."""
    action = db.get(RoadmapAction, action_id)
    if action is None or action.round_id != rnd.id:
        raise NotFound("roadmap action")
    if status is not None and status not in ("planned", "in_progress", "done"):
        raise DomainError("bad_status", N_("Choose one of the allowed values."), field="status")
    if phase is not None and not 1 <= phase <= 4:
        raise DomainError("bad_phase", N_("Choose one of the allowed values."), field="phase")
    action.owner = (owner or "").strip()[:120] or None
    action.due_date = due_date
    if status:
        action.status = status
    if phase:
        action.phase = phase
    action.updated_at = clock.now()
    return action


# --------------------------------------------------------------------------- live indicators


def subtree(db: Session, org_id: int) -> frozenset[int]:
    """The agency and every agency below it (identity keeps the tree)."""
    return frozenset(identity.agency_subtree(db, org_id))


def indicator_scope(db: Session, rnd: AssessmentRound) -> indicators.Scope:
    """The agency and its sub-agencies, over the year up to the round's close (or now)."""
    until = rnd.closed_at or clock.now()
    return indicators.Scope(
        org_ids=subtree(db, rnd.organization_id),
        since=until - dt.timedelta(days=365),
        until=until,
        total_services=rnd.total_services,
        operating_cost_rial=rnd.operating_cost_rial,
    )


def live_indicators(db: Session, rnd: AssessmentRound) -> list[dict[str, Any]]:
    """Live platform indicators for the round's agency, with definitions; ``None`` values mean no data yet."""
    return indicators.live_indicators(db, indicator_scope(db, rnd))
