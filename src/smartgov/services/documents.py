"""Signed documents: a JSON record signed with the agency's Ed25519 key, and a PDF made from it.

Keys are made per agency at first use; the private half is stored encrypted (AES-GCM with a
key derived from the platform secret). Rotation adds a new key id and keeps the old public
keys, so documents signed before still verify. The PDF carries the signed record in its
metadata and its own SHA-256 is stored when it is made, so any change to the file shows as invalid.

Signing is part of the deciding transaction; the PDF (~¼ s of font shaping and subsetting) is made
after commit by the outbox worker, or at the first download if that comes sooner. Rendering is
deterministic, so the two can race harmlessly. ``services.document_rendered`` puts the PDF's hash
in the ledger beside the record's.

The public verify page (what the QR code opens) tells anyone whether a document is genuine, but
shows its content — the holder's national code, work history, amounts — only to those who may see
the case, or to whoever also types the short verification code printed on the document beside the
QR code (:func:`verify_document_id`). Everyone else sees validity, type, issuer, date and a masked
holder (:func:`summary`). The code is random, never part of the signed record, and stored twice:
as a salted SHA-256 for checking, and sealed like the signing keys, because the PDF that prints it
is drawn after commit (and again if its file is lost).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events, fonts, identity
from smartgov.digits import to_latin_digits
from smartgov.errors import DomainError, NotFound
from smartgov.fonts import FontMissing
from smartgov.i18n import N_, format_date, localize_digits
from smartgov.identity import OrganizationRef, throttle
from smartgov.settings import get_settings

from . import registry, signed
from .applicants import event_data, facts_for, notify_applicant
from .config import services_settings
from .definitions import ServiceDefinition
from .events import DOCUMENT_ISSUED, DOCUMENT_RENDERED, SIGNING_KEY_CREATED, SIGNING_KEY_ROTATED
from .models import Application, IssuedDocument, SigningKey
from .signed import canonical

log = logging.getLogger(__name__)

ALGORITHM = "Ed25519"
PDF_MARKER = "sgdoc1:"
MAX_VERIFY_BYTES = 10 * 1024 * 1024
CODE_DIGITS = 10  # 10¹⁰ codes against a handful of tries per address per window
MASK = "•"


# --------------------------------------------------------------------------- keys


def _wrapping_key(purpose: bytes = b"smartgov.services.signing-key.v1") -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _create_key(db: Session, agency: OrganizationRef) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    key_id = f"{agency.code}-{clock.now():%Y%m%d}-{secrets.token_hex(4)}"
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_wrapping_key()).encrypt(nonce, raw, key_id.encode())
    row = SigningKey(key_id=key_id, agency_id=agency.id,
                     public_key=_b64(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
                     private_key_encrypted=_b64(nonce + sealed), active=True, created_at=clock.now())
    db.add(row)
    db.flush()
    events.publish(db, SIGNING_KEY_CREATED, agency_id=agency.id, key_id=key_id, public_key=row.public_key)
    return row


def active_key(db: Session, agency: OrganizationRef) -> SigningKey:
    """The agency's current signing key, made at first use."""
    row = db.scalar(select(SigningKey).where(SigningKey.agency_id == agency.id, SigningKey.active.is_(True))
                    .order_by(SigningKey.id.desc()).limit(1))
    return row if row is not None else _create_key(db, agency)


def rotate_key(db: Session, agency: OrganizationRef, *, actor_id: int | None = None) -> SigningKey:
    """Retire the agency's key and make a new one; documents signed with the old key still verify."""
    now = clock.now()
    for old in db.scalars(select(SigningKey).where(SigningKey.agency_id == agency.id, SigningKey.active.is_(True))):
        old.active = False
        old.retired_at = now
    db.flush()
    row = _create_key(db, agency)
    events.publish(db, SIGNING_KEY_ROTATED, actor_id=actor_id, agency_id=agency.id, key_id=row.key_id)
    return row


def public_keys(db: Session, agency: OrganizationRef | None = None) -> list[SigningKey]:
    stmt = select(SigningKey).order_by(SigningKey.id)
    if agency is not None:
        stmt = stmt.where(SigningKey.agency_id == agency.id)
    return list(db.scalars(stmt))


