"""The audit log viewer: filters (who, what, which record, when), pagination, masked personal
data, CSV export (itself an event), and only auditors and platform admins see it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import select

from smartgov import clock, events
from smartgov.events import EventFilter, EventRecord
from smartgov.identity.models import Role
from tests.factories import create_account, create_agency, page_login


def arrange(db: Any) -> dict[str, Any]:
    clock.freeze(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))
    create_agency(db, "agency-a")
    out = {
        "auditor": create_account(db, "auditor", Role.AUDITOR),
        "platform": create_account(db, "platform", Role.PLATFORM_ADMIN),
        "admin": create_account(db, "admin-a", Role.AGENCY_ADMIN, organization="agency-a"),
        "official": create_account(db, "official-a", Role.OFFICIAL, organization="agency-a"),
        "citizen": create_account(db, "citizen1"),
    }
    # a day later, two changes by the admin, one naming a person's e-mail
    clock.freeze(dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC))
    from smartgov.identity.events import ROLE_GRANTED

    events.publish(db, ROLE_GRANTED, actor_id=out["admin"].id, account_id=out["official"].id, role="agency_admin",
                   organization="agency-a")
    events.publish(db, ROLE_GRANTED, actor_id=out["admin"].id, account_id=99, role="official",
                   organization="agency-a", email="someone.private@example.ir")
    db.commit()
    return out


def test_search_filters_by_actor_name_record_and_dates(db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    assert events.search(db, EventFilter(actor_id=a["admin"].id), limit=10)[1] == 3  # with its own proof
    by_admin, total = events.search(db, EventFilter(actor_id=a["admin"].id, name_prefix="identity.role_"), limit=10)
    assert total == 2 and [e.name for e in by_admin] == ["identity.role_granted"] * 2
    assert by_admin[0].id > by_admin[1].id  # newest first
    found, total = events.search(db, EventFilter(record_key="account_id", record_value=str(a["official"].id)),
                                 limit=10)
    assert {e.name for e in found} >= {"identity.role_granted", "identity.account_created"}
    assert all(e.data["account_id"] == a["official"].id for e in found)
    # a string value is found the same way, and "_" in a prefix is not a wildcard
    assert events.search(db, EventFilter(record_key="organization", record_value="agency-a"), limit=10)[1] >= 2
    assert events.search(db, EventFilter(name_prefix="identity_"), limit=10)[1] == 0
    day = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    assert events.search(db, EventFilter(since=day), limit=10)[1] == 2
    assert events.search(db, EventFilter(until=day), limit=100)[1] == total_before(db, day)
    page2, total = events.search(db, EventFilter(name_prefix="identity."), limit=3, offset=3)
    assert len(page2) == min(3, total - 3)


def total_before(db: Any, day: dt.datetime) -> int:
    return len(db.scalars(select(EventRecord.id).where(EventRecord.occurred_at < day)).all())


def test_the_page_filters_masks_and_paginates_in_persian(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    clock.freeze(None)
    page_login(client, a["auditor"], "/audit")
    page = client.get("/audit", params={"actor": "admin-a", "since": "۱۴۰۵/۰۸/۳۰"})  # Jalali, Persian digits
    assert page.status_code == 200
    assert "identity.role_granted" in page.text and "۲ رویداد یافت شد" in page.text
    assert "someone.private@example.ir" not in page.text and "so•••ir" in page.text  # masked
    assert "۳۰ آبان ۱۴۰۵" in page.text  # Jalali date of the event
    r = client.get("/audit", params={"actor": "nobody", "since": "1405/13/40", "record_key": "Bad Key!"})
    assert r.status_code == 422
    for f in ("actor", "since", "record_key", "record_value"):
        assert f'href="#f-{f}"' in r.text, f
    r = client.get("/audit", params={"per_page": 2})
    assert 'rel="next"' in r.text and "page=2" in r.text
    r = client.get("/audit", params={"per_page": 2, "page": 2, "actor": "admin-a"})
    assert 'rel="prev"' in r.text


def test_the_csv_export_is_masked_neutralized_and_audited(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    clock.freeze(None)
    from smartgov.identity.events import ROLE_GRANTED

    events.publish(db, ROLE_GRANTED, actor_id=a["admin"].id, account_id=5, role="=cmd|' /C calc'!A0",
                   organization="agency-a")
    db.commit()
    page_login(client, a["platform"], "/audit")
    r = client.get("/audit.csv", params={"event": "identity.role_"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0] == ["id", "occurred_at", "event", "actor", "data"]
    assert len(rows) == 4 and all(row[2] == "identity.role_granted" and row[3] == "admin-a" for row in rows[1:])
    assert "someone.private" not in r.text
    exported = db.scalar(select(EventRecord).where(EventRecord.name == "identity.audit_exported"))
    assert exported.actor_id == a["platform"].id and exported.payload["rows"] == 3
    assert exported.payload["filters"] == {"event": "identity.role_"}


def test_only_auditors_and_platform_admins_read_the_log(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    clock.freeze(None)
    for who in ("admin", "official", "citizen"):
        client.cookies.clear()
        page_login(client, a[who], "/account")
        assert client.get("/audit").status_code == 403, who
        assert client.get("/audit.csv").status_code == 403, who
    client.cookies.clear()
    assert client.get("/audit", follow_redirects=False).status_code in (303, 401)
    assert db.scalar(select(EventRecord.id).where(EventRecord.name == "identity.audit_exported")) is None


def test_the_viewers_filters_have_their_indexes(db) -> None:  # type: ignore[no-untyped-def]
    """One person's actions over a period, and a period alone, are index reads on both databases
    (migration 0022), not a scan of every event the platform ever recorded."""
    from sqlalchemy import inspect

    indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.get_bind()).get_indexes("kernel_event")}
    assert indexes["ix_kernel_event_actor_occurred"] == ["actor_id", "occurred_at"]
    assert indexes["ix_kernel_event_occurred"] == ["occurred_at"]
