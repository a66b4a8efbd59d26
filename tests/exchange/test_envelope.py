"""The envelope's canonical form and signatures, and the response-schema checker (pure)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from typer.testing import CliRunner

from smartgov.exchange import envelope as env
from smartgov.exchange.cli import app as exchange_cli
from smartgov.exchange.providers import CONTRIBUTION_HISTORY_SCHEMA, PERSON_STATUS_SCHEMA
from smartgov.exchange.schemacheck import problems


def _envelope(**kw) -> env.Envelope:  # type: ignore[no-untyped-def]
    at = dt.datetime(2026, 11, 22, 3, 20, tzinfo=dt.UTC)
    data = dict(kind="request", message_id=uuid.UUID(int=7), purpose="pension-claim", person="0012345679",
                client=env.ClientAddress.parse("IR/GOV/sso/pension"), issued_at=at,
                expires_at=at + dt.timedelta(minutes=2), body={"نام": "مریم", "b": [1, 2]},
                service=env.ServiceAddress(instance="IR", member_class="GOV", member_code="nocr",
                                           subsystem_code="registry", service_code="person-status",
                                           service_version="v1"))
    data.update(kw)
    return env.Envelope(**data)


def test_canonical_form_is_sorted_compact_utf8() -> None:
    data = _envelope().to_json()
    raw = env.canonical(data)
    assert raw.startswith(b'{"body":{"b":[1,2],"\xd9\x86\xd8\xa7\xd9\x85":"') and b" " not in raw
    assert json.loads(raw) == data
    assert data["issued_at"] == "2026-11-22T03:20:00.000Z" and data["message_id"] == str(uuid.UUID(int=7))
    # the same content in another key order signs to the same bytes
    assert env.canonical(dict(reversed(list(data.items())))) == raw


def test_signature_verifies_and_any_change_breaks_it() -> None:
    private, public = env.new_keypair()
    signed = env.sign(_envelope(), private, env.key_id(public))
    message = env.SignedMessage.model_validate(signed)
    assert env.verify(message, public)
    for field, value in [("person", "0012345670"), ("purpose", "tax"), ("body", {"x": 1})]:
        tampered = env.SignedMessage.model_validate({**signed, "envelope": {**signed["envelope"], field: value}})
        assert not env.verify(tampered, public)
    _other_private, other_public = env.new_keypair()
    assert not env.verify(message, other_public)
    garbage = env.SignedMessage.model_validate({**signed, "signature": {**signed["signature"], "value": "!!"}})
    assert not env.verify(garbage, public)


def test_schema_checker_reports_each_problem() -> None:
    ok = {"national_code": "0012345679", "status": "registered", "first_name_fa": "م", "last_name_fa": "ا",
          "first_name_en": "M", "last_name_en": "A", "birth_date": "1985-03-21", "gender": "f", "province": None}
    assert problems(ok, PERSON_STATUS_SCHEMA) == []
    bad = {**ok, "birth_date": "1985-13-40", "gender": "x", "extra": 1}
    del bad["status"]
    found = problems(bad, PERSON_STATUS_SCHEMA)
    assert "$.status: required" in found and "$.birth_date: not a date" in found
    assert "$.extra: not allowed" in found and any(p.startswith("$.gender") for p in found)
    history = {"national_code": "0012345679", "total_days": 30,
               "records": [{"year": 1403, "month": 13, "days": 30, "wage_rial": 1}]}
    assert problems(history, CONTRIBUTION_HISTORY_SCHEMA) == ["$.records[0].month: above 12"]
    assert "$.total_days: expected integer" in problems({**history, "total_days": True}, CONTRIBUTION_HISTORY_SCHEMA)


def test_cli_commands_have_help() -> None:
    for command in ([], ["keys"], ["members"], ["import-peer"]):
        result = CliRunner().invoke(exchange_cli, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, result.output


def test_cli_keys_rotate_and_members_list(database, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov import settings as settings_module
    from tests.exchange.support import registry

    monkeypatch.setattr(settings_module, "_current", settings)
    with database.unit_of_work() as db:
        registry(db)
    runner = CliRunner()
    listed = runner.invoke(exchange_cli, ["members"])
    assert listed.exit_code == 0 and "IR/GOV/sso" in listed.output and "pension" in listed.output
    rotated = runner.invoke(exchange_cli, ["keys", "IR/GOV/sso/pension", "--rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "new key" in rotated.output and "retired" in rotated.output and "active" in rotated.output
    missing = runner.invoke(exchange_cli, ["keys", "IR/GOV/nobody/x"])
    assert missing.exit_code == 2 and "Not found" in missing.output
