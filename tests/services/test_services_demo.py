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
        assert db.scalar(select(func.count()).select_from(Application)) == (
            len(services_demo.CASES) + len(services_demo.ISF_CASES))
        states = set(db.scalars(select(Application.state)))
        assert states == {"registered", "submitted", "in_review", "awaiting_applicant"}
        official = db.scalar(select(Account).where(Account.username == "official"))
        inbox = list(db.scalars(service.inbox_query(db, Principal(account=official))))
        assert len(inbox) == 4 and any(service.sla(a)[1] for a in inbox)


def test_the_demo_shows_each_branch_its_own_cases(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        demo.load_identity(db, random.Random(1), 5)
    with database.unit_of_work() as db:
        services_demo.load_demo(db, random.Random(1), 5)
    with database.sessions() as db:
        def inbox_of(username: str) -> set[str]:
            account = db.scalar(select(Account).where(Account.username == username))
            return {a.idempotency_key for a in db.scalars(service.inbox_query(db, Principal(account=account),
                                                                              include_closed=True))}

        tehran = {key for key, *_ in services_demo.CASES}
        isfahan = {key for key, *_ in services_demo.ISF_CASES}
        assert inbox_of("official") == tehran
        assert inbox_of("official-isf") == isfahan
        assert inbox_of("agencyadmin") == tehran | isfahan  # the supervisor of SSO sees both branches
        in_review = db.scalar(select(Application).where(Application.idempotency_key == "demo-address-isf-2"))
        assert in_review is not None and in_review.state == "in_review"
