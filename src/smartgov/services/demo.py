"""Demo data of the engine: the bundled definitions and a few applications in different states.

Idempotent: every demo application has a fixed idempotency key, so a second run finds it
and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from smartgov import clock, demo, identity
from smartgov.errors import NotFound
from smartgov.identity import AccountRef

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


def _upload(db: Session, account: AccountRef, name: str) -> dict[str, object]:
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
        _apply(db, rng, citizen_name, official_name, cases)
    db.flush()


def _apply(db: Session, rng: random.Random, citizen_name: str, official_name: str,
           cases: list[tuple[str, bool, list[tuple[str, str | None]], int]]) -> None:
    citizen, official = (identity.account_view_by_username(db, name) for name in (citizen_name, official_name))
    person = identity.person_profile(db, citizen.person_id) if citizen else None
    citizen_acting = identity.principal_of(db, citizen.id) if citizen else None
    official_acting = identity.principal_of(db, official.id) if official else None
    if citizen is None or person is None or citizen_acting is None or official_acting is None:
        return
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
            result = service.submit_application(db, citizen_acting, "address-change", answers,
                                                {"proof_of_address": _upload(db, citizen, "ghabz.pdf")},
                                                idempotency_key=key)
        finally:
            clock.advance(dt.timedelta(hours=waited))
        app = result.application
        # a demo loaded before cases were routed keeps its agency's cases: its branch official skips them
        if not result.created or not permissions.works_on(db, official_acting, app):
            continue
        for action, reason in actions:
            service.take_action(db, official_acting, app, action, reason=reason)


demo.register("services", load_demo, order=60)
