"""Use cases of the e-services engine: definitions, the applicant's journey and the official's inbox.

Functions take a Session and never commit; the caller's unit of work does. Every state
change is written to the transition log and published as an event in the same transaction.
Payments live in ``payments.py`` and signed documents in ``documents.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jdatetime
from sqlalchemy import Select, and_, bindparam, case, delete, false, func, or_, select, true, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.db import database_of, keep
from smartgov.errors import Conflict, DomainError, Forbidden, NotFound
from smartgov.i18n import N_, gettext, localize_digits, to_latin_digits
from smartgov.identity import (
    Account,
    Organization,
    OrgKind,
    Principal,
    Role,
    can_use_personal_records,
    organization_by_code,
)
from smartgov.identity.service import descendants
from smartgov.notifications import (
    MessageTemplate,
    register_template,
)
from smartgov.settings import get_settings

from . import pipeline, registry
from .config import services_settings
from .definitions import (
    FileField,
    GroupField,
    ServiceDefinition,
    Transition,
    invalid_at,
    issue_states,
    load_definition,
    named_hooks,
    parse_definition,
)
from .eligibility import failed_rules
from .models import (
    Application,
    Counter,
    Definition,
    DefinitionStatus,
    Draft,
    InfoRequest,
    Invoice,
    InvoiceStatus,
    IssuedDocument,
    Rating,
    StoredFile,
    TransitionLog,
)
from .pipeline import applicant_messages, case_event_data
from .workflow import Workflow, is_breached, time_left

log = logging.getLogger(__name__)

STAFF_ROLES = (Role.OFFICIAL, Role.AGENCY_ADMIN)
APPLICANT = "applicant"
"""The one workflow role the engine knows: the person who applied. Every other role named in a
definition (``registry_clerk``, ``officer``…) is held by the owning agency's officials."""
REQUEST_INFORMATION = "request_information"
RESPOND = "respond"
WITHDRAW = "withdraw"
MAX_DRAFT_BYTES = 256 * 1024
MAX_ANSWER_LENGTH = 4000
SORTS = ("deadline", "newest", "oldest", "reference")

# --------------------------------------------------------------------------- notifications

register_template(MessageTemplate(
    key="services.submitted",
    subject_fa="درخواست {reference} ثبت شد",
    subject_en="Application {reference} received",
    body_fa="درخواست «{service_fa}» شما با شمارهٔ پیگیری {reference} ثبت شد.\nپیگیری: {link}",
    body_en="We received your application for “{service_en}”. Reference: {reference}.\nTrack it: {link}",
))
register_template(MessageTemplate(
    key="services.info_requested",
    subject_fa="برای درخواست {reference} اطلاعات بیشتری لازم است",
    subject_en="More information needed for {reference}",
    body_fa="کارشناس برای بررسی درخواست {reference} پرسیده است:\n{question}\nپاسخ دهید: {link}",
    body_en="To continue with application {reference}, the official asks:\n{question}\nReply here: {link}",
))
register_template(MessageTemplate(
    key="services.decided",
    subject_fa="دربارهٔ درخواست {reference} تصمیم گرفته شد",
    subject_en="A decision on application {reference}",
    body_fa="وضعیت درخواست {reference}: {state_fa}\n{reason}\nجزئیات: {link}",
    body_en="Application {reference} is now: {state_en}\n{reason}\nDetails: {link}",
))
register_template(MessageTemplate(
    key="services.document_issued",
    subject_fa="سند درخواست {reference} صادر شد",
    subject_en="Your document for {reference} is ready",
    body_fa="«{title_fa}» صادر و امضا شد. دریافت: {link}\nاستعلام اصالت: {verify}",
    body_en="“{title_en}” has been issued and signed. Download: {link}\nCheck it: {verify}",
))


def notify_applicant(db: Session, app: Application, template: str, **context: Any) -> None:
    """E-mail and SMS to the applicant in their language, through the outbox."""
    account = db.get(Account, app.applicant_id)
    person = account.person if account else None
    if account is None or person is None:
        return
    for name, data in applicant_messages(account.language, person.email, person.phone, app.reference, template,
                                         context):
        events.publish(db, name, **data)


# --------------------------------------------------------------------------- definitions

_parsed: dict[str, ServiceDefinition] = {}


def definition_of(row: Definition) -> ServiceDefinition:
    """The parsed definition of a stored version (parsed once per process).

    Keyed by the source text itself: Python hashes a string once and keeps the hash, so repeated
    lookups for the same loaded row are free (a SHA-256 of the YAML per call was 8 % of a status read).
    """
    return parsed_definition(row.source, row.source_name)


def parsed_definition(source: str, source_name: str) -> ServiceDefinition:
    """``definition_of`` for a source read as plain columns."""
    found = _parsed.get(source)
    if found is None:
        found = parse_definition(source, source_name)
        _parsed[source] = found
    return found


def resolve_agency(db: Session, code: str) -> Organization | None:
    """The agency a definition names (codes compare case-insensitively: ``SSO`` is ``sso``)."""
    for candidate in dict.fromkeys((code, code.lower())):
        try:
            org = organization_by_code(db, candidate)
        except NotFound:
            continue
        if org.kind == OrgKind.AGENCY:
            return org
    return None


def prepare_definition(db: Session, text: str, source: str) -> tuple[ServiceDefinition, Organization]:
    """Validate YAML ``text``: the loader's checks, then registered hooks and the owning agency."""
    defn = parse_definition(text, source)
    problems = [
        (loc, f"no {kind} called {name!r} is registered")
        for loc, kind, name in named_hooks(defn)
        if not registry.known(kind, name)
    ]
    agency = resolve_agency(db, defn.agency)
    if agency is None:
        problems.append((("agency",), f"no agency with code {defn.agency!r}"))
    if problems:
        raise invalid_at(text, source, problems)
    assert agency is not None
    return defn, agency


def _search_text(defn: ServiceDefinition) -> str:
    parts = (defn.id, defn.title_fa, defn.title_en, defn.description_fa, defn.description_en)
    return normalize_query(" ".join(parts))


