"""Request and response shapes of the insight API (``/api/v1/insight``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from smartgov.web.fields import Id, Int4

Name = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=20_000)]
Offset = Annotated[int, Field(ge=0, le=2_000_000, description="A position in the source's text, in code points.")]


class ProjectCreate(BaseModel):
    organization: str = Field(max_length=40, description="Code of the agency that owns the project.")
    name: Name
    description: LongText = ""
    blind: bool = Field(False, description="Coders see only their own coding.")


class ProjectPublic(BaseModel):
    id: int
    guid: str
    organization: str = Field(description="Code of the owning agency.")
    name: str
    description: str
    blind: bool
    origin: str = Field(description="The tool it was made in (smartgov, or the tool of an imported .qdpx).")
    created_at: dt.datetime


class ImportResult(BaseModel):
    project: ProjectPublic
    counts: dict[str, int] = Field(description="What was imported, per kind (codes, sources, selections…).")
    skipped: dict[str, int] = Field(description="Elements and files not imported, per name: reported, not dropped.")


class SourceCreate(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=300)]
    text: Annotated[str, Field(min_length=1, max_length=2_000_000)]
    values: dict[Annotated[str, Field(max_length=200)], Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=50, description="Case variables, e.g. speaker role, province, group.")


class ParticipationPull(BaseModel):
    subject_kind: Literal["consultation", "proposal", "petition"]
    subject_id: Id


class SourcePublic(BaseModel):
    id: int
    guid: str
    name: str
    kind: str = Field(description="transcript, document, comment or imported.")
    external_ref: str | None = Field(description='Where it came from, e.g. "participation.comment:12".')
    length: int = Field(description="Characters of its text.")
    values: dict[str, str] = Field(description="Its case variables.")


class SourceDetail(SourcePublic):
    text: str


class CodeCreate(BaseModel):
    name: Name
    parent_id: Id | None = None
    color: str = Field("#0b5394", pattern=r"^#[0-9a-fA-F]{6}$")
    definition: LongText = ""
    inclusion: LongText = ""
    exclusion: LongText = ""
    examples: LongText = ""


class CodePublic(BaseModel):
    id: int
    guid: str
    parent_id: int | None
    name: str
    color: str
    definition: str
    inclusion: str
    exclusion: str
    examples: str
    depth: int = Field(description="0 at the top of the code system.")


class SegmentCreate(BaseModel):
    source_id: Id
    start: Offset
    end: Offset
    code_ids: list[Id] = Field(min_length=1, max_length=50)


class SegmentPublic(BaseModel):
    coding_id: int
    selection_id: int
    source_id: int
    code_id: int
    coder_id: int | None
    start: int
    end: int
    text: str = Field(description="The coded words.")


class ThemeCreate(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=300)]
    level: Literal["basic", "organizing", "global"]
    parent_id: Id | None = None
    code_ids: list[Id] = Field(default_factory=list, max_length=500, description="Codes a basic theme groups.")
    description: LongText = ""


class PromotionPublic(BaseModel):
    addition_id: int
    framework: str
    parent_code: str
    kind: str = Field(description="success_factor or indicator.")
    label: str
    url: str = Field(description="The framework page where the addition is shown with its link back.")


class ThemePublic(BaseModel):
    id: int
    guid: str
    level: str
    parent_id: int | None
    name: str
    description: str
    code_ids: list[int]
    promotions: list[PromotionPublic] = Field(default_factory=list,
                                              description="Where the theme went in assessment frameworks.")


class PromotionCreate(BaseModel):
    framework: Literal["csf", "dg-sso", "egdi"]
    parent_code: str = Field(min_length=1, max_length=40, description="The node it goes under.")
    label: str = Field("", max_length=300, description="Its name in the framework (default: the theme's).")


class Frequency(BaseModel):
    code_id: int
    name: str
    segments: int
    sources: int


class CrosstabRow(BaseModel):
    code_id: int
    name: str
    counts: list[int] = Field(description="Sources coded with the code, one number per column.")


class Crosstab(BaseModel):
    variable: str
    columns: list[str]
    rows: list[CrosstabRow]


class Cooccurrence(BaseModel):
    code_a: int
    code_b: int
    count: int = Field(description="Times their segments overlap in a source.")


class SaturationPointPublic(BaseModel):
    source_id: int
    source: str
    new_codes: int
    total_codes: int


class Saturation(BaseModel):
    points: list[SaturationPointPublic]
    flattens_at: int | None = Field(description="1-based position from which no source added a code.")


class KappaPublic(BaseModel):
    code_id: int
    name: str
    kappa: float | None
    units: int


class DisagreementPublic(BaseModel):
    source_id: int
    start: int
    end: int
    code_id: int
    coded_by: list[str]
    not_by: list[str]


class AgreementPublic(BaseModel):
    coders: list[str]
    units: int
    kappa: list[KappaPublic] = Field(description="Cohen's kappa of the first two coders, per code.")
    alpha: float | None = Field(description="Krippendorff's alpha (nominal) over every coder and code.")
    disagreements: list[DisagreementPublic]


class HeardCreate(BaseModel):
    consultation_id: Id


class HeardDrafted(BaseModel):
    consultation_id: int
    slug: str
    respond_url: str = Field(description="Where the agency's official edits and publishes the draft.")
    themes: int
    quotes: int


class SummaryCreate(BaseModel):
    max_segments: Int4 = Field(40, ge=1, le=200, description="Segments of the theme sent to the model.")


class SuggestionPublic(BaseModel):
    id: int
    kind: str
    method: str
    parameters: dict[str, object]
    payload: dict[str, object]
    status: str
    created_at: dt.datetime
