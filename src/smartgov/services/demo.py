"""Demo data of the engine: the bundled definitions and a few applications in different states.

Idempotent: every demo application has a fixed idempotency key, so a second run finds it
and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, demo
from smartgov.errors import NotFound
from smartgov.identity import Account, Principal

from . import permissions, service

DEMO_PDF = b"%PDF-1.4\n% smartgov demo attachment\n%%EOF\n"

# (idempotency key, owns the home, official actions to take, hours the case has been waiting)
CASES: list[tuple[str, bool, list[tuple[str, str | None]], int]] = [
    ("demo-address-1", True, [], 0),
    ("demo-address-2", False, [], 0),
    ("demo-address-3", False, [], 10),  # waiting longer than its 8-hour SLA: shows as late in the inbox
    ("demo-address-4", False, [("start_review", None)], 0),
    ("demo-address-5", False, [("start_review", None),
                               ("request_information", "لطفاً تصویر خواناتری از قبض بفرستید.")], 0),
    ("demo-address-6", False, [("start_review", None), ("approve", "اجاره‌نامه و قبض بررسی شد.")], 0),
]


# The same for the Isfahan citizen, whose cases go to the Isfahan branch: its official works them,
# and the Tehran official does not see them (least privilege; ``services/permissions.py``).
ISF_CASES: list[tuple[str, bool, list[tuple[str, str | None]], int]] = [
    ("demo-address-isf-1", False, [], 0),
    ("demo-address-isf-2", False, [("start_review", None)], 0),
]


def _account(db: Session, username: str) -> Account | None:
    return db.scalar(select(Account).where(Account.username == username))


def _upload(db: Session, account: Account, name: str) -> dict[str, object]:
    return service.file_meta(service.store_upload(db, account, name=name, mime="application/pdf", data=DEMO_PDF))


def load_demo(db: Session, rng: random.Random, people: int) -> None:
    """Bundled definitions, then the demo citizens' applications worked by their branch's official."""
    service.sync_bundled_definitions(db)
    try:
        service.published(db, "address-change")
    except NotFound:  # the SSO agency is missing: nothing to apply for
        return
    for citizen_name, official_name, cases in (("citizen", "official", CASES),
                                               ("citizen-isf", "official-isf", ISF_CASES)):
        citizen, official = _account(db, citizen_name), _account(db, official_name)
        if citizen is not None and official is not None and citizen.person is not None:
            _apply(db, rng, citizen, official, cases)
    db.flush()


def _apply(db: Session, rng: random.Random, citizen: Account, official: Account,
           cases: list[tuple[str, bool, list[tuple[str, str | None]], int]]) -> None:
    person = citizen.person
    assert person is not None
    for key, owns_home, actions, waited in cases:
        answers: dict[str, object] = {
            "national_code": person.national_code, "province": (person.province or "tehran").lower().replace(" ", "_"),
            "city": "اصفهان" if person.province == "Isfahan" else "تهران",
            "address": f"خیابان ولیعصر، کوچهٔ {rng.randint(1, 40)}، پلاک {rng.randint(1, 120)}",
            "postal_code": f"{rng.randrange(10**9, 10**10)}", "moved_on": "1405/07/01",
            "owns_home": owns_home, "household_moved": False,
        }
        if not owns_home:
            answers["lease_contract"] = _upload(db, citizen, "ejare-name.pdf")
        # a case that has waited is submitted with the clock set back, so its dates, deadline,
        # timeline and events agree (the inbox then has an SLA breach to show)
        clock.advance(-dt.timedelta(hours=waited))
        try:
            result = service.submit_application(db, Principal(account=citizen), "address-change", answers,
                                                {"proof_of_address": _upload(db, citizen, "ghabz.pdf")},
                                                idempotency_key=key)
        finally:
            clock.advance(dt.timedelta(hours=waited))
        app = result.application
        # a demo loaded before cases were routed keeps its agency's cases: its branch official skips them
        if not result.created or not permissions.works_on(db, Principal(account=official), app):
            continue
        for action, reason in actions:
            service.take_action(db, Principal(account=official), app, action, reason=reason)


demo.register("services", load_demo, order=60)
