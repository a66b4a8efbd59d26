"""The events the ledger publishes about its own signing keys."""

from smartgov.events import declare

KEY_CREATED = declare("ledger.key_created", "The ledger's tree-head signing key was created.")
KEY_ROTATED = declare("ledger.key_rotated", "The ledger's tree-head signing key was rotated.")