def store_definition(
    db: Session, defn: ServiceDefinition, agency: Organization, text: str, source: str, *,
    actor_id: int | None = None, publish: bool = True,
) -> Definition:
    """Store a validated version as a draft or published; publishing retires the previous version."""
    existing = db.scalar(select(Definition).where(Definition.service_id == defn.id, Definition.version == defn.version))
    if existing is not None:
        if existing.source == text:
            return existing
        raise Conflict("definition_version_exists",
                       N_("Version {version} of this service exists already; raise the version number."),
                       field="version", version=defn.version)
    latest = db.scalar(select(func.max(Definition.version)).where(Definition.service_id == defn.id))
    if latest is not None and defn.version < latest:
        raise Conflict("definition_version_old", N_("A newer version ({version}) exists already."),
                       field="version", version=latest)
    first = db.scalar(select(Definition).where(Definition.service_id == defn.id).limit(1))
    if first is not None and first.agency_id != agency.id:
        raise Forbidden(N_("This service belongs to another agency."))
    now = clock.now()
    row = Definition(
        service_id=defn.id, version=defn.version, status=DefinitionStatus.DRAFT, agency_id=agency.id,
        relationship=defn.relationship, title_fa=defn.title_fa, title_en=defn.title_en,
        search_text=_search_text(defn), source=text, source_name=source[:300], created_by=actor_id, created_at=now,
    )
    db.add(row)
    db.flush()
    if publish:
        publish_definition(db, row, actor_id=actor_id)
    return row


def publish_definition(db: Session, row: Definition, *, actor_id: int | None = None) -> Definition:
    """Make a draft version live; the version published before it is retired (its cases keep their rules)."""
    if row.status == DefinitionStatus.RETIRED:
        raise Conflict("definition_retired", N_("A retired version cannot be published again."))
    now = clock.now()
    for old in db.scalars(select(Definition).where(Definition.service_id == row.service_id,
                                                   Definition.status == DefinitionStatus.PUBLISHED,
                                                   Definition.id != row.id)):
        old.status = DefinitionStatus.RETIRED
        old.retired_at = now
    if row.status != DefinitionStatus.PUBLISHED:
        row.status = DefinitionStatus.PUBLISHED
        row.published_at = now
        events.publish(db, "services.definition_published", actor_id=actor_id, service_id=row.service_id,
                       version=row.version, agency_id=row.agency_id)
    db.flush()
    return row


def retire_definition(db: Session, row: Definition, *, actor_id: int | None = None) -> Definition:
    """Take a version off the catalog; open cases continue under it."""
    if row.status != DefinitionStatus.RETIRED:
        row.status = DefinitionStatus.RETIRED
        row.retired_at = clock.now()
        events.publish(db, "services.definition_retired", actor_id=actor_id, service_id=row.service_id,
                       version=row.version)
    return row


def sync_bundled_definitions(db: Session) -> list[Definition]:
    """Load every bundled definition file not yet stored (agencies must exist); returns what was added."""
    added = []
    for folder in registry.definition_folders():
        for path in sorted(Path(folder).glob("*.yaml")):
            defn = load_definition(path)
            if db.scalar(select(Definition.id).where(Definition.service_id == defn.id,
                                                     Definition.version == defn.version)):
                continue
            text = path.read_text(encoding="utf-8")
            agency = resolve_agency(db, defn.agency)
            if agency is None:
                log.warning("bundled definition %s skipped: no agency %r", defn.key, defn.agency)
                continue
            _, agency = prepare_definition(db, text, str(path.name))
            added.append(store_definition(db, defn, agency, text, path.name))
    return added


def definition_row(db: Session, definition_id: int) -> Definition:
    row = db.get(Definition, definition_id)
    if row is None:
        raise NotFound("definition")
    return row


def published(db: Session, service_id: str) -> Definition:
    """The live version of a service (404 if none)."""
    found = db.execute(select(Definition, Organization).join(Organization, Organization.id == Definition.agency_id)
                       .where(Definition.service_id == service_id,
                              Definition.status == DefinitionStatus.PUBLISHED)).first()
    if found is None:
        raise NotFound("service")
    row, agency = found
    keep(db, row, agency)  # a submission looks both up by key again: served from the identity map
    return row


_ARABIC = str.maketrans({"ي": "ی", "ك": "ک", "ة": "ه", "\u200c": " "})


def normalize_query(text: str) -> str:
    """Lower case, Persian letters for Arabic look-alikes, Latin digits: so searches match as people type."""
    return " ".join(to_latin_digits(text).translate(_ARABIC).lower().split())


def catalog_query(q: str | None = None, relationship: str | None = None) -> Select[Any]:
    """Published services, filtered by words (every word must match, fa or en) and relationship."""
    stmt = select(Definition).where(Definition.status == DefinitionStatus.PUBLISHED)
    for word in normalize_query(q or "").split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Definition.search_text.like(f"%{escaped}%", escape="\\"))
    if relationship:
        stmt = stmt.where(Definition.relationship == relationship)
    return stmt.order_by(Definition.service_id)


def catalog(db: Session, q: str | None = None, relationship: str | None = None) -> list[Definition]:
    """The catalog as a list (pages); the API paginates :func:`catalog_query`."""
    return list(db.scalars(catalog_query(q, relationship)))


# --------------------------------------------------------------------------- applicant data


def _identity_prefill(ctx: registry.ApplicantContext) -> registry.Prefill:
    person = ctx.person
    facts: dict[str, Any] = {"account_id": ctx.account.id, "username": ctx.account.username}
    answers: dict[str, Any] = {}
    if person is not None:
        facts.update(
            national_code=person.national_code, first_name_fa=person.first_name_fa,
            last_name_fa=person.last_name_fa, first_name_en=person.first_name_en, last_name_en=person.last_name_en,
            birth_date=person.birth_date.isoformat(), gender=person.gender, province=person.province,
            phone=person.phone, email=person.email,
        )
        fields = ctx.definition.fields_by_name
        for name in ("national_code", "phone", "email"):
            if name in fields and getattr(person, name):
                answers[name] = getattr(person, name)
    if ctx.organization is not None:
        facts["organization"] = {"code": ctx.organization.code, "name_fa": ctx.organization.name_fa,
                                 "name_en": ctx.organization.name_en,
                                 "registration_number": ctx.organization.registration_number}
    return registry.Prefill(applicant=facts, answers=answers)


registry.register_prefill_provider("identity", _identity_prefill, reads_database=False)


def applicant_context(
    db: Session, account: Account, defn: ServiceDefinition, organization: Organization | None = None
) -> registry.Prefill:
    """What the platform knows about the applicant, from every registered prefill provider.

    Nothing of the person until the account has proven it is theirs (a draft starts empty).
    """
    person = account.person if can_use_personal_records(account) else None
    ctx = registry.ApplicantContext(db=db, account=account, person=person, organization=organization,
                                    definition=defn)
    return merged_prefill(ctx)


