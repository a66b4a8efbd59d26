"""NGSI-LD subscriptions (ETSI GS CIM 009, clause 5.2.12 and 5.8): their checks and use cases.

A subscription belongs to an agency and watches the entities of that agency and those below it.
What is kept is the subscription as sent, checked and cleaned (``check``); the broker's own members
(``status``, ``notification.status``, ``timesSent``, ``lastNotification``, ``lastSuccess``) are added
when it is rendered. Matching and delivery are in ``notify.py``. Functions take a Session and never
commit.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, events

from . import endpoints
from .events import SUBSCRIPTION_CHANGED
from .models import Subscription
from .ngsi import CORE_CONTEXT_URL, NgsiError, bad, check_name, entity_type, format_time, is_uri, parse_time
from .query import parse_q

FORMATS = ("normalized", "keyValues")
ACCEPTS = ("application/json", "application/ld+json")
MAX_SELECTORS = 100
MAX_NAMES = 100
#: Members of the specification this broker does not implement: refused, never silently ignored.
UNSUPPORTED = ("timeInterval", "geoQ", "csf", "temporalQ", "scopeQ", "lang", "notificationTrigger", "jsonldContext",
               "datasetId", "expandValues", "showChanges", "sysAttrs")
ALLOWED = {"id", "type", "@context", "subscriptionName", "description", "entities", "watchedAttributes", "q",
           "notification", "expiresAt", "throttling", "isActive", *UNSUPPORTED}
NOTIFICATION_ALLOWED = {"attributes", "format", "endpoint", "status", "timesSent", "lastNotification",
                        "lastSuccess", "lastFailure", "timesFailed"}


def _names(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_NAMES or not all(isinstance(v, str) for v in value):
        raise bad(f"{what} is a non-empty list of attribute names")
    return [check_name(v) for v in value]


def _selector(item: Any) -> dict[str, str]:
    if not isinstance(item, dict) or set(item) - {"id", "idPattern", "type"}:
        raise bad("each of 'entities' is an object with type and id or idPattern")
    out = {"type": entity_type(item.get("type"))}
    if "id" in item:
        if not is_uri(item["id"]):
            raise bad("entities[].id must be a URI")
        out["id"] = item["id"]
    if "idPattern" in item:
        if "id" in item:
            raise bad("an entity selector has id or idPattern, not both")
        if not isinstance(item["idPattern"], str) or len(item["idPattern"]) > 256:
            raise bad("entities[].idPattern must be a regular expression")
        try:
            re.compile(item["idPattern"])
        except re.error:
            raise bad("entities[].idPattern is not a regular expression") from None
        out["idPattern"] = item["idPattern"]
    return out


def _endpoint(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("uri"), str) or len(value["uri"]) > 2000:
        raise bad("notification.endpoint needs a 'uri'")
    parts = urlsplit(value["uri"])
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad("notification.endpoint.uri must be an http or https URL (MQTT endpoints are not supported)")
    accept = value.get("accept", "application/json")
    if accept not in ACCEPTS:
        raise bad("notification.endpoint.accept is application/json or application/ld+json")
    if set(value) - {"uri", "accept"}:
        raise NgsiError("OperationNotSupported", "notification.endpoint supports uri and accept only")
    return {"uri": value["uri"], "accept": accept}


def check(body: Any, *, now: dt.datetime) -> dict[str, Any]:
    """A subscription as sent, checked and cleaned: 400 BadRequestData names the member at fault."""
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object (a subscription)")
    if body.get("type") != "Subscription":
        raise bad("a subscription has type 'Subscription'")
    unknown = sorted(set(body) - ALLOWED)
    if unknown:
        raise bad(f"'{unknown[0][:60]}' is not a member of a subscription")
    unsupported = [k for k in UNSUPPORTED if k in body]
    if unsupported:
        raise NgsiError("OperationNotSupported", f"'{unsupported[0]}' is not supported by this broker")
    out: dict[str, Any] = {"type": "Subscription"}
    if "id" in body:
        if not is_uri(body["id"]):
            raise bad("a subscription's id must be a URI")
        out["id"] = body["id"]
    for name, limit in (("subscriptionName", 256), ("description", 1000)):
        if name in body:
            if not isinstance(body[name], str) or len(body[name]) > limit:
                raise bad(f"{name} is a string of at most {limit} characters")
            out[name] = body[name]
    if "entities" in body:
        if not isinstance(body["entities"], list) or not 0 < len(body["entities"]) <= MAX_SELECTORS:
            raise bad(f"entities is a list of 1 to {MAX_SELECTORS} selectors")
        out["entities"] = [_selector(i) for i in body["entities"]]
    if "watchedAttributes" in body:
        out["watchedAttributes"] = _names(body["watchedAttributes"], "watchedAttributes")
    if "entities" not in out and "watchedAttributes" not in out:
        raise bad("a subscription needs entities or watchedAttributes")
    if "q" in body:
        if not isinstance(body["q"], str) or not body["q"]:
            raise bad("q is a query string")
        parse_q(body["q"])
        out["q"] = body["q"]
    out["notification"] = _notification(body.get("notification"))
    if "expiresAt" in body:
        expires = parse_time(body["expiresAt"], "expiresAt")
        if expires <= now:
            raise bad("expiresAt is in the past")
        out["expiresAt"] = format_time(expires)
    if "throttling" in body:
        throttle = body["throttling"]
        if isinstance(throttle, bool) or not isinstance(throttle, int | float) or not 0 < throttle <= 86400 * 365:
            raise bad("throttling is a positive number of seconds")
        out["throttling"] = throttle
    if "isActive" in body:
        if not isinstance(body["isActive"], bool):
            raise bad("isActive is true or false")
        out["isActive"] = body["isActive"]
    return out


def _notification(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad("a subscription needs a 'notification' object with an endpoint")
    if set(value) - NOTIFICATION_ALLOWED:
        raise bad(f"'{sorted(set(value) - NOTIFICATION_ALLOWED)[0][:60]}' is not a member of notification")
    out: dict[str, Any] = {"format": value.get("format", "normalized"), "endpoint": _endpoint(value.get("endpoint"))}
    if out["format"] not in FORMATS:
        raise bad("notification.format is normalized or keyValues")
    if "attributes" in value:
        out["attributes"] = _names(value["attributes"], "notification.attributes")
    return out


def _apply(row: Subscription, body: dict[str, Any]) -> None:
    row.body = body
    row.is_active = bool(body.get("isActive", True))
    row.expires_at = parse_time(body["expiresAt"]) if "expiresAt" in body else None
    row.throttling = float(body["throttling"]) if "throttling" in body else None


def create(db: Session, org_id: int, body: Any, actor_id: int | None) -> Subscription:
    """A new subscription of agency ``org_id`` (409 AlreadyExists if its id is taken)."""
    now = clock.now()
    clean = check(body, now=now)
    endpoints.check(clean["notification"]["endpoint"]["uri"])  # SSRF: where the worker would POST
    clean.setdefault("id", f"urn:ngsi-ld:Subscription:{uuid.uuid4()}")
    if db.scalar(select(Subscription.id).where(Subscription.subscription_id == clean["id"])) is not None:
        raise NgsiError("AlreadyExists", f"subscription {clean['id']} already exists")
    row = Subscription(organization_id=org_id, subscription_id=clean["id"], created_by=actor_id, created_at=now,
                       modified_at=now, times_sent=0)
    _apply(row, clean)
    db.add(row)
    db.flush()
    _changed(db, actor_id, row, "created")
    return row


def _changed(db: Session, actor_id: int | None, row: Subscription, action: str) -> None:
    events.publish(db, SUBSCRIPTION_CHANGED, actor_id=actor_id, subscription=row.subscription_id,
                   organization_id=row.organization_id, action=action, active=row.is_active)


def _scoped(orgs: set[int] | None) -> Any:
    stmt = select(Subscription)
    return stmt if orgs is None else stmt.where(Subscription.organization_id.in_(orgs or {-1}))


def find(db: Session, orgs: set[int] | None, subscription_id: str) -> Subscription:
    """A subscription among the agencies the caller operates (404 ResourceNotFound otherwise)."""
    row = db.scalar(_scoped(orgs).where(Subscription.subscription_id == subscription_id))
    if row is None:
        raise NgsiError("ResourceNotFound", f"no subscription {subscription_id[:256]}")
    return row


def listing(db: Session, orgs: set[int] | None, *, limit: int, offset: int) -> tuple[list[Subscription], int]:
    """Subscriptions of the caller's agencies in id order, and how many there are."""
    rows = list(db.scalars(_scoped(orgs).order_by(Subscription.subscription_id).limit(limit).offset(offset)))
    total_stmt = select(func.count()).select_from(Subscription)
    if orgs is not None:
        total_stmt = total_stmt.where(Subscription.organization_id.in_(orgs or {-1}))
    return rows, int(db.scalar(total_stmt) or 0)


