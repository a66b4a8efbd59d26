"""Request and response shapes of the assessment API (also the stored shape of a round's results)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from smartgov.i18n import gettext
from smartgov.web.fields import Id, Int4, Rial

# --------------------------------------------------------------------------- frameworks


class FrameworkSummary(BaseModel):
    id: str
    version: str
    title_fa: str
    title_en: str
    levels: list[str]
    counts: dict[str, int]
    source: dict[str, Any]
    options: dict[str, str] = Field(description="Configurable groupings and the value in use.")


class NodePublic(BaseModel):
    code: str
    level: str
    label_fa: str
    label_en: str
    description_fa: str | None = None
    description_en: str | None = None
    attrs: dict[str, Any] = Field(default_factory=dict, description="Extra data, e.g. reference_alpha.")
    children: list[NodePublic] = Field(default_factory=list)


class FrameworkPublic(FrameworkSummary):
    nodes: list[NodePublic]


# --------------------------------------------------------------------------- instruments and rounds


class RoundCreate(BaseModel):
    """An agency admin starting a round: a new questionnaire from a framework with default items."""

    organization: str = Field(description="Code of the agency that owns the round.")
    framework: str = Field(description="Framework id, e.g. dg-sso or csf.")
    title_fa: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    scale_points: Literal[5, 7] = 5
    min_items: int = Field(3, ge=2, le=6, description="At least this many Likert items per component.")
    anonymous: bool = True
    options: dict[str, str] = Field(default_factory=dict, description="Framework options, e.g. empowerment=D9.")
    reuse_round: Id | None = Field(None, description="Reuse the questionnaire of this earlier round instead.")


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    component: str
    text_fa: str
    text_en: str
    reverse: bool
    weight: float
    position: int


class ItemUpdate(BaseModel):
    text_fa: str | None = Field(None, min_length=1, max_length=2000)
    text_en: str | None = Field(None, min_length=1, max_length=2000)
    reverse: bool | None = None


class RoundPublic(BaseModel):
    id: int
    organization: str
    framework: str
    framework_options: dict[str, Any]
    title_fa: str
    title_en: str
    status: str
    anonymous: bool
    scale_points: int
    n_items: int
    n_submitted: int
    n_in_progress: int
    created_at: dt.datetime
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    results_at: dt.datetime | None


class RoundSettings(BaseModel):
    """Stage answers and the figures the platform cannot know by itself."""

    tgov_internal: bool | None = None
    tgov_external: bool | None = None
    tgov_context: bool | None = None
    gartner_presence: bool | None = None
    gartner_interaction: bool | None = None
    gartner_transaction: bool | None = None
    gartner_transformation: bool | None = None
    total_services: int | None = Field(None, ge=1, le=100_000, description="All services of the agency, online or not.")
    operating_cost_rial: Rial | None = Field(None, ge=0, description="Operating cost of the period, in rial.")


class InvitationCreate(BaseModel):
    count: int = Field(0, ge=0, le=500, description="How many single-use links to make.")
    labels: list[str] = Field(default_factory=list, description="Optional names for the links (named rounds).")
    usernames: list[str] = Field(default_factory=list, description="Accounts to invite; they answer signed in.")


class InvitationCreated(BaseModel):
    links: list[str] = Field(description="The single-use links. Shown only this once.")
    accounts: list[str]


class ResponsePublic(BaseModel):
    id: int
    respondent: str = Field(description="Respondent key; anonymous rounds show no names.")
    status: str
    source: str
    answered: int
    submitted_at: dt.datetime | None


class AnswersIn(BaseModel):
    answers: dict[str, Int4] = Field(description="Item code → value on the scale.")
    submit: bool = False


class ImportResult(BaseModel):
    imported: int


class CellError(BaseModel):
    row: int
    column: str
    code: str
    message: str


# --------------------------------------------------------------------------- results


class Note(BaseModel):
    """A message id with parameters, translated into the reader's language when shown."""

    message_id: str
    params: dict[str, Any] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        return gettext(self.message_id, **self.params)