def merged_prefill(ctx: registry.ApplicantContext) -> registry.Prefill:
    """What every registered provider that applies to ``ctx.definition`` knows, merged."""
    defn = ctx.definition
    merged = registry.Prefill()
    for name, provider in registry.prefill_providers(defn):
        try:
            found = provider(ctx)
        except DomainError:
            raise
        except Exception:  # one broken provider must not block every service
            log.exception("prefill provider %s failed", name)
            continue
        if found is not None:
            merged.applicant.update(found.applicant)
            merged.answers.update({k: v for k, v in found.answers.items() if k in defn.fields_by_name})
    return merged


def applicant_organization(principal: Principal, defn: ServiceDefinition, code: str | None,
                           db: Session) -> Organization | None:
    """The business a G2B application is made for: one the caller is an employer of."""
    if defn.relationship != "G2B":
        return None
    allowed = principal.org_ids(Role.EMPLOYER)
    if code:
        org = organization_by_code(db, code)
        if org.id not in allowed:
            raise Forbidden(N_("You do not act for this business."))
        return org
    if len(allowed) == 1:
        return db.get(Organization, next(iter(allowed)))
    if not allowed:
        raise Forbidden(N_("This service is for businesses; sign in with an employer account."))
    raise DomainError("organization_required", N_("Choose the business you apply for."), field="organization")


def eligibility_problems(db: Session, account: Account, defn: ServiceDefinition,
                         answers: dict[str, Any] | None = None,
                         organization: Organization | None = None) -> list[DomainError]:
    """Rules that fail for this applicant (rules over answers are checked again at submit)."""
    facts = applicant_context(db, account, defn, organization).applicant
    if answers is None:
        # before any answer, only rules that read nothing but the applicant can be judged
        rules_about_applicant = [r for r in defn.eligibility if "answers" not in r.rule.roots()]
        return [f for f in failed_rules(defn, {}, today=clock.today(), applicant=facts)
                if f.rule in rules_about_applicant]
    return list(failed_rules(defn, answers, today=clock.today(), applicant=facts))


# --------------------------------------------------------------------------- drafts


def get_draft(db: Session, account: Account, service_id: str) -> Draft | None:
    return db.scalar(select(Draft).where(Draft.account_id == account.id, Draft.service_id == service_id))


def save_draft(db: Session, account: Account, service_id: str, answers: dict[str, Any],
               documents: dict[str, Any] | None = None, *, replace: bool = False) -> Draft:
    """Keep answers given so far (unchecked) so the applicant can come back; merges unless ``replace``."""
    row = published(db, service_id)
    if not isinstance(answers, dict) or not isinstance(documents or {}, dict):
        raise DomainError("answers_invalid", N_("The answers must be a set of fields."), field="answers")
    draft = get_draft(db, account, service_id)
    now = clock.now()
    if draft is None:
        draft = Draft(account_id=account.id, service_id=service_id, definition_id=row.id, answers={},
                      documents={}, created_at=now, updated_at=now)
        db.add(draft)
    merged_answers = dict(answers) if replace else {**draft.answers, **answers}
    merged_docs = dict(documents or {}) if replace else {**draft.documents, **(documents or {})}
    if len(json.dumps([merged_answers, merged_docs], default=str)) > MAX_DRAFT_BYTES:
        raise DomainError("draft_too_large", N_("The saved answers are too large."), field="answers")
    draft.answers = merged_answers
    draft.documents = merged_docs
    draft.definition_id = row.id
    draft.updated_at = now
    db.flush()
    return draft


def delete_draft(db: Session, account: Account, service_id: str) -> None:
    """Forget the draft a submission came from (one DELETE, whether or not there was one)."""
    db.execute(delete(Draft).where(Draft.account_id == account.id, Draft.service_id == service_id))


# --------------------------------------------------------------------------- files

_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def upload_dir() -> Path:
    return Path(get_settings().data_dir) / "uploads"


def store_upload(db: Session, account: Account, *, name: str, mime: str, data: bytes,
                 mime_types: tuple[str, ...] | None = None, max_size: int | None = None,
                 field: str = "file") -> StoredFile:
    """Keep an uploaded file after checking its size, declared type and that its content matches the type."""
    limit = min(services_settings().upload_max_bytes, max_size or services_settings().upload_max_bytes)
    mime = (mime or "application/octet-stream").split(";")[0].strip().lower()
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()[:255]
    if not name:
        raise DomainError("file_invalid", N_("Upload a file."), field=field)
    if not data:
        raise DomainError("file_empty", N_("The selected file is empty."), field=field)
    if len(data) > limit:
        raise DomainError("file_too_large", N_("The file must be no larger than {limit} KB."), field=field,
                          limit=limit // 1024)
    if mime_types and mime not in mime_types:
        raise DomainError("file_type", N_("The file must be one of these types: {types}."), field=field,
                          types=", ".join(mime_types))
    magic = _MAGIC.get(mime)
    if magic is not None and not data.startswith(magic):
        raise DomainError("file_content", N_("The file's content does not match its type."), field=field)
    file_id = uuid.uuid4().hex
    now = clock.now()
    rel = Path(f"{now:%Y/%m}") / file_id
    target = upload_dir() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    row = StoredFile(id=file_id, owner_id=account.id, name=name, mime=mime, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), path=str(rel), created_at=now)
    db.add(row)
    db.flush()
    return row


def file_meta(row: StoredFile) -> dict[str, Any]:
    """How an answer refers to an uploaded file."""
    return {"ref": row.id, "name": row.name, "mime": row.mime, "size": row.size}


def file_row(db: Session, file_id: str) -> StoredFile:
    row = db.get(StoredFile, file_id) if re.fullmatch(r"[0-9a-f]{32}", file_id or "") else None
    if row is None:
        raise NotFound("file")
    return row


def file_bytes(row: StoredFile) -> bytes:
    return (upload_dir() / row.path).read_bytes()


