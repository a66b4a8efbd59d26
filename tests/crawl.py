"""Every page each demo role can reach, read as a native reader would: the rules of issue #19.

The crawl signs in as each demo role (``smartgov.demo``), starts from every GET page route without
path parameters (plus the API reference) and follows the same-origin links the pages show, one or
two pages per route pattern, and reads each page's visible text (and the PDFs it links to, with
pypdf). :func:`problems` names what a Persian or English reader would trip on.

An **isolated identifier** is text meant to be copied exactly as written (a reference, a national
code, a username, a URL, a file name): it sits inside ``<bdi>``, ``<code>``, ``<kbd>``, ``<samp>`` or
``<pre>``, inside an element marked ``dir="ltr"`` or ``class="ltr-id"``, or, where markup cannot go (a
``<title>``, an ``<option>``, an attribute, SVG text), between the Unicode isolates LRI/FSI and PDI
(``i18n.isolate``). Only there may a Persian page show a run of Latin digits. A **name** is one
token of Latin letters and digits that holds a Latin letter (``G2B``, ``SHA-256``, ``UTF-8``, ``C01``,
``SG-1405-000005``), or a standard's upper-case name and number (``ISO 27001``): it is written so in
every language and is not a number, so its digits are allowed.
Text inside an element whose ``lang`` differs from the page's (a Persian text quoted on an English page,
a form previewed in the other language) is checked by neither language's rules. In a PDF, where no markup survives, an isolated identifier is a name as above (a reference, a URL) or a
run of 10 or more digits (a national code, an account number); each line is judged by its script (an
issued document is bilingual). A run of five or more Persian digits that starts with ۰ is a code or a
phone number, not an amount, so it needs no ٬.
"""

from __future__ import annotations

import enum
import importlib
import io
import pkgutil
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

import lxml.html

#: Every demo role, by its demo username (``None``: a visitor who has not signed in).
ROLES: tuple[str | None, ...] = (None, "citizen", "employer", "official", "agencyadmin", "auditor", "admin")

ISOLATING_TAGS = frozenset({"bdi", "code", "kbd", "samp", "pre"})
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "head"})
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")

#: Pages not to fetch: they change state on GET by design, stream, or are not pages.
SKIP = re.compile(
    r"^/(logout|lang/|static/|charts/|ngsi-ld/|api/(?!v1/docs$|v1/services/documents/[^/]+/pdf$)|.*\.(csv|xlsx|json|py|qdpx|zip|xml|jsonld|rdf|ttl)$"
    r"|.*/(download|stream|events)(/|$)|operations/stream|services/gateway/simulated/)"
)

LATIN_DIGIT = re.compile(r"[0-9]")
STANDARD = re.compile(r"\b[A-Z]{2,}(?:/[A-Z]{2,})? [0-9]+\b")  # a standard's name: ISO 27001, RFC 8032
NAME = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9@._/:?=&%#\-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9@._/:?=&%#\-]*[A-Za-z0-9]")
ISOLATED_RUN = re.compile("[\u2066\u2067\u2068][^\u2069]*\u2069")
PERSIAN_DIGIT = re.compile(r"[\u06f0-\u06f9\u0660-\u0669]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9]")
DOT_BETWEEN_NUMBERS = re.compile(r"[\u06f0-\u06f9]\s*\u00b7|\u00b7\s*[\u06f0-\u06f9]")
UNGROUPED = re.compile(r"(?<![\u06f0-\u06f9\u066b\u066c/:\-])[\u06f1-\u06f9][\u06f0-\u06f9]{4,}(?![\u06f0-\u06f9\u066b\u066c/:\-])")
GROUPED_YEAR = re.compile(r"\u06f1\u066c[\u06f3\u06f4][\u06f0-\u06f9]{2}")  # a cell that is only a year: ۱٬۴۰۵
PERSIAN_LETTER = re.compile(r"[\u0600-\u06ff]")

#: Enumeration values that are also words an English-speaking reader of a Persian page may meet as a
#: product or format name (shown as such, never as a state).
NOT_CODES = frozenset({"api", "csv", "json", "pdf", "xlsx", "xml", "html", "sms", "yaml", "qr"})
#: States and outcomes kept as plain strings rather than enumerations (exchange log, deliveries, work orders...).
STATE_STRINGS = frozenset({"ok", "sent", "served", "refused", "superseded", "dead", "delivered", "done", "duplicate",
                           "failure", "resolved", "timeout", "queued", "pension-claim"})


