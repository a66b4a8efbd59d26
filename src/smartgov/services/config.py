"""Options of the e-services engine, read from ``SMARTGOV_SERVICES_*`` environment variables.

They live here, not in the platform settings, so the engine can be tuned without touching
the kernel; every option has a default that works on a laptop and a one-line description.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServicesSettings(BaseSettings):
    """Engine settings. Environment variables: ``SMARTGOV_SERVICES_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SMARTGOV_SERVICES_", env_file=".env", extra="ignore")

    reference_format: str = Field(
        "SG-{jyear}-{seq:06d}",
        description="Application reference numbers; {jyear} is the Jalali year, {seq} a counter per prefix and year.",
    )
    invoice_format: str = Field("INV-{jyear}-{seq:07d}", description="Invoice numbers, same placeholders.")
    upload_max_bytes: int = Field(
        10 * 1024 * 1024, description="Largest upload accepted before the field's own limit is checked.", gt=0
    )
    payment_timeout_minutes: int = Field(
        30, description="A payment without a gateway answer after this many minutes is marked timed out.", ge=1
    )
    payment_gateway: str = Field("simulated", description="Payment gateway used for new payments.")
    font_path: str | None = Field(
        None, description="TrueType font with Persian glyphs for PDFs; found automatically when unset."
    )


@cache
def services_settings() -> ServicesSettings:
    return ServicesSettings()
