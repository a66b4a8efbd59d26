"""DCAT-AP 3 at ckanext-dcat's addresses: every serialization parses, and every catalogue, dataset,
distribution and agent carries DCAT-AP 3's mandatory properties."""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from tests.transparency.helpers import PRICES, agencies_and_officials, xlsx_bytes

FORMATS = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json"),
           "xml": ("xml", "application/rdf+xml")}


def _publish(client, db):  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    h = {"Authorization": t["stats"]}
    client.post("/api/3/action/package_create", headers=h, json={
        "name": "prices", "title": "قیمت‌ها", "title_en": "Prices", "owner_org": "stats", "tags": ["اقتصاد"],
        "license_id": "cc-by", "frequency": "MONTHLY"})
    client.post("/api/3/action/package_create", headers=h, json={  # no description, a link resource
        "name": "links", "title": "پیوندها", "owner_org": "stats",
        "resources": [{"name": "x", "url": "https://data.example.ir/x.json", "format": "JSON"}]})
    client.post("/api/3/action/package_create", headers=h, json={"name": "hidden", "owner_org": "stats",
                                                                  "private": True})
    r = client.post("/api/3/action/resource_create", headers=h, data={"package_id": "prices"},
                    files={"upload": ("prices.xlsx", xlsx_bytes(PRICES))})
    assert r.status_code == 200


def _mandatory(g: Graph) -> None:
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    for cat in catalogs:
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
            assert g.value(cat, prop) is not None, (cat, prop)
    datasets = list(g.subjects(RDF.type, DCAT.Dataset))
    assert datasets
    for ds in datasets:
        for prop in (DCTERMS.title, DCTERMS.description):
            assert str(g.value(ds, prop) or "").strip(), (ds, prop)
        assert g.value(ds, DCTERMS.publisher) is not None and g.value(ds, DCAT.contactPoint) is not None
    distributions = list(g.subjects(RDF.type, DCAT.Distribution))
    for dist in distributions:
        assert g.value(dist, DCAT.accessURL) is not None, dist
    for agent in g.subjects(RDF.type, FOAF.Agent):
        assert g.value(agent, FOAF.name) is not None, agent


def test_catalogue_in_three_serializations_with_mandatory_properties(client, db) -> None:  # type: ignore[no-untyped-def]
    _publish(client, db)
    for suffix, (fmt, media) in FORMATS.items():
        r = client.get(f"/catalog.{suffix}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), suffix
        g = Graph().parse(data=r.content, format=fmt)
        _mandatory(g)
        titles = {str(o) for o in g.objects(None, DCTERMS.title)}
        assert {"قیمت‌ها", "Prices", "پیوندها"} <= titles and "hidden" not in titles  # private stays out
        assert len(list(g.subjects(RDF.type, DCAT.Dataset))) == 2
        assert len(list(g.subjects(RDF.type, DCAT.Distribution))) == 2
    one = Graph().parse(data=client.get("/dataset/prices.ttl").content, format="turtle")
    _mandatory(one)
    assert {str(o) for o in one.objects(None, DCAT.keyword)} == {"اقتصاد"}
    assert any(str(o).endswith("/frequency/MONTHLY") for o in one.objects(None, DCTERMS.accrualPeriodicity))
    assert client.get("/dataset/prices.jsonld").status_code == 200
    assert client.get("/dataset/nothing.ttl").status_code == 404
    assert client.get("/catalog.docx").status_code == 404
    assert client.get("/dataset/hidden.ttl").status_code == 404