def _private(key: Any) -> Ed25519PrivateKey:
    """The private half of ``key`` (anything with ``key_id`` and ``private_key_encrypted``)."""
    return _unsealed(key.key_id, key.private_key_encrypted, _wrapping_key())


@functools.lru_cache(maxsize=64)
def _unsealed(key_id: str, sealed: str, wrapping: bytes) -> Ed25519PrivateKey:
    # kept per (key, secret): unsealing cost more than signing, once per document issued
    blob = base64.b64decode(sealed)
    try:
        raw = AESGCM(wrapping).decrypt(blob[:12], blob[12:], key_id.encode())
    except InvalidTag as exc:
        raise RuntimeError("signing key cannot be decrypted: was SMARTGOV_SECRET_KEY changed?") from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


# --------------------------------------------------------------------------- verification codes

_CODE_KEY = b"smartgov.services.verification-code.v1"


def _code_hash(document_id: str, code: str) -> str:
    return hashlib.sha256(f"{document_id}:{code}".encode()).hexdigest()


def _new_code(document_id: str) -> tuple[str, str, str]:
    """A random code, its hash and its sealed form (nonce + AES-GCM, bound to the document)."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_wrapping_key(_CODE_KEY)).encrypt(nonce, code.encode(), document_id.encode())
    return code, _code_hash(document_id, code), _b64(nonce + sealed)


def verification_code(doc: IssuedDocument) -> str | None:
    """The code printed on the document (None for documents issued before codes existed)."""
    if not doc.verify_code_sealed:
        return None
    blob = base64.b64decode(doc.verify_code_sealed)
    try:
        return AESGCM(_wrapping_key(_CODE_KEY)).decrypt(blob[:12], blob[12:], doc.id.encode()).decode()
    except InvalidTag as exc:
        raise RuntimeError("verification code cannot be decrypted: was SMARTGOV_SECRET_KEY changed?") from exc


def shown_code(code: str) -> str:
    """``12345-67890``: two groups are easier to read out and type."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def check_code(db: Session, doc: IssuedDocument, typed: str, ip: str) -> None:
    """Raise unless ``typed`` is the document's code; wrong tries count against the address
    (identity's throttle, like every other secret)."""
    throttle.refuse_if_throttled(db, "document_code", None, ip)
    code = to_latin_digits(str(typed)).replace("-", "").replace(" ", "")
    if not code or not doc.verify_code_hash:
        raise DomainError("verification_code", N_("Type the verification code printed on the document."),
                          field="code", status=422)
    if len(code) != CODE_DIGITS or any(c not in "0123456789" for c in code) or not hmac.compare_digest(
            _code_hash(doc.id, code), doc.verify_code_hash):
        throttle.failed(db, "document_code", None, ip)
        raise DomainError("verification_code_wrong", N_("The verification code is not right."), field="code",
                          status=422)


def _initials(name: str) -> str:
    return " ".join(f"{word[0]}." for word in name.split() if word)


def mask_national_code(code: str | None) -> str:
    """All but the last three digits hidden: ``•••••••123``."""
    return MASK * max(len(code) - 3, 0) + code[-3:] if code else ""


def summary(payload: dict[str, Any]) -> dict[str, Any]:
    """What anyone with the link may see: type, issuer, date, signing key and a masked holder."""
    applicant = payload.get("applicant") or {}
    agency = payload.get("agency") or {}
    return {
        "document_id": payload.get("document_id"),
        "title_fa": payload.get("title_fa"),
        "title_en": payload.get("title_en"),
        "agency": {"code": agency.get("code"), "name_fa": agency.get("name_fa"), "name_en": agency.get("name_en")},
        "issued_at": payload.get("issued_at"),
        "key_id": payload.get("key_id"),
        "holder": {
            "initials_fa": _initials(str(applicant.get("name_fa") or "")),
            "initials_en": _initials(str(applicant.get("name_en") or "")),
            "national_code": mask_national_code(applicant.get("national_code")),
        },
    }


# --------------------------------------------------------------------------- issuing


