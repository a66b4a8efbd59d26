"""JSON API of insight under ``/api/v1/insight``: projects, sources, codes, coded segments, themes,
analyses, REFI-QDA exchange, the "what we heard" draft and LLM summaries of themes.

Every route reaches a project through ``access.project_for``: another agency's project answers 404
exactly as a project that does not exist (no probing by id), and writing needs a token with the
``write`` scope. Handlers are thin: authorize, call one service function, commit, serialize.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from smartgov import assessment, identity
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import Principal, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.pagination import Page, Pagination, page_of
from smartgov.web.routing import ModuleRouter

from . import access, analysis, loop, permissions, promote, refi_export, refi_import, service, summaries, texts
from .models import Code, Project, Source, Theme
from .schemas import (
    AgreementPublic,
    CodeCreate,
    CodePublic,
    Cooccurrence,
    Crosstab,
    CrosstabRow,
    DisagreementPublic,
    Frequency,
    HeardCreate,
    HeardDrafted,
    ImportResult,
    KappaPublic,
    ParticipationPull,
    ProjectCreate,
    ProjectPublic,
    PromotionCreate,
    PromotionPublic,
    Saturation,
    SaturationPointPublic,
    SegmentCreate,
    SegmentPublic,
    SourceCreate,
    SourceDetail,
    SourcePublic,
    SuggestionPublic,
    SummaryCreate,
    ThemeCreate,
    ThemePublic,
)

router = ModuleRouter(prefix="/api/v1/insight", tags=["insight"])
MAX_QDPX_BYTES = 200 * 1024 * 1024


def _org_code(db: Session, org_id: int) -> str:
    org = identity.organization_view(db, org_id)
    return org.code if org else ""


def project_public(db: Session, p: Project) -> ProjectPublic:
    return ProjectPublic(id=p.id, guid=p.guid, organization=_org_code(db, p.organization_id), name=p.name,
                         description=p.description, blind=p.blind, origin=p.origin, created_at=p.created_at)


def source_public(s: Source, values: dict[str, str]) -> SourcePublic:
    return SourcePublic(id=s.id, guid=s.guid, name=s.name, kind=s.kind, external_ref=s.external_ref,
                        length=len(s.text), values=values)


def promotion_public(a: assessment.AdditionView) -> PromotionPublic:
    return PromotionPublic(addition_id=a.id, framework=a.framework_id, parent_code=a.parent_code, kind=a.kind,
                           label=a.label, url=a.url)


def theme_public(t: Theme, codes: list[int], promoted: list[assessment.AdditionView] | None = None) -> ThemePublic:
    return ThemePublic(id=t.id, guid=t.guid, level=t.level, parent_id=t.parent_id, name=t.name,
                       description=t.description, code_ids=codes,
                       promotions=[promotion_public(a) for a in promoted or []])


def code_public(c: Code, depth: int) -> CodePublic:
    return CodePublic(id=c.id, guid=c.guid, parent_id=c.parent_id, name=c.name, color=c.color,
                      definition=c.definition, inclusion=c.inclusion, exclusion=c.exclusion, examples=c.examples,
                      depth=depth)


def _segments(db: Session, project: Project, principal: Principal, segs: list[service.Segment]) -> list[SegmentPublic]:
    """Segments with their words; in a blind project only the caller's own."""
    if project.blind:
        mine = service.coder_for(db, project, principal).id
        segs = [s for s in segs if s.coder_id == mine]
    text = {s.id: s.text for s in service.sources(db, project)}
    return [SegmentPublic(coding_id=s.coding_id, selection_id=s.selection_id, source_id=s.source_id,
                          code_id=s.code_id, coder_id=s.coder_id, start=s.start, end=s.end,
                          text=text[s.source_id][s.start:s.end]) for s in segs]


# --------------------------------------------------------------------------- projects


@router.get("/projects", response_model=Page[ProjectPublic])
def list_projects(db: DbSession, principal: CurrentPrincipal, pagination: Pagination) -> dict[str, Any]:
    """The projects of the agencies the caller analyses for (theirs and those below them), newest first."""
    found = service.projects_for(db, principal)
    rows = found[pagination.offset:pagination.offset + pagination.per_page]
    return page_of([project_public(db, p) for p in rows], len(found), pagination)


@router.post("/projects", status_code=201, response_model=ProjectPublic)
def create_project(body: ProjectCreate, db: DbSession, principal: CurrentPrincipal) -> ProjectPublic:
    """Start a project for an agency the caller is an analyst of."""
    org = identity.organization_by_code(db, body.organization)
    require(permissions.can_create_project(db, principal, org))
    p = service.create_project(db, principal, org, body.name, description=body.description, blind=body.blind)
    db.commit()
    return project_public(db, p)