def enumeration_values() -> frozenset[str]:
    """Every raw code a person must never read: the values of the platform's enumerations (states, kinds,
    channels...), service and framework ids, medical categories and exchange purposes."""
    import smartgov

    found: set[str] = set()
    for info in pkgutil.walk_packages(smartgov.__path__, "smartgov."):
        if ".migrations" in info.name or info.name.endswith(("cli", "__main__")):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: S112 - optional extras (a module that needs a missing driver) are not pages
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum) and value.__module__ == module.__name__:
                found.update(str(m.value) for m in value if isinstance(m.value, str))
    from smartgov.insurance.parameters import DEFAULT_MEDICAL_COVERAGE

    found.update(c.category for c in DEFAULT_MEDICAL_COVERAGE)
    from pathlib import Path

    found.update(p.stem for p in Path(smartgov.__file__).parent.glob("assessment/frameworks/*.yaml"))
    found.update(p.stem for p in Path(smartgov.__file__).parent.glob("*/definitions/*.yaml"))
    found.update(STATE_STRINGS)
    return frozenset(v for v in found if len(v) > 2 and re.fullmatch(r"[a-z][a-z0-9_\-]*", v)) - NOT_CODES


@dataclass
class Run:
    """One piece of text a person sees, and whether it is an isolated identifier."""

    text: str
    isolated: bool
    where: str  # the tag (and attribute) it is in
    other_language: bool = False  # inside an element whose ``lang`` is not the page's


def _isolating(el: Any) -> bool:
    return (el.tag in ISOLATING_TAGS or el.get("dir") == "ltr" or el.get("direction") == "ltr"
            or "ltr-id" in (el.get("class") or "").split())


def visible_runs(html: str) -> list[Run]:
    """The text of ``html`` as shown: text nodes and the attributes people read, with their isolation."""
    root = lxml.html.document_fromstring(html)
    runs: list[Run] = []
    title = root.find(".//title")
    if title is not None and title.text:
        runs.append(Run(title.text, False, "title"))

    page_lang = root.get("lang")

    def walk(el: Any, isolated: bool, other: bool) -> None:
        if not isinstance(el.tag, str) or el.tag in HIDDEN_TAGS or el.get("hidden") is not None:
            return
        isolated = isolated or _isolating(el)
        other = other or bool(el.get("lang") and el.get("lang") != page_lang)
        for attr in SHOWN_ATTRIBUTES:
            if el.get(attr):
                runs.append(Run(el.get(attr), isolated, f"{el.tag}@{attr}", other))
        if el.tag == "input" and el.get("type", "text") in ("text", "search", "submit", "button") and el.get("value"):
            runs.append(Run(el.get("value"), isolated, "input@value", other))
        if el.text and el.text.strip():
            runs.append(Run(el.text, isolated, el.tag, other))
        for child in el:
            walk(child, isolated, other)
            if child.tail and child.tail.strip():
                runs.append(Run(child.tail, isolated, el.tag, other))

    body = root.find("body")
    if body is not None:
        walk(body, False, False)
    return runs


def captions(html: str) -> list[str]:
    """Table captions and column headers (what names a table's content)."""
    root = lxml.html.document_fromstring(html)
    return [" ".join(el.text_content().split()) for el in root.iter("caption", "th")]


def problems(text_runs: Iterable[Run], lang: str, codes: frozenset[str], heads: Iterable[str] = ()) -> list[str]:
    """What a reader of ``lang`` would trip on, one line each."""
    found: list[str] = []
    for run in text_runs:
        if run.other_language:
            continue
        text = " ".join(STANDARD.sub(" ", ISOLATED_RUN.sub(" ", run.text)).split())
        if lang == "fa":
            if not run.isolated and LATIN_DIGIT.search(NAME.sub("", text)):
                found.append(f"Latin digits in <{run.where}>: {text[:120]!r}")
            if DOT_BETWEEN_NUMBERS.search(text):
                found.append(f"a middle dot beside a Persian number in <{run.where}>: {text[:120]!r}")
            if not run.isolated and UNGROUPED.search(text):
                found.append(f"a number of five digits or more without ٬ in <{run.where}>: {text[:120]!r}")
            if GROUPED_YEAR.fullmatch(text):
                found.append(f"a year with a thousands separator in <{run.where}>: {text[:120]!r}")
            if not run.isolated and (PERSIAN_LETTER.search(text) or " " not in text):  # not an English quotation
                raw = sorted({w for w in LATIN_WORD.findall(text) if w in codes})
                if raw:
                    found.append(f"raw codes {raw} in <{run.where}>: {text[:120]!r}")
        else:
            if PERSIAN_DIGIT.search(text) or "\u066a" in text:
                found.append(f"Persian digits or ٪ in <{run.where}>: {text[:120]!r}")
    if lang == "fa":
        found += [f"an English table heading: {h!r}" for h in heads
                  if h and re.search(r"[A-Za-z]{3}", h) and not PERSIAN_LETTER.search(h)]
    return found