def build_payload(db: Session, app: Application, defn: ServiceDefinition, document_id: str, key_id: str,
                  reason: str | None) -> dict[str, Any]:
    """The signed fields of a case's document, from what the session reads (``signed.payload_of``)."""
    agency = identity.organization_view(db, app.agency_id)
    account = identity.account_view(db, app.applicant_id)
    assert agency is not None and account is not None
    person = identity.person_profile(db, account.person_id)
    business = identity.organization_view(db, app.organization_id)
    output = defn.output
    assert output is not None
    extra: list[registry.DocumentField] = []
    provider = registry.document_fields_provider(output.template)
    if provider is not None:
        ctx = registry.ActionContext(db=db, application=app, definition=defn, applicant=facts_for(db, app, defn),
                                     transition=None, actor_id=None, now=clock.now())
        extra = provider(ctx)
    holder = (signed.Holder(person.national_code, person.full_name("fa"), person.full_name("en")) if person
              else signed.Holder(None, account.username, account.username))
    return signed.payload_of(
        app, defn, document_id=document_id, key_id=key_id, reason=reason, issued=clock.now(),
        agency=signed.Party(agency.code, agency.name_fa, agency.name_en), holder=holder,
        business=signed.Party(business.code, business.name_fa, business.name_en) if business else None,
        fields=[{"label_fa": f.label_fa, "label_en": f.label_en, "value_en": f.shown("en"),
                 "value_fa": f.shown("fa")} for f in extra])


def signed_row(key: Any, case_id: int, agency_id: int, payload: dict[str, Any], issued_at: dt.datetime
               ) -> dict[str, Any]:
    """The stored document: ``payload`` signed with ``key`` (a ``SigningKey`` or the plan's record of one)
    and a new verification code. Both writers store this row."""
    document_id = payload["document_id"]
    signature = _private(key).sign(canonical(payload))
    _code, code_hash, code_sealed = _new_code(document_id)
    return {"id": document_id, "application_id": case_id, "agency_id": agency_id, "key_id": key.key_id,
            "payload": payload, "signature": _b64(signature), "issued_at": issued_at,
            "verify_code_hash": code_hash, "verify_code_sealed": code_sealed}


def issue_document(db: Session, app: Application, defn: ServiceDefinition, *, reason: str | None = None
                   ) -> IssuedDocument:
    """Sign and store the case's output document, tell the applicant; the PDF is made after commit."""
    agency = identity.organization_view(db, app.agency_id)
    assert agency is not None
    key = active_key(db, agency)
    payload = build_payload(db, app, defn, uuid.uuid4().hex, key.key_id, reason)
    doc = IssuedDocument(**signed_row(key, app.id, agency.id, payload, clock.now()))
    db.add(doc)
    db.flush()
    db.info.setdefault("issued_documents", []).append(doc)  # see service.fresh_case_facts
    events.publish(db, DOCUMENT_ISSUED, **event_data(db, app), **signed.issued_event_data(payload))
    handler = registry.document_issued_handler(payload["template"])
    if handler is not None:
        handler(registry.ActionContext(db=db, application=app, definition=defn, applicant={}, transition=None,
                                       actor_id=None, now=clock.now()), doc)
    notify_applicant(db, app, signed.ISSUED_TEMPLATE, **signed.issued_context(payload))
    return doc


def signed_record(doc: IssuedDocument) -> dict[str, Any]:
    """The portable signed JSON: the document, its signature and how to check it."""
    return {"document": doc.payload, "signature": doc.signature, "key_id": doc.key_id, "algorithm": ALGORITHM}


def document(db: Session, document_id: str) -> IssuedDocument:
    doc = db.get(IssuedDocument, document_id) if re.fullmatch(r"[0-9a-f]{32}", document_id or "") else None
    if doc is None:
        raise NotFound("document")
    return doc


def documents_of(db: Session, app: Application) -> list[IssuedDocument]:
    return documents_for(db, [app.id]).get(app.id, [])


def documents_for(db: Session, case_ids: list[int]) -> dict[int, list[IssuedDocument]]:
    """The signed documents of several cases in one query, by case id."""
    found: dict[int, list[IssuedDocument]] = {}
    if case_ids:
        for doc in db.scalars(select(IssuedDocument).where(IssuedDocument.application_id.in_(case_ids))
                              .order_by(IssuedDocument.issued_at)):
            found.setdefault(doc.application_id, []).append(doc)
    return found