class ScoreOut(BaseModel):
    code: str
    label_fa: str
    label_en: str
    level: str
    parent: str | None = None
    mean: float
    percent: float
    n: int


class ItemStatOut(BaseModel):
    item: str
    mean: float
    sd: float
    item_total_r: float | None
    alpha_if_deleted: float | None


class AlphaOut(BaseModel):
    component: str
    label_fa: str
    label_en: str
    k: int
    n_used: int
    n_dropped: int
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    reference_alpha: float | None = Field(None, description="Published alpha (seed 004 Table 2), if any.")
    below_threshold: bool
    note: Note | None = None
    items: list[ItemStatOut] = Field(default_factory=list)


class AdequacyOut(BaseModel):
    kmo: float
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float
    n_used: int


class EfaOut(BaseModel):
    n_factors: int
    rotation: str | None
    method: str
    parallel_factors: int | None
    variance: list[tuple[str, float, float, float]]
    loadings: dict[str, dict[str, float]]


class FitOut(BaseModel):
    n: int
    chi2: float
    df: int
    p_value: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmr: float


class LoadingOut(BaseModel):
    factor: str
    indicator: str
    est: float
    se: float | None
    z: float | None
    p: float | None
    std: float


class ReliabilityOut(BaseModel):
    factor: str
    cr: float
    ave: float


class CfaOut(BaseModel):
    second_order: bool
    fit: FitOut
    loadings: list[LoadingOut]
    reliability: list[ReliabilityOut]
    fornell_larcker_ok: bool | None
    htmt_max: float | None
    excluded: list[str]
    notes: list[Note] = Field(default_factory=list)


class ChangeOut(BaseModel):
    code: str
    before: float
    after: float
    delta: float


class ComparisonOut(BaseModel):
    previous_round: int
    previous_title_fa: str
    previous_title_en: str
    changes: list[ChangeOut]


class StageOut(BaseModel):
    model: Literal["tgov", "gartner"]
    stage: int
    label_fa: str
    label_en: str
    description_fa: str | None = None
    description_en: str | None = None
    unsupported: list[str] = Field(default_factory=list, description="Gartner stages claimed without their basis.")


class RoundResults(BaseModel):
    """Everything the results page, the report and the exports show for one round."""

    round_id: int
    framework_id: str
    scale_points: int
    n_respondents: int
    n_items: int
    missing_policy: str = "listwise"
    full: bool = Field(description="False for provisional results of an open round (no CFA yet).")
    computed_at: dt.datetime
    overall: ScoreOut | None
    dimensions: list[ScoreOut]
    components: list[ScoreOut]
    alphas: list[AlphaOut]
    adequacy: AdequacyOut | None = None
    adequacy_note: Note | None = None
    efa: EfaOut | None = None
    efa_note: Note | None = None
    cfa: CfaOut | None = None
    cfa_note: Note | None = None
    cfa_pending: bool = Field(False, description="True from closing a round until the worker has computed its CFA "
                                                 "(a minute or so); the rest of the results are final.")
    comparison: ComparisonOut | None = None
    tgov: StageOut | None = None
    tgov_note: Note | None = None
    gartner: StageOut | None = None
    gartner_note: Note | None = None


# --------------------------------------------------------------------------- indicators and roadmap


class IndicatorOut(BaseModel):
    key: str
    label: str
    definition: str
    unit: str
    value: float | None = Field(description="None: no data yet (never a made-up number).")
    display: str
    n: int = Field(0, description="How many records the value is computed from.")
    source: str


class RoadmapActionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    component: str
    action_key: str
    phase: int
    title_fa: str
    title_en: str
    capabilities: list[str]
    score_percent: float | None
    owner: str | None
    due_date: dt.date | None
    status: str


class RoadmapActionUpdate(BaseModel):
    owner: str | None = Field(None, max_length=120)
    due_date: dt.date | None = None
    status: Literal["planned", "in_progress", "done"] | None = None
    phase: int | None = Field(None, ge=1, le=4)
