"""The demo loads the bundled services and a non-empty inbox, and loading twice changes nothing."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from smartgov import demo
from smartgov.identity import Principal
from smartgov.identity.models import Account
from smartgov.services import demo as services_demo
from smartgov.services import service
from smartgov.services.models import Application


def test_demo_fills_the_inbox_once(database) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        with database.unit_of_work() as db:
            demo.load_identity(db, random.Random(1), 5)
        with database.unit_of_work() as db:
            services_demo.load_demo(db, random.Random(1), 5)
    with database.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Application)) == len(services_demo.CASES)
        states = set(db.scalars(select(Application.state)))
        assert states == {"registered", "submitted", "in_review", "awaiting_applicant"}
        official = db.scalar(select(Account).where(Account.username == "official"))
        inbox = list(db.scalars(service.inbox_query(db, Principal(account=official))))
        assert len(inbox) == 4 and any(service.sla(a)[1] for a in inbox)
