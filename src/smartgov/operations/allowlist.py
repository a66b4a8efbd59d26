"""The NGSI-LD notification allow-list's grammar, apart from the guard (``endpoints``) so the settings
can check it at start-up without importing the guard (which reads the settings)."""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Allow:
    """The parsed allow-list: host name patterns and networks whose non-public addresses may be reached."""

    hosts: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()

    def host_allowed(self, host: str) -> bool:
        return any(fnmatch.fnmatchcase(host.lower(), pattern) for pattern in self.hosts)

    def address_allowed(self, address: Address) -> bool:
        return any(address in net for net in self.networks if net.version == address.version)


def parse_allow(text: str) -> Allow:
    """``"127.0.0.1, 10.0.0.0/8, *.city.ir"`` as an ``Allow``; a malformed entry raises ``ValueError``."""
    hosts: list[str] = []
    networks: list[Network] = []
    for raw in text.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        label = entry[2:] if entry.startswith("*.") else entry
        if not label or any(not part or not all(c.isalnum() or c == "-" for c in part) for part in label.split(".")):
            raise ValueError(f"'{raw.strip()[:60]}' is neither a host name, an address nor a network")
        hosts.append(entry)
    return Allow(tuple(hosts), tuple(networks))
