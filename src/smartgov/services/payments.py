"""Invoices, payment gateways and the daily reconciliation report. Amounts are integer rial.

A gateway redirects the payer and later calls back; the callback is verified (HMAC) and
settles a payment exactly once however many times it arrives, so a retried or duplicated
callback never credits twice. Reconciliation lists what does not add up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from smartgov import clock, digits, events, files
from smartgov.db import scalar_or_not_found
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.settings import get_settings

from .applicants import event_data
from .casework import run_automatic_steps
from .config import services_settings
from .definitions import ServiceDefinition
from .events import PAYMENT_SETTLED
from .models import Application, Invoice, InvoiceStatus, Payment, PaymentStatus
from .numbers import next_number

OUTCOMES = ("success", "failure", "timeout", "duplicate")
"""What the simulated gateway can be told to do (``duplicate``: a success delivered twice)."""


@dataclass(frozen=True)
class Callback:
    """A gateway's verified answer about one payment."""

    token: str
    status: str  # success | failure | timeout
    amount: int
    gateway_reference: str


class CallbackRejected(DomainError):
    status = 400

    def __init__(self) -> None:
        super().__init__("callback_invalid", N_("The payment confirmation could not be verified."))


class PaymentGateway(Protocol):
    """What the engine needs from a payment provider."""

    name: str

    def start_url(self, payment: Payment) -> str:
        """Where to send the payer's browser to pay ``payment``."""
        ...

    def verify(self, data: Mapping[str, str]) -> Callback:
        """Check a callback's signature and read it, or raise :class:`CallbackRejected`."""
        ...


def _key(label: str) -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, f"smartgov.services.{label}".encode(), hashlib.sha256).digest()


class SimulatedGateway:
    """A local stand-in for a bank's gateway: a page with outcome buttons, callbacks signed with HMAC."""

    name = "simulated"

    def start_url(self, payment: Payment) -> str:
        return f"/services/gateway/simulated/{payment.token}"

    @staticmethod
    def _message(token: str, status: str, amount: str, reference: str) -> bytes:
        return f"{token}|{status}|{amount}|{reference}".encode()

    def sign(self, token: str, status: str, amount: int, reference: str) -> dict[str, str]:
        """The callback fields the gateway posts (the gateway side of the protocol)."""
        mac = hmac.new(_key("gateway.simulated"), self._message(token, status, str(amount), reference),
                       hashlib.sha256).hexdigest()
        return {"token": token, "status": status, "amount": str(amount), "reference": reference, "signature": mac}

    def callback_for(self, payment: Payment, outcome: str) -> dict[str, str]:
        """The signed callback for an outcome chosen on the simulated gateway page."""
        status = "success" if outcome in ("success", "duplicate") else outcome
        return self.sign(payment.token, status, payment.amount, f"SIM-{secrets.token_hex(6).upper()}")

    def verify(self, data: Mapping[str, str]) -> Callback:
        fields = [str(data.get(k, "")) for k in ("token", "status", "amount", "reference", "signature")]
        token, status, amount, reference, signature = fields
        expected = hmac.new(_key("gateway.simulated"), self._message(token, status, amount, reference),
                            hashlib.sha256).hexdigest()
        if not signature.isascii() or not hmac.compare_digest(expected, signature):  # non-ASCII: TypeError
            raise CallbackRejected()
        if status not in ("success", "failure", "timeout") or not digits.is_ascii_digits(amount) or len(amount) > 18:
            raise CallbackRejected()
        return Callback(token=token, status=status, amount=int(amount), gateway_reference=reference[:100])


_gateways: dict[str, PaymentGateway] = {"simulated": SimulatedGateway()}


def register_gateway(gateway: PaymentGateway) -> None:
    """Plug in a real provider under ``gateway.name`` (select it with SMARTGOV_SERVICES_PAYMENT_GATEWAY)."""
    _gateways[gateway.name] = gateway


def gateway(name: str) -> PaymentGateway:
    found = _gateways.get(name)
    if found is None:
        raise NotFound("gateway")
    return found


# --------------------------------------------------------------------------- invoices and payments


def create_invoice(db: Session, app: Application, defn: ServiceDefinition) -> Invoice:
    """The invoice for an application's fee."""
    invoice = Invoice(number=next_number(db, services_settings().invoice_format), application_id=app.id,
                      amount=app.fee, description=f"{defn.id}: {defn.title_en}"[:300], status=InvoiceStatus.OPEN,
                      created_at=clock.now())
    db.add(invoice)
    db.flush()
    return invoice


def invoice_by_number(db: Session, number: str) -> Invoice:
    return scalar_or_not_found(db, select(Invoice).where(Invoice.number == number), "invoice")


