"""The events identity publishes: accounts, sign-in, sessions, tokens, proof of person, throttling."""

from smartgov.events import declare

ACCOUNT_CREATED = declare("identity.account_created", "An account was created (sign-up or by an administrator).")
ACCOUNT_CLOSED = declare("identity.account_closed", "An unproven account closed: another account proved its person.")
PERSON_PROVEN = declare("identity.person_proven", "An account proved which registered person it belongs to.")
PROOF_CODE_SENT = declare("identity.proof_code_sent", "A proof code went to the registry's mobile number.")
PROFILE_UPDATED = declare("identity.profile_updated", "A person changed their own profile.")
LOGIN_SUCCEEDED = declare("identity.login_succeeded", "A sign-in passed every check.")
LOGOUT = declare("identity.logout", "A session was ended by its owner.")
SESSION_REVOKED = declare("identity.session_revoked", "An account ended one of its sessions from its settings.")
MFA_ENABLED = declare("identity.mfa_enabled", "An account turned on two-step sign-in (TOTP).")
TOKEN_CREATED = declare("identity.token_created", "A personal API token was created.")
TOKEN_REVOKED = declare("identity.token_revoked", "A personal API token was revoked.")
PASSWORD_RESET_REQUESTED = declare("identity.password_reset_requested", "A reset link was sent to an account.")
PASSWORD_RESET_UNKNOWN = declare("identity.password_reset_unknown", "A reset was asked for an unknown account.")
PASSWORD_RESET = declare("identity.password_reset", "An account set a new password with a reset link.")
LOGIN_THROTTLED = declare("identity.login_throttled", "A check was refused: too many recent failures.")
LOGIN_FAILED = declare("identity.login_failed", "A password check failed.")
MFA_FAILED = declare("identity.mfa_failed", "A two-step (TOTP) code check failed.")
RESET_LINK_FAILED = declare("identity.reset_link_failed", "A password reset link was wrong or expired.")
PROOF_CODE_FAILED = declare("identity.proof_code_failed", "A proof-of-person code check failed.")
TOKEN_FAILED = declare("identity.token_failed", "An API token check failed.")
DOCUMENT_CODE_FAILED = declare("identity.document_code_failed", "A signed document's printed code check failed.")

# Staff and agencies (``staff.py``), the audit log (``audit_pages.py``).
INVITATION_SENT = declare("identity.invitation_sent", "An agency admin invited an official by e-mail.")
INVITATION_REVOKED = declare("identity.invitation_revoked", "An unused staff invitation was withdrawn.")
INVITATION_ACCEPTED = declare("identity.invitation_accepted", "An invitee chose a password: their account exists.")
ROLE_GRANTED = declare("identity.role_granted", "An admin gave an account a role in an agency or branch.")
ROLE_REVOKED = declare("identity.role_revoked", "An admin took a role in an agency or branch from an account.")
ACCOUNT_DEACTIVATED = declare(
    "identity.account_deactivated", "An admin deactivated a staff account; its sessions and tokens ended."
)
MFA_RESET_REQUESTED = declare("identity.mfa_reset_requested", "An admin asked to clear a colleague's second factor.")
MFA_RESET_CANCELLED = declare("identity.mfa_reset_cancelled", "A request to clear a second factor was withdrawn.")
MFA_RESET_APPROVED = declare("identity.mfa_reset_approved", "A second admin approved: the colleague enrols TOTP anew.")
ORGANIZATION_CREATED = declare("identity.organization_created", "A platform admin created an agency.")
ORGANIZATION_RENAMED = declare("identity.organization_renamed", "A platform admin renamed an agency.")
ORGANIZATION_MOVED = declare("identity.organization_moved", "A platform admin moved an agency in the tree.")
ORGANIZATION_DEACTIVATED = declare("identity.organization_deactivated", "A platform admin deactivated an agency.")
AUDIT_EXPORTED = declare("identity.audit_exported", "An auditor exported the audit log as CSV.")
