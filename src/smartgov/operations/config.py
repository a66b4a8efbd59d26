"""Options of the operations centre, read from ``SMARTGOV_OPERATIONS_*`` (the broker: ``SMARTGOV_MQTT_URL``)."""

from __future__ import annotations

from functools import cache

from pydantic import AliasChoices, Field
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


@cache
def operations_settings() -> OperationsSettings:
    return OperationsSettings()
