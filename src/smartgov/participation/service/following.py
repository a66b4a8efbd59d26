"""Follows and in-app notifications: followers hear of answers, thresholds and progress (outbox)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartgov import events, identity
from smartgov.i18n import N_
from smartgov.identity import AccountRef
from smartgov.notifications import MessageTemplate, queue_email, register_template
from smartgov.participation.events import (
    ACCOUNTABILITY_UPDATED,
    COMMENT_POSTED,
    FINAL_VERSION_PUBLISHED,
    PETITION_OVERDUE,
    PETITION_RESPONDED,
    PETITION_THRESHOLD_REACHED,
    PROPOSAL_ANSWERED,
    PROPOSAL_THRESHOLD_REACHED,
    RESPONSE_PUBLISHED,
)
from smartgov.participation.models import ContentStatus, Follow, InAppNotification
from smartgov.settings import public_url

from .common import now, subject_link, subject_of

register_template(MessageTemplate(
    key="participation.followed_update",
    subject_fa="خبر تازه دربارهٔ «{title}»",
    subject_en="News about “{title}”",
    body_fa=("سلام،\n\n{what}\n\nبرای دیدن آن به این نشانی بروید:\n{link}\n\n"
             "برای قطع این پیام‌ها، دنبال کردن را در همان صفحه لغو کنید."),
    body_en="Hello,\n\n{what}\n\nSee it here:\n{link}\n\nTo stop these messages, unfollow on that page.",
    title_fa="خبر از آنچه دنبال می‌کنید", title_en="News about what you follow",
    examples={"title": "طرح بازآفرینی محله", "what": "مرحلهٔ تازه‌ای آغاز شد.",
              "link": "https://smartgov.example/participation/consultations/1"},
))


def follow(db: Session, account: AccountRef, subject_kind: str, subject_id: int) -> None:
    if db.scalar(select(Follow.id).where(Follow.account_id == account.id, Follow.subject_kind == subject_kind,
                                         Follow.subject_id == subject_id)) is None:
        try:
            with db.begin_nested():
                db.add(Follow(account_id=account.id, subject_kind=subject_kind, subject_id=subject_id,
                              created_at=now()))
        except IntegrityError:
            pass


def unfollow(db: Session, account: AccountRef, subject_kind: str, subject_id: int) -> None:
    for row in db.scalars(select(Follow).where(Follow.account_id == account.id, Follow.subject_kind == subject_kind,
                                               Follow.subject_id == subject_id)):
        db.delete(row)


def is_following(db: Session, account_id: int | None, subject_kind: str, subject_id: int) -> bool:
    if account_id is None:
        return False
    return db.scalar(select(Follow.id).where(Follow.account_id == account_id, Follow.subject_kind == subject_kind,
                                             Follow.subject_id == subject_id)) is not None


def notifications_for(db: Session, account_id: int, limit: int = 50) -> list[InAppNotification]:
    return list(db.scalars(select(InAppNotification).where(InAppNotification.account_id == account_id)
                           .order_by(InAppNotification.id.desc()).limit(limit)))


def mark_read(db: Session, account_id: int) -> None:
    db.execute(update(InAppNotification).where(InAppNotification.account_id == account_id,
                                               InAppNotification.read_at.is_(None)).values(read_at=now()))


#: event → (subject kind, id field, English message id of the notification)
FOLLOWED_EVENTS: dict[str, tuple[str, str, str]] = {
    COMMENT_POSTED: ("", "", N_("A new comment was posted on “{title}”.")),
    RESPONSE_PUBLISHED: ("consultation", "consultation_id",
                                         N_("The agency published its response to “{title}”.")),
    FINAL_VERSION_PUBLISHED: ("consultation", "consultation_id",
                                              N_("The final version of “{title}” was published.")),
    PROPOSAL_THRESHOLD_REACHED: ("proposal", "proposal_id",
                                                 N_("“{title}” reached its support threshold.")),
    PROPOSAL_ANSWERED: ("proposal", "proposal_id", N_("The agency answered “{title}”.")),
    PETITION_THRESHOLD_REACHED: ("petition", "petition_id",
                                                 N_("“{title}” reached its signature threshold.")),
    PETITION_RESPONDED: ("petition", "petition_id", N_("The agency responded to “{title}”.")),
    PETITION_OVERDUE: ("petition", "petition_id", N_("The response to “{title}” is overdue.")),
    ACCOUNTABILITY_UPDATED: ("accountability", "item_id", N_("“{title}” has new progress.")),
}


def notify_followers(db: Session, evt: events.Event, outbox_id: int) -> None:
    """Outbox handler: an in-app notification and an e-mail for every follower but the actor."""
    from smartgov.i18n import gettext

    kind, id_field, message = FOLLOWED_EVENTS[evt.name]
    if evt.name == COMMENT_POSTED:
        if evt.data.get("status") != ContentStatus.VISIBLE.value:
            return
        kind, subject_id = evt.data["subject_kind"], evt.data["subject_id"]
    else:
        subject_id = evt.data[id_field]
    subject = subject_of(db, kind, subject_id)
    link = subject_link(kind, subject)
    followers = list(db.scalars(select(Follow.account_id).where(Follow.subject_kind == kind,
                                                                Follow.subject_id == subject_id)))
    for account_id in followers:
        if account_id == evt.actor_id:
            continue
        if db.scalar(select(InAppNotification.id).where(InAppNotification.account_id == account_id,
                                                        InAppNotification.outbox_id == outbox_id)):
            continue
        account = identity.account_view(db, account_id)
        if account is None:
            continue
        lang = account.language
        title = subject.title(lang) if callable(getattr(subject, "title", None)) else subject.title
        db.add(InAppNotification(account_id=account_id, message_id=message, params={"title": title}, link=link,
                                 outbox_id=outbox_id, created_at=now()))
        person = identity.person_profile(db, account.person_id)
        if person is not None and person.email:
            queue_email(db, to=person.email, template="participation.followed_update", lang=lang, account_id=account_id,
                        context={"title": title, "what": gettext(message, lang, title=title), "link": public_url(link)})


for _name in FOLLOWED_EVENTS:
    events.subscribe_async(_name, "participation.notify_followers", notify_followers)
