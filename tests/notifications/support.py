"""Shared arrangements of the notifications tests: people, and messages queued to them."""

from __future__ import annotations

from typing import Any

import smartgov.services  # noqa: F401 - registers the message kinds these tests queue
from smartgov.identity.models import Account, Role
from smartgov.notifications import queue_email, queue_sms
from tests.factories import create_account, create_agency

REFERENCE = "SSO-1405-000777"


def arrange(db: Any) -> dict[str, Account]:
    """Two citizens, a platform admin, an agency admin, an auditor and an official."""
    create_agency(db, "sso")
    people = {
        "citizen": create_account(db, "citizen1", phone="09121110001"),
        "other": create_account(db, "citizen2", phone="09121110002"),
        "platform": create_account(db, "platform", Role.PLATFORM_ADMIN),
        "agency_admin": create_account(db, "ssoadmin", Role.AGENCY_ADMIN, organization="sso"),
        "auditor": create_account(db, "auditor", Role.AUDITOR),
        "official": create_account(db, "official1", Role.OFFICIAL, organization="sso"),
    }
    db.flush()
    return people


def tell_about_submission(db: Any, account: Account, reference: str = REFERENCE, lang: str = "fa") -> None:
    """Queue the "received" e-mail and SMS to ``account``, as the services engine does."""
    assert account.person is not None and account.person.email and account.person.phone
    context: dict[str, Any] = {"reference": reference, "service_fa": "اعلام تغییر نشانی",
                               "service_en": "Notify a change of address",
                               "link": f"http://testserver/services/applications/{reference}"}
    queue_email(db, to=account.person.email, template="services.submitted", lang=lang, context=context,
                account_id=account.id)
    queue_sms(db, to=account.person.phone, template="services.submitted", lang=lang, context=context,
              account_id=account.id)
