"""All configuration in one typed class, read from ``SMARTGOV_*`` environment variables.

Every option has a default that makes ``make run`` work on a laptop, and a one-line
description (shown by ``smartgov settings show``). Production mode refuses unsafe values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-insecure-change-me"  # noqa: S105 - the known default production refuses
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Settings(BaseSettings):
    """smartgov settings. Environment variables: ``SMARTGOV_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SMARTGOV_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="development, test or production; production refuses unsafe settings."
    )
    database_url: str = Field(
        "sqlite:///var/smartgov.db",
        description="SQLAlchemy URL: embedded SQLite by default, postgresql+psycopg://... in production.",
    )
    read_database_url: str | None = Field(
        None,
        description="SQLAlchemy URL that dashboards, open data and reports read through (a read-only replica); "
                    "unset: the main database_url.",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET), description="Secret for signing tokens; must be set in production."
    )
    base_url: str = Field(
        DEFAULT_BASE_URL,
        description="Public address people reach the platform at (http(s)://host[:port][/path]): every link in "
                    "e-mails, SMS, QR codes and documents starts with it. Required in production; in development "
                    "`smartgov serve` derives it from --host/--port when it is not set.",
    )
    data_dir: Path = Field(Path("var"), description="Folder for files: uploads, keys, mail/SMS sinks.")
    default_language: Literal["fa", "en"] = Field("fa", description="Language when the visitor chose none.")
    timezone: str = Field(
        "Asia/Tehran",
        description="IANA time zone of the dates and times people see, and of 'today' and business days "
                    "(age on a date, daily reconciliation); times are stored in UTC.",
    )
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only; required in production."
    )
    session_hours: int = Field(12, description="Hours a login session lasts without activity.", ge=1)
    login_max_failures: int = Field(
        5, description="Failed logins per account or IP within the window before throttling.", ge=1
    )
    login_window_minutes: int = Field(15, description="Window for counting failed logins.", ge=1)
    reset_token_minutes: int = Field(30, description="Minutes a password-reset link stays valid.", ge=1)
    invitation_hours: int = Field(72, description="Hours a staff invitation link stays valid.", ge=1)
    mfa_reset_hours: int = Field(24, description="Hours a request to reset a colleague's MFA waits for approval.", ge=1)
    proof_registry_client: str = Field(
        "IR/GOV/sso/identity",
        description="Exchange subsystem through which sign-up asks the population registry for a person's mobile "
                    "number (the proof code is sent there).")
    proof_code_minutes: int = Field(10, description="Minutes a proof code sent by SMS stays valid.", ge=1)
    proof_code_resend_seconds: int = Field(
        60, description="Seconds before another proof code may be sent to the same person.", ge=1)
    proof_codes_per_day: int = Field(5, description="Proof codes sent to one person within 24 hours at most.", ge=1)
    password_min_length: int = Field(10, description="Minimum password length.", ge=8)
    argon2_time_cost: int = Field(3, description="Argon2id passes per password hash.", ge=1)
    argon2_memory_kib: int = Field(65536, description="Argon2id memory per password hash, KiB.", ge=1024)
    smtp_host: str | None = Field(None, description="SMTP server for e-mail; unset writes e-mail to data_dir/mail.")
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_user: str | None = Field(None, description="SMTP user name.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("no-reply@smartgov.local", description="Sender address of e-mails.")
    sms_gateway: Literal["file", "console"] = Field(
        "file", description="SMS gateway: file (data_dir/sms.log) or console; real gateways plug in here."
    )
    request_threads: int = Field(
        8, ge=1, description="Requests one server process works on at once (its thread pool); more wait their "
        "turn. Few is faster under load (threads fight over the interpreter lock: 40, the old default, cost a third "
        "more CPU per submission); raise it if requests that take seconds, such as large wage reports, are common.")
    gc_thread: bool = Field(
        True, description="Server and worker processes collect garbage from a thread of their own, never inside an "
        "allocation (smartgov.collector); false gives them the interpreter's automatic collector back (the SIGSEGV "
        "of issue 15 item 6 came back with it: bench/RESULTS.md).")
    gc_interval: float = Field(
        0.05, gt=0, le=10, description="Seconds between the garbage collector thread's looks at the allocation "
        "count in server and worker processes (automatic collection is off there: smartgov.collector).")
    gc_threshold: int = Field(
        700, ge=1, description="Objects allocated since the last collection before that thread collects the "
        "youngest generation (CPython's default generation-0 threshold).")
    worker_batch: int = Field(100, description="Outbox messages the worker takes per round.", ge=1)
    worker_max_attempts: int = Field(8, description="Delivery attempts before a message is marked dead.", ge=1)
    demo_people: int = Field(200, description="Insured people created by `smartgov demo`.", ge=0)
    suppress_below: int = Field(
        5, ge=1, description="Small-cell suppression: public dashboards, open data and reports show no figure made "
        "from fewer than this many cases or events (a count of 1 to this minus 1 could point at a person).")
    platform_publisher: str | None = Field(
        None, description="Code of the agency that publishes the platform's own open datasets and signs the national "
        "performance reports; unset: the first top-level agency by code.")

    insight_llm_url: str | None = Field(
        None, description="Base address of an OpenAI-compatible endpoint (its /v1/chat/completions is called) that may "
        "draft summaries of insight themes for a person to approve; unset (the default): summaries are off, nothing "
        "else needs it.")
    insight_llm_model: str = Field("default", max_length=200, description="Model name sent to that endpoint.")
    insight_llm_api_key: SecretStr | None = Field(None, description="Bearer key for that endpoint, if it asks for one.")
    insight_llm_timeout: float = Field(
        30.0, gt=0, le=600, description="Seconds to wait for that endpoint's answer before giving up with a message.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"SMARTGOV_TIMEZONE: unknown time zone {value!r} (an IANA name: Asia/Tehran)") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"SMARTGOV_BASE_URL: {value!r} is not an absolute http(s) address such as "
                             "https://services.example.ir (no query or fragment)")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() in (DEFAULT_SECRET, "") or len(
                self.secret_key.get_secret_value()
            ) < 32:
                raise ValueError("SMARTGOV_SECRET_KEY must be set to a random value of 32+ characters in production")
            if not self.session_cookie_secure:
                raise ValueError("SMARTGOV_SESSION_COOKIE_SECURE must be true (HTTPS-only cookies) in production")
            # Links in e-mails, SMS and signed documents outlive the request: a guessed address
            # would send people (and QR codes printed on paper) somewhere else for good.
            if "base_url" not in self.model_fields_set or not self.base_url.startswith("https://"):
                raise ValueError("SMARTGOV_BASE_URL must be set to the platform's public https:// address in "
                                 "production (the start of every link in e-mails, SMS and QR codes)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def masked(self) -> dict[str, str]:
        """Every option with secrets masked, for ``smartgov settings show``."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown = "********" if value.get_secret_value() else ""
            elif name in ("database_url", "read_database_url") and "@" in str(value):
                scheme, rest = str(value).split("://", 1)
                shown = f"{scheme}://********@{rest.split('@', 1)[1]}"
            else:
                shown = "" if value is None else str(value)
            out[name] = shown
        return out


def public_url(path: str = "/") -> str:
    """The address people use for ``path`` (``/verify/…``): the one builder of every link sent out."""
    return get_settings().base_url + "/" + path.lstrip("/")


def derived_base_url(host: str, port: int) -> str:
    """The development base URL of a server on ``host:port`` (a wildcard address is reached on loopback)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - only to name it
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: those given to :func:`use_settings`, else read from the environment."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings) -> Settings:
    """Put ``settings`` in force (the app factory and tests call this)."""
    global _current
    _current = settings
    return settings