def upload_limits(defn: ServiceDefinition, field: str | None) -> tuple[tuple[str, ...] | None, int | None]:
    """The allowed types and size of a file question (``field``: ``name``, ``group.sub`` or ``documents.id``)."""
    if not field:
        return None, None
    if field.startswith("documents."):
        doc = next((d for d in defn.documents if d.id == field.removeprefix("documents.")), None)
        if doc is None:
            raise DomainError("file_field_unknown", N_("This question does not take a file."), field="field")
        return doc.mime_types, doc.max_size_bytes
    head, _, sub = re.sub(r"\[\d+\]", "", field).partition(".")
    found: Any = defn.fields_by_name.get(head)
    if isinstance(found, GroupField):
        found = next((f for f in found.fields if f.name == sub), None)
    if not isinstance(found, FileField):
        raise DomainError("file_field_unknown", N_("This question does not take a file."), field="field")
    return found.mime_types, found.max_size_bytes


# --------------------------------------------------------------------------- numbers


def _next_value(db: Session, name: str) -> int:
    """Increment a named counter, creating it on first use.

    On PostgreSQL the increment commits at once on its own connection: holding the counter's
    row lock until the whole submission commits made every submission wait for the one before
    (bench/RESULTS.md). A rolled-back submission therefore leaves a gap in the numbers, which
    reference and invoice numbers may have; the numbers stay unique and increasing. SQLite has a
    single writer anyway, so there the counter stays inside the caller's transaction.
    """
    bind = db.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        database = database_of(db)
        # autocommit: the UPDATE … RETURNING is its own transaction, one round trip (and with the
        # database's bookkeeping connection, no fsync: see Database.bookkeeping)
        conn = database.bookkeeping() if database is not None else None
        if conn is None:
            conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
        with conn:
            return _increment(conn, name, "postgresql")
    return _increment(db, name, bind.dialect.name)


