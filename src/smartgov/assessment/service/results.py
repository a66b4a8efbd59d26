"""Results: scores, reliability, factor analyses, stage classification, comparison with the previous round."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.assessment.cfa import cfa, measurement_from_framework
from smartgov.assessment.frameworks import Framework, Node
from smartgov.assessment.maturity import MaturityScores, compare_rounds, gartner_stage, score, tgov_stage
from smartgov.assessment.models import AssessmentRound, ResponseStatus, RoundStatus, SurveyInstrument, SurveyResponse
from smartgov.assessment.psychometrics import alpha_by_component, efa, sampling_adequacy
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
from smartgov.errors import DomainError
from smartgov.i18n import N_

from .instruments import GARTNER_KEYS, TGOV_KEYS, component_level, framework_of, pure_instrument
from .responses import counts


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
        classify_stages(rnd, results)
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
    classify_stages(rnd, results)
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


def classify_stages(rnd: AssessmentRound, results: RoundResults) -> None:
    """Set the T-Gov and Gartner stages (or the note saying why not) from the round's stage answers."""
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
