"""The insight JSON API: an analyst's whole analysis over HTTP, REFI-QDA through it, and the rule that
one agency never reaches another's project by id (IDOR), reading or writing; fuzzed as an analyst."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from smartgov.db import Database
from smartgov.insight import service
from smartgov.settings import Settings, use_settings
from tests.conftest import _empty
from tests.factories import api_token
from tests.fuzzing import fuzz

from .factories import TRANSCRIPT, analyst, project

API = "/api/v1/insight"


def _auth(client, who, scopes: list[str] | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {api_token(client, who.account, scopes)}"}


def test_an_analyst_does_the_analysis_through_the_api(client, db) -> None:  # type: ignore[no-untyped-def]
    who = analyst(db)
    db.commit()
    h = _auth(client, who)
    r = client.post(f"{API}/projects", json={"organization": "agency-a", "name": "مصاحبه‌ها", "blind": False},
                    headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert client.post(f"{API}/projects", json={"organization": "agency-a", "name": "مصاحبه‌ها"},
                       headers=h).status_code == 409
    src = client.post(f"{API}/projects/{pid}/sources", headers=h,
                      json={"name": "مصاحبهٔ ۱", "text": TRANSCRIPT, "values": {"role": "مدیر", "province": "تهران"}})
    assert src.status_code == 201 and src.json()["values"] == {"role": "مدیر", "province": "تهران"}
    sid = src.json()["id"]
    code = client.post(f"{API}/projects/{pid}/codes", headers=h, json={"name": "حکمرانی داده", "color": "#112233"})
    privacy = client.post(f"{API}/projects/{pid}/codes", headers=h,
                          json={"name": "حریم خصوصی", "parent_id": code.json()["id"]})
    assert code.status_code == 201 and privacy.json()["depth"] == 1
    cid, pcid = code.json()["id"], privacy.json()["id"]
    assert client.post(f"{API}/projects/{pid}/codes", headers=h, json={"name": "x", "color": "red"}).status_code == 422
    start = TRANSCRIPT.index("حکمرانی داده")
    seg = client.post(f"{API}/projects/{pid}/segments", headers=h,
                      json={"source_id": sid, "start": start, "end": start + len("حکمرانی داده"), "code_ids": [cid, pcid]})
    assert seg.status_code == 201 and {s["text"] for s in seg.json()} == {"حکمرانی داده"} and len(seg.json()) == 2
    outside = client.post(f"{API}/projects/{pid}/segments", headers=h,
                          json={"source_id": sid, "start": 0, "end": len(TRANSCRIPT) + 1, "code_ids": [cid]})
    assert outside.status_code == 422 and outside.json()["error"]["field"] == "start"
    org = client.post(f"{API}/projects/{pid}/themes", headers=h, json={"name": "حکمرانی", "level": "organizing"})
    basic = client.post(f"{API}/projects/{pid}/themes", headers=h,
                        json={"name": "داده", "level": "basic", "parent_id": org.json()["id"], "code_ids": [cid]})
    assert basic.status_code == 201 and basic.json()["code_ids"] == [cid]
    assert [t["name"] for t in client.get(f"{API}/projects/{pid}/themes", headers=h).json()] == ["حکمرانی", "داده"]

    freq = client.get(f"{API}/projects/{pid}/analyses/frequencies", headers=h).json()
    assert [(f["name"], f["segments"], f["sources"]) for f in freq] == [("حکمرانی داده", 1, 1), ("حریم خصوصی", 1, 1)]
    cross = client.get(f"{API}/projects/{pid}/analyses/crosstab", params={"variable": "province"}, headers=h).json()
    assert cross["columns"] == ["تهران"] and cross["rows"][0]["counts"] == [1]
    assert client.get(f"{API}/projects/{pid}/analyses/cooccurrence", headers=h).json() == [
        {"code_a": cid, "code_b": pcid, "count": 1}]
    sat = client.get(f"{API}/projects/{pid}/analyses/saturation", headers=h).json()
    assert [p["new_codes"] for p in sat["points"]] == [2] and sat["flattens_at"] is None
    agreement = client.get(f"{API}/projects/{pid}/analyses/agreement", headers=h).json()
    assert agreement["units"] == 0 and agreement["alpha"] is None  # one coder: nothing to agree on
    retrieved = client.get(f"{API}/projects/{pid}/segments", params={"code_id": pcid}, headers=h).json()
    assert [s["text"] for s in retrieved] == ["حکمرانی داده"]

    qdpx = client.get(f"{API}/projects/{pid}/export.qdpx", headers=h)
    assert qdpx.status_code == 200 and qdpx.content[:2] == b"PK"
    assert b"<CodeBook" in client.get(f"{API}/projects/{pid}/codebook.qdc", headers=h).content
    back = client.post(f"{API}/projects/import", headers=h, data={"organization": "agency-a", "name": "دوباره"},
                       files={"file": ("p.qdpx", qdpx.content, "application/zip")})
    assert back.status_code == 201, back.text
    assert back.json()["counts"]["codes"] == 2 and back.json()["skipped"] == {}
    assert client.get(f"{API}/projects/{back.json()['project']['id']}/export.qdpx", headers=h).status_code == 200
    junk = client.post(f"{API}/projects/import", headers=h, data={"organization": "agency-a"},
                       files={"file": ("p.qdpx", b"not a zip", "application/zip")})
    assert junk.status_code == 422 and junk.json()["error"]["field"] == "file"

    coding = seg.json()[0]["coding_id"]
    assert client.delete(f"{API}/projects/{pid}/codings/{coding}", headers=h).status_code == 204
    assert len(client.get(f"{API}/projects/{pid}/segments", headers=h).json()) == 1
    summary = client.post(f"{API}/projects/{pid}/themes/{basic.json()['id']}/summary", headers=h, json={})
    assert summary.status_code == 409 and summary.json()["error"]["code"] == "llm_off"  # off unless configured


def test_one_agency_never_reaches_anothers_project_by_id(client, db) -> None:  # type: ignore[no-untyped-def]
    owner = analyst(db, "owner", "agency-a")
    p = project(db, owner)
    source = service.add_source(db, p, owner, "Interview", TRANSCRIPT)
    code = service.create_code(db, p, owner, "data")
    sel = service.code_span(db, p, owner, source, 0, 10, [code.id])
    theme = service.create_theme(db, p, owner, "basic", "basic", code_ids=[code.id])
    coding = service.segments(db, p)[0].coding_id
    other = analyst(db, "outsider", "agency-b")
    db.commit()
    h = _auth(client, other)
    assert client.get(f"{API}/projects", headers=h).json()["total"] == 0
    base = f"{API}/projects/{p.id}"
    for url in (base, f"{base}/sources", f"{base}/sources/{source.id}", f"{base}/codes", f"{base}/segments",
                f"{base}/themes", f"{base}/analyses/frequencies", f"{base}/analyses/crosstab?variable=x",
                f"{base}/analyses/cooccurrence", f"{base}/analyses/saturation", f"{base}/analyses/agreement",
                f"{base}/export.qdpx", f"{base}/codebook.qdc"):
        r = client.get(url, headers=h)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", url
    writes = [("post", f"{base}/sources", {"name": "x", "text": "y"}), ("post", f"{base}/codes", {"name": "x"}),
              ("post", f"{base}/segments", {"source_id": source.id, "start": 0, "end": 3, "code_ids": [code.id]}),
              ("post", f"{base}/themes", {"name": "x", "level": "global"}),
              ("post", f"{base}/participation", {"subject_kind": "consultation", "subject_id": 1}),
              ("post", f"{base}/heard", {"consultation_id": 1}), ("post", f"{base}/themes/{theme.id}/summary", {}),
              ("delete", f"{base}/codings/{coding}", None)]
    for method, url, body in writes:
        r = client.request(method.upper(), url, json=body, headers=h)
        assert r.status_code == 404, (url, r.status_code)
    assert client.post(f"{API}/projects", json={"organization": "agency-a", "name": "mine now"},
                       headers=h).status_code == 403
    db.expire_all()
    assert len(service.segments(db, p)) == 1 and len(service.sources(db, p)) == 1 and sel.id
    reader = _auth(client, owner, ["read"])
    assert client.get(base, headers=reader).status_code == 200
    assert client.post(f"{base}/codes", json={"name": "x"}, headers=reader).status_code == 403


@pytest.fixture
def analyst_world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    """An app with one analyst's coded project, and the analyst's token."""
    from smartgov.app import create_app

    settings = Settings(environment="test", database_url=database_url, data_dir=tmp_path_factory.mktemp("ifuzz"),
                        secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
                        argon2_time_cost=1, argon2_memory_kib=1024, base_url="http://testserver")
    use_settings(settings)
    database = Database(database_url)
    _empty(database)
    with database.sessions() as db:
        who = analyst(db)
        p = project(db, who)
        source = service.add_source(db, p, who, "Interview", TRANSCRIPT, values={"role": "x"})
        code = service.create_code(db, p, who, "data")
        service.code_span(db, p, who, source, 0, 10, [code.id])
        service.create_theme(db, p, who, "basic", "basic", code_ids=[code.id])
        account = who.account
        db.commit()
    app = create_app(settings, database)
    with TestClient(app, base_url="http://testserver") as client:
        token = api_token(client, account)
    yield app, token
    database.dispose()
    _empty(database)


def test_the_insight_api_fuzzed_as_an_analyst_gives_no_5xx(analyst_world: tuple[FastAPI, str]) -> None:
    app, token = analyst_world
    report = fuzz(app, token, max_examples=6, seed=1405, path_regex="^/api/v1/insight/")
    assert len(report.operations) >= 20 and report.cases > 100
    assert report.server_errors == 0 and not report.failures, "\n".join(report.failures[:20])
