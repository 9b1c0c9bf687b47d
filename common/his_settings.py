"""``[his]`` of the hospital file: which hospital information system the records come from, and how to reach it.

``driver = "local"`` (the default, and the demo) keeps today's records of the service itself. ``"hl7v2"`` speaks
HL7 v2.5 over MLLP with the HIS (and the LIS): it listens for the HIS's messages and sends its own through the
service's durable outbox. ``"fhir"`` works against a FHIR R4 server. docs/his.md has the mapping of every field.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Hl7Settings(_Model):
    """HL7 v2.5 over MLLP, both ways."""

    listen_host: str = Field(default="127.0.0.1", description="where the service listens for the HIS's messages")
    listen_port: int = Field(default=2575, ge=0, le=65535, description="0: any free port (tests)")
    his_host: str = Field(default="", description="the HIS's MLLP listener for our messages; empty: send nothing")
    his_port: int = Field(default=0, ge=0, le=65535)
    charset: Literal["UTF-8", "GB18030"] = Field(
        default="UTF-8", description="of the messages the service sends (said in MSH-18); inbound follows MSH-18")
    sending_application: str = Field(default="KIOSK", min_length=1, max_length=20)
    sending_facility: str = Field(default="HOSPITAL", min_length=1, max_length=20)
    receiving_application: str = Field(default="HIS", min_length=1, max_length=20)
    receiving_facility: str = Field(default="HOSPITAL", min_length=1, max_length=20)
    processing_id: Literal["P", "T", "D"] = Field(default="P", description="MSH-11: production, training, debugging")
    ack_timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class FhirSettings(_Model):
    """A FHIR R4 server (the HIS's FHIR facade)."""

    base_url: str = Field(pattern=r"^https?://", description="e.g. http://his.example:8080/fhir/R4")
    token_file: str = Field(default="", description="a file holding a bearer token for the server, if it wants one")
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    id_number_system: str = Field(default="urn:oid:2.16.156.10011.1.3",
                                  description="Identifier.system of a resident ID number")
    medical_card_system: str = Field(default="urn:hospital:medical-card",
                                     description="Identifier.system of the hospital's medical card number")
    record_system: str = Field(default="urn:hospital:kiosk",
                               description="Identifier.system of what the service itself numbers (patients, "
                                           "registrations, visits, bills, payments)")
    orders_poll_seconds: float = Field(default=10.0, ge=0, le=3600,
                                       description="how often to look for the HIS's new orders (ServiceRequest, "
                                                   "MedicationRequest) to open their journey steps; 0: only when "
                                                   "the kiosk reads the patient's bills")


class HisSettings(_Model):
    """Which records the kiosk, console, queue and phone work on; they do not know which one runs."""

    driver: Literal["local", "hl7v2", "fhir"] = "local"
    hl7v2: Hl7Settings | None = None
    fhir: FhirSettings | None = None
    retry_base_seconds: float = Field(default=1.0, gt=0, le=300,
                                      description="first wait before sending to a HIS that did not answer; doubles")
    retry_max_seconds: float = Field(default=30.0, gt=0, le=3600)
    away_after_failures: int = Field(default=1, ge=1, le=100,
                                     description="failed exchanges in a row before the kiosk says the HIS is away")

    @model_validator(mode="after")
    def _driver_settings(self) -> "HisSettings":
        if self.driver == "hl7v2" and self.hl7v2 is None:
            raise ValueError("driver 'hl7v2' needs a [his.hl7v2] table (listen_port, his_host, his_port, charset)")
        if self.driver == "fhir" and self.fhir is None:
            raise ValueError("driver 'fhir' needs a [his.fhir] table (base_url)")
        return self
