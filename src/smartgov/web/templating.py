"""Jinja2 rendering shared by every module's pages.

Templates live in each module's ``templates/`` folder; the layout, macros and filters here
make Persian pages RTL with Jalali dates and Persian digits, English pages LTR/Gregorian.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape

from smartgov import clock, i18n
from smartgov.web import csp, csrf, nav

PACKAGE_ROOT = Path(__file__).resolve().parent.parent

#: Counts shown beside navigation entries for the signed-in viewer, by path (e.g. unread messages).
BadgeProvider = Callable[[Request, Any], dict[str, int]]
_badges: list[BadgeProvider] = []


def register_badges(provider: BadgeProvider) -> None:
    """Have every page ask ``provider(request, principal)`` for counts beside its navigation entries.

    The shell cannot import the modules that own the counts (they import the shell), so they plug in.
    """
    if provider not in _badges:
        _badges.append(provider)


def _nav_badges(request: Request, principal: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    if principal is None:
        return found
    for provider in _badges:
        found.update(provider(request, principal))
    return found


class _Separator:
    """Between items of a line: ``، `` in Persian (a middle dot between two numbers reads as a digit:
    «نظر ۱ · ۱۶ آذر» as ۱۰۱۶), `` · `` in English; the request's language decides when it is shown."""

    def __str__(self) -> str:
        return "، " if i18n.get_language() == "fa" else " · "


class _Arrow:
    """An arrow along the reading direction (``arrow_on``: from → to) or against it (``arrow_back``): the arrows
    have no mirrored forms in Unicode, so a Persian line needs the other glyph."""

    def __init__(self, ltr: str, rtl: str) -> None:
        self.ltr, self.rtl = ltr, rtl

    def __str__(self) -> str:
        return self.rtl if i18n.direction(i18n.get_language()) == "rtl" else self.ltr


ARROW_ON = _Arrow("→", "←")
ARROW_BACK = _Arrow("←", "→")


def _per_render(func: Callable[..., str]) -> Callable[..., str]:
    """A filter whose result depends on the request's language: Jinja folds a filter of constants
    (``{{ 1|digits }}``) once, when it compiles the template, so the first page's language stuck in
    every later one (``۱`` on English pages); taking the render context keeps it from folding."""

    @pass_context
    def per_render(_ctx: Any, *args: Any, **kwargs: Any) -> str:
        return func(*args, **kwargs)

    return per_render


@cache
def environment() -> Environment:
    loaders = [FileSystemLoader(str(p)) for p in sorted(PACKAGE_ROOT.glob("*/templates"))]
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html", "xml"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(
        _=i18n.gettext,
        format_date=i18n.format_date,
        format_datetime=i18n.format_datetime,
        format_number=i18n.format_number,
        format_percent=i18n.format_percent,
        digits=i18n.localize_digits,
        sep=_Separator(),
        arrow_on=ARROW_ON,
        arrow_back=ARROW_BACK,
        isolate=i18n.isolate,
        text_language=i18n.text_language,
    )
    env.filters.update(
        date=_per_render(i18n.format_date), datetime=_per_render(i18n.format_datetime),
        number=_per_render(lambda v, places=None: i18n.format_number(v, places=places)),
        digits=_per_render(lambda v: i18n.localize_digits(str(v))),
    )
    return env


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render ``template`` in the request's language with the viewer's navigation."""
    lang = i18n.get_language()
    principal = getattr(request.state, "principal", None)
    roles = principal.roles if principal is not None else None
    other = "en" if lang == "fa" else "fa"
    ctx = {
        "request": request,
        "lang": lang,
        "dir": i18n.direction(lang),
        "other_lang": other,
        "other_lang_name": "English" if other == "en" else "فارسی",
        "principal": principal,
        "nav_items": nav.items_for(roles),
        "nav_badges": _nav_badges(request, principal),
        "csrf_token": csrf.token_for(request),
        "csrf_field": csrf.FIELD,
        "csp_nonce": lambda: csp.nonce(request.scope.setdefault("state", {})),
        "current_path": request.url.path,
        "today_date": clock.now(),
        "now_iso": clock.today().isoformat(),
        "errors": {},
        "values": {},
    }
    ctx.update(context or {})
    html = environment().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
