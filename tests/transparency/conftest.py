"""A second smartgov instance (its own database and app) for ``ckanapi load`` between instances."""

from tests.exchange.conftest import peer, peer_database_url  # noqa: F401