def _increment(conn: Session | Connection, name: str, dialect: str) -> int:
    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    value = conn.execute(stmt).scalar()
    if value is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        conn.execute(insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
        value = conn.execute(stmt).scalar()
    assert value is not None
    return int(value)


def next_number(db: Session, fmt: str, now: dt.datetime | None = None) -> str:
    """A number like ``SG-1405-000123`` from a format with ``{jyear}`` and ``{seq}``."""
    jyear, counter = number_counter(fmt, now or clock.now())
    return fmt.format(jyear=jyear, seq=_next_value(db, counter))


def number_counter(fmt: str, now: dt.datetime) -> tuple[int, str]:
    """(Jalali year, counter name) of a number made at ``now``: numbers restart each year."""
    jyear = _jalali_year(clock.local(now).date())
    return jyear, fmt.split("{seq", 1)[0].format(jyear=jyear)[:64]


@functools.lru_cache(maxsize=64)
def _jalali_year(day: dt.date) -> int:
    return int(jdatetime.date.fromgregorian(date=day).year)


# --------------------------------------------------------------------------- submit


@dataclass(frozen=True)
class Submitted:
    application: Application
    created: bool


def is_paid(app: Any) -> bool:
    """Nothing to pay, or paid (``app`` is the case or a row with its ``fee`` and ``paid_at``)."""
    return app.fee == 0 or app.paid_at is not None


def application_data(app: Application) -> dict[str, Any]:
    """What workflow conditions read as ``application.*``."""
    return {
        "reference": app.reference, "state": app.state, "fee": app.fee, "computed": app.computed,
        "paid": is_paid(app),
        "submitted_at": clock.local(app.submitted_at).date().isoformat(),
    }


def existing_case_query(applicant_id: Any, key: Any) -> Select[Any]:
    """The case an applicant stored with an idempotency key: the one "key already used" check (the
    hot reader correlates it into its statement)."""
    return select(Application).where(Application.applicant_id == applicant_id, Application.idempotency_key == key)


def existing_case(db: Session, applicant_id: int, key: str) -> Application | None:
    """The case ``applicant_id`` submitted with ``key`` before, if any."""
    return db.scalar(existing_case_query(applicant_id, key)) if key else None


def submit_application(
    db: Session, principal: Principal, service_id: str, answers: dict[str, Any],
    documents: dict[str, Any] | None = None, *, idempotency_key: str | None = None,
    organization_code: str | None = None,
) -> Submitted:
    """Check and accept an application; the same idempotency key again returns the first one unchanged.

    The facts are read with the session, the plan made by ``pipeline.plan`` (the checks every
    writer shares) and written by the unit of work (``write_plan``).
    """
    account = principal.account
    key = pipeline.clean_key(idempotency_key)
    existing = existing_case(db, account.id, key)
    if existing is not None:
        return Submitted(existing, False)
    facts = read_facts(db, principal, service_id, answers, documents or {}, key, organization_code)
    plan = pipeline.plan(facts)
    try:
        with db.begin_nested():
            app = write_plan(db, plan)
    except IntegrityError:
        # the same key raced in from another request: answer with the application that won
        existing = existing_case(db, account.id, plan.key)
        if existing is None:
            raise
        return Submitted(existing, False)
    delete_draft(db, account, service_id)
    return Submitted(app, True)


def read_facts(db: Session, principal: Principal, service_id: str, answers: Any, documents: Any, key: str,
               organization_code: str | None = None) -> pipeline.Facts:
    """What ``pipeline.plan`` judges a submission on, read with the session (every kind of caller)."""
    account = principal.account
    row = published(db, service_id)
    defn = definition_of(row)
    org = applicant_organization(principal, defn, organization_code, db)
    prefill = applicant_context(db, account, defn, org).applicant
    refs = pipeline.offered_refs(answers, documents)
    uploads = {f.id: upload_record(f) for f in db.scalars(select(StoredFile).where(StoredFile.id.in_(refs)))} \
        if refs else {}
    person = account.person
    return pipeline.Facts(
        account=pipeline.AccountRecord(account.id, account.username, account.language, account.person_id),
        email=person.email if person else None, phone=person.phone if person else None,
        version=pipeline.Version(row.id, row.service_id, row.version, row.agency_id, agency_code(db, row.agency_id)),
        definition=defn, organization_id=org.id if org else None, prefill=prefill, answers=answers,
        documents=documents, key=key, uploads=uploads, now=clock.now(), new_key=uuid.uuid4().hex,
        quote=fee_quote(db, defn))


def upload_record(row: StoredFile) -> pipeline.Upload:
    return pipeline.Upload(row.id, row.owner_id, row.application_id, row.name, row.mime, row.size)


def fee_quote(db: Session, defn: ServiceDefinition) -> pipeline.FeeQuote | None:
    """The definition's fee provider bound to the session (``None``: a formula, or no such provider)."""
    provider = registry.fee_provider(defn.fee.provider) if defn.fee is not None and defn.fee.provider else None
    if provider is None:
        return None

    def quote(answers: dict[str, Any], applicant: dict[str, Any], today: dt.date) -> int:
        return int(provider(registry.FeeContext(db=db, definition=defn, answers=answers, applicant=applicant,
                                                today=today)))
    return quote


def fee_of(db: Session, defn: ServiceDefinition, answers: dict[str, Any], facts: dict[str, Any],
           today: dt.date) -> int:
    """The fee of cleaned answers (the check page shows it before submitting)."""
    return pipeline.fee(defn, answers, facts, today, fee_quote(db, defn))


def write_plan(db: Session, plan: pipeline.Plan) -> Application:
    """The unit of work's writer: store a plan through the session, then run what needs the ORM
    (actions on submit, the invoice's number, automatic steps with their documents)."""
    facts, defn = plan.facts, plan.facts.definition
    app = Application(reference=next_number(db, services_settings().reference_format, plan.case.submitted_at),
                      **plan.case.columns())
    db.add(app)
    db.flush()
    for ref in plan.files:
        stored = db.get(StoredFile, ref)
        assert stored is not None  # read with the facts, in this transaction
        stored.application_id = app.id
    db.add(TransitionLog(**pipeline.first_step(app, facts.account.id)))
    applicant = dict(facts.prefill)
    for name in plan.on_submit:
        _run_action(db, app, defn, name, applicant, None, facts.account.id)
    if plan.invoice is not None:
        from .payments import create_invoice

        create_invoice(db, app, defn)
    for evt in plan.events(app):
        events.publish_event(db, evt)
    run_automatic_steps(db, app, facts=applicant)
    return app


def agency_code(db: Session, agency_id: int) -> str | None:
    """The code of a case's or a version's agency (``None`` if it is gone)."""
    agency = db.get(Organization, agency_id)
    return agency.code if agency else None


def event_data(db: Session, app: Application) -> dict[str, Any]:
    """The common part of every application event: enough for ledger and analytics subscribers."""
    return case_event_data(app, agency_code(db, app.agency_id))


# --------------------------------------------------------------------------- transitions


def _run_action(db: Session, app: Application, defn: ServiceDefinition, name: str, facts: dict[str, Any],
                transition: Transition | None, actor_id: int | None) -> None:
    handler = registry.action(name)
    if handler is None:
        raise DomainError("action_missing", N_("This step cannot be taken now; try again later."))
    ctx = registry.ActionContext(db=db, application=app, definition=defn, applicant=facts, transition=transition,
                                 actor_id=actor_id, now=clock.now())
    result = handler(ctx)
    if result is not None:
        app.computed = {**app.computed, name: result}


def facts_for(db: Session, app: Application, defn: ServiceDefinition) -> dict[str, Any]:
    account = db.get(Account, app.applicant_id)
    org = db.get(Organization, app.organization_id) if app.organization_id else None
    assert account is not None
    return applicant_context(db, account, defn, org).applicant


def _move(db: Session, app: Application, defn: ServiceDefinition, tr: Transition, *, actor_id: int | None,
          reason: str | None, automatic: bool, facts: dict[str, Any]) -> None:
    """Record one step: actions, new state and deadlines, log, event, notifications, documents."""
    wf = Workflow.from_definition(defn)
    source = app.state
    waited = int((clock.now() - app.state_entered_at).total_seconds())
    for name in tr.actions:
        _run_action(db, app, defn, name, facts, tr, actor_id)
    now = clock.now()
    state_deadline = app.sla_deadline
    app.state = tr.to
    app.state_entered_at = now
    app.updated_at = now
    app.terminal = wf.is_terminal(tr.to)
    app.sla_deadline = None if app.terminal else wf.sla_deadline(now, tr.to)
    if app.terminal:
        app.closed_at = now
        app.decided_automatically = automatic
    db.add(TransitionLog(application_id=app.id, from_state=source, to_state=tr.to, action=tr.action,
                         actor_id=actor_id, automatic=automatic, internal=False, reason=reason, at=now))
    db.flush()
    # SLA facts for analytics: whether the step beat its state's deadline, and for a final
    # decision whether the whole process beat its target (keys only when a deadline existed).
    sla: dict[str, Any] = {}
    if state_deadline is not None:
        sla["state_sla_met"] = now <= state_deadline
    if app.terminal and app.due_at is not None:
        sla.update(due_at=app.due_at.isoformat(), sla_met=now <= app.due_at)
    events.publish(db, "services.application_transitioned", actor_id=actor_id, **event_data(db, app),
                   from_state=source, to_state=tr.to, action=tr.action, automatic=automatic,
                   terminal=app.terminal, reason=reason, fee=app.fee,
                   waited_seconds=waited, **sla)
    state = wf.state(tr.to)
    if app.terminal and tr.action != WITHDRAW:
        notify_applicant(db, app, "services.decided", state_fa=state.label_fa, state_en=state.label_en,
                         reason=reason or "")
    if tr.to in issue_states(defn):
        from .documents import issue_document

        issue_document(db, app, defn, reason=reason)


def run_automatic_steps(db: Session, app: Application, *, facts: dict[str, Any] | None = None) -> int:
    """Take every automatic transition whose condition holds, one after another; returns how many."""
    defn = definition_of(definition_row(db, app.definition_id))
    facts = facts if facts is not None else facts_for(db, app, defn)
    wf = Workflow.from_definition(defn)
    taken = 0
    while taken < 50:
        data = {"answers": app.answers, "applicant": facts, "application": application_data(app)}
        step = wf.automatic_step(app.state, data, clock.now())
        if step is None:
            break
        _move(db, app, defn, step, actor_id=None, reason=None, automatic=True, facts=facts)
        taken += 1
    return taken


def role_for(db: Session, principal: Principal, app: Application) -> str | None:
    """``applicant`` for the person who applied; ``None`` for an official (who holds the agency's roles)."""
    if app.applicant_id == principal.id:
        return APPLICANT
    return None


def available_actions(db: Session, principal: Principal, app: Application) -> list[Transition]:
    """The buttons this caller sees on a case."""
    defn = definition_of(definition_row(db, app.definition_id))
    wf = Workflow.from_definition(defn)
    if app.terminal:
        return []
    if role_for(db, principal, app) == APPLICANT:
        return applicant_actions(defn, app)
    if not works_on(db, principal, app):
        return []
    return [tr for tr in wf.spec.transitions
            if app.state in tr.from_ and not tr.automatic and any(r != APPLICANT for r in tr.roles)]


def applicant_actions(defn: ServiceDefinition, app: Any) -> list[Transition]:
    """What the applicant may do now (``app`` is the case or a row with its ``state`` and ``terminal``)."""
    return [] if app.terminal else Workflow.from_definition(defn).available_actions(app.state, APPLICANT)


def take_action(db: Session, principal: Principal, app: Application, action: str, *, reason: str | None = None,
                answer: str | None = None, answer_files: list[str] | None = None) -> Application:
    """Move a case by a person's action; decisions by officials need a reason, answers need text."""
    defn = definition_of(definition_row(db, app.definition_id))
    wf = Workflow.from_definition(defn)
    as_applicant = role_for(db, principal, app) == APPLICANT
    if as_applicant:
        role = APPLICANT
    else:
        if not works_on(db, principal, app):
            raise Forbidden()
        candidates = [tr for tr in wf.spec.transitions if app.state in tr.from_ and tr.action == action]
        role = next((r for tr in candidates for r in tr.roles if r != APPLICANT), "")
    target = wf.apply(app.state, action, role, reason)
    reason = (reason or "").strip() or None
    if not as_applicant and wf.is_terminal(target) and not reason:
        raise DomainError("reason_required", N_("Give a reason for this decision."), field="reason")
    tr = next(t for t in wf.spec.transitions if app.state in t.from_ and t.action == action and not t.automatic)
    now = clock.now()
    if action == REQUEST_INFORMATION:
        if not reason:
            raise DomainError("reason_required", N_("Write the question for the applicant."), field="reason")
        db.add(InfoRequest(application_id=app.id, question=reason, requested_by=principal.id, requested_at=now,
                           answer_files=[]))
    if action == RESPOND:
        _answer_request(db, principal, app, answer, answer_files or [])
    facts = facts_for(db, app, defn)
    _move(db, app, defn, tr, actor_id=principal.id, reason=reason, automatic=False, facts=facts)
    if action == REQUEST_INFORMATION:
        notify_applicant(db, app, "services.info_requested", question=reason)
    run_automatic_steps(db, app, facts=facts)
    return app


def _answer_request(db: Session, principal: Principal, app: Application, answer: str | None,
                    file_ids: list[str]) -> InfoRequest:
    text = (answer or "").strip()
    if not text:
        raise DomainError("answer_required", N_("Write your answer."), field="answer")
    if len(text) > MAX_ANSWER_LENGTH:
        raise DomainError("answer_too_long", N_("Enter no more than {max} characters."), field="answer",
                          max=MAX_ANSWER_LENGTH)
    request = open_info_request(db, app)
    if request is None:
        raise Conflict("no_open_request", N_("There is no open question to answer."))
    files = []
    for file_id in file_ids[:10]:
        row = db.get(StoredFile, file_id)
        if row is None or row.owner_id != principal.id or row.application_id not in (None, app.id):
            raise DomainError("file_not_uploaded", N_("Upload this file first."), field="files")
        row.application_id = app.id
        files.append(file_meta(row))
    request.answer = text
    request.answer_files = files
    request.answered_at = clock.now()
    return request


def open_info_request(db: Session, app: Application) -> InfoRequest | None:
    return db.scalar(select(InfoRequest).where(InfoRequest.application_id == app.id,
                                               InfoRequest.answered_at.is_(None))
                     .order_by(InfoRequest.id.desc()).limit(1))


def answer_information_request(db: Session, principal: Principal, app: Application, answer: str,
                               files: list[str] | None = None) -> Application:
    """The applicant answers the open question; the case goes back to the official."""
    return take_action(db, principal, app, RESPOND, answer=answer, answer_files=files)


def withdraw(db: Session, principal: Principal, app: Application, reason: str | None = None) -> Application:
    """The applicant stops their application while it is still open."""
    return take_action(db, principal, app, WITHDRAW, reason=reason)


def rate(db: Session, principal: Principal, app: Application, score: int, comment: str | None) -> Rating:
    """One 1–5 rating per finished case, by its applicant."""
    if not app.terminal:
        raise Conflict("not_finished", N_("You can rate the service once your application is finished."))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError("score_invalid", N_("Choose a score from 1 to 5."), field="score")
    comment = (comment or "").strip()[:MAX_ANSWER_LENGTH] or None
    if db.scalar(select(Rating.id).where(Rating.application_id == app.id)):
        raise Conflict("already_rated", N_("You have already rated this application."))
    rating = Rating(application_id=app.id, service_id=app.service_id, score=score, comment=comment,
                    created_at=clock.now())
    db.add(rating)
    db.flush()
    events.publish(db, "services.application_rated", actor_id=principal.id, application_id=app.id,
                   service_id=app.service_id, agency_id=app.agency_id, score=score)
    return rating


# --------------------------------------------------------------------------- reading cases


def visible_agency_ids(db: Session, principal: Principal) -> set[int]:
    """Agencies whose cases an official sees: where they work, the agencies above and every sub-agency."""
    ids: set[int] = set()
    for org_id in principal.org_ids(*STAFF_ROLES):
        org = db.get(Organization, org_id)
        if org is None or org.kind != OrgKind.AGENCY:
            continue
        ids |= descendants(db, org)
        parent = org.parent_id
        while parent is not None and parent not in ids:
            ids.add(parent)
            above = db.get(Organization, parent)
            parent = above.parent_id if above else None
    return ids


def works_on(db: Session, principal: Principal, app: Application) -> bool:
    """Whether the caller is an official of the case's agency (or of one above or below it)."""
    return app.agency_id in visible_agency_ids(db, principal)


def can_see_all(principal: Principal) -> bool:
    return principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.AUDITOR)