@router.post("/projects/import", status_code=201, response_model=ImportResult)
def import_project(db: DbSession, principal: CurrentPrincipal,
                   file: Annotated[UploadFile, File(description="A REFI-QDA project (.qdpx) from any tool.")],
                   organization: Annotated[str, Form(max_length=40, description="Code of the owning agency.")],
                   name: Annotated[str | None, Form(max_length=200, description="Name (default: the file's).")] = None,
                   ) -> ImportResult:
    """Import a .qdpx made by MAXQDA, ATLAS.ti, NVivo, QualCoder or smartgov, GUIDs kept; what could not be
    imported is listed in ``skipped``."""
    org = identity.organization_by_code(db, organization)
    require(permissions.can_create_project(db, principal, org))
    data = file.file.read(MAX_QDPX_BYTES + 1)
    if len(data) > MAX_QDPX_BYTES:
        raise DomainError("file_too_large", N_("The file is too large."), field="file", status=422)
    report = refi_import.import_qdpx(db, data, org, principal, name=name or None)
    assert report.project is not None
    db.commit()
    return ImportResult(project=project_public(db, report.project), counts=dict(report.counts),
                        skipped=dict(report.skipped))


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def get_project(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> ProjectPublic:
    """One project (404 for another agency's)."""
    return project_public(db, access.project_for(db, principal, project_id))


@router.get("/projects/{project_id}/export.qdpx", response_class=Response,
            responses={200: {"content": {"application/zip": {}}, "description": "The REFI-QDA project."}})
def export_project(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> Response:
    """The project as REFI-QDA .qdpx (project.qde valid against the consortium's XSD, sources as text files)."""
    project = access.project_for(db, principal, project_id)
    return Response(refi_export.export_qdpx(db, project), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="project-{project.id}.qdpx"'})


@router.get("/projects/{project_id}/codebook.qdc", response_class=Response,
            responses={200: {"content": {"application/xml": {}}, "description": "The REFI-QDA codebook."}})
def export_codebook(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> Response:
    """The code system as a REFI-QDA codebook (.qdc)."""
    project = access.project_for(db, principal, project_id)
    return Response(refi_export.export_qdc(db, project), media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="codebook-{project.id}.qdc"'})


# --------------------------------------------------------------------------- sources


@router.get("/projects/{project_id}/sources", response_model=Page[SourcePublic])
def list_sources(project_id: Id, db: DbSession, principal: CurrentPrincipal, pagination: Pagination) -> dict[str, Any]:
    """The project's sources with their case variables, in the order they were added."""
    project = access.project_for(db, principal, project_id)
    found, values = service.sources(db, project), service.values_of(db, project)
    rows = found[pagination.offset:pagination.offset + pagination.per_page]
    return page_of([source_public(s, values.get(s.id, {})) for s in rows], len(found), pagination)


@router.post("/projects/{project_id}/sources", status_code=201, response_model=SourcePublic)
def add_source(project_id: Id, body: SourceCreate, db: DbSession, principal: CurrentPrincipal) -> SourcePublic:
    """Add a transcript as text, with its case variables."""
    project = access.project_for(db, principal, project_id, write=True)
    source = service.add_source(db, project, principal, body.name, body.text, values=body.values)
    db.commit()
    return source_public(source, service.values_of(db, project).get(source.id, {}))


@router.post("/projects/{project_id}/sources/upload", status_code=201, response_model=SourcePublic)
def upload_source(project_id: Id, db: DbSession, principal: CurrentPrincipal,
                  file: Annotated[UploadFile, File(description="A transcript as TXT, DOCX or PDF (its text).")],
                  name: Annotated[str, Form(max_length=300)] = "") -> SourcePublic:
    """Upload a transcript or document; its text is read within the platform's limits for hostile files."""
    project = access.project_for(db, principal, project_id, write=True)
    source = service.upload_source(db, project, principal, file.filename or "upload.txt",
                                   file.file.read(texts.MAX_UPLOAD_BYTES + 1), name=name)
    db.commit()
    return source_public(source, {})


@router.post("/projects/{project_id}/participation", status_code=201, response_model=list[SourcePublic])
def pull_participation(project_id: Id, body: ParticipationPull, db: DbSession,
                       principal: CurrentPrincipal) -> list[SourcePublic]:
    """Pull the (redacted) comments of a consultation, proposal or petition not in the project yet."""
    project = access.project_for(db, principal, project_id, write=True)
    added = service.pull_participation(db, project, principal, body.subject_kind, body.subject_id)
    db.commit()
    values = service.values_of(db, project)
    return [source_public(s, values.get(s.id, {})) for s in added]


@router.get("/projects/{project_id}/sources/{source_id}", response_model=SourceDetail)
def get_source(project_id: Id, source_id: Id, db: DbSession, principal: CurrentPrincipal) -> SourceDetail:
    """One source with its text."""
    project = access.project_for(db, principal, project_id)
    s = service.get_source(db, project, source_id)
    return SourceDetail(**source_public(s, service.values_of(db, project).get(s.id, {})).model_dump(), text=s.text)


# --------------------------------------------------------------------------- codes, segments, themes


@router.get("/projects/{project_id}/codes", response_model=list[CodePublic])
def list_codes(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> list[CodePublic]:
    """The code system, parents before their children."""
    project = access.project_for(db, principal, project_id)
    return [code_public(c, depth) for depth, c in service.code_tree(db, project)]


@router.post("/projects/{project_id}/codes", status_code=201, response_model=CodePublic)
def create_code(project_id: Id, body: CodeCreate, db: DbSession, principal: CurrentPrincipal) -> CodePublic:
    """A code, at the top of the code system or under ``parent_id``, with its criteria and examples."""
    project = access.project_for(db, principal, project_id, write=True)
    code = service.create_code(db, project, principal, body.name, parent_id=body.parent_id, color=body.color,
                               definition=body.definition, inclusion=body.inclusion, exclusion=body.exclusion,
                               examples=body.examples)
    db.commit()
    depth = next(d for d, c in service.code_tree(db, project) if c.id == code.id)
    return code_public(code, depth)


@router.get("/projects/{project_id}/segments", response_model=list[SegmentPublic])
def list_segments(project_id: Id, db: DbSession, principal: CurrentPrincipal,
                  source_id: Annotated[Id | None, Query(description="Only this source's.")] = None,
                  code_id: Annotated[Id | None, Query(description="Only this code's (segment retrieval).")] = None,
                  ) -> list[SegmentPublic]:
    """Coded segments in coding order (in a blind project, only the caller's own)."""
    project = access.project_for(db, principal, project_id)
    segs = service.segments(db, project, source_id=source_id, code_ids=[code_id] if code_id else None)
    found = _segments(db, project, principal, segs)
    db.commit()  # the caller's coder row may have been made
    return found


@router.post("/projects/{project_id}/segments", status_code=201, response_model=list[SegmentPublic])
def code_segment(project_id: Id, body: SegmentCreate, db: DbSession,
                 principal: CurrentPrincipal) -> list[SegmentPublic]:
    """Apply codes to ``text[start:end]`` of a source (offsets in code points, as REFI-QDA counts them)."""
    project = access.project_for(db, principal, project_id, write=True)
    source = service.get_source(db, project, body.source_id)
    selection = service.code_span(db, project, principal, source, body.start, body.end, body.code_ids)
    db.commit()
    segs = [s for s in service.segments(db, project, source_id=source.id) if s.selection_id == selection.id]
    return _segments(db, project, principal, segs)


@router.delete("/projects/{project_id}/codings/{coding_id}", status_code=204)
def remove_coding(project_id: Id, coding_id: Id, db: DbSession, principal: CurrentPrincipal) -> None:
    """Remove one coding (an emptied selection goes too)."""
    project = access.project_for(db, principal, project_id, write=True)
    service.remove_coding(db, project, principal, coding_id)
    db.commit()


@router.get("/projects/{project_id}/themes", response_model=list[ThemePublic])
def list_themes(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> list[ThemePublic]:
    """The thematic network: basic themes with their codes, organizing and global themes above them."""
    project = access.project_for(db, principal, project_id)
    grouped, promoted = service.theme_codes(db, project), promote.promotions(db, project)
    return [theme_public(t, grouped.get(t.id, []), promoted.get(t.id)) for t in service.themes(db, project)]


@router.post("/projects/{project_id}/themes", status_code=201, response_model=ThemePublic)
def create_theme(project_id: Id, body: ThemeCreate, db: DbSession, principal: CurrentPrincipal) -> ThemePublic:
    """A basic theme grouping codes (under an organizing theme), an organizing or a global theme."""
    project = access.project_for(db, principal, project_id, write=True)
    theme = service.create_theme(db, project, principal, body.name, body.level, parent_id=body.parent_id,
                                 code_ids=body.code_ids, description=body.description)
    db.commit()
    return theme_public(theme, service.theme_codes(db, project).get(theme.id, []))


# --------------------------------------------------------------------------- analyses


@router.get("/projects/{project_id}/analyses/frequencies", response_model=list[Frequency])
def frequencies(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> list[Frequency]:
    """Every code with its number of coded segments and of sources it appears in."""
    project = access.project_for(db, principal, project_id)
    return [Frequency(code_id=c.id, name=c.name, segments=n, sources=k)
            for c, n, k in analysis.frequencies(db, project)]


@router.get("/projects/{project_id}/analyses/crosstab", response_model=Crosstab)
def crosstab(project_id: Id, db: DbSession, principal: CurrentPrincipal,
             variable: Annotated[str, Query(min_length=1, max_length=200, description="A case variable.")]) -> Crosstab:
    """Sources coded with each code, per value of a case variable."""
    project = access.project_for(db, principal, project_id)
    columns, rows = analysis.crosstab(db, project, variable)
    return Crosstab(variable=variable, columns=columns,
                    rows=[CrosstabRow(code_id=c.id, name=c.name, counts=counts) for c, counts in rows])


@router.get("/projects/{project_id}/analyses/cooccurrence", response_model=list[Cooccurrence])
def cooccurrence(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> list[Cooccurrence]:
    """Pairs of codes whose segments overlap, with how often."""
    project = access.project_for(db, principal, project_id)
    pairs = sorted(analysis.cooccurrence(db, project).items())
    return [Cooccurrence(code_a=a, code_b=b, count=n) for (a, b), n in pairs]


@router.get("/projects/{project_id}/analyses/saturation", response_model=Saturation)
def saturation(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> Saturation:
    """New codes per source in the order sources were coded, and where the curve flattens."""
    project = access.project_for(db, principal, project_id)
    points, flat = analysis.saturation(db, project)
    return Saturation(points=[SaturationPointPublic(source_id=p.source.id, source=p.source.name, new_codes=p.new_codes,
                                                    total_codes=p.total_codes) for p in points], flattens_at=flat)


@router.get("/projects/{project_id}/analyses/agreement", response_model=AgreementPublic)
def agreement(project_id: Id, db: DbSession, principal: CurrentPrincipal) -> AgreementPublic:
    """Inter-coder agreement: Cohen's kappa per code, Krippendorff's alpha, and the disagreements."""
    project = access.project_for(db, principal, project_id)
    a = analysis.agreement(db, project)
    return AgreementPublic(
        coders=[c.name for c in a.coders], units=a.units, alpha=a.alpha,
        kappa=[KappaPublic(code_id=c.id, name=c.name, kappa=k, units=n) for c, k, n in a.kappa],
        disagreements=[DisagreementPublic(source_id=d.source.id, start=d.start, end=d.end, code_id=d.code.id,
                                          coded_by=list(d.coded_by), not_by=list(d.not_by)) for d in a.disagreements])


# --------------------------------------------------------------------------- closing the loop, summaries


@router.post("/projects/{project_id}/heard", status_code=201, response_model=HeardDrafted)
def draft_heard(project_id: Id, body: HeardCreate, db: DbSession, principal: CurrentPrincipal) -> HeardDrafted:
    """Draft a consultation's "what we heard" from the project's basic themes (quotes linked to comments);
    the agency's official edits and publishes it in participation."""
    project = access.project_for(db, principal, project_id, write=True)
    ref = loop.draft_what_we_heard(db, project, principal, body.consultation_id)
    counts = loop.theme_counts(db, project, ref.id)
    db.commit()
    return HeardDrafted(consultation_id=ref.id, slug=ref.slug,
                        respond_url=f"/participation/consultations/{ref.slug}/respond", themes=len(counts),
                        quotes=sum(len(t.quotes) for t in counts))


@router.post("/projects/{project_id}/themes/{theme_id}/promote", status_code=201, response_model=PromotionPublic)
def promote_theme(project_id: Id, theme_id: Id, body: PromotionCreate, db: DbSession,
                  principal: CurrentPrincipal) -> PromotionPublic:
    """Promote a theme to a success factor (CSF) or indicator (SSO model, EGDI) of the project's agency,
    keeping the link both ways; needs rights on both: coding the project and extending the agency's frameworks."""
    project = access.project_for(db, principal, project_id, write=True)
    theme = service.get_theme(db, project, theme_id)
    added = promote.promote_theme(db, project, principal, theme, body.framework, body.parent_code, label=body.label)
    db.commit()
    return promotion_public(added)


@router.post("/projects/{project_id}/themes/{theme_id}/summary", status_code=201, response_model=SuggestionPublic)
def summarize_theme(project_id: Id, theme_id: Id, body: SummaryCreate, db: DbSession,
                    principal: CurrentPrincipal) -> SuggestionPublic:
    """Ask the configured OpenAI-compatible endpoint for a summary of a theme's segments; it is kept as a
    suggestion with its provenance for a person to approve. 409 when no endpoint is configured."""
    project = access.project_for(db, principal, project_id, write=True)
    theme = service.get_theme(db, project, theme_id)
    s = summaries.summarize_theme(db, project, principal, theme, max_segments=body.max_segments)
    db.commit()
    return SuggestionPublic(id=s.id, kind=s.kind, method=s.method, parameters=s.parameters, payload=s.payload,
                            status=s.status, created_at=s.created_at)
