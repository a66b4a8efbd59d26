"""Use cases of the exchange admin screens, without HTTP: the message log's filters, reasons in
words, and the rules of editing a member."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartgov import clock
from smartgov.errors import DomainError
from smartgov.exchange import administration as admin
from smartgov.exchange import service
from smartgov.exchange.models import ExchangeMessage
from smartgov.i18n import catalog
from tests.exchange.support import member


def _log(db, client: str, service_address: str, reason: str | None = None) -> None:  # type: ignore[no-untyped-def]
    db.add(ExchangeMessage(direction="in", kind="request", client=client, service=service_address,
                           service_code="s", purpose="p", outcome="refused" if reason else "served", reason=reason,
                           at=clock.now()))
    db.flush()


def test_the_member_filter_is_an_address_prefix_not_a_pattern(db) -> None:  # type: ignore[no-untyped-def]
    _log(db, "IR/GOV/a_b/x", "IR/GOV/nocr/r/s/v1")
    _log(db, "IR/GOV/aXb/x", "IR/GOV/nocr/r/s/v1")
    _log(db, "IR/GOV/a_bc/x", "IR/GOV/nocr/r/s/v1")
    found = db.scalars(admin.messages_stmt(admin.MessageFilter(member="IR/GOV/a_b"))).all()
    assert [m.client for m in found] == ["IR/GOV/a_b/x"]
    as_provider = db.scalars(admin.messages_stmt(admin.MessageFilter(member="IR/GOV/nocr"))).all()
    assert len(as_provider) == 3
    today = clock.today()
    assert len(db.scalars(admin.messages_stmt(admin.MessageFilter(since=today, until=today))).all()) == 3
    assert db.scalars(admin.messages_stmt(admin.MessageFilter(until=today.replace(year=today.year - 1)))).all() == []


def test_every_reason_is_named_in_words_in_both_languages() -> None:
    fa = catalog("fa")
    for code in [*service.REASONS, *admin.CLIENT_REASONS, "http_502", "something_new"]:
        label = admin.reason_label(code)
        assert label and label != code and label in fa and "_" not in label, code
    assert admin.reason_label(None) is None


def test_a_member_hosted_here_has_no_server_address_and_one_elsewhere_needs_it(db) -> None:  # type: ignore[no-untyped-def]
    here = member(db, "sso", ["pension"])
    with pytest.raises(DomainError) as refused:
        admin.update_member(db, here, name_fa="الف", name_en="A", organization_code="sso",
                            server_url="https://peer.example.ir")
    assert refused.value.field == "server_url"
    peer = service.create_member(db, instance="IR", member_class="GOV", member_code="peer", name_fa="ب",
                                 name_en="B", server_url="https://peer.example.ir")
    with pytest.raises(DomainError) as refused:
        admin.update_member(db, peer, name_fa="ب", name_en="B", organization_code=None, server_url="")
    assert refused.value.field == "server_url"
    with pytest.raises(DomainError) as refused:
        admin.update_member(db, peer, name_fa="ب", name_en="B", organization_code="nowhere",
                            server_url="https://peer.example.ir")
    assert refused.value.field == "organization_code"
    admin.update_member(db, peer, name_fa="ب", name_en="B", organization_code=None,
                        server_url="https://peer2.example.ir/")
    assert db.scalar(select(ExchangeMessage.id)) is None and peer.server_url == "https://peer2.example.ir"
