"""Assessment rounds: create, open, close (results completed through the outbox), settings, counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.assessment.events import RESULTS_COMPLETED, ROUND_CLOSED, ROUND_CREATED, ROUND_OPENED
from smartgov.assessment.maturity import tgov_stage
from smartgov.assessment.models import AssessmentRound, RoundStatus
from smartgov.assessment.schemas import RoundResults
from smartgov.db import get_or_not_found, lock
from smartgov.errors import Conflict, DomainError, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef, OrganizationView, OrgKind

from .instruments import GARTNER_KEYS, TGOV_KEYS, create_instrument
from .results import classify_stages, compute_results


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
        ROUND_CREATED,
        actor_id=actor_id,
        round_id=rnd.id,
        organization_id=organization.id,
        framework_id=instrument.framework_id,
    )
    return rnd


def get_round(db: Session, round_id: int) -> AssessmentRound:
    return get_or_not_found(db, AssessmentRound, round_id, "assessment round")


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
    events.publish(db, ROUND_OPENED, actor_id=actor_id, round_id=rnd.id)


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
    events.publish(db, ROUND_CLOSED, actor_id=actor_id, round_id=rnd.id, respondents=results.n_respondents)
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
    events.publish(db, RESULTS_COMPLETED, actor_id=None, round_id=rnd.id,
                   cfa=results.cfa is not None)
    return results


def _complete_closed_round(db: Session, evt: events.Event, _outbox_id: int) -> None:
    """Outbox handler: the CFA of a round just closed."""
    rnd = db.get(AssessmentRound, int(evt.data["round_id"]))
    if rnd is not None:
        complete_results(db, rnd)


events.subscribe_async(ROUND_CLOSED, "assessment.complete_results", _complete_closed_round)


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
        classify_stages(rnd, stored)
        rnd.results = stored.model_dump(mode="json")