def start_payment(db: Session, invoice: Invoice) -> tuple[Payment, str]:
    """A new payment attempt for an open invoice and the URL that takes the payer to the gateway."""
    if invoice.status != InvoiceStatus.OPEN:
        raise Conflict("invoice_not_open", N_("This invoice is already paid or cancelled."))
    gw = gateway(services_settings().payment_gateway)
    payment = Payment(invoice_id=invoice.id, gateway=gw.name, token=secrets.token_urlsafe(24), amount=invoice.amount,
                      status=PaymentStatus.PENDING, callbacks=0, created_at=clock.now())
    db.add(payment)
    db.flush()
    return payment, gw.start_url(payment)


def payment_by_token(db: Session, gateway_name: str, token: str, *, lock: bool = False) -> Payment:
    stmt = select(Payment).where(Payment.gateway == gateway_name, Payment.token == token)
    if lock:
        stmt = stmt.with_for_update()
    payment = db.scalar(stmt)
    if payment is None:
        raise NotFound("payment")
    return payment


def handle_callback(db: Session, gateway_name: str, data: Mapping[str, str]) -> Payment:
    """Verify and apply a gateway callback; a payment is settled once, later callbacks change nothing."""
    cb = gateway(gateway_name).verify(data)
    payment = payment_by_token(db, gateway_name, cb.token, lock=True)
    payment.callbacks += 1
    if payment.status != PaymentStatus.PENDING:
        return payment  # already settled: a duplicate or late callback credits nothing
    now = clock.now()
    payment.gateway_reference = cb.gateway_reference
    payment.settled_at = now
    if cb.status == "failure":
        payment.status = PaymentStatus.FAILED
        return payment
    if cb.status == "timeout":
        payment.status = PaymentStatus.TIMED_OUT
        return payment
    payment.paid_amount = cb.amount
    if cb.amount != payment.amount:
        payment.status = PaymentStatus.MISMATCH
        return payment
    payment.status = PaymentStatus.SUCCEEDED
    invoice = db.get(Invoice, payment.invoice_id)
    assert invoice is not None
    app = db.get(Application, invoice.application_id)
    assert app is not None
    credited = invoice.status == InvoiceStatus.OPEN
    if credited:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now
        if not db.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.application_id == app.id, Invoice.status == InvoiceStatus.OPEN)):
            app.paid_at = now
    events.publish(db, PAYMENT_SETTLED, **event_data(db, app), invoice_id=invoice.id,
                   invoice_number=invoice.number, payment_id=payment.id, amount=payment.amount,
                   gateway=payment.gateway, gateway_reference=payment.gateway_reference, credited=credited)
    if credited:
        run_automatic_steps(db, app)
    return payment


def expire_stale_payments(db: Session) -> int:
    """Pending payments the gateway never answered become timed out; returns how many."""
    limit = clock.now() - dt.timedelta(minutes=services_settings().payment_timeout_minutes)
    stale = list(db.scalars(select(Payment).where(Payment.status == PaymentStatus.PENDING, Payment.created_at < limit)))
    for payment in stale:
        payment.status = PaymentStatus.TIMED_OUT
        payment.settled_at = clock.now()
    return len(stale)


def receipt(db: Session, payment: Payment) -> dict[str, Any]:
    """What the payer keeps: the invoice, the amount and the gateway's reference."""
    invoice = db.get(Invoice, payment.invoice_id)
    assert invoice is not None
    app = db.get(Application, invoice.application_id)
    assert app is not None
    if payment.status != PaymentStatus.SUCCEEDED:
        raise Conflict("payment_not_succeeded", N_("This payment did not go through; there is no receipt."))
    return {
        "payment_id": payment.id, "invoice": invoice.number, "reference": app.reference, "amount": payment.amount,
        "gateway": payment.gateway, "gateway_reference": payment.gateway_reference,
        "paid_at": payment.settled_at, "service_id": app.service_id,
    }


# --------------------------------------------------------------------------- reconciliation


@dataclass
class Mismatch:
    kind: str  # amount_mismatch | paid_twice | payment_not_credited | paid_without_payment | pending_too_long
    invoice: str
    payment_id: int | None
    detail: str


@dataclass
class Reconciliation:
    day: dt.date
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    invoiced_total: int = 0
    collected_total: int = 0


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A business day in the platform's time zone, as UTC instants [start, end)."""
    return clock.day_start(day), clock.day_start(day + dt.timedelta(days=1))


