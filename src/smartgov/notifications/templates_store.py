"""Admins' versions of message wording: the texts in force, saving with validation, history, preview.

Every save is a new version (nothing is overwritten): who changed which texts and when stays
readable here and in the audit log (``TEMPLATE_SAVED`` / ``TEMPLATE_RESET``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.notifications.events import TEMPLATE_RESET, TEMPLATE_SAVED
from smartgov.notifications.models import TEXT_FIELDS, TemplateVersion
from smartgov.notifications.wording import TEMPLATES, MessageTemplate, check, example_context, render_text


def template_of(key: str) -> MessageTemplate:
    """The registered message kind ``key`` (404 for any other key)."""
    found = TEMPLATES.get(key)
    if found is None:
        raise NotFound("template")
    return found


def _latest(db: Session, key: str) -> TemplateVersion | None:
    return db.scalars(select(TemplateVersion).where(TemplateVersion.key == key)
                      .order_by(TemplateVersion.version.desc()).limit(1)).first()


def in_force(db: Session, key: str) -> dict[str, str]:
    """The six texts used to render ``key`` now: the latest saved version, else the defaults."""
    latest = _latest(db, key)
    if latest is None or latest.reset:
        return template_of(key).defaults()
    return {name: getattr(latest, name) for name in TEXT_FIELDS}


def overridden(db: Session) -> dict[str, int]:
    """Keys whose wording an admin changed (the latest version is not a reset), with that version."""
    latest = (select(TemplateVersion.key, func.max(TemplateVersion.version).label("version"))
              .group_by(TemplateVersion.key).subquery())
    rows = db.execute(select(TemplateVersion.key, TemplateVersion.version, TemplateVersion.reset)
                      .join(latest, (latest.c.key == TemplateVersion.key)
                            & (latest.c.version == TemplateVersion.version))).all()
    return {key: version for key, version, reset in rows if not reset}


def history(db: Session, key: str) -> list[TemplateVersion]:
    """Every saved version of ``key``, newest first."""
    return list(db.scalars(select(TemplateVersion).where(TemplateVersion.key == key)
                           .order_by(TemplateVersion.version.desc())))


def _next_version(db: Session, key: str) -> int:
    return int(db.scalar(select(func.max(TemplateVersion.version)).where(TemplateVersion.key == key)) or 0) + 1


def save(db: Session, author_id: int, key: str, texts: Mapping[str, str]) -> TemplateVersion:
    """Store a new version of ``key``'s wording, every text checked first (422 naming each field refused).

    The caller has checked ``permissions.can_edit_templates`` (this module does not import identity,
    which queues its messages through it).
    """
    template = template_of(key)
    clean = check(template, texts)
    current = in_force(db, key)
    changed = [name for name in TEXT_FIELDS if clean[name] != current[name]]
    if not changed:
        raise Conflict("unchanged", N_("Nothing was changed."))
    row = TemplateVersion(key=key, version=_next_version(db, key), reset=False, author_id=author_id,
                          created_at=clock.now(), **clean)
    db.add(row)
    db.flush()
    events.publish(db, TEMPLATE_SAVED, actor_id=author_id, template=key, version=row.version, changed=changed)
    return row


def reset(db: Session, author_id: int, key: str) -> TemplateVersion:
    """Return ``key`` to the wording registered in code (a new version that says so; checked as ``save``)."""
    template_of(key)
    latest = _latest(db, key)
    if latest is None or latest.reset:
        raise Conflict("already_default", N_("This message already uses the default wording."))
    row = TemplateVersion(key=key, version=latest.version + 1, reset=True, author_id=author_id,
                          created_at=clock.now())
    db.add(row)
    db.flush()
    events.publish(db, TEMPLATE_RESET, actor_id=author_id, template=key, version=row.version)
    return row


@dataclass(frozen=True)
class Preview:
    """A template's texts rendered with example values, per language."""

    email_subject: str
    email_body: str
    sms: str


def preview(key: str, texts: Mapping[str, str]) -> dict[str, Preview]:
    """``texts`` (checked first: ``ValidationFailed`` as for saving) rendered with the kind's examples."""
    template = template_of(key)
    clean = check(template, texts)
    values = example_context(template)
    try:
        return {lang: Preview(render_text(clean[f"email_subject_{lang}"], lang, values),
                              render_text(clean[f"email_body_{lang}"], lang, values),
                              render_text(clean[f"sms_{lang}"], lang, values)) for lang in ("fa", "en")}
    except Exception as exc:  # a filter refusing an example value: say so, do not fail the page
        raise DomainError("template_render", N_("The template could not be rendered: {reason}"),
                          status=422, reason=str(exc)[:200]) from exc