def update(db: Session, row: Subscription, fragment: Any, actor_id: int | None) -> None:
    """Members sent replace those kept (``notification``'s own members one by one); the whole is re-checked."""
    if not isinstance(fragment, dict):
        raise bad("the body must be a JSON object (members of the subscription)")
    if "id" in fragment and fragment["id"] != row.subscription_id:
        raise bad("a subscription's id cannot change")
    merged = {**row.body, **{k: v for k, v in fragment.items() if k != "@context"}}
    if isinstance(fragment.get("notification"), dict):
        merged["notification"] = {**row.body["notification"], **fragment["notification"]}
    merged["type"] = "Subscription"
    clean = check(merged, now=clock.now())
    endpoints.check(clean["notification"]["endpoint"]["uri"])  # again: the allow-list may have changed
    _apply(row, clean)
    row.modified_at = clock.now()
    _changed(db, actor_id, row, "updated")


def delete(db: Session, row: Subscription, actor_id: int | None) -> None:
    """Remove a subscription; notifications already queued for it are dropped at delivery."""
    _changed(db, actor_id, row, "deleted")
    db.delete(row)
    db.flush()


def status(row: Subscription, now: dt.datetime) -> str:
    """``active``, ``paused`` (isActive false) or ``expired``."""
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active" if row.is_active else "paused"


def render(row: Subscription, *, ld: bool, now: dt.datetime) -> dict[str, Any]:
    """A subscription as answered, with the broker's members."""
    out = {**row.body, "id": row.subscription_id, "isActive": row.is_active, "status": status(row, now)}
    notification = dict(row.body["notification"])
    # "failed" once a queued notification waits more than a minute past its last success (the outbox retries it)
    waiting = row.last_notification_at is not None and (
        row.last_success_at is None or row.last_success_at < row.last_notification_at)
    late = waiting and row.last_notification_at is not None and (now - row.last_notification_at).total_seconds() > 60
    notification["status"] = "failed" if late else "ok"
    notification["timesSent"] = row.times_sent
    if row.last_notification_at:
        notification["lastNotification"] = format_time(row.last_notification_at)
    if row.last_success_at:
        notification["lastSuccess"] = format_time(row.last_success_at)
    out["notification"] = notification
    if ld:
        out["@context"] = CORE_CONTEXT_URL
    return out
