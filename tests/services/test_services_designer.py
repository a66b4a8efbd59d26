"""The service designer: agency admins build, preview, version, schedule and publish services in the browser.

Every change is judged by the engine's loader (nothing half-saved), audited as an event, and only
the admins of the owning agency (or an agency above it) may open or post any designer route.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from smartgov import clock, events
from smartgov.identity import Role
from smartgov.services import designer_store
from smartgov.services.models import Definition, DefinitionSchedule
from tests.factories import create_account

from .helpers import arrange
from .test_services_pages import login, post

BASE = "/services/admin/designer"


def new_service(client, service_id: str = "fishing-permit") -> int:  # type: ignore[no-untyped-def]
    r = post(client, f"{BASE}/new", {"id": service_id, "agency": "sso", "title_fa": "پروانهٔ ماهیگیری",
                                    "title_en": "Fishing permit", "relationship": "G2C", "template": ""},
             page_url=BASE)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1].split("#")[0])


def edit(client, definition_id: int, data: dict, page: str):  # type: ignore[no-untyped-def]
    """Post the item form of ``page`` (``add=form&type=text`` or ``at=form.0``) with ``data``."""
    where = dict(part.split("=", 1) for part in page.split("&"))
    return post(client, f"{BASE}/{definition_id}/edit", {**where, **data},
                page_url=f"{BASE}/{definition_id}/edit?{page}")


def build_fishing_permit(client) -> int:  # type: ignore[no-untyped-def]
    """An admin's journey without YAML: a yes/no question, an upload shown only on "yes", a fee."""
    did = new_service(client)
    assert edit(client, did, {"name": "boat", "label_fa": "قایق دارید؟", "label_en": "Do you own a boat?",
                              "required": "yes"}, "add=form&type=yes_no").status_code == 303
    r = edit(client, did, {"name": "boat_papers", "label_fa": "مدارک قایق", "label_en": "Boat papers",
                           "required": "yes", "when": "answers.boat == true",
                           "mime_types": "application/pdf, image/jpeg"}, "add=form&type=file")
    assert r.status_code == 303, r.text
    assert edit(client, did, {"amount": "۵۰۰٬۰۰۰", "description_fa": "هزینهٔ پروانه"}, "at=fee").status_code == 303
    return did


