"""CSRF protection for every HTML form: a signed double-submit token.

The browser holds a random ``sg_csrf`` cookie (HttpOnly, SameSite=Lax); each form carries
HMAC(secret, cookie). A cross-site form cannot read the cookie, so it cannot forge the field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.settings import get_settings

COOKIE = "sg_csrf"
FIELD = "csrf_token"


def cookie_value(request: Request) -> str:
    """The visitor's CSRF cookie, minted on first sight (the response middleware sets it)."""
    value = request.cookies.get(COOKIE) or getattr(request.state, "new_csrf_cookie", None)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.new_csrf_cookie = value
    return value


def token_for(request: Request) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, cookie_value(request).encode(), hashlib.sha256).hexdigest()


class CsrfFailed(DomainError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "csrf_failed", N_("The form expired or came from another site. Reload the page and try again.")
        )


def verify(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(COOKIE)
    if not cookie or not submitted:
        raise CsrfFailed()
    key = get_settings().secret_key.get_secret_value().encode()
    expected = hmac.new(key, cookie.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, submitted):
        raise CsrfFailed()
