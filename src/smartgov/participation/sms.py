"""The SMS channel: keyword commands from a gateway, answered in the sender's language.

Commands (keywords in English or Persian, digits in either script)::

    VOTE <poll> <option>          رای <نظرسنجی> <گزینه>
    SUPPORT <proposal>            حمایت <پیشنهاد>
    SIGN <petition>               امضا <دادخواست>
    COMMENT <consultation>[/<section>] <text>     نظر <رایزنی>[/<بند>] <متن>
    HELP                          راهنما

A number counts only if it is the phone of exactly one person with an account that has proven
its person (``identity.can_use_personal_records``). Replies go through
``smartgov.notifications.queue_sms``. Because the SMS pipeline keeps message texts (event log,
outbox), a vote by SMS is confirmed without a receipt code, and the stored log keeps neither the
poll nor the option of a VOTE.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import digits, events, identity
from smartgov.digits import to_latin_digits
from smartgov.errors import DomainError
from smartgov.i18n import N_, gettext
from smartgov.identity import AccountRef, AccountView, can_use_personal_records
from smartgov.participation import service
from smartgov.participation.events import SMS_RECEIVED
from smartgov.participation.models import SmsMessage
from smartgov.settings import get_settings, public_url

KEYWORDS: dict[str, str] = {
    "vote": "vote", "رای": "vote", "رأی": "vote", "راي": "vote",
    "support": "support", "حمایت": "support", "حمايت": "support",
    "sign": "sign", "امضا": "sign", "امضاء": "sign",
    "comment": "comment", "نظر": "comment",
    "help": "help", "راهنما": "help",
}

HELP_TEXT = N_(
    "Commands: VOTE <poll> <option>, SUPPORT <proposal>, SIGN <petition>, COMMENT <consultation>[/<section>] "
    "<text>. Example: VOTE 3 2"
)


@dataclass(frozen=True)
class Command:
    name: str  # vote | support | sign | comment | help | unknown
    args: list[str]
    text: str  # the free text of a COMMENT
    language: str


def parse(text: str) -> Command:
    """Split an SMS into keyword, arguments and free text; the keyword's script decides the language."""
    clean = to_latin_digits(text).replace("\u200c", " ").strip()
    parts = clean.split(maxsplit=1)
    if not parts:
        return Command("unknown", [], "", "fa")
    word = parts[0].lower()
    rest = parts[1] if len(parts) > 1 else ""
    lang = "fa" if re.search(r"[\u0600-\u06FF]", word) else "en"
    if word not in KEYWORDS:
        lang = "fa" if re.search(r"[\u0600-\u06FF]", clean) else "en"
        return Command("unknown", [], "", lang)
    name = KEYWORDS[word]
    if name == "comment":
        bits = rest.split(maxsplit=1)
        return Command(name, bits[:1], bits[1] if len(bits) > 1 else "", lang)
    return Command(name, rest.split(), "", lang)


def normalize_phone(number: str) -> str:
    """The sender as stored on people (``digits.phone``: an Iranian mobile as ``09xxxxxxxxx``);
    ``""`` for what is not a phone number at all (foreign digits included)."""
    try:
        return digits.phone(number, "sender")
    except DomainError:
        return ""


def sender_account(db: Session, number: str) -> AccountView | None:
    """The one active, proven account of the person holding this phone number, else ``None``."""
    local = normalize_phone(number)
    if len(local) != 11:
        return None
    variants = {local, "+98" + local[1:], "98" + local[1:], local[1:]}
    accounts = [a for a in identity.accounts_of_people_reached_at(db, variants) if can_use_personal_records(a)]
    return accounts[0] if len({a.person_id for a in accounts}) == 1 else None


def _int(value: str, field: str) -> int:
    number = digits.integer(value, field)  # digits of another script: the reply says which to use
    if number is None:
        raise DomainError("invalid_number", N_("Write numbers in digits, for example VOTE 3 2."), field=field)
    return number


