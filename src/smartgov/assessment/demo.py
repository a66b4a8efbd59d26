"""Demo data: one finished DG-model round of the Social Security Organization, so results show.

Responses are simulated from a second-order factor model (dimension → component → item) with a
seeded generator, so the demo looks like real survey data (alphas around the published ones,
a CFA that converges) and is the same on every machine.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.assessment.models import AssessmentRound, SurveyInstrument
from smartgov.errors import NotFound

DEMO_TITLE_EN = "Digital maturity self-assessment 1404"
DEMO_RESPONDENTS = 240


def simulated_frame(instrument: SurveyInstrument, n: int, seed: int = 1405, strength: float = 0.8) -> pd.DataFrame:
    """``n`` respondents × items from a second-order factor model, reverse items reversed back."""
    from smartgov.assessment.service import framework_of

    rng = np.random.default_rng(seed)
    fw = framework_of(instrument)
    components = list(dict.fromkeys(i.component for i in instrument.items))
    parent = {c: (fw.parent_of(c).code if fw.parent_of(c) else c) for c in components}
    dims = list(dict.fromkeys(parent.values()))
    g = rng.standard_normal(n)
    dim_scores = {d: 0.6 * g + 0.8 * rng.standard_normal(n) for d in dims}
    shift = {c: rng.uniform(-0.9, 0.7) for c in components}  # some components weaker than others
    comp_scores = {c: 0.8 * dim_scores[parent[c]] + 0.6 * rng.standard_normal(n) for c in components}
    top = instrument.scale_points
    mid = (top + 1) / 2
    data = {}
    for item in instrument.items:
        latent = strength * comp_scores[item.component] + 0.55 * rng.standard_normal(n)
        raw = np.clip(np.rint(mid + shift[item.component] + latent * (top - 1) / 4), 1, top)
        data[item.code] = (top + 1) - raw if item.reverse else raw
    return pd.DataFrame(data)


def load(db: Session, rng: random.Random, people: int) -> None:
    """One closed DG round for the SSO with simulated answers (idempotent by title)."""
    from smartgov.assessment import service

    try:
        org = identity.organization_by_code(db, "sso")
    except NotFound:
        return
    if db.scalar(select(AssessmentRound.id).where(AssessmentRound.title_en == DEMO_TITLE_EN)):
        return
    rnd = service.create_round(
        db,
        organization=org,
        framework_id="dg-sso",
        title_fa="خودارزیابی بلوغ دیجیتال ۱۴۰۴",
        title_en=DEMO_TITLE_EN,
        scale_points=5,
        anonymous=True,
    )
    service.open_round(db, rnd)
    frame = simulated_frame(rnd.instrument, DEMO_RESPONDENTS, seed=rng.randrange(1 << 30))
    rows = ((f"demo-{n:03d}", {code: int(v) for code, v in zip(frame.columns, row, strict=True)})
            for n, row in enumerate(frame.itertuples(index=False), start=1))
    service.add_imported(db, rnd, rows)
    service.update_settings(
        db,
        rnd,
        {
            "tgov_internal": True,
            "tgov_external": False,
            "tgov_context": False,
            "gartner_presence": True,
            "gartner_interaction": True,
            "gartner_transaction": True,
            "gartner_transformation": False,
            "total_services": 120,
        },
    )
    results = service.close_round(db, rnd)
    service.build_roadmap(db, rnd, results)
    service.complete_results(db, rnd)  # the demo's data is whole without a worker (the worker's turn is then a no-op)