def pdf_problems(content: bytes, lang: str, codes: frozenset[str]) -> list[str]:
    """The same rules on a PDF's extracted text; identifiers are recognised by shape (module docstring)."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    found: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"(?<![0-9\u06f0-\u06f9])[0-9\u06f0-\u06f9]{10,}(?![0-9\u06f0-\u06f9])", "", line)
        # a line is judged in its own script (an issued document is bilingual); the text pypdf extracts
        # runs table cells together, so a long number there is not known to be one number
        found += [p for p in problems([Run(line, False, "pdf")], "fa" if PERSIAN_LETTER.search(line) else "en", codes)
                  if "without ٬" not in p]
    return found


@dataclass
class Crawl:
    """What one role saw in one language: pages by URL, the problems found, the PDFs read."""

    pages: dict[str, str] = field(default_factory=dict)  # url -> route pattern
    pdfs: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


def get_routes(app: Any) -> list[Any]:
    """Every GET route of ``app`` (FastAPI's included routers opened)."""

    def walk(routes: Iterable[Any]) -> Iterator[Any]:
        for r in routes:
            if hasattr(r, "effective_candidates"):
                yield from walk(r.effective_candidates())
            elif "GET" in (getattr(r, "methods", None) or ()):
                yield r

    return list(walk(app.routes))


def seeds(app: Any) -> list[str]:
    """The crawl's start: every GET page without path parameters, and the API reference."""
    paths = [r.path for r in get_routes(app) if "{" not in r.path and not SKIP.match(r.path)]
    return ["/", *[p for p in paths if p != "/"], "/api/v1/docs"]


def pattern_of(routes: list[Any], path: str) -> str | None:
    for r in routes:
        if r.path_regex.match(path):
            return str(r.path)
    return None


def links(html: str) -> list[str]:
    """Same-origin links of a page (hrefs starting with one ``/``), without fragments."""
    root = lxml.html.document_fromstring(html)
    out = []
    for a in root.iter("a"):
        href = urldefrag(a.get("href") or "")[0]
        if href.startswith("http://testserver"):
            href = href.removeprefix("http://testserver")
        if href.startswith("/") and not href.startswith("//"):
            out.append(href)
    return out


def crawl(client: Any, app: Any, lang: str, codes: frozenset[str], per_pattern: int = 2, limit: int = 400,
          start: Iterable[str] | None = None, signed_in: bool = False) -> Crawl:
    """Visit the role's pages breadth first, at most ``per_pattern`` URLs per route pattern."""
    routes = get_routes(app)
    result = Crawl()
    queue = list(start if start is not None else seeds(app))
    seen: set[str] = set()
    per: dict[str, int] = {}
    client.cookies.set("sg_lang", lang)
    while queue and len(result.pages) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or SKIP.match(path):
            continue
        seen.add(url)
        pattern = pattern_of(routes, path)
        if pattern is None or per.get(pattern, 0) >= per_pattern:
            continue
        per[pattern] = per.get(pattern, 0) + 1
        response = client.get(url, follow_redirects=True)
        result.statuses[url] = response.status_code
        kind = response.headers.get("content-type", "")
        if response.status_code >= 500:
            result.found.append(f"{url} ({lang}): answered {response.status_code}")
            continue
        if kind.startswith("application/pdf"):
            result.pdfs.append(url)
            result.found += [f"{url} ({lang}) PDF: {p}" for p in pdf_problems(response.content, lang, codes)]
            continue
        if not kind.startswith("text/html"):
            continue
        final = str(response.url.path)
        result.pages[url] = pattern
        html = response.text
        result.found += [f"{url} ({lang}): {p}" for p in problems(visible_runs(html), lang, codes, captions(html))]
        if signed_in and 'action="/logout"' not in html and not final.startswith(("/login", "/mfa")):
            result.found.append(f"{url} ({lang}): the header does not show the signed-in person")
        queue += [u for u in links(html) if u not in seen]
    return result


def sign_in(client: Any, username: str) -> None:
    """Sign in as a demo account (with its published TOTP secret for staff)."""
    import pyotp

    from smartgov import clock
    from smartgov.demo import DEMO_PASSWORD, DEMO_TOTP
    from tests.factories import csrf_of

    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "next": "/",
                                    "csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    if "/mfa/verify" in r.headers["location"]:
        page = client.get(r.headers["location"]).text
        r = client.post("/mfa/verify", data={"code": pyotp.TOTP(DEMO_TOTP[username]).at(clock.now()), "next": "/",
                                             "csrf_token": csrf_of(page)}, follow_redirects=False)
        assert r.status_code == 303, r.text
