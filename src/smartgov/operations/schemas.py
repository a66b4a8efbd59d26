"""Request and answer shapes of the operations API (``/api/v1/operations``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]


class DeviceCreate(BaseModel):
    """A device to provision: its id, the entity it feeds and which attribute each measure is."""

    model_config = ConfigDict(extra="forbid")
    code: Code
    entity: Annotated[str, Field(min_length=3, max_length=256)]
    mapping: dict[Annotated[str, Field(max_length=64)], dict[str, str] | str] = Field(max_length=100)


class DeviceCreated(BaseModel):
    code: str
    entity: str
    key: str = Field(description="The device's key, shown once: topics /json/<key>/<code>/attrs, or ?k=<key>.")


class ReadingIn(BaseModel):
    """One device message: measures by the device's names, observed at ``observedAt`` (else now)."""

    model_config = ConfigDict(extra="forbid")
    device: Annotated[str, Field(min_length=1, max_length=64)]
    observedAt: Annotated[str | None, Field(max_length=40)] = None
    values: dict[Annotated[str, Field(max_length=64)], float | str] = Field(min_length=1, max_length=100)


class IngestBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    readings: list[ReadingIn] = Field(min_length=1, max_length=20000)


class Refused(BaseModel):
    index: int
    reason: Literal["unknown_device", "wrong_key", "bad_payload"]


class IngestResult(BaseModel):
    """Stored: new readings; duplicates: already stored (a message sent twice); refused: not taken."""

    stored: int
    duplicates: int
    refused: list[Refused]
    alerts: int


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    entity_type: Annotated[str, Field(min_length=1, max_length=256)]
    attribute: Annotated[str, Field(min_length=1, max_length=128)]
    kind: Literal["threshold", "rate", "silence"]
    condition: Annotated[str, Field(max_length=500)] = ""
    silence_minutes: Annotated[int | None, Field(ge=1, le=10080)] = None
    severity: Annotated[int, Field(ge=1, le=3)] = 2
    escalate_minutes: Annotated[int | None, Field(ge=1, le=10080)] = None
    open_incident: bool = True
    dispatch: bool = False
    agency: Annotated[str | None, Field(max_length=64)] = None


class RulePublic(BaseModel):
    id: int
    name: str
    kind: str
    condition: str
    severity: int
    active: bool


class AlertPublic(BaseModel):
    id: int
    rule_id: int
    entity: str
    severity: int
    status: str
    count: int
    value: float | None
    first_at: str
    last_at: str
    incident_id: int | None


class IncidentPublic(BaseModel):
    id: int
    entity: str
    title: str
    severity: int
    status: str
    opened_at: str
    work_orders: list[str]


class WorkOrderPublic(BaseModel):
    incident_id: int
    reference: str
    state: str


def payload_of(reading: ReadingIn) -> dict[str, Any]:
    """The IoT Agent JSON payload a reading stands for."""
    return {**reading.values, **({"TimeInstant": reading.observedAt} if reading.observedAt else {})}
