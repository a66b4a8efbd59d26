"""JSON API of the exchange under ``/api/v1/exchange``: the message endpoint, the public
configuration, registry and monitoring for administrators, and "who read my data"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query
from sqlalchemy import select

from smartgov import identity
from smartgov.errors import NotFound
from smartgov.exchange import envelope as env
from smartgov.exchange import permissions, privacy, service
from smartgov.exchange.models import (
    AccessFlag,
    ExchangeAccessRight,
    ExchangeMember,
    PersonDataAccess,
)
from smartgov.exchange.schemas import (
    AccessRightCreate,
    AccessRightPublic,
    DataAccessAdmin,
    DataAccessGroupPublic,
    DataAccessPublic,
    FlagCreate,
    FlagPublic,
    FlagResolve,
    HideCreate,
    KeyPublic,
    MemberPublic,
    MessagePublic,
    MonitoringPublic,
    ServicePublic,
    ServiceStatsPublic,
    SubsystemPublic,
)
from smartgov.identity import Principal, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.pagination import Page, Pagination, page_of, paginate, paginate_rows
from smartgov.web.routing import ModuleRouter

router = ModuleRouter(prefix="/api/v1/exchange", tags=["exchange"])


# --------------------------------------------------------------------------- messages


@router.post("/messages")
def receive_message(db: DbSession, message: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Receive a signed request envelope from a member and answer with a signed response envelope.

    Refusals answer 4xx with the error envelope; `error.code` is the reason (`unknown_client`,
    `bad_signature`, `replayed`, `expired`, `issued_in_future`, `no_access_right`,
    `purpose_not_allowed`, ...). Every message is logged, accepted or not.
    """
    outcome = service.receive(db, message)
    db.commit()  # the log of a refusal must stay
    if outcome.error is not None:
        raise outcome.error
    assert outcome.response is not None
    return outcome.response


@router.get("/configuration")
def configuration(db: DbSession) -> dict[str, Any]:
    """What this instance hosts: members, subsystems, public keys, services, purposes (for peers to import)."""
    return service.export_configuration(db)


# --------------------------------------------------------------------------- registry


def member_public(member: ExchangeMember) -> MemberPublic:
    return MemberPublic(
        address=member.address, instance=member.instance, member_class=member.member_class,
        member_code=member.member_code, name_fa=member.name_fa, name_en=member.name_en,
        organization_code=member.organization_code, hosted_here=member.is_local, server_url=member.server_url,
        subsystems=[SubsystemPublic(code=s.code, address=s.address, keys=[
            KeyPublic(key_id=k.key_id, public_key=env.b64(k.public_key), created_at=k.created_at,
                      retired_at=k.retired_at) for k in s.keys]) for s in member.subsystems],
    )


def right_public(right: ExchangeAccessRight) -> AccessRightPublic:
    return AccessRightPublic(id=right.id, client=right.client.address, service=right.service.address,
                             legal_basis_fa=right.legal_basis_fa, legal_basis_en=right.legal_basis_en,
                             purposes=list(right.purposes), valid_from=right.valid_from,
                             valid_until=right.valid_until, revoked_at=right.revoked_at)


@router.get("/members", response_model=list[MemberPublic])
def list_members(principal: CurrentPrincipal, db: DbSession) -> list[MemberPublic]:
    """Members of the exchange with their subsystems and keys (platform admins and auditors)."""
    require(permissions.can_view_registry(principal))
    return [member_public(m) for m in service.members(db)]


@router.get("/services", response_model=list[ServicePublic])
def list_services(principal: CurrentPrincipal, db: DbSession) -> list[ServicePublic]:
    """Data services offered through the exchange, with their response schemas."""
    require(permissions.can_view_registry(principal))
    return [ServicePublic(address=s.address, code=s.code, version=s.version, name_fa=s.name_fa, name_en=s.name_en,
                          response_schema=s.response_schema) for s in service.services(db)]


@router.get("/access-rights", response_model=list[AccessRightPublic])
def list_access_rights(principal: CurrentPrincipal, db: DbSession) -> list[AccessRightPublic]:
    """Who may call which service, for which purposes, on which legal basis."""
    require(permissions.can_view_registry(principal))
    return [right_public(r) for r in service.access_rights(db)]


@router.post("/access-rights", status_code=201, response_model=AccessRightPublic)
def grant_access_right(body: AccessRightCreate, principal: CurrentPrincipal, db: DbSession) -> AccessRightPublic:
    """Grant a client subsystem access to a service (platform admins)."""
    require(permissions.can_manage_registry(principal))
    client = service.subsystem(db, body.client)
    try:
        svc = service.find_service(db, _service_address(body.service))
    except ValueError:
        svc = None
    if svc is None:
        raise NotFound("service", field="service")
    right = service.grant_access(db, client, svc, legal_basis_fa=body.legal_basis_fa,
                                 legal_basis_en=body.legal_basis_en, purposes=body.purposes,
                                 valid_from=body.valid_from, valid_until=body.valid_until, actor_id=principal.id)
    db.commit()
    return right_public(right)


