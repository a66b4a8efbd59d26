"""What other modules get from identity: read models and lookups, never its rows; the caller resolved,
and the credential's use stored, by identity itself."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from smartgov import clock, identity
from smartgov.identity.models import Account, ApiToken, Role
from tests.factories import api_token, auth, create_account, create_agency, create_person


def test_lookups_answer_frozen_read_models_not_rows(db) -> None:  # type: ignore[no-untyped-def]
    agency = create_agency(db, "agency-a")
    account = create_account(db, "maryam", phone="09121112233")
    db.commit()
    org = identity.organization_view(db, agency.id)
    view = identity.account_view(db, account.id)
    person = identity.person_profile(db, account.person_id)
    assert org is not None and view is not None and person is not None
    assert (org.code, org.is_agency, org.name("en")) == ("agency-a", True, "Agency agency-a")
    assert (view.username, view.person_id, view.roles) == ("maryam", account.person_id, frozenset({Role.CITIZEN}))
    assert person.full_name("en") == "Maryam Ahmadi" and person.phone == "09121112233"
    assert not hasattr(person, "registry_mobile")  # the proof's channel is not part of a profile
    for value in (org, view, person):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.id = 0  # type: ignore[misc]
    assert identity.organization_view(db, 10**6) is None and identity.account_view(db, None) is None


def test_an_agencys_subtree_and_the_agencies_above_it(db) -> None:  # type: ignore[no-untyped-def]
    top = create_agency(db, "top")
    mid = create_agency(db, "mid", parent="top")
    low = create_agency(db, "low", parent="mid")
    other = create_agency(db, "other")
    db.commit()
    assert identity.agency_subtree(db, mid.id) == {mid.id, low.id}
    assert identity.agency_subtree(db, top.id) == {top.id, mid.id, low.id}
    assert identity.agency_ancestors(db, low.id) == [mid.id, top.id]
    assert identity.agency_ancestors(db, other.id) == []


def test_staff_of_an_agency_counts_its_sub_agencies_and_only_the_roles_asked(db) -> None:  # type: ignore[no-untyped-def]
    create_agency(db, "top")
    create_agency(db, "mid", parent="top")
    create_account(db, "off-top", role=Role.OFFICIAL, organization="top")
    create_account(db, "off-mid", role=Role.OFFICIAL, organization="mid")
    create_account(db, "adm-mid", role=Role.AGENCY_ADMIN, organization="mid")
    db.commit()
    top = identity.organization_by_code(db, "top")
    names = [a.username for a in identity.staff_of(db, top.id, {Role.OFFICIAL})]
    assert names == ["off-mid", "off-top"]


def test_the_accounts_of_a_phone_number_are_the_active_ones_of_its_person(db) -> None:  # type: ignore[no-untyped-def]
    mine = create_account(db, "reached", phone="09125550000")
    closed = create_account(db, "closed", phone="09125550000")
    create_account(db, "elsewhere", phone="09120000000")
    db.get(Account, closed.id).is_active = False  # type: ignore[union-attr]
    db.commit()
    found = identity.accounts_of_people_reached_at(db, {"09125550000", "+989125550000"})
    assert [a.id for a in found] == [mine.id]


def test_a_token_caller_is_resolved_and_its_use_stored_by_identity(client, db) -> None:  # type: ignore[no-untyped-def]
    account = create_account(db, "tokened")
    db.commit()
    raw = api_token(client, account)
    db.execute(ApiToken.__table__.update().values(last_used_at=None))
    db.commit()
    assert client.get("/api/v1/identity/me", headers=auth(raw)).status_code == 200
    db.expire_all()
    used = db.scalar(select(ApiToken.last_used_at))
    assert used is not None and abs(used - clock.now()) < dt.timedelta(minutes=1)
    assert client.get("/api/v1/identity/me", headers=auth(raw + "x")).status_code == 401


def test_another_modules_view_of_an_account_can_be_proven(db) -> None:  # type: ignore[no-untyped-def]
    account = create_account(db, "later", proven=False)
    db.commit()
    view = identity.account_view(db, account.id)
    assert view is not None and view.proven_at is None
    identity.prove(db, view, "in_person", actor_id=None)
    db.commit()
    again = identity.account_view(db, account.id)
    assert again is not None and again.proven_at is not None


def test_a_person_is_found_by_code_as_a_profile(db) -> None:  # type: ignore[no-untyped-def]
    person = create_person(db, registry_mobile="09129990000")
    db.commit()
    found = identity.person_by_code(db, person.national_code)
    assert isinstance(found, identity.PersonProfile) and found.id == person.id
    assert identity.registry_mobile(db, person.national_code) == "09129990000"