def test_an_admin_builds_a_service_with_a_condition_an_upload_and_a_fee_and_publishes_it(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    login(client, a["admin"])
    did = build_fishing_permit(client)
    page = client.get(f"{BASE}/{did}").text
    assert "مدارک قایق" in page and "answers.boat == true" in page and "application/pdf, image/jpeg" in page
    assert "۵۰۰٬۰۰۰" in page
    preview = client.get(f"{BASE}/{did}/preview", params={"show": "en"}).text
    assert "Boat papers" in preview and "Do you own a boat?" in preview and 'accept="application/pdf,image/jpeg"' in preview
    assert "قایق دارید؟" in client.get(f"{BASE}/{did}/preview", params={"show": "fa"}).text
    assert "fishing-permit" not in client.get("/services").text  # a draft is not in the catalog
    assert post(client, f"{BASE}/{did}/publish", {}, page_url=f"{BASE}/{did}").status_code == 303
    assert "پروانهٔ ماهیگیری" in client.get("/services").text
    db.expire_all()
    row = db.get(Definition, did)
    defn = designer_store.definition_of(row)
    assert row.status.value == "published" and defn.fee is not None and defn.fee.amount == 500_000
    assert defn.form[1].when is not None and defn.form[1].when.source == "answers.boat == true"
    changes = [e.payload["change"] for e in db.scalars(select(events.EventRecord).where(
        events.EventRecord.name == "services.definition_changed")) if e.payload["service_id"] == "fishing-permit"]
    assert changes == ["created", "added", "added", "changed"]


def test_a_broken_expression_is_refused_on_its_field_and_nothing_is_stored(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    login(client, a["admin"])
    did = new_service(client)
    before = db.get(Definition, did).source
    r = edit(client, did, {"name": "age", "label_fa": "سن", "label_en": "Age", "when": "answers.x >"},
             "add=form&type=number")
    assert r.status_code == 422 and 'href="#f-when"' in r.text and 'id="f-when-error"' in r.text
    r = edit(client, did, {"name": "age", "label_fa": "سن", "label_en": "Age", "when": "answers.nothing == 1"},
             "add=form&type=number")  # parses, but the engine refuses the unknown name: named on the field
    assert r.status_code == 422 and "is not an earlier field" in r.text and 'id="f-when-error"' in r.text
    r = edit(client, did, {"name": "Bad Name", "label_fa": "سن", "label_en": "Age"}, "add=form&type=number")
    assert r.status_code == 422 and 'id="f-name-error"' in r.text
    r = edit(client, did, {"id": "old", "rule": "applicant.age >= 18", "message_fa": "x"}, "add=eligibility")
    assert r.status_code == 422 and 'id="f-message_en-error"' in r.text
    db.expire_all()
    assert db.get(Definition, did).source == before
    # removing the only way into a state is refused with the state named
    r = post(client, f"{BASE}/{did}/remove", {"at": "workflow.transitions.0"}, page_url=f"{BASE}/{did}")
    assert r.status_code == 422 and "cannot be reached" in r.text
    db.expire_all()
    assert db.get(Definition, did).source == before


def test_yaml_view_and_builder_round_trip(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    login(client, a["admin"])
    did = build_fishing_permit(client)
    text = client.get(f"{BASE}/{did}/yaml").text
    assert "answers.boat == true" in text
    source = db.get(Definition, did).source
    changed = source.replace("label_en: Boat papers", "label_en: Papers of the boat")
    assert post(client, f"{BASE}/{did}/yaml", {"yaml": changed}, page_url=f"{BASE}/{did}/yaml").status_code == 303
    assert "Papers of the boat" in client.get(f"{BASE}/{did}/edit", params={"at": "form.1"}).text
    r = post(client, f"{BASE}/{did}/yaml", {"yaml": changed.replace("type: file", "type: fiel")},
             page_url=f"{BASE}/{did}/yaml")
    assert r.status_code == 422 and "form[1]" in r.text
    r = post(client, f"{BASE}/{did}/yaml", {"yaml": changed.replace("agency: sso", "agency: nocr")},
             page_url=f"{BASE}/{did}/yaml")
    assert r.status_code == 422 and "agency: the owning agency cannot be changed" in r.text
    # moving questions (plain forms) is a builder change the YAML shows
    assert post(client, f"{BASE}/{did}/move", {"at": "form.0", "to": "down"}, page_url=f"{BASE}/{did}").status_code == 422
    db.expire_all()
    assert db.get(Definition, did).source == changed  # the condition would read a later answer: refused


def test_versions_diff_history_schedule_and_retire(client, db, database) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    login(client, a["admin"])
    did = build_fishing_permit(client)
    assert post(client, f"{BASE}/{did}/publish", {}, page_url=f"{BASE}/{did}").status_code == 303
    r = edit(client, did, {"amount": "1"}, "at=fee")
    assert r.status_code == 409  # a published version is not changed
    r = post(client, f"{BASE}/{did}/new-version", {}, page_url=f"{BASE}/{did}")
    v2 = int(r.headers["location"].rsplit("/", 1)[1])
    assert v2 != did
    assert edit(client, v2, {"amount": "750000"}, "at=fee").status_code == 303
    page = client.get(f"{BASE}/{v2}/versions").text
    assert "<del>-  amount: 500000</del>" in page and "<ins>+  amount: 750000</ins>" in page
    assert "ssoadmin" in page and "services.definition_changed changed" in page
    bad = post(client, f"{BASE}/{v2}/schedule", {"publish_on": "۱۳۹۰/۰۱/۰۱", "publish_time": "08:00"},
               page_url=f"{BASE}/{v2}")
    assert bad.status_code == 422 and 'id="f-publish_at-error"' in bad.text
    tomorrow = clock.today() + dt.timedelta(days=2)
    assert post(client, f"{BASE}/{v2}/schedule", {"publish_on": tomorrow.isoformat(), "publish_time": "۰۸:۰۰"},
                page_url=f"{BASE}/{v2}").status_code == 303
    with database.unit_of_work() as s:
        assert designer_store.publish_due(s, clock.now()) == 0
    with database.unit_of_work() as s:
        assert designer_store.publish_due(s, clock.now() + dt.timedelta(days=3)) == 1
    db.expire_all()
    assert db.get(Definition, v2).status.value == "published" and db.get(Definition, did).status.value == "retired"
    assert db.scalar(select(DefinitionSchedule)) is None
    assert post(client, f"{BASE}/{v2}/retire", {}, page_url=f"{BASE}/{v2}").status_code == 303
    db.expire_all()
    assert db.get(Definition, v2).status.value == "retired"


def test_no_one_but_the_owning_agencys_admins_opens_or_posts_a_designer_route(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    create_account(db, "nocradmin", Role.AGENCY_ADMIN, organization="nocr")
    create_account(db, "thradmin", Role.AGENCY_ADMIN, organization="sso-thr")
    db.commit()
    login(client, a["admin"])
    did = build_fishing_permit(client)
    gets = [f"{BASE}/{did}", f"{BASE}/{did}/edit?at=form.0", f"{BASE}/{did}/edit?add=form&type=text",
            f"{BASE}/{did}/yaml", f"{BASE}/{did}/preview", f"{BASE}/{did}/versions"]
    posts = [(f"{BASE}/{did}/edit", {"at": "fee", "amount": "1"}), (f"{BASE}/{did}/move", {"at": "form.0", "to": "down"}),
             (f"{BASE}/{did}/remove", {"at": "fee"}), (f"{BASE}/{did}/yaml", {"yaml": "id: x"}),
             (f"{BASE}/{did}/publish", {}), (f"{BASE}/{did}/schedule", {"publish_on": "1500/01/01"}),
             (f"{BASE}/{did}/retire", {}), (f"{BASE}/{did}/new-version", {})]
    before = db.get(Definition, did).source
    from smartgov.identity.models import Account
    for username in ("nocradmin", "thradmin", "official1"):
        client.cookies.clear()
        login(client, db.scalar(select(Account).where(Account.username == username)))
        for url in gets:
            assert client.get(url).status_code == 404, (username, url)
        for url, data in posts:
            assert post(client, url, data, page_url="/services").status_code == 404, (username, url)
        home = client.get(BASE)
        assert home.status_code == (403 if username == "official1" else 200)
        assert "fishing-permit" not in home.text
        r = post(client, f"{BASE}/new", {"id": "x-y", "agency": "sso", "title_fa": "x", "title_en": "x",
                                        "relationship": "G2C"}, page_url="/services")
        assert r.status_code in (403, 422), username
    db.expire_all()
    row = db.get(Definition, did)
    assert row.source == before and row.status.value == "draft"
    assert db.scalar(select(Definition).where(Definition.service_id == "x-y")) is None
