"""Where NGSI-LD notifications may be sent: the guard against server-side request forgery (SSRF).

A subscription names any http(s) URL, and the worker POSTs to it from inside the platform's
network. So the endpoint's host is resolved and every address it resolves to must be public,
unless ``SMARTGOV_NGSI_NOTIFY_ALLOW`` allows it: a comma-separated list of host names
(``notify.city.ir``, ``*.city.ir``), addresses and networks (``10.20.0.0/16``, ``127.0.0.1``).
Private, loopback, link-local, shared, reserved, multicast and unspecified addresses are
refused otherwise (the policy GitLab applies to web hooks). The check runs twice: when a
subscription is created or updated (a refusal is an NGSI-LD problem detail in the caller's
language), and when the worker sends, where the connection goes to the very address that was
checked (the URL's host kept in ``Host`` and TLS SNI), so a DNS answer changed in between
(DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from smartgov.i18n import N_, gettext

from .allowlist import Address, Allow, Network, parse_allow
from .config import operations_settings
from .ngsi import NgsiError

__all__ = ["Address", "Allow", "Network", "parse_allow"]


def allowed() -> Allow:
    """The allow-list of the running settings."""
    return parse_allow(operations_settings().ngsi_notify_allow)


class EndpointRefused(NgsiError):
    """A notification endpoint the guard refuses: BadRequestData whose detail is in the caller's language."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__("BadRequestData", gettext(message, **params))
        self.message = message
        self.params = params


def _public(address: Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """A checked endpoint: the URL as named, and the address the connection must go to."""

    uri: str
    host: str
    addresses: tuple[Address, ...]


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (a literal address is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def check(uri: str, allow: Allow | None = None) -> Target:
    """Resolve ``uri``'s host and refuse it unless every address is public or allowed."""
    allow = allow if allow is not None else allowed()
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise EndpointRefused(N_("The notification endpoint must be an http or https URL."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        raise EndpointRefused(N_("The notification endpoint's host {host} cannot be resolved."), host=host) from None
    if not addresses:
        raise EndpointRefused(N_("The notification endpoint's host {host} cannot be resolved."), host=host)
    host_ok = allow.host_allowed(host)
    for address in addresses:
        if not (_public(address) or host_ok or allow.address_allowed(address)):
            raise EndpointRefused(N_(
                "The notification endpoint {host} is a private, loopback or link-local address ({address}); "
                "the platform's administrator can allow it (SMARTGOV_NGSI_NOTIFY_ALLOW)."),
                host=host, address=str(address))
    return Target(uri, host, tuple(addresses))


def post(target: Target, content: bytes, headers: dict[str, str], timeout: httpx.Timeout) -> httpx.Response:
    """POST to the checked addresses themselves (the next one if one refuses the connection), the URL's
    host kept in ``Host`` and in TLS SNI; redirects are not followed."""
    parts = urlsplit(target.uri)
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    failure: httpx.ConnectError | None = None
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for address in target.addresses:
            literal = f"[{address}]" if address.version == 6 else str(address)
            pinned = urlunsplit((parts.scheme, literal + (f":{parts.port}" if parts.port else ""), parts.path or "/",
                                 parts.query, ""))
            request = client.build_request("POST", pinned, content=content,
                                           headers={**headers, "Host": host_header}, extensions=extensions)
            try:
                return client.send(request)
            except httpx.ConnectError as exc:
                failure = exc
    assert failure is not None  # a Target has at least one address
    raise failure
