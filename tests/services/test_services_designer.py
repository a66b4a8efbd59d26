"""The service designer: agency admins build, preview, version, schedule and publish services in the browser.

Every change is judged by the engine's loader (nothing half-saved), audited as an event, and only
the admins of the owning agency (or an agency above it) may open or post any designer route.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from smartgov import clock, events
from smartgov.services import designer_store
from smartgov.services.models import Definition, DefinitionSchedule
from tests.factories import create_account, create_agency
from smartgov.identity import Role

from .helpers import arrange
from .test_services_pages import login, post

BASE = "/services/admin/designer"


def new_service(client, service_id: str = "fishing-permit") -> int:  # type: ignore[no-untyped-def]
    r = post(client, f"{BASE}/new", {"id": service_id, "agency": "sso", "title_fa": "پروانهٔ ماهیگیری",
                                    "title_en": "Fishing permit", "relationship": "G2C", "template": ""},
             page_url=BASE)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1].split("#")[0])


def edit(client, definition_id: int, data: dict, page: str):  # type: ignore[no-untyped-def]
    """Post the item form of ``page`` (``add=form&type=text`` or ``at=form.0``) with ``data``."""
    where = dict(part.split("=", 1) for part in page.split("&"))
    return post(client, f"{BASE}/{definition_id}/edit", {**where, **data},
                page_url=f"{BASE}/{definition_id}/edit?{page}")
