"""The participation demo loads on an empty database, twice without duplicates, and its pages render."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from smartgov import demo
from smartgov.participation import demo as participation_demo
from smartgov.participation import service
from smartgov.participation.models import Comment, Consultation, Phase


def test_demo_is_idempotent_and_shows_every_process(client, database, db) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        with database.unit_of_work() as session:
            demo.load_identity(session, random.Random(1405), 12)
        with database.unit_of_work() as session:
            participation_demo.load(session, random.Random(1405), 12)
    assert db.scalar(select(func.count()).select_from(Consultation)) == 2
    comments = db.scalar(select(func.count()).select_from(Comment))
    assert comments >= 5
    live = service.consultation_by_slug(db, "pension-rules")
    decided = service.consultation_by_slug(db, "office-hours")
    assert service.current_phase(live) == Phase.CONSULTATION
    assert service.current_phase(decided) == Phase.DECISION and decided.response_published_at
    for path in ("/participation", "/participation/consultations/pension-rules",
                 "/participation/consultations/office-hours", "/participation/consultations/office-hours/diff",
                 "/participation/polls/evening-hours", "/participation/budgets/tehran-2026", "/participation/petitions/1",
                 "/participation/accountability/1"):
        r = client.get(path)
        assert r.status_code == 200, path
    assert "انجام‌نشده در موعد" in client.get("/participation/accountability/1").text
