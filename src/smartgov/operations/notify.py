"""NGSI-LD notifications: from a change of the context to a POST at the subscriber, through the outbox.

Three steps, so that a subscriber never slows or blocks what changed the context:

1. ``changed`` runs in the changing transaction (an ingest batch, an NGSI-LD request). It asks one
   question of the database — is any subscription active? — and if so writes one outbox row
   (``CONTEXT_CHANGED``) naming the entities and attributes that changed. No subscription row is
   read for update, nothing is sent: ingest pays one indexed ``SELECT`` and at most one ``INSERT``.
2. ``_match`` (the worker, after commit) reads the subscriptions, matches each change (entity
   selector, watchedAttributes, q, expiry, throttling), renders the entities as they are now and
   queues one ``NOTIFICATION_DUE`` row per subscription.
3. ``_deliver`` (the worker) POSTs the notification; a refusal or a timeout raises, and the outbox
   retries it with back-off (``events.backoff``) until it is delivered or dead. A subscription
   deleted in between drops its queued notifications.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.i18n import gettext

from . import endpoints
from .events import CONTEXT_CHANGED, NOTIFICATION_DUE
from .models import Entity, Subscription
from .ngsi import CORE_CONTEXT_URL, LINK_HEADER, format_time, render_entity
from .query import parse_q

MATCH_HANDLER = "operations.match_subscriptions"
DELIVER_HANDLER = "operations.deliver_notification"
TIMEOUT = httpx.Timeout(5.0, connect=3.0)


def _live(now: dt.datetime) -> Any:
    return (Subscription.is_active.is_(True),
            or_(Subscription.expires_at.is_(None), Subscription.expires_at > now))


def changed(db: Session, changes: Iterable[tuple[Entity, Iterable[str]]]) -> None:
    """Queue the matching of these changes (entity, attribute names) if any subscription is active."""
    found: dict[int, set[str]] = {}
    for entity, names in changes:
        found.setdefault(entity.id, set()).update(names)
    if not found:
        return
    now = clock.now()
    if db.scalar(select(Subscription.id).where(*_live(now)).limit(1)) is None:
        return
    db.flush()  # entities created in this transaction need their ids
    payload = {"changes": [[pk, sorted(names)] for pk, names in sorted(found.items())]}
    events.enqueue(db, MATCH_HANDLER, events.Event(CONTEXT_CHANGED, payload, occurred_at=now))


def _selected(sub: dict[str, Any], entity: Entity) -> bool:
    selectors = sub.get("entities")
    if not selectors:
        return True
    for s in selectors:
        if s["type"] != entity.type:
            continue
        if "id" in s and s["id"] != entity.entity_id:
            continue
        if "idPattern" in s and not re.fullmatch(s["idPattern"], entity.entity_id):
            continue
        return True
    return False


def _watched(sub: dict[str, Any], names: set[str]) -> bool:
    watched = sub.get("watchedAttributes")
    return not watched or bool(names & set(watched))


def _match(db: Session, evt: events.Event, outbox_id: int) -> None:
    """The worker's step 2: subscriptions matched, notifications queued (one per subscription)."""
    now = clock.now()
    subs = list(db.scalars(select(Subscription).where(*_live(now)).order_by(Subscription.id)))
    if not subs:
        return
    changes = {int(pk): set(names) for pk, names in evt.data["changes"]}
    entities = list(db.scalars(select(Entity).where(Entity.id.in_(changes)).order_by(Entity.id)))
    trees: dict[int, set[int]] = {}
    for sub in subs:
        if sub.throttling and sub.last_notification_at and \
                (now - sub.last_notification_at).total_seconds() < sub.throttling:
            continue  # the specification's throttling: changes within the period are not notified
        tree = trees.get(sub.organization_id)
        if tree is None:
            tree = trees[sub.organization_id] = identity.agency_subtree(db, sub.organization_id)
        predicate = parse_q(sub.body["q"]) if "q" in sub.body else None
        hits = [e for e in entities if e.organization_id in tree and _selected(sub.body, e)
                and _watched(sub.body, changes[e.id]) and (predicate is None or predicate(e.attrs))]
        if hits:
            _queue(db, sub, hits, now)


def _queue(db: Session, sub: Subscription, hits: list[Entity], now: dt.datetime) -> None:
    notification = sub.body["notification"]
    ld = notification["endpoint"]["accept"] == "application/ld+json"
    pick = set(notification["attributes"]) if "attributes" in notification else None
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}", "type": "Notification",
        "subscriptionId": sub.subscription_id, "notifiedAt": format_time(now),
        "data": [render_entity(e.entity_id, e.type, e.attrs, pick=pick,
                               key_values=notification["format"] == "keyValues") for e in hits]}
    if ld:
        body["@context"] = CORE_CONTEXT_URL
    sub.last_notification_at = now
    events.enqueue(db, DELIVER_HANDLER, events.Event(NOTIFICATION_DUE, {
        "subscription": sub.subscription_id, "uri": notification["endpoint"]["uri"],
        "accept": notification["endpoint"]["accept"], "body": body}, occurred_at=now))


def _deliver(db: Session, evt: events.Event, outbox_id: int) -> None:
    """The worker's step 3: one POST; anything but a 2xx raises, and the outbox tries again later."""
    sub = db.scalar(select(Subscription).where(Subscription.subscription_id == evt.data["subscription"]))
    if sub is None:
        return  # deleted since: nobody to tell
    headers = {"Content-Type": evt.data["accept"], "NGSILD-Notification-Id": str(outbox_id)}
    if evt.data["accept"] == "application/json":
        headers["Link"] = LINK_HEADER
    try:
        target = endpoints.check(evt.data["uri"])  # at send time too: DNS may answer otherwise now
    except endpoints.EndpointRefused as exc:  # retried by the outbox: the allow-list may be widened meanwhile
        raise RuntimeError(gettext(exc.message, "en", **exc.params)) from None
    response = endpoints.post(target, json.dumps(evt.data["body"]).encode(), headers, TIMEOUT)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"the subscriber answered {response.status_code}")
    sub.last_success_at = clock.now()
    sub.times_sent += 1


events.subscribe_async(CONTEXT_CHANGED, MATCH_HANDLER, _match)
events.subscribe_async(NOTIFICATION_DUE, DELIVER_HANDLER, _deliver)
