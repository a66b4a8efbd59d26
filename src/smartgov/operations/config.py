"""Options of the operations centre, read from ``SMARTGOV_OPERATIONS_*`` (the broker: ``SMARTGOV_MQTT_URL``)."""

from __future__ import annotations

from functools import cache

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperationsSettings(BaseSettings):
    """Operations settings; every option works on a laptop as it is."""

    model_config = SettingsConfigDict(env_prefix="SMARTGOV_OPERATIONS_", env_file=".env", extra="ignore",
                                      populate_by_name=True)

    mqtt_url: str | None = Field(
        None, validation_alias=AliasChoices("SMARTGOV_MQTT_URL", "SMARTGOV_OPERATIONS_MQTT_URL"),
        description="MQTT broker for device telemetry, e.g. mqtt://127.0.0.1:1883; unset: HTTP ingest only.")
    mqtt_client_id: str = Field("smartgov-operations", description="The consumer's MQTT client id (its session).")
    mqtt_batch: int = Field(500, ge=1, le=20000, description="Messages committed together by the MQTT consumer.")
    retention_days: int = Field(400, ge=1, description="Readings and per-minute rollups older than this are dropped.")
    partitions_ahead_days: int = Field(7, ge=1, le=60, description="Daily partitions created ahead (PostgreSQL).")
    ngsi_notify_allow: str = Field(
        "", validation_alias=AliasChoices("SMARTGOV_NGSI_NOTIFY_ALLOW", "SMARTGOV_OPERATIONS_NGSI_NOTIFY_ALLOW"),
        description="Host names (*.city.ir), addresses and networks (10.0.0.0/8) that NGSI-LD notifications may "
                    "reach although private, loopback or link-local; comma-separated; empty: public addresses only.")
    live_interval: float = Field(3.0, gt=0, le=60, description="Seconds between two looks for changes the "
                                 "operations pages' live stream (server-sent events) sends.")
    live_max_seconds: int = Field(600, ge=5, le=86400, description="A live stream ends after this long and the "
                                  "browser reconnects (its permissions are checked again then).")

    @field_validator("ngsi_notify_allow")
    @classmethod
    def _allow_list(cls, value: str) -> str:
        from .allowlist import parse_allow  # a malformed entry stops start-up instead of being ignored

        parse_allow(value)
        return value


@cache
def operations_settings() -> OperationsSettings:
    return OperationsSettings()