def _service_address(text: str) -> env.ServiceAddress:
    parts = text.strip().split("/")
    if len(parts) != 6 or not all(parts):
        raise ValueError(text)
    return env.ServiceAddress(instance=parts[0], member_class=parts[1], member_code=parts[2],
                              subsystem_code=parts[3], service_code=parts[4], service_version=parts[5])


@router.delete("/access-rights/{right_id}", response_model=AccessRightPublic)
def revoke_access_right(right_id: Id, principal: CurrentPrincipal, db: DbSession) -> AccessRightPublic:
    """Revoke an access right at once (platform admins)."""
    require(permissions.can_manage_registry(principal))
    right = service.revoke_access(db, right_id, actor_id=principal.id)
    db.commit()
    return right_public(right)


# --------------------------------------------------------------------------- monitoring


def _stats(rows: list[service.ServiceStats]) -> list[ServiceStatsPublic]:
    return [ServiceStatsPublic(**vars(s)) for s in rows]


@router.get("/monitoring", response_model=MonitoringPublic)
def monitoring(principal: CurrentPrincipal, db: DbSession) -> MonitoringPublic:
    """Per service: requests, served, refused, errors (by reason) and latency, on both sides."""
    require(permissions.can_view_monitoring(principal))
    return MonitoringPublic(provider=_stats(service.monitoring(db, side="provider")),
                            client=_stats(service.monitoring(db, side="client")))


@router.get("/message-log", response_model=Page[MessagePublic])
def message_log(
    principal: CurrentPrincipal, db: DbSession, pagination: Pagination,
    outcome: Annotated[str | None, Query(max_length=10, description="served, refused, error, sent or ok")] = None,
    service_code: Annotated[str | None, Query(max_length=60)] = None,
) -> dict[str, Any]:
    """The message log, newest first (platform admins and auditors)."""
    require(permissions.can_view_monitoring(principal))
    rows, total = paginate(db, service.messages_stmt(outcome=outcome, service_code=service_code), pagination)
    return page_of([MessagePublic.model_validate(r, from_attributes=True) for r in rows], total, pagination)


# --------------------------------------------------------------------------- who read my data


def _agency_names(db: DbSession, codes: set[str | None]) -> dict[str, str]:
    from smartgov.i18n import get_language

    out = {}
    for code in codes:
        if code:
            try:
                out[code] = identity.organization_by_code(db, code).name(get_language())
            except NotFound:
                out[code] = code
    return out


def access_rows(db: DbSession, rows: list[PersonDataAccess], flags: dict[int, AccessFlag] | None = None,
                admin: bool = False) -> list[Any]:
    from smartgov.i18n import get_language

    lang = get_language()
    labels = service.purpose_labels(db)
    names = _agency_names(db, {r.agency_code for r in rows})
    services = {s.code: s.name(lang) for s in service.services(db)} if rows else {}
    flags = flags or {}
    out: list[Any] = []
    for r in rows:
        flag = flags.get(r.id)
        data = dict(
            id=r.id, at=r.at, source=r.source, agency_code=r.agency_code, agency_name=names.get(r.agency_code or ""),
            what=r.what, what_label=services.get(r.what) or (r.what_fa if lang == "fa" else r.what_en) or r.what,
            purpose=r.purpose,
            purpose_label=labels[r.purpose].label(lang) if r.purpose in labels else r.purpose,
            flagged=flag is not None, flag_status=flag.status if flag else None,
            flag_resolution=flag.resolution if flag else None,
        )
        if admin:
            out.append(DataAccessAdmin(**data, national_code=r.national_code, actor_account_id=r.actor_account_id,
                                       actor_label=r.actor_label, message_id=r.message_id,
                                       hidden_until=r.hidden_until, hidden_reason=r.hidden_reason,
                                       hidden_by=r.hidden_by))
        else:
            out.append(DataAccessPublic(**data))
    return out


