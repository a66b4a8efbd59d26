"""Admin screens: message wording (edit with preview, versions) and the delivery status of every message.

Wording is the platform's (platform admins edit, auditors read); delivery status is seen by
platform admins, agency admins and auditors, with addresses masked for all but platform admins.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import Principal, Role, require
from smartgov.notifications import delivery, permissions, templates_store
from smartgov.notifications.models import TEXT_FIELDS
from smartgov.notifications.wording import TEMPLATES
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import day_bounds
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.pagination import Pagination
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

register(NavItem("/admin/notifications/templates", N_("Message templates"),
                 roles=frozenset({Role.PLATFORM_ADMIN, Role.AUDITOR}), signed_in=True, order=95))
register(NavItem("/admin/notifications/deliveries", N_("Message delivery"),
                 roles=frozenset({Role.PLATFORM_ADMIN, Role.AGENCY_ADMIN, Role.AUDITOR}), signed_in=True, order=96))

#: Labels of the six texts (English message ids), in the order the editor shows them.
FIELD_LABELS: dict[str, str] = {
    "email_subject_fa": N_("E-mail subject (Persian)"), "email_body_fa": N_("E-mail text (Persian)"),
    "sms_fa": N_("SMS (Persian)"), "email_subject_en": N_("E-mail subject (English)"),
    "email_body_en": N_("E-mail text (English)"), "sms_en": N_("SMS (English)"),
}
STATUS_LABELS: dict[str, str] = {
    "queued": N_("Queued"), "retrying": N_("Retrying"), "sent": N_("Sent"), "failed": N_("Failed"),
    "skipped": N_("Not sent: turned off by the recipient"),
}
CHANNEL_LABELS: dict[str, str] = {"email": N_("E-mail"), "sms": N_("SMS")}
FILTERS = ("channel", "status", "template", "since", "until")


# --------------------------------------------------------------------------- wording


@router.get("/admin/notifications/templates", response_class=HTMLResponse)
def template_list(request: Request, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    """Every message kind, whether its wording was changed, and which ones people cannot turn off."""
    require(permissions.can_view_templates(principal))
    return render(request, "notifications/admin/templates.html", {
        "templates": [TEMPLATES[k] for k in sorted(TEMPLATES)], "overridden": templates_store.overridden(db),
        "notice": request.query_params.get("done"),
    })


def _editor(request: Request, db: DbSession, principal: Principal, key: str, values: dict[str, str],
            status_code: int = 200, **extra: Any) -> HTMLResponse:
    template = templates_store.template_of(key)
    return render(request, "notifications/admin/template.html", {
        "template": template, "key": key, "values": values, "labels": FIELD_LABELS,
        "variables": sorted(template.variables), "history": templates_store.history(db, key),
        "may_edit": permissions.can_edit_templates(principal), **extra,
    }, status_code=status_code)


@router.get("/admin/notifications/templates/{key}", response_class=HTMLResponse)
def template_form(request: Request, key: str, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    """The wording in force, its variables and its versions (who changed what, when)."""
    require(permissions.can_view_templates(principal))
    templates_store.template_of(key)
    return _editor(request, db, principal, key, templates_store.in_force(db, key),
                   notice=request.query_params.get("done"))


@router.post("/admin/notifications/templates/{key}")
def template_save(request: Request, key: str, principal: CurrentPrincipal, db: DbSession,
                  form: PostedForm) -> Response:
    """``action=preview``: render the texts with example values (nothing stored); otherwise save a version."""
    require(permissions.can_edit_templates(principal))
    templates_store.template_of(key)
    values = {name: form.get(name, "") for name in TEXT_FIELDS}
    try:
        if form.get("action") == "preview":
            shown = templates_store.preview(key, values)
            return _editor(request, db, principal, key, values, preview=shown)
        templates_store.save(db, principal.id, key, values)
    except DomainError as exc:
        db.rollback()
        return _editor(request, db, principal, key, values, errors=field_errors(exc),
                       status_code=exc.status if exc.status not in (400,) else 422)
    db.commit()
    return RedirectResponse(f"/admin/notifications/templates/{key}?done=saved", status_code=303)


@router.post("/admin/notifications/templates/{key}/reset")
def template_reset(request: Request, key: str, principal: CurrentPrincipal, db: DbSession,
                   _form: PostedForm) -> Response:
    """Return the message to the wording registered in code (a new version)."""
    require(permissions.can_edit_templates(principal))
    try:
        templates_store.reset(db, principal.id, key)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.rollback()
        return _editor(request, db, principal, key, templates_store.in_force(db, key), errors=field_errors(exc),
                       status_code=exc.status)
    db.commit()
    return RedirectResponse(f"/admin/notifications/templates/{key}?done=reset", status_code=303)


# --------------------------------------------------------------------------- delivery status


def read_filters(params: dict[str, str]) -> tuple[delivery.DeliveryFilter, dict[str, str]]:
    """The filters as typed (Jalali or ISO dates, any digits), checked: a 422 names each bad field."""
    values = {k: params.get(k, "").strip()[:100] for k in FILTERS}
    errors: list[DomainError] = []
    if values["channel"] and values["channel"] not in delivery.HANDLERS:
        errors.append(DomainError("invalid_choice", N_("Choose one of the listed options."), field="channel"))
    if values["status"] and values["status"] not in delivery.STATUSES:
        errors.append(DomainError("invalid_choice", N_("Choose one of the listed options."), field="status"))
    if values["template"] and values["template"] not in TEMPLATES:
        errors.append(DomainError("invalid_choice", N_("Choose one of the listed options."), field="template"))
    bounds = day_bounds(values, errors)
    if errors:
        raise ValidationFailed(errors)
    return delivery.DeliveryFilter(channel=values["channel"] or None, status=values["status"] or None,
                                   template=values["template"] or None, since=bounds["since"],
                                   until=bounds["until"]), values


def mask(value: str) -> str:
    """Enough of an address to tell two apart, not enough to use: ``09•••••67``, ``ma•••ir``."""
    if len(value) <= 4:
        return "•" * len(value)
    return value[:2] + "•••" + value[-2:]


@router.get("/admin/notifications/deliveries", response_class=HTMLResponse)
def deliveries(request: Request, principal: CurrentPrincipal, db: DbSession, params: Pagination) -> HTMLResponse:
    """Every message's delivery: queued, sent, failed, retrying (attempts, last error, next try)."""
    require(permissions.can_view_deliveries(principal))
    context: dict[str, Any] = {"templates": [TEMPLATES[k] for k in sorted(TEMPLATES)], "statuses": STATUS_LABELS,
                               "channels": CHANNEL_LABELS, "templates_by_key": TEMPLATES}
    raw = dict(request.query_params)
    try:
        flt, values = read_filters(raw)
    except DomainError as exc:
        return render(request, "notifications/admin/deliveries.html", {
            **context, "errors": field_errors(exc), "values": {k: raw.get(k, "") for k in FILTERS}, "rows": [],
            "total": 0, "page": 1, "pages": 1, "query": ""}, status_code=422)
    found, total = delivery.search(db, flt, limit=params.per_page, offset=params.offset)
    whole = permissions.can_see_recipients(principal)
    rows = [{"d": d, "to": d.to if whole else mask(d.to), "error": d.last_error if whole else None} for d in found]
    return render(request, "notifications/admin/deliveries.html", {
        **context, "rows": rows, "total": total, "page": params.page, "whole": whole,
        "pages": max(1, math.ceil(total / params.per_page)), "values": values,
        "query": urlencode({k: v for k, v in values.items() if v}),
    })
