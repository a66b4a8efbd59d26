"""The SSRF guard of NGSI-LD notifications: private, loopback and link-local endpoints are refused
when a subscription is created or updated and again when the worker sends, unless
SMARTGOV_NGSI_NOTIFY_ALLOW allows them; refusals are problem details in the caller's language."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from smartgov import events
from smartgov.events import OutboxMessage
from smartgov.operations import endpoints
from smartgov.operations.config import OperationsSettings, operations_settings
from smartgov.operations.notify import DELIVER_HANDLER
from tests.operations.helpers import operator, provision, station
from tests.operations.test_ngsi_subscriptions import ENTITY, receiver, subscription  # noqa: F401 - the fixture

SUBS = "/ngsi-ld/v1/subscriptions"


def _allow(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SMARTGOV_NGSI_NOTIFY_ALLOW", value)
    operations_settings.cache_clear()


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1",  # noqa: S104 - refused, not bound, "::1", "fe80::1", "fd00::1",
                                     "::ffff:127.0.0.1"])
def test_non_public_addresses_are_refused_unless_allowed(address: str) -> None:
    uri = f"http://[{address}]:8080/n" if ":" in address else f"http://{address}:8080/n"
    with pytest.raises(endpoints.EndpointRefused):
        endpoints.check(uri, endpoints.Allow())
    net = ipaddress.ip_network(address)
    assert endpoints.check(uri, endpoints.Allow(networks=(net,))).addresses == (ipaddress.ip_address(address),)


def test_public_addresses_pass_and_host_names_are_resolved() -> None:
    assert [str(a) for a in endpoints.check("https://8.8.8.8/notify", endpoints.Allow()).addresses] == ["8.8.8.8"]
    with pytest.raises(endpoints.EndpointRefused):  # a name resolving to loopback is loopback
        endpoints.check("http://localhost:9/n", endpoints.Allow())
    assert endpoints.check("http://localhost:9/n", endpoints.parse_allow("localhost")).host == "localhost"
    with pytest.raises(endpoints.EndpointRefused):
        endpoints.check("http://nothing.invalid/n", endpoints.Allow())


def test_the_allow_list_setting_is_parsed_and_a_bad_entry_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    allow = endpoints.parse_allow(" 127.0.0.1, 10.0.0.0/8 ,*.city.ir,notify.example.org,")
    assert allow.hosts == ("*.city.ir", "notify.example.org")
    assert [str(n) for n in allow.networks] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert allow.host_allowed("pumps.city.ir") and not allow.host_allowed("city.ir.evil.com")
    monkeypatch.setenv("SMARTGOV_NGSI_NOTIFY_ALLOW", "10.0.0.0/8, not a host!")
    with pytest.raises(ValidationError):
        OperationsSettings()


def test_a_loopback_endpoint_is_refused_in_the_callers_language(client, db, receiver,  # type: ignore[no-untyped-def]  # noqa: F811
                                                               monkeypatch) -> None:
    h = operator(client, db)
    _allow(monkeypatch, "")
    en = client.post(SUBS, json=subscription(receiver.url), headers={**h, "Accept-Language": "en"})
    assert en.status_code == 400
    problem = en.json()
    assert problem["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"
    assert "loopback" in problem["detail"] and "127.0.0.1" in problem["detail"]
    fa = client.post(SUBS, json=subscription(receiver.url), headers={**h, "Accept-Language": "fa"})
    assert fa.status_code == 400 and "بازگشتی" in fa.json()["detail"]
    metadata = subscription("http://169.254.169.254/latest/meta-data/")
    assert client.post(SUBS, json=metadata, headers=h).status_code == 400
    assert client.get(SUBS, headers=h).json() == []  # nothing was kept

    _allow(monkeypatch, "127.0.0.1")
    assert client.post(SUBS, json=subscription(receiver.url), headers=h).status_code == 201
    url = f"{SUBS}/urn:ngsi-ld:Subscription:pm25-high"
    moved = {"notification": {"endpoint": {"uri": "http://10.0.0.7/hook"}}}
    r = client.patch(url, json=moved, headers={**h, "Accept-Language": "en"})
    assert r.status_code == 400 and "10.0.0.7" in r.json()["detail"]
    assert client.get(url, headers=h).json()["notification"]["endpoint"]["uri"] == receiver.url


def test_the_worker_checks_again_when_it_sends(client, db, database, receiver, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    key = provision(client, h, "aq-1", ENTITY)
    assert client.post(SUBS, json=subscription(receiver.url), headers=h).status_code == 201
    _allow(monkeypatch, "")  # the administrator narrows the allow-list after the subscription was made
    assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 90}).json()["stored"] == 1
    events.drain_outbox(database)
    assert receiver.received == []
    db.expire_all()
    msg = db.scalar(select(OutboxMessage).where(OutboxMessage.handler == DELIVER_HANDLER))
    assert msg is not None and msg.status == "pending" and "loopback" in (msg.last_error or "")


def test_delivery_goes_to_the_checked_address_with_the_named_host(client, db, database, receiver,  # type: ignore[no-untyped-def]  # noqa: F811
                                                                 monkeypatch) -> None:
    _allow(monkeypatch, "localhost")
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    key = provision(client, h, "aq-1", ENTITY)
    named = receiver.url.replace("127.0.0.1", "localhost")
    assert client.post(SUBS, json=subscription(named), headers=h).status_code == 201
    assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 90}).json()["stored"] == 1
    events.drain_outbox(database)
    [got] = receiver.received
    assert got["headers"]["Host"] == named.split("/")[2]
    assert got["body"]["data"] == [{"id": ENTITY, "type": "AirQualityObserved", "pm25": 90}]