def application_by_reference(db: Session, reference: str) -> Application:
    """The case, with its definition version and agency fetched in the same round trip.

    Both are kept in the session, so the permission checks and the response that follow find
    them with ``Session.get`` instead of two more SELECTs (status reads are the hottest route).
    """
    return _load_case(db, reference)[0]


@dataclass(frozen=True)
class CaseFacts:
    """What a status answer shows beside the case row: the open question, whether documents exist."""

    open_question: str | None
    has_documents: bool


def fact_columns() -> tuple[Any, Any]:
    """The case's open question and whether it has issued documents, as subqueries of a case query."""
    question = (select(InfoRequest.question)
                .where(InfoRequest.application_id == Application.id, InfoRequest.answered_at.is_(None))
                .order_by(InfoRequest.id.desc()).limit(1).correlate(Application).scalar_subquery())
    documents = select(IssuedDocument.id).where(IssuedDocument.application_id == Application.id).exists()
    return question, documents


# The status read's statements are built once: a prebuilt statement also keeps its cache key, so
# executing it costs neither the construction nor the key (a tenth of a read's Python time).
@functools.cache
def _facts_query() -> Select[Any]:
    return select(*fact_columns()).select_from(Application).where(Application.id == bindparam("id"))


@functools.cache
def _case_query(with_facts: bool) -> Select[Any]:
    return (select(Application, Definition, Organization, *(fact_columns() if with_facts else ()))
            .join(Definition, Definition.id == Application.definition_id)
            .join(Organization, Organization.id == Application.agency_id)
            .where(Application.reference == bindparam("reference")))