def access_group_rows(db: DbSession, groups: list[Any]) -> list[DataAccessGroupPublic]:
    """Rows of :func:`privacy.grouped_accesses_stmt` in words of the request's language."""
    from smartgov.i18n import get_language

    lang = get_language()
    labels = service.purpose_labels(db)
    names = _agency_names(db, {g.agency_code for g in groups})
    services = {s.code: s.name(lang) for s in service.services(db)} if groups else {}
    flag_ids = [g.flag_id for g in groups if getattr(g, "flag_id", None)]
    flags = {f.id: f for f in db.scalars(select(AccessFlag).where(AccessFlag.id.in_(flag_ids)))} if flag_ids else {}
    out = []
    for g in groups:
        flag = flags.get(getattr(g, "flag_id", None) or 0)
        out.append(DataAccessGroupPublic(
            last_id=g.last_id, reads=g.reads, first_at=g.first_at, last_at=g.last_at, source=g.source,
            agency_code=g.agency_code, agency_name=names.get(g.agency_code or ""), what=g.what,
            what_label=services.get(g.what) or (g.what_fa if lang == "fa" else g.what_en) or g.what,
            purpose=g.purpose, purpose_label=labels[g.purpose].label(lang) if g.purpose in labels else g.purpose,
            flagged=flag is not None, flag_status=flag.status if flag else None,
            flag_resolution=flag.resolution if flag else None))
    return out


def own_national_code(db: DbSession, principal: Principal) -> str:
    require(permissions.can_view_own_data_access(principal))
    person = identity.person_profile(db, principal.account.person_id)
    assert person is not None  # can_view_own_data_access
    return person.national_code


@router.get("/my-data-access", response_model=Page[DataAccessPublic])
def my_data_access(principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Who read your data: every agency call and official's view, newest first (only your own)."""
    code = own_national_code(db, principal)
    rows, total = paginate(db, privacy.visible_accesses_stmt(code), pagination)
    return page_of(access_rows(db, rows, privacy.flags_by(db, principal.id)), total, pagination)


@router.get("/my-data-access/grouped", response_model=Page[DataAccessGroupPublic])
def my_data_access_grouped(principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Who read your data, one line per reader and record with how many times and when first and last."""
    code = own_national_code(db, principal)
    groups, total = paginate_rows(db, privacy.grouped_accesses_stmt(code, principal.id), pagination)
    return page_of(access_group_rows(db, groups), total, pagination)


@router.post("/my-data-access/{access_id}/flag", status_code=201, response_model=FlagPublic)
def flag_my_data_access(access_id: Id, body: FlagCreate, principal: CurrentPrincipal, db: DbSession) -> FlagPublic:
    """Flag an access you think was wrong; it opens a case for the data-protection officer."""
    code = own_national_code(db, principal)
    require(permissions.can_flag_access(principal))
    flag = privacy.flag_access(db, principal.id, code, access_id, body.reason)
    db.commit()
    return FlagPublic.model_validate(flag, from_attributes=True)


@router.get("/persons/{national_code}/accesses", response_model=Page[DataAccessAdmin])
def person_accesses(national_code: str, principal: CurrentPrincipal, db: DbSession,
                    pagination: Pagination) -> dict[str, Any]:
    """Every access to a person, hidden ones included (data-protection officer and auditors; this look is logged)."""
    require(permissions.can_view_data_protection(principal))
    code = identity.check_national_code(national_code, field="national_code")
    rows, total = paginate(db, privacy.all_accesses_stmt(code), pagination)
    privacy.record_access(db, code, principal.id, None, "exchange.access_log", "data-protection-review")
    db.commit()
    return page_of(access_rows(db, rows, admin=True), total, pagination)


@router.post("/accesses/{access_id}/hide", response_model=DataAccessAdmin)
def hide_access(access_id: Id, body: HideCreate, principal: CurrentPrincipal, db: DbSession) -> DataAccessAdmin:
    """Hide a confidential investigative access from the citizen until a date (platform admins; logged)."""
    require(permissions.can_hide_access(principal))
    row = privacy.hide_access(db, access_id, body.hidden_until, body.reason, principal.id)
    db.commit()
    return access_rows(db, [row], admin=True)[0]


@router.get("/flags", response_model=Page[FlagPublic])
def list_flags(principal: CurrentPrincipal, db: DbSession, pagination: Pagination,
               status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None) -> dict[str, Any]:
    """The data-protection officer's queue of flagged accesses (platform admins and auditors)."""
    require(permissions.can_view_data_protection(principal))
    rows, total = paginate(db, privacy.flags_stmt(status), pagination)
    return page_of([FlagPublic.model_validate(f, from_attributes=True) for f in rows], total, pagination)


@router.post("/flags/{flag_id}/resolve", response_model=FlagPublic)
def resolve_flag(flag_id: Id, body: FlagResolve, principal: CurrentPrincipal, db: DbSession) -> FlagPublic:
    """Record the finding on a flagged access (platform admins)."""
    require(permissions.can_resolve_flag(principal))
    flag = privacy.resolve_flag(db, flag_id, body.resolution, principal.id)
    db.commit()
    return FlagPublic.model_validate(flag, from_attributes=True)