# --------------------------------------------------------------------------- PDF


def find_font() -> Path:
    """DejaVu Sans (Persian and Latin): the configured file, the system's, or matplotlib's copy."""
    return fonts.dejavu(configured=services_settings().font_path)


def pdf_dir() -> Path:
    return Path(get_settings().data_dir) / "documents"


QR_SIZE = 38.0  # mm, the QR code's side on the PDF
QR_GAP = 44.0  # mm from the left margin to the text beside it


def render_pdf(record: dict[str, Any], code: str | None = None) -> bytes:
    """A two-language A4 page (Persian first, right to left) with a QR code to the verify page.

    ``code``, the document's verification code, is printed beside the QR code: whoever holds the
    paper can see its content on the verify page, whoever only has the link cannot.
    """
    import segno
    from fpdf import FPDF

    payload = record["document"]
    font = find_font()
    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime.fromisoformat(payload["issued_at"]))
    pdf.set_title(payload["title_en"])
    pdf.set_author(payload["agency"]["name_en"])
    pdf.set_creator("smartgov")
    blob = base64.b64encode(canonical(record)).decode()
    pdf.set_keywords(PDF_MARKER + blob)
    pdf.add_page()
    pdf.add_font("body", "", str(font))
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: int, rtl: bool, gap: float = 1.5, indent: float = 0.0) -> None:
        pdf.set_font("body", size=size)
        if rtl:
            pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="fas")
        else:
            pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, size * 0.55, text, align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    fa_date = format_date(dt.datetime.fromisoformat(payload["issued_at"]), "fa")
    en_date = format_date(dt.datetime.fromisoformat(payload["issued_at"]), "en")
    line(payload["agency"]["name_fa"], 12, True)
    line(payload["title_fa"], 18, True, 3)
    rows_fa = [
        ("شمارهٔ پیگیری", localize_digits(payload["reference"], "fa")),
        ("خدمت", payload["service"]["title_fa"]),
        ("متقاضی", payload["applicant"]["name_fa"]),
        ("کد ملی", localize_digits(payload["applicant"]["national_code"] or "-", "fa")),
        ("نتیجه", payload["outcome"]["label_fa"]),
        ("تاریخ صدور", fa_date),
    ]
    if payload.get("organization"):
        rows_fa.insert(3, ("کسب‌وکار", payload["organization"]["name_fa"]))
    rows_fa += [(f["label_fa"], f["value_fa"]) for f in payload["fields"]]
    if payload.get("reason"):
        rows_fa.append(("توضیح", payload["reason"]))
    for label, value in rows_fa:
        line(f"{label}: {value}", 11, True, 0.5)
    pdf.ln(4)
    line(payload["agency"]["name_en"], 10, False)
    line(payload["title_en"], 14, False, 2)
    rows_en = [
        ("Reference", payload["reference"]), ("Service", payload["service"]["title_en"]),
        ("Applicant", payload["applicant"]["name_en"]), ("Outcome", payload["outcome"]["label_en"]),
        ("Issued", en_date),
    ]
    rows_en += [(f["label_en"], f["value_en"]) for f in payload["fields"]]
    for label, value in rows_en:
        line(f"{label}: {value}", 10, False, 0.3)
    qr = io.BytesIO()
    segno.make(payload["verify_url"], error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    text = (f"Check this document at {payload['verify_url']}\nSigned ({ALGORITHM}) by key {payload['key_id']}\n"
            f"Document id: {payload['document_id']}")
    if code:
        text += f"\nVerification code (to see the content): {shown_code(code)}"
    notes_fa = ["اصالت این سند را با اسکن کد یا در نشانی بالا بررسی کنید."]
    if code:
        # ten digits unbroken: a separator between two digit runs is reordered in right-to-left text
        notes_fa.append(f"کد استعلام (برای دیدن متن سند): {localize_digits(code, 'fa')}")
    column = width - QR_GAP

    def measured(size: int, rtl: bool, body: str, height: float) -> float:
        """The height ``body`` takes wrapped in the column beside the QR code, as drawn below."""
        pdf.set_font("body", size=size)
        if rtl:
            pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="fas")
        else:
            pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
        return float(pdf.multi_cell(column, height, body, dry_run=True, output="HEIGHT"))

    beside = 4 + measured(8, False, text, 4.5) + sum(measured(9, True, n, 9 * 0.55) + 1.5 for n in notes_fa)
    # the QR code and every line beside it on one page, inside its margins: never split at a page break
    top = max(pdf.get_y() + 6, 200.0)
    if top + max(QR_SIZE, beside) > pdf.h - pdf.b_margin:
        pdf.add_page()
        top = pdf.t_margin
    pdf.image(qr, x=pdf.l_margin, y=top, w=QR_SIZE)
    pdf.set_xy(pdf.l_margin + QR_GAP, top + 4)
    pdf.set_font("body", size=8)
    pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    pdf.multi_cell(column, 4.5, text, new_x="LMARGIN", new_y="NEXT")
    for note in notes_fa:
        line(note, 9, True, indent=QR_GAP)
    return bytes(pdf.output())


