"""The home page (``/home``): the panels of every module, to-do items first."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from smartgov import exchange, insurance, notifications, participation, services
from smartgov.i18n import N_
from smartgov.identity import Principal, can_use_personal_records
from smartgov.web.deps import AccountPrincipal, DbSession
from smartgov.web.nav import NavItem, register
from smartgov.web.panels import Panel, Row
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

register(NavItem("/home", N_("My home"), signed_in=True, order=1))

#: Panels that read a person's own records: shown once the account has proven its person.
PERSONAL: tuple[Callable[[Session, Principal], list[Panel]], ...] = (
    services.home_panel, insurance.home_panel, participation.home_panel, exchange.home_panel,
)


def panels_for(db: Session, principal: Principal) -> list[Panel]:
    """Every panel the caller may see, in page order (the notification centre is every account's own)."""
    providers: list[Callable[[Session, Principal], list[Panel]]] = [notifications.home_panel]
    if can_use_personal_records(principal.account):
        providers += PERSONAL
    found = [panel for provider in providers for panel in provider(db, principal)]
    return sorted(found, key=lambda p: p.order)


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: AccountPrincipal) -> HTMLResponse:
    """What needs the caller's action first, then their applications, documents, messages and more."""
    panels = panels_for(db, principal)
    todo: list[Row] = [row for panel in panels for row in panel.todo]
    proven = can_use_personal_records(principal.account)
    return render(request, "home/home.html", {"panels": panels, "todo": todo, "proven": proven})
