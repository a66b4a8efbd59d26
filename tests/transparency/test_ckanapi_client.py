"""The real ``ckanapi`` package against running smartgov servers: RemoteCKAN in process, the command
line as a subprocess, and ``dump``/``load`` carrying datasets from one instance to another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError

from smartgov.identity import Role
from tests.exchange.support import serve
from tests.factories import api_token, create_account, create_agency
from tests.transparency.helpers import PRICES, agencies_and_officials, xlsx_bytes

BIN = Path(sys.executable).parent


def ckanapi(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The ``ckanapi`` command, as an operator runs it (its workers are ``ckanapi`` processes too)."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "ckanapi"), *args], input=stdin, capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done


def test_remote_ckan_reads_writes_and_maps_errors(app, client, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    sheet = tmp_path / "prices.xlsx"
    sheet.write_bytes(xlsx_bytes(PRICES))
    with serve(app) as url:
        with RemoteCKAN(url, apikey=t["stats"]) as ckan:
            pkg = ckan.action.package_create(name="prices", title="قیمت‌ها", owner_org="stats",
                                             tags=[{"name": "اقتصاد"}], license_id="cc-by")
            with sheet.open("rb") as fh:
                res = ckan.action.resource_create(package_id=pkg["id"], name="قیمت", upload=fh)
            assert res["datastore_active"] is True
            found = ckan.action.package_search(q="قيمت", **{"facet.field": ["organization", "tags"]})
            assert found["count"] == 1 and found["facets"]["tags"] == {"اقتصاد": 1}
            rows = ckan.action.datastore_search(resource_id=res["id"], filters={"استان": "تهران"}, sort="سال desc")
            assert rows["total"] == 2 and [r["سال"] for r in rows["records"]] == [1403, 1402]
            assert ckan.action.package_patch(id="prices", notes="یادداشت")["notes"] == "یادداشت"
            with pytest.raises(ValidationError) as invalid:
                ckan.action.package_create(name="prices", owner_org="stats")
            assert "name" in invalid.value.error_dict
            with pytest.raises(NotFound):
                ckan.action.package_show(id="nothing-here")
        with RemoteCKAN(url, apikey=t["health"]) as other, pytest.raises(NotAuthorized):
            other.action.package_patch(id="prices", title="ربوده")
        with RemoteCKAN(url) as anonymous:
            assert anonymous.action.package_list() == ["prices"]
            assert anonymous.action.organization_show(id="stats")["package_count"] == 1
            assert anonymous.action.resource_show(id=res["id"])["format"] == "XLSX"
            with pytest.raises(NotAuthorized):
                anonymous.action.package_delete(id="prices")


def test_ckanapi_command_line_action_search_dump_and_load_between_instances(
        app, client, db, peer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    # instance B has the same agency, and its own official and token
    with peer.database.unit_of_work() as b:
        create_agency(b, "stats", name_fa="مرکز آمار", name_en="Statistics Centre")
        official_b = create_account(b, "stats_official_b", Role.OFFICIAL, organization="stats")
    with serve(app) as url_a, serve(peer.app) as url_b:
        token_b = api_token(httpx.Client(base_url=url_b), official_b)
        for i, title in enumerate(("بودجهٔ استان‌ها", "جمعیت شهرها", "کیفیت هوا")):
            ckanapi("action", "package_create", "-r", url_a, "-a", t["stats"], f"name:\"set-{i}\"",
                    f"title={title}", "owner_org=stats", 'tags:[{"name": "نمونه"}]',
                    f'resources:[{{"name": "link", "url": "https://data.example.ir/{i}.csv", "format": "CSV"}}]')
        listed = json.loads(ckanapi("action", "package_list", "-r", url_a).stdout)
        assert listed == ["set-0", "set-1", "set-2"]
        searched = [json.loads(line) for line in ckanapi("search", "datasets", "q=هوا", "-r", url_a).stdout.splitlines()]
        assert [d["name"] for d in searched] == ["set-2"]
        dump = tmp_path / "datasets.jsonl"
        ckanapi("dump", "datasets", "--all", "-r", url_a, "-O", str(dump), "-p", "1", "-q")
        dumped = [json.loads(line) for line in dump.read_text().splitlines()]
        assert sorted(d["name"] for d in dumped) == ["set-0", "set-1", "set-2"]
        ckanapi("load", "datasets", "-I", str(dump), "-r", url_b, "-a", token_b, "-p", "1")
        in_b = {d["name"]: d for d in (RemoteCKAN(url_b).action.package_show(id=f"set-{i}") for i in range(3))}
        for original in dumped:
            copy = in_b[original["name"]]
            assert copy["id"] == original["id"] and copy["title"] == original["title"]
            assert copy["owner_org"] == "stats" and [x["name"] for x in copy["tags"]] == ["نمونه"]
            assert [(r["id"], r["url"]) for r in copy["resources"]] == [(r["id"], r["url"]) for r in original["resources"]]
        # loading again updates in place (no duplicates)
        ckanapi("load", "datasets", "-I", str(dump), "-r", url_b, "-a", token_b, "-p", "1")
        assert RemoteCKAN(url_b).action.package_list() == ["set-0", "set-1", "set-2"]
