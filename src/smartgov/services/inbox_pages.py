"""The inbox's saved searches (save, delete); the inbox itself is in ``pages.py``."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from smartgov.errors import DomainError
from smartgov.identity import require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm

from . import inbox_filters, permissions

router = APIRouter(include_in_schema=False)


@router.post("/services/inbox/filters")
def save_filter(db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Keep the search in the form under the name given, and show it."""
    require(permissions.can_use_inbox(principal))
    query = {k: form.get(k, "") for k in inbox_filters.KEYS}
    shown = {k: v for k, v in query.items() if v}
    try:
        row = inbox_filters.save_filter(db, principal, form.get("filter_name", ""), query)
    except DomainError as exc:
        db.rollback()
        return RedirectResponse("/services/inbox?" + urlencode({**shown, "notice": f"filter:{exc.code}"}),
                                status_code=303)
    db.commit()
    return RedirectResponse("/services/inbox?" + urlencode({**row.query, "notice": "filter_saved"}), status_code=303)


@router.post("/services/inbox/filters/{filter_id}/delete")
def delete_filter(filter_id: Id, db: DbSession, principal: CurrentPrincipal, _form: PostedForm) -> Response:
    require(permissions.can_use_inbox(principal))
    inbox_filters.delete_filter(db, principal, filter_id)
    db.commit()
    return RedirectResponse("/services/inbox?notice=filter_deleted", status_code=303)