def execute(db: Session, account: AccountRef, cmd: Command) -> str:
    """Run one command for ``account``; returns the reply (English msgid already translated)."""
    lang = cmd.language
    if cmd.name == "vote":
        if len(cmd.args) != 2:
            raise DomainError("usage", N_("Write: VOTE <poll number> <option number>. Example: VOTE 3 2"))
        poll = service.poll_by_ref(db, cmd.args[0])
        service.vote_in_poll(db, poll, account, _int(cmd.args[1], "option"))
        return gettext("Your vote in poll {poll} was counted. Results are published when voting closes.", lang,
                       poll=poll.id)
    if cmd.name == "support":
        if len(cmd.args) != 1:
            raise DomainError("usage", N_("Write: SUPPORT <proposal number>."))
        proposal = service.proposal_by_id(db, _int(cmd.args[0], "proposal"))
        service.support_proposal(db, proposal, account)
        return gettext("Your support for proposal {id} was recorded ({n} of {threshold}).", lang, id=proposal.id,
                       n=proposal.support_count, threshold=proposal.threshold)
    if cmd.name == "sign":
        if len(cmd.args) != 1:
            raise DomainError("usage", N_("Write: SIGN <petition number>."))
        petition = service.petition_by_id(db, _int(cmd.args[0], "petition"))
        service.sign_petition(db, petition, account)
        return gettext("Your signature on petition {id} was recorded ({n} of {threshold}).", lang, id=petition.id,
                       n=petition.signature_count, threshold=petition.threshold)
    if cmd.name == "comment":
        if not cmd.args or not cmd.text:
            raise DomainError("usage", N_("Write: COMMENT <consultation>/<section> <your comment>."))
        ref, _, section = cmd.args[0].partition("/")
        number = digits.integer(ref, "consultation")
        consultation = (service.consultation_by_id(db, number) if number is not None
                        else service.consultation_by_slug(db, ref.lower()))
        comment = service.post_comment(
            db, account=account, subject_kind="consultation", subject_id=consultation.id, body=cmd.text,
            section_number=_int(section, "section") if section else None, via="sms")
        return gettext("Your comment {id} was received. Thank you.", lang, id=comment.id)
    return gettext(HELP_TEXT, lang)


def handle_inbound(db: Session, *, gateway_id: str, sender: str, text: str) -> str | None:
    """Process one inbound SMS and queue the reply; ``None`` if the gateway sent it before."""
    ref = hashlib.sha256(gateway_id.encode()).hexdigest()
    if db.scalar(select(SmsMessage.id).where(SmsMessage.gateway_ref == ref)):
        return None
    cmd = parse(text)
    lang = cmd.language
    account = sender_account(db, sender) if cmd.name not in ("help", "unknown") else None
    if cmd.name in ("help", "unknown"):
        reply, outcome = gettext(HELP_TEXT, lang), cmd.name
    elif account is None:
        reply = gettext(
            "This number is not linked to a verified account, so we could not accept your message. Sign in at "
            "{url}, add this mobile number to your account and have your national code verified, then send it "
            "again.", lang, url=public_url("/account"))
        outcome = "unverified"
    else:
        try:
            with db.begin_nested():
                reply = execute(db, account, cmd)
            outcome = "ok"
        except DomainError as exc:
            reply, outcome = exc.localized(lang), exc.code
    db.add(SmsMessage(id=secrets.token_hex(16), gateway_ref=ref,
                      sender_hash=hashlib.sha256(normalize_phone(sender).encode()).hexdigest(),
                      command=cmd.name, outcome=outcome[:30], received_on=service.today()))
    if cmd.name != "vote":
        events.publish(db, SMS_RECEIVED, command=cmd.name, outcome=outcome)
    from smartgov.notifications import queue_sms

    queue_sms(db, to=sender, text=reply, lang=lang)
    return reply


def _gateway_key() -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, b"participation.sms-inbound", hashlib.sha256).digest()


def sign_inbound(body: bytes) -> str:
    """The signature a gateway puts in ``X-Smartgov-Signature`` (HMAC-SHA256 of the body, hex).

    The key is derived from ``SMARTGOV_SECRET_KEY``; operators give the derived key
    (``smartgov.participation.sms._gateway_key().hex()``) to their gateway.
    """
    return hmac.new(_gateway_key(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign_inbound(body), signature.strip().lower())