def reconciliation(db: Session, day: dt.date, branch_ids: set[int] | None = None) -> Reconciliation:
    """Invoices and payments of one business day (platform time zone), their totals, and every mismatch."""
    start, end = _day_bounds(day)
    report = Reconciliation(day=day)
    inv_stmt = select(Invoice).where(or_(Invoice.created_at.between(start, end), Invoice.paid_at.between(start, end)))
    pay_stmt = select(Payment).where(
        or_(Payment.created_at.between(start, end), Payment.settled_at.between(start, end)))
    if branch_ids is not None:
        apps = select(Application.id).where(Application.branch_id.in_(branch_ids or {-1}))
        inv_stmt = inv_stmt.where(Invoice.application_id.in_(apps))
        pay_stmt = pay_stmt.where(Payment.invoice_id.in_(select(Invoice.id).where(Invoice.application_id.in_(apps))))
    report.invoices = list(db.scalars(inv_stmt.order_by(Invoice.id)))
    report.payments = list(db.scalars(pay_stmt.order_by(Payment.id)))
    report.invoiced_total = sum(i.amount for i in report.invoices if start <= i.created_at < end)
    report.collected_total = sum(
        p.paid_amount or 0 for p in report.payments
        if p.status == PaymentStatus.SUCCEEDED and p.settled_at and start <= p.settled_at < end
    )
    invoices = {i.id: i for i in report.invoices}
    for p in report.payments:
        invoices.setdefault(p.invoice_id, db.get(Invoice, p.invoice_id))  # type: ignore[arg-type]
    timeout = dt.timedelta(minutes=services_settings().payment_timeout_minutes)
    for invoice in invoices.values():
        payments = list(db.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)))
        succeeded = [p for p in payments if p.status == PaymentStatus.SUCCEEDED]
        if len(succeeded) > 1:
            report.mismatches.append(Mismatch("paid_twice", invoice.number, succeeded[-1].id,
                                              f"{len(succeeded)} successful payments for one invoice"))
        if succeeded and invoice.status != InvoiceStatus.PAID:
            report.mismatches.append(Mismatch("payment_not_credited", invoice.number, succeeded[0].id,
                                              f"invoice is {invoice.status.value}"))
        if invoice.status == InvoiceStatus.PAID and not succeeded:
            report.mismatches.append(Mismatch("paid_without_payment", invoice.number, None,
                                              "invoice marked paid without a successful payment"))
        for p in payments:
            if p.status == PaymentStatus.MISMATCH:
                report.mismatches.append(Mismatch("amount_mismatch", invoice.number, p.id,
                                                  f"expected {p.amount}, gateway confirmed {p.paid_amount}"))
            if p.status == PaymentStatus.PENDING and clock.now() - p.created_at > timeout:
                report.mismatches.append(Mismatch("pending_too_long", invoice.number, p.id,
                                                  "no answer from the gateway"))
    return report


def reconciliation_csv(db: Session, report: Reconciliation) -> str:
    """The report as CSV: one row per invoice, payment and mismatch (``record`` says which); cells a
    spreadsheet would run as formulas (a gateway's reference, say) are neutralized (``files.csv_text``)."""
    rows: list[list[Any]] = []
    numbers = {}
    for i in report.invoices:
        numbers[i.id] = i.number
        rows.append(["invoice", i.number, "", i.amount, "", i.status.value, "", i.created_at.isoformat(),
                         i.paid_at.isoformat() if i.paid_at else "", ""])
    for p in report.payments:
        number = numbers.get(p.invoice_id) or db.get(Invoice, p.invoice_id).number  # type: ignore[union-attr]
        rows.append(["payment", number, p.id, p.amount, p.paid_amount if p.paid_amount is not None else "",
                         p.status.value, p.gateway_reference or "", p.created_at.isoformat(),
                         p.settled_at.isoformat() if p.settled_at else "", ""])
    for m in report.mismatches:
        rows.append(["mismatch", m.invoice, m.payment_id or "", "", "", m.kind, "", "", "", m.detail])
    rows.append(["total", "", "", report.invoiced_total, report.collected_total, "", "", "", "", ""])
    return files.csv_text(["record", "invoice", "payment_id", "amount", "paid_amount", "status", "gateway_reference",
                           "created_at", "settled_at", "detail"], rows)


def payment_row(db: Session, payment_id: int) -> Payment | None:
    return db.get(Payment, payment_id)


def invoice_and_case(db: Session, payment: Payment | None) -> tuple[Invoice | None, Application | None]:
    """The invoice a payment is for and that invoice's case (``None`` where missing)."""
    invoice = db.get(Invoice, payment.invoice_id) if payment is not None else None
    return invoice, db.get(Application, invoice.application_id) if invoice is not None else None


def invoice_numbers(db: Session, invoice_ids: set[int]) -> dict[int, str]:
    """Invoice numbers by id, in one query."""
    if not invoice_ids:
        return {}
    return dict(db.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids))).tuples().all())
