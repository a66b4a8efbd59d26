"""The ``ngsildclient`` package (PyPI 0.5.2) driving our ``/ngsi-ld/v1`` on a real server.

ngsildclient 0.5.2 pins ``httpx>=0.23,<0.24`` (and ``networkx<3``, ``rich<13``); the platform needs
``httpx>=0.27``, so the two cannot share an environment and it is not in the dev extras. It runs
on our Python in an interpreter of its own: this test runs when ``SMARTGOV_NGSILDCLIENT_PYTHON``
names one (``python -m venv /opt/ngsi && /opt/ngsi/bin/pip install ngsildclient==0.5.2``; the
module README says so), and the client's script is a subprocess, as an integrator would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

from tests.exchange.support import serve
from tests.operations.helpers import operator

PYTHON = os.environ.get("SMARTGOV_NGSILDCLIENT_PYTHON")

SCRIPT = textwrap.dedent('''
    import json, sys
    from requests.auth import AuthBase
    from ngsildclient import Client, Entity, SubscriptionBuilder

    class Bearer(AuthBase):
        def __call__(self, r):
            r.headers["Authorization"] = "Bearer " + sys.argv[3]
            return r

    out = {}
    with Client(hostname=sys.argv[1], port=int(sys.argv[2]), custom_auth=Bearer(), verbose=False) as client:
        e = Entity("AirQualityObserved", "RZ:Obsv4567")
        e.tprop("dateObserved", "2018-08-07T12:00:00Z")
        e.prop("NO2", 22, unitcode="GP", observedat="2018-08-07T12:00:00Z")
        e.gprop("location", (44.0, -8.0))
        out["created"] = client.create(e) is not None
        got = client.get("urn:ngsi-ld:AirQualityObserved:RZ:Obsv4567")
        out["no2"] = got["NO2"]["value"]
        got["NO2"]["value"] = 45
        client.update(got)
        out["updated"] = client.get(got.id)["NO2"]["value"]
        out["count"] = client.count(type="AirQualityObserved")
        out["queried"] = [x.id for x in client.query(type="AirQualityObserved", q="NO2>40")]
        batch = [Entity("AirQualityObserved", f"RZ:Batch{i}").prop("NO2", i) for i in range(3)]
        client.upsert(batch)
        out["after_batch"] = client.count(type="AirQualityObserved")
        client.delete(got)  # an Entity: a bare id string is taken for a list by this version
        out["exists_after_delete"] = client.exists(got.id)
    print(json.dumps(out))
''')


@pytest.mark.skipif(not PYTHON, reason="ngsildclient 0.5.2 pins httpx<0.24 (we need >=0.27): set "
                                       "SMARTGOV_NGSILDCLIENT_PYTHON to an interpreter where it is installed")
def test_ngsildclient_creates_reads_updates_queries_batches_and_deletes(app, client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    token = h["Authorization"].split(" ", 1)[1]
    with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        done = subprocess.run([str(PYTHON), "-c", SCRIPT, host, port, token], capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"created": True, "no2": 22, "updated": 45, "count": 1,
                   "queried": ["urn:ngsi-ld:AirQualityObserved:RZ:Obsv4567"], "after_batch": 4,
                   "exists_after_delete": False}