def case_facts(db: Session, app: Application) -> CaseFacts:
    """The facts of a case already loaded, in one round trip."""
    found = db.execute(_facts_query(), {"id": app.id}).one()
    return CaseFacts(open_question=found[0], has_documents=bool(found[1]))


def case_facts_for(db: Session, apps: list[Application]) -> dict[int, CaseFacts]:
    """``case_facts`` for a page of cases in one round trip, by case id."""
    if not apps:
        return {}
    rows = db.execute(select(Application.id, *fact_columns()).where(Application.id.in_([a.id for a in apps])))
    return {row[0]: CaseFacts(open_question=row[1], has_documents=bool(row[2])) for row in rows}


def load_case_refs(db: Session, apps: list[Application]) -> None:
    """Load the definition versions and agencies a page of cases refers to, in two queries, and keep them.

    Shaping each case looks both up by key (``definition_row``, the agency's code); without this
    that was two SELECTs per case, since the identity map holds rows only while something does.
    """
    if apps:
        keep(db, *db.scalars(select(Definition).where(Definition.id.in_({a.definition_id for a in apps}))))
        keep(db, *db.scalars(select(Organization).where(Organization.id.in_({a.agency_id for a in apps}))))


def fresh_case_facts(db: Session, app: Application) -> CaseFacts:
    """The facts of a case created in this session, without a query.

    Only an official's ``request_information`` asks a question, so a new case has none; its
    documents, if any, were issued in this session (``issue_document`` notes them).
    """
    issued = db.info.get("issued_documents", [])
    return CaseFacts(open_question=None, has_documents=any(d.application_id == app.id for d in issued))


def application_with_facts(db: Session, reference: str) -> tuple[Application, CaseFacts]:
    """The case and its facts in one round trip (a status read is this and the token's)."""
    app, extra = _load_case(db, reference, with_facts=True)
    return app, CaseFacts(open_question=extra[0], has_documents=bool(extra[1]))


def _load_case(db: Session, reference: str, *, with_facts: bool = False) -> tuple[Application, tuple[Any, ...]]:
    found = db.execute(_case_query(with_facts), {"reference": reference.strip().upper()}).first()
    if found is None:
        raise NotFound("application")
    app, definition, agency, *rest = found
    keep(db, definition, agency)
    return app, tuple(rest)


def my_applications_query(principal: Principal) -> Select[Any]:
    return (select(Application).where(Application.applicant_id == principal.id)
            .order_by(Application.submitted_at.desc(), Application.id.desc()))


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # submit | transition | request | answer | assign
    from_state: str | None
    to_state: str | None
    action: str
    automatic: bool
    actor_id: int | None
    text: str | None


def timeline(db: Session, app: Application, *, internal: bool = False) -> list[TimelineEntry]:
    """Every step of the case in order (assignments only for officials)."""
    entries: list[TimelineEntry] = []
    stmt = select(TransitionLog).where(TransitionLog.application_id == app.id)
    if not internal:
        stmt = stmt.where(TransitionLog.internal == false())
    for t in db.scalars(stmt.order_by(TransitionLog.id)):
        kind = "submit" if t.from_state is None else ("assign" if t.internal else "transition")
        entries.append(TimelineEntry(t.at, kind, t.from_state, t.to_state, t.action, t.automatic, t.actor_id,
                                     t.reason))
    for r in db.scalars(select(InfoRequest).where(InfoRequest.application_id == app.id)):
        if r.answered_at is not None:
            entries.append(TimelineEntry(r.answered_at, "answer", None, None, RESPOND, False, app.applicant_id,
                                         r.answer))
    entries.sort(key=lambda e: e.at)
    return entries


def info_requests(db: Session, app: Application) -> list[InfoRequest]:
    return list(db.scalars(select(InfoRequest).where(InfoRequest.application_id == app.id)
                           .order_by(InfoRequest.id)))


def sla(app: Any, now: dt.datetime | None = None) -> tuple[dt.timedelta | None, bool]:
    """Time left in the current state (negative once late) and whether the SLA is breached."""
    now = now or clock.now()
    if app.terminal:
        return None, False
    return time_left(app.sla_deadline, now), is_breached(app.sla_deadline, now)


# --------------------------------------------------------------------------- inbox


def inbox_query(
    db: Session, principal: Principal, *, state: str | None = None, service_id: str | None = None,
    breached: bool | None = None, mine: bool = False, role: str | None = None, include_closed: bool = False,
    sort: str = "deadline",
) -> Select[Any]:
    """Cases of the caller's agencies, filtered and sorted (deadline: most urgent first)."""
    stmt = select(Application)
    if not can_see_all(principal):
        stmt = stmt.where(Application.agency_id.in_(visible_agency_ids(db, principal) or {-1}))
    if not include_closed and not state:
        stmt = stmt.where(Application.terminal == false())
    if state:
        stmt = stmt.where(Application.state == state)
    if service_id:
        stmt = stmt.where(Application.service_id == service_id)
    now = clock.now()
    if breached is True:
        stmt = stmt.where(Application.terminal == false(), Application.sla_deadline < now)
    elif breached is False:
        stmt = stmt.where(or_(Application.sla_deadline.is_(None), Application.sla_deadline >= now))
    if mine:
        stmt = stmt.where(Application.assignee_id == principal.id)
    if role:
        stmt = stmt.where(_states_for_role(db, role))
    if sort == "newest":
        stmt = stmt.order_by(Application.submitted_at.desc(), Application.id.desc())
    elif sort == "oldest":
        stmt = stmt.order_by(Application.submitted_at, Application.id)
    elif sort == "reference":
        stmt = stmt.order_by(Application.reference)
    else:
        stmt = stmt.order_by(Application.sla_deadline.is_(None), Application.sla_deadline, Application.id)
    return stmt


