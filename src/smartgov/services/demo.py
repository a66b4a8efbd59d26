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

from . import service

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


def _upload(db: Session, account: AccountRef, name: str) -> dict[str, object]:
    return service.file_meta(service.store_upload(db, account, name=name, mime="application/pdf", data=DEMO_PDF))


def load_demo(db: Session, rng: random.Random, people: int) -> None:
    """Bundled definitions, then the demo citizen's applications worked by the demo official."""
    service.sync_bundled_definitions(db)
    citizen, official = (identity.account_view_by_username(db, name) for name in ("citizen", "official"))
    person = identity.person_profile(db, citizen.person_id) if citizen else None
    citizen_acting = identity.principal_of(db, citizen.id) if citizen else None
    official_acting = identity.principal_of(db, official.id) if official else None
    if citizen is None or person is None or citizen_acting is None or official_acting is None:
        return
    try:
        service.published(db, "address-change")
    except NotFound:  # the SSO agency is missing: nothing to apply for
        return
    for key, owns_home, actions, waited in CASES:
        answers: dict[str, object] = {
            "national_code": person.national_code, "province": "tehran", "city": "تهران",
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
        if not result.created:
            continue
        app = result.application
        for action, reason in actions:
            service.take_action(db, official_acting, app, action, reason=reason)
    db.flush()


demo.register("services", load_demo, order=60)
