"""The catalogue as DCAT-AP 3 (rdflib), served at ckanext-dcat's addresses.

Mandatory DCAT-AP 3 properties, always present: a catalogue's ``dct:title``, ``dct:description`` and
``dct:publisher``; a dataset's ``dct:title`` and ``dct:description`` (the Persian notes, or a sentence
naming the publisher when the agency wrote none); a distribution's ``dcat:accessURL``; an agent's
``foaf:name``. Recommended ones are added where the dataset has them (keywords, publisher, contact
point, licence, format, media type, byte size, update frequency, dates). Text carries its language
(``@fa``/``@en``).
"""

from __future__ import annotations

import datetime as dt

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.errors import NotFound
from smartgov.settings import public_url

from . import service
from .licenses import BY_ID as LICENSES
from .models import Dataset, Resource

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
LANG = URIRef("http://publications.europa.eu/resource/authority/language/FAS")
FORMATS = {  # media type, EU file-type code
    "CSV": ("text/csv", "CSV"), "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "JSON": ("application/json", "JSON"), "XML": ("application/xml", "XML"), "PDF": ("application/pdf", "PDF"),
}
FREQUENCIES = {"DAILY": "DAILY", "WEEKLY": "WEEKLY", "MONTHLY": "MONTHLY", "QUARTERLY": "QUARTERLY",
               "ANNUAL": "ANNUAL", "IRREG": "IRREG", "UNKNOWN": "UNKNOWN"}
SERIALIZATIONS = {  # suffix → rdflib format, media type
    "ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json"),
    "xml": ("pretty-xml", "application/rdf+xml"), "rdf": ("pretty-xml", "application/rdf+xml"),
    "n3": ("n3", "text/n3"),
}


def _graph() -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD)):
        g.bind(prefix, ns)
    return g


def _when(value: dt.datetime) -> Literal:
    return Literal(value.astimezone(dt.UTC).replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


def _agent(g: Graph, code: str, name_fa: str, name_en: str) -> URIRef:
    node = URIRef(public_url(f"/organization/{code}"))
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(name_fa, lang="fa")))
    if name_en:
        g.add((node, FOAF.name, Literal(name_en, lang="en")))
    return node


def _add_dataset(db: Session, g: Graph, row: Dataset, tags: list[str], resources: list[Resource]) -> URIRef:
    org = service.org_of(db, row)
    node = URIRef(public_url(f"/dataset/{row.id}"))
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(row.id)))
    g.add((node, DCTERMS.title, Literal(row.title, lang="fa")))
    if row.title_en:
        g.add((node, DCTERMS.title, Literal(row.title_en, lang="en")))
    g.add((node, DCTERMS.description, Literal(row.notes or row.title, lang="fa")))
    if row.notes_en:
        g.add((node, DCTERMS.description, Literal(row.notes_en, lang="en")))
    g.add((node, DCTERMS.issued, _when(row.metadata_created)))
    g.add((node, DCTERMS.modified, _when(row.metadata_modified)))
    g.add((node, DCAT.landingPage, URIRef(public_url(f"/dataset/{row.name}"))))
    g.add((node, DCTERMS.language, LANG))
    publisher = _agent(g, org.code, org.name_fa, org.name_en)
    g.add((node, DCTERMS.publisher, publisher))
    contact = BNode(f"contact-{row.id}")
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(row.maintainer or org.name_fa)))
    if row.maintainer_email:
        g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{row.maintainer_email}")))
    g.add((node, DCAT.contactPoint, contact))
    for tag in tags:
        g.add((node, DCAT.keyword, Literal(tag)))
    if row.frequency in FREQUENCIES:
        g.add((node, DCTERMS.accrualPeriodicity, URIRef(FREQ + FREQUENCIES[row.frequency])))
    lic = LICENSES.get(row.license_id)
    for res in resources:
        dist = URIRef(public_url(f"/dataset/{row.id}/resource/{res.id}"))
        g.add((node, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.accessURL, URIRef(public_url(f"/dataset/{row.name}/resource/{res.id}"))))
        if res.url:
            g.add((dist, DCAT.downloadURL, URIRef(res.url)))
        g.add((dist, DCTERMS.title, Literal(res.name or res.id, lang="fa")))
        if res.description:
            g.add((dist, DCTERMS.description, Literal(res.description, lang="fa")))
        fmt = FORMATS.get(res.format.upper())
        if fmt:
            g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{fmt[0]}")))
            g.add((dist, DCTERMS.format, URIRef(FILE_TYPE + fmt[1])))
        if res.size:
            g.add((dist, DCAT.byteSize, Literal(res.size, datatype=XSD.nonNegativeInteger)))
        if lic and lic.url:
            g.add((dist, DCTERMS.license, URIRef(lic.url)))
        g.add((dist, DCTERMS.modified, _when(res.last_modified)))
    return node


def catalog_graph(db: Session) -> Graph:
    """Every public dataset of the portal in one ``dcat:Catalog``."""
    g = _graph()
    cat = URIRef(public_url("/catalog"))
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal("درگاه داده‌های باز", lang="fa")))
    g.add((cat, DCTERMS.title, Literal("Open data portal", lang="en")))
    g.add((cat, DCTERMS.description, Literal("داده‌های باز دستگاه‌های دولتی و داده‌هایی که خود سامانه منتشر می‌کند.",
                                             lang="fa")))
    g.add((cat, DCTERMS.description, Literal("Open data of government agencies and data the platform publishes.",
                                             lang="en")))
    g.add((cat, DCTERMS.publisher, _agent(g, "smartgov", "سامانهٔ دولت هوشمند", "smartgov platform")))
    g.add((cat, FOAF.homepage, URIRef(public_url("/dataset"))))
    g.add((cat, DCTERMS.language, LANG))
    rows = list(db.scalars(select(Dataset).where(Dataset.state == "active", Dataset.private.is_(False))
                           .order_by(Dataset.name)))
    ids = [r.id for r in rows]
    tags = service.tags_of(db, ids)
    resources = service.resources_of(db, ids)
    identity.organization_views(db, {r.organization_id for r in rows})  # one query; kept for org_of
    for row in rows:
        g.add((cat, DCAT.dataset, _add_dataset(db, g, row, tags[row.id], resources[row.id])))
    return g


def dataset_graph(db: Session, row: Dataset) -> Graph:
    g = _graph()
    _add_dataset(db, g, row, service.tags_of(db, [row.id])[row.id], service.resources_of(db, [row.id])[row.id])
    return g


def serialize(g: Graph, suffix: str) -> tuple[bytes, str]:
    if suffix not in SERIALIZATIONS:
        raise NotFound("format")
    fmt, media = SERIALIZATIONS[suffix]
    data = g.serialize(format=fmt, encoding="utf-8")
    return data, media
