"""Navigation by role: modules register their entries; the layout shows what the viewer may use."""

from __future__ import annotations

from dataclasses import dataclass

from smartgov.identity import Role


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # English message id
    roles: frozenset[Role] | None = None  # None: everyone, signed in or not
    signed_in: bool = False
    order: int = 50


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if item not in _items:
        _items.append(item)
        _items.sort(key=lambda i: (i.order, i.path))


def items_for(roles: set[Role] | None) -> list[NavItem]:
    """Entries visible to a viewer holding ``roles`` (``None``: not signed in)."""
    out = []
    for item in _items:
        if item.signed_in and roles is None:
            continue
        if item.roles is not None and not (roles and roles & item.roles):
            continue
        out.append(item)
    return out
