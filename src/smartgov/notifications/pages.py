"""A person's notification centre and their message preferences (``/notifications``).

The centre is the account's own: every query is scoped to the caller (another's message is 404).
It takes ``AccountPrincipal`` (signed in, proven or not): the messages are the account's own
correspondence, including the notice that a proof-of-person code went out, which arrives before
the account has proven its person. Admin screens are in ``admin_pages.py`` (mounted from here).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import db as kernel_db
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.notifications import admin_pages, inbox, preferences
from smartgov.web.deps import AccountPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.pagination import Pagination
from smartgov.web.templating import register_badges, render

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)

register(NavItem("/notifications", N_("Notifications"), signed_in=True, order=15))


def _unread_badge(request: Request, principal: Any) -> dict[str, int]:
    """The header's count of unread messages, on a read-only session of its own: the page's may be
    closed (a refusal is drawn after it), and on SQLite a reader must not queue behind the page's write."""
    with kernel_db.read_database(request.app.state.db.url).read_sessions() as db:
        try:
            return {"/notifications": inbox.unread_count(db, principal.id)}
        finally:
            db.rollback()


register_badges(_unread_badge)


@router.get("/notifications", response_class=HTMLResponse)
def centre(request: Request, principal: AccountPrincipal, db: DbSession, params: Pagination) -> HTMLResponse:
    """The caller's messages, newest first (``?unread=1``: only the unread)."""
    unread_only = request.query_params.get("unread") == "1"
    rows, total = inbox.messages(db, principal.id, unread_only=unread_only, limit=params.per_page,
                                 offset=params.offset)
    return render(request, "notifications/centre.html", {
        "rows": rows, "total": total, "unread_only": unread_only, "page": params.page,
        "pages": max(1, -(-total // params.per_page)), "unread": inbox.unread_count(db, principal.id),
        "notice": request.query_params.get("done"),
    })


@router.post("/notifications/{message_id}/read")
def mark_read(message_id: Id, principal: AccountPrincipal, db: DbSession, _form: PostedForm) -> Response:
    """Mark one of the caller's messages read (404 for anyone else's)."""
    inbox.mark_read(db, principal.id, [message_id])
    db.commit()
    return RedirectResponse("/notifications?done=read", status_code=303)


@router.post("/notifications/read-all")
def mark_all_read(principal: AccountPrincipal, db: DbSession, _form: PostedForm) -> Response:
    """Mark every message of the caller read."""
    inbox.mark_read(db, principal.id)
    db.commit()
    return RedirectResponse("/notifications?done=read", status_code=303)


def _preferences_page(request: Request, db: DbSession, account_id: int, language: str, status_code: int = 200,
                      **extra: Any) -> HTMLResponse:
    optional, mandatory, chosen = preferences.choices(db, account_id)
    return render(request, "notifications/preferences.html", {
        "optional": optional, "mandatory": mandatory, "values": {"language": chosen or language}, **extra,
    }, status_code=status_code)


@router.get("/notifications/preferences", response_class=HTMLResponse)
def preferences_form(request: Request, principal: AccountPrincipal, db: DbSession) -> HTMLResponse:
    return _preferences_page(request, db, principal.id, principal.account.language,
                             notice=request.query_params.get("done"))


@router.post("/notifications/preferences")
def save_preferences(request: Request, principal: AccountPrincipal, db: DbSession, form: PostedForm) -> Response:
    """Store which kinds of message go by e-mail and SMS, and their language (unticked boxes: off)."""
    optional, _mandatory, _lang = preferences.choices(db, principal.id)
    channels = {c.key: (form.get(f"email:{c.key}") == "on", form.get(f"sms:{c.key}") == "on") for c in optional}
    try:
        preferences.save(db, principal.id, language=form.get("language", ""), channels=channels)
    except DomainError as exc:
        db.rollback()
        return _preferences_page(request, db, principal.id, principal.account.language, errors=field_errors(exc),
                                 status_code=422)
    db.commit()
    return RedirectResponse("/notifications/preferences?done=saved", status_code=303)