def store_pdf(db: Session, doc: IssuedDocument) -> bytes:
    """Make the document's PDF and remember its hash (any later change to the file is detected).

    The file is written under a temporary name and renamed, so a reader never sees half of it.
    """
    data = render_pdf(signed_record(doc), verification_code(doc))
    folder = pdf_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{doc.id}.{uuid.uuid4().hex}.part"
    partial.write_bytes(data)
    partial.replace(folder / f"{doc.id}.pdf")
    digest = hashlib.sha256(data).hexdigest()
    if doc.pdf_sha256 != digest:
        doc.pdf_path = f"{doc.id}.pdf"
        doc.pdf_sha256 = digest
        events.publish(db, DOCUMENT_RENDERED, document_id=doc.id, reference=doc.payload["reference"],
                       agency=doc.payload["agency"]["code"], pdf_sha256=digest, bytes=len(data))
    return data


def _stored_pdf(doc: IssuedDocument) -> Path | None:
    """The document's PDF file, if it has been made."""
    path = pdf_dir() / doc.pdf_path if doc.pdf_path else None
    return path if path is not None and path.is_file() else None


def pdf_bytes(db: Session, doc: IssuedDocument) -> bytes:
    """The issued PDF, made now if the worker has not made it yet (the caller commits)."""
    path = _stored_pdf(doc)
    return path.read_bytes() if path is not None else store_pdf(db, doc)


def _render_issued(db: Session, evt: events.Event, _outbox_id: int) -> None:
    """Outbox handler: make the PDF of a document just issued (no-op if a download made it first)."""
    doc = db.get(IssuedDocument, str(evt.data["document_id"]))
    if doc is None or _stored_pdf(doc) is not None:
        return
    try:
        store_pdf(db, doc)
    except FontMissing:  # made at first download once a font is installed
        log.warning("document %s has no PDF yet: no Persian font found", doc.id)


events.subscribe_async(DOCUMENT_ISSUED, "services.render_pdf", _render_issued)


def sign_record(db: Session, agency: OrganizationRef, payload: dict[str, Any]) -> dict[str, Any]:
    """Sign any record with ``agency``'s current document key, for other modules' signed publications
    (performance reports): ``{"document": payload + key_id, "signature", "key_id", "algorithm"}``, the
    shape of :func:`signed_record`, checked with :func:`signer_of`. Key handling stays here."""
    key = active_key(db, agency)
    body = {**payload, "key_id": key.key_id}
    return {"document": body, "signature": _b64(_private(key).sign(canonical(body))), "key_id": key.key_id,
            "algorithm": ALGORITHM}


def signer_of(db: Session, record: Any) -> str | None:
    """The code of the agency whose key signed ``record`` (made by :func:`sign_record`), or ``None`` when the
    record is malformed, the key unknown or the signature does not match the content."""
    if not isinstance(record, dict) or not isinstance(record.get("document"), dict):
        return None
    key_id = record.get("key_id")
    key = db.scalar(select(SigningKey).where(SigningKey.key_id == key_id)) if isinstance(key_id, str) else None
    if key is None or record["document"].get("key_id") != key_id:
        return None
    try:
        signature = base64.b64decode(str(record.get("signature", "")), validate=True)
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key)).verify(
            signature, canonical(record["document"]))
    except (InvalidSignature, binascii.Error, ValueError):
        return None
    agency = identity.organization_view(db, key.agency_id)
    return agency.code if agency is not None else None