def _states_for_role(db: Session, role: str) -> Any:
    """Cases waiting in a state where ``role`` has something to do, across service versions."""
    clauses = []
    for row in db.scalars(select(Definition).where(Definition.status != DefinitionStatus.DRAFT)):
        wf = Workflow.from_definition(definition_of(row))
        states = [s for s in wf.states if wf.available_actions(s, role)]
        if states:
            clauses.append(and_(Application.definition_id == row.id, Application.state.in_(states)))
    return or_(*clauses) if clauses else false()


def _staff_principal(db: Session, account_id: int) -> Principal:
    account = db.get(Account, account_id)
    if account is None or not account.is_active:
        raise NotFound("account", field="assignee")
    return Principal(account=account)


def assign(db: Session, principal: Principal, app: Application, assignee_id: int | None) -> Application:
    """Claim (assignee = yourself), assign or reassign a case to an official of its agency; ``None`` releases."""
    if app.terminal:
        raise Conflict("workflow_closed", N_("This case is closed; no further action is possible."))
    if assignee_id is not None and not works_on(db, _staff_principal(db, assignee_id), app):
        raise DomainError("assignee_invalid", N_("Assign cases only to officials of this agency."), field="assignee")
    before = app.assignee_id
    if before == assignee_id:
        return app
    app.assignee_id = assignee_id
    app.updated_at = clock.now()
    action = "release" if assignee_id is None else ("claim" if assignee_id == principal.id and before is None
                                                    else ("assign" if before is None else "reassign"))
    db.add(TransitionLog(application_id=app.id, from_state=app.state, to_state=app.state, action=action,
                         actor_id=principal.id, automatic=False, internal=True,
                         reason=json.dumps({"from": before, "to": assignee_id}), at=clock.now()))
    events.publish(db, "services.application_assigned", actor_id=principal.id, **event_data(db, app),
                   assignee_id=assignee_id, previous_assignee_id=before, action=action)
    return app


@dataclass(frozen=True)
class BulkResult:
    reference: str
    ok: bool
    state: str | None = None
    error: DomainError | None = None


def bulk_action(db: Session, principal: Principal, references: list[str], action: str,
                reason: str | None = None, assignee_id: int | None = None) -> list[BulkResult]:
    """The same action on many cases; each case succeeds or fails on its own (a savepoint each)."""
    if not references or len(references) > 100:
        raise DomainError("bulk_size", N_("Choose between 1 and 100 cases."), field="references")
    results = []
    for ref in dict.fromkeys(references):
        try:
            with db.begin_nested():
                app = application_by_reference(db, ref)
                if not works_on(db, principal, app) or role_for(db, principal, app) == APPLICANT:
                    raise NotFound("application")
                if action in ("claim", "assign"):
                    assign(db, principal, app, principal.id if action == "claim" else assignee_id)
                else:
                    take_action(db, principal, app, action, reason=reason)
            results.append(BulkResult(ref, True, app.state))
        except DomainError as exc:
            results.append(BulkResult(ref, False, None, exc))
    return results


@dataclass(frozen=True)
class ServiceStats:
    service_id: str
    total: int
    closed: int
    automatic: int
    breached: int
    mean_rating: float | None

    @property
    def automatic_share(self) -> float | None:
        """Share of finished cases decided without a person (None before any case finished)."""
        return None if not self.closed else self.automatic / self.closed


def service_stats(db: Session, agency_ids: set[int] | None = None) -> list[ServiceStats]:
    """Per service: cases, finished cases, how many were decided automatically, SLA breaches, rating."""
    now = clock.now()
    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    stmt = select(
        Application.service_id, func.count(),
        count_if(Application.terminal == true()),
        count_if(and_(Application.terminal == true(), Application.decided_automatically == true())),
        count_if(and_(Application.terminal == false(), Application.sla_deadline < now)),
    ).group_by(Application.service_id).order_by(Application.service_id)
    if agency_ids is not None:
        stmt = stmt.where(Application.agency_id.in_(agency_ids or {-1}))
    ratings = dict(db.execute(select(Rating.service_id, func.avg(Rating.score)).group_by(Rating.service_id)).all())
    return [ServiceStats(sid, int(total), int(closed or 0), int(auto or 0), int(late or 0),
                         float(ratings[sid]) if ratings.get(sid) is not None else None)
            for sid, total, closed, auto, late in db.execute(stmt).all()]


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(18)


def invoices_of(db: Session, app: Application) -> list[Invoice]:
    return invoices_for(db, [app.id]).get(app.id, [])


def invoices_for(db: Session, case_ids: list[int]) -> dict[int, list[Invoice]]:
    """The invoices of several cases in one query, by case id."""
    found: dict[int, list[Invoice]] = {}
    if case_ids:
        for inv in db.scalars(select(Invoice).where(Invoice.application_id.in_(case_ids)).order_by(Invoice.id)):
            found.setdefault(inv.application_id, []).append(inv)
    return found


def open_invoice(db: Session, app: Application) -> Invoice | None:
    return db.scalar(select(Invoice).where(Invoice.application_id == app.id, Invoice.status == InvoiceStatus.OPEN)
                     .limit(1))


def record_official_view(db: Session, principal: Principal, app: Application) -> None:
    """An official looking at someone's application is recorded in that person's "who read my data".

    Published as ``privacy.person_data_accessed`` (the exchange module keeps the per-person log), so
    the engine needs no import of it; the caller commits.
    """
    if app.applicant_id == principal.id:
        return
    applicant = db.get(Account, app.applicant_id)
    if applicant is None or applicant.person_id is None:
        return
    agency = db.get(Organization, app.agency_id)
    label = N_("Application {reference}")
    events.publish(db, "privacy.person_data_accessed", actor_id=principal.id, person_id=applicant.person_id,
                   agency_code=agency.code if agency else None, what=f"services.application:{app.reference}",
                   what_fa=gettext(label, "fa", reference=localize_digits(app.reference, "fa")),
                   what_en=gettext(label, "en", reference=app.reference),
                   purpose="case-handling", purpose_fa="رسیدگی به درخواست", purpose_en="Handling the application")