# --------------------------------------------------------------------------- verifying


@dataclass
class Verification:
    """The answer of the public verify page."""

    valid: bool
    reason: str  # English message id, shown translated
    document: dict[str, Any] | None = None  # the whole content, when disclosed
    key_id: str | None = None
    checked: list[str] = field(default_factory=list)
    summary: dict[str, Any] | None = None  # what anyone may see (:func:`summary`)
    disclosed: bool = True


def verify_record(db: Session, record: Any) -> Verification:
    """Check a signed JSON record: well-formed, signature by the named agency key, matching what was issued."""
    if not isinstance(record, dict) or not isinstance(record.get("document"), dict):
        return Verification(False, N_("This is not a smartgov signed document."))
    payload = record["document"]
    key_id = record.get("key_id")
    key = db.scalar(select(SigningKey).where(SigningKey.key_id == key_id)) if isinstance(key_id, str) else None
    if key is None or payload.get("key_id") != key_id:
        return Verification(False, N_("The document was not signed by a key known to this platform."), payload)
    agency = identity.organization_view(db, key.agency_id)
    try:
        signature = base64.b64decode(str(record.get("signature", "")), validate=True)
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key)).verify(signature, canonical(payload))
    except (InvalidSignature, binascii.Error, ValueError):
        return Verification(False, N_("The signature does not match: the document was changed."), payload, key_id)
    if agency is None or payload.get("agency", {}).get("code") != agency.code:
        return Verification(False, N_("The document was not signed by the agency it names."), payload, key_id)
    stored = db.get(IssuedDocument, str(payload.get("document_id", "")))
    if stored is None or stored.payload != payload:
        return Verification(False, N_("No such document was issued."), payload, key_id)
    return Verification(True, N_("The signature is valid and the document is unchanged."), payload, key_id,
                        ["signature", "issued"])


def find(db: Session, document_id: str) -> IssuedDocument | None:
    try:
        return document(db, document_id)
    except NotFound:
        return None


def verify_document_id(db: Session, document_id: str, *, disclose: bool = False, code: str | None = None,
                       ip: str = "-") -> Verification:
    """Re-check a stored document by id (what the QR code opens).

    The content is disclosed when the caller may see the case (``disclose``) or typed the right
    ``code``; otherwise only the masked :func:`summary`. A wrong code raises (422, 429 after too many).
    """
    doc = find(db, document_id)
    if doc is None:
        return Verification(False, N_("No such document was issued."), disclosed=False)
    if code is not None and not disclose:
        check_code(db, doc, code, ip)
        disclose = True
    result = verify_record(db, signed_record(doc))
    result.summary = summary(doc.payload)
    if not disclose:
        result.document, result.disclosed = None, False
    return result


def verify_pdf(db: Session, data: bytes) -> Verification:
    """Check an uploaded PDF: the signed record inside it, and that the file is byte for byte the one issued."""
    match = re.search(rb"sgdoc1:([A-Za-z0-9+/=]+)", data)
    if match is None:
        return Verification(False, N_("This is not a smartgov signed document."))
    try:
        record = json.loads(base64.b64decode(match.group(1), validate=True))
    except (binascii.Error, ValueError):
        return Verification(False, N_("The signature does not match: the document was changed."))
    result = verify_record(db, record)
    if not result.valid:
        return result
    stored = db.get(IssuedDocument, record["document"]["document_id"])
    if stored is None or stored.pdf_sha256 != hashlib.sha256(data).hexdigest():
        return Verification(False, N_("The PDF file was changed after it was issued."), result.document,
                            result.key_id)
    result.checked.append("pdf")
    return result


def verify_upload(db: Session, data: bytes) -> Verification:
    """A PDF or a signed JSON file, whichever was uploaded."""
    if len(data) > MAX_VERIFY_BYTES:
        raise DomainError("file_too_large", N_("The file must be no larger than {limit} KB."), field="file",
                          limit=MAX_VERIFY_BYTES // 1024)
    if data.startswith(b"%PDF-"):
        return verify_pdf(db, data)
    try:
        record = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return Verification(False, N_("This is not a smartgov signed document."))
    return verify_record(db, record)
