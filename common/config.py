"""The hospital configuration: one human-editable TOML file, validated at start.

A bad file is refused as a whole with the file, the key and what is wrong; nothing starts half-configured.
The queue rules themselves (`QueueRules`) belong to the engine; here they are read at hospital level and
merged with each area's overrides.
"""
from __future__ import annotations

import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from common.clock import DEFAULT_TIMEZONE, zone
from common.device_settings import DeviceSettings, KioskSettings, model_for
from common.his_settings import HisSettings
from common.notify_settings import NotifySettings
from common.passwords import is_password_hash
from common.queue_rules import QueueRules
from common.triage import TriageConfig

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Session = Literal["am", "pm"]
Role = Literal["kiosk", "console", "display", "speaker", "admin", "monitor"]  # monitor: reads /metrics only


class ConfigError(Exception):
    """The hospital file cannot be used. `problems` lists (key, message) pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" if key else f"{source}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HospitalInfo(_Model):
    name: str = Field(min_length=1)
    name_en: str = ""
    address: str = ""
    phone: str = ""
    ticket_url: str = Field(
        default="",
        description="What the QR code on a ticket opens ({token}, the visit's unguessable page key, is "
        "replaced); empty: the service's own ticket page at the address the kiosk uses. Set it when phones "
        "reach the service by another name.",
    )

    services: list[str] = Field(
        default_factory=list,
        description="The caller service's addresses when it runs active/standby on PostgreSQL, e.g. "
        "[\"http://10.0.0.5:8700\", \"http://10.0.0.6:8700\"]: what the phone ticket pages and devices started "
        "with --config but no --service follow (docs/high-availability.md)",
    )
    campus: str = Field(
        default="",
        description="Campus id when several hospital files share one PostgreSQL (one schema each): how the "
        "cockpit's group view names this campus (docs/high-availability.md)",
    )

    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        description="IANA time zone of the hospital: days, slots, sessions and ticket numbers follow it, "
        "whatever zone the machines are set to",
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("services")
    @classmethod
    def _services(cls, value: list[str]) -> list[str]:
        for address in value:
            if not address.startswith(("http://", "https://")) or "," in address:
                raise ValueError(f"{address!r}: each must be one http(s) address, e.g. http://10.0.0.5:8700")
        return [address.rstrip("/") for address in value]

    @field_validator("ticket_url")
    @classmethod
    def _ticket_url(cls, value: str) -> str:
        if value and "{visit_id}" in value:
            raise ValueError("{visit_id} made ticket links guessable and is no longer accepted: use {token}, "
                             "e.g. https://queue.example.org/t/{token}")
        if value and (not value.startswith(("http://", "https://")) or "{token}" not in value):
            raise ValueError("must be an http(s) URL containing {token}, e.g. https://queue.example.org/t/{token}")
        return value


def _parse_span(value: str) -> tuple[time, time]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ValueError(f"expected a span like '08:00-12:00', got {value!r}")
    h1, m1, h2, m2 = map(int, match.groups())
    start, end = time(h1, m1), time(h2, m2)
    if end <= start:
        raise ValueError(f"the span {value!r} ends before it starts")
    return start, end


class ScheduleConfig(_Model):
    am: str = "08:00-12:00"
    pm: str = "13:30-17:30"
    slot_minutes: int = Field(default=15, ge=5, le=120)
    slot_quota: int = Field(default=4, ge=1, le=100, description="patients per doctor per slot")
    extra_quota: int = Field(default=5, ge=0, le=100, description="extra numbers (加号) per doctor per session")
    release_hour: int = Field(default=8, ge=1, le=23, description="hour at which future days open for booking")
    book_days_ahead: int = Field(default=7, ge=0, le=60)
    hold_minutes: int = Field(default=5, ge=1, le=60, description="how long a chosen slot is held unpaid")
    pay_at_visit: bool = False
    cancel_until: Literal["called", "slot_start"] = Field(
        default="called", description="退号 by the patient: until the number is called, or until the slot starts")
    reprint_limit: int = Field(default=3, ge=0, le=20, description="补打: reprints of one slip at a kiosk")

    @field_validator("am", "pm")
    @classmethod
    def _span(cls, value: str) -> str:
        _parse_span(value)
        return value

    def session_span(self, session: str) -> tuple[time, time]:
        return _parse_span(self.am if session == "am" else self.pm)


class RetentionConfig(_Model):
    """How long the live database keeps what only matters for a while (docs/cockpit.md, "Retention")."""

    idempotency_hours: int = Field(default=48, ge=1, description="a retried request is answered from memory this long")
    event_days: int = Field(default=7, ge=1, description="events older than this (and beyond the replay window) move to the monthly archive")
    audit_days: int = Field(default=31, ge=1, description="audit rows older than this move to the monthly archive; the audit query still reads them")
    prune_minutes: int = Field(default=60, ge=1, description="how often the service prunes")


class CockpitConfig(_Model):
    """The service cockpit: monthly targets per KPI id (docs/cockpit.md), e.g. wait_p90 = 30 (minutes)."""

    targets: dict[str, float] = Field(default_factory=dict)  # KPI ids checked by the service (cockpit.kpis)


class Fees(_Model):
    """Registration fees in integer fen (1 元 = 100 fen), by number kind."""

    general: int = Field(default=1500, ge=0)
    expert: int = Field(default=3500, ge=0)
    extra: int = Field(default=1500, ge=0)
    emergency: int = Field(default=2000, ge=0)

    def for_kind(self, kind: str) -> int:
        return int(getattr(self, kind))


class Room(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(min_length=1)
    name_en: str = ""
    departments: list[str] = Field(default_factory=list)
    location: str = ""
    location_en: str = ""
    door_screen: bool = False
    triage_levels: list[int] = Field(default_factory=list)

    @field_validator("triage_levels")
    @classmethod
    def _levels(cls, levels: list[int]) -> list[int]:
        bad = [lv for lv in levels if lv not in (1, 2, 3, 4)]
        if bad:
            raise ValueError(f"triage levels are 1-4, got {bad}")
        return levels


class Area(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(min_length=1)
    name_en: str = ""
    location: str = ""
    location_en: str = ""
    emergency: bool = False
    rules: QueueRules
    rooms: list[Room] = Field(min_length=1)
    notices: list[str] = Field(default_factory=list, description="health education lines for the wall screen band")


ServiceKind = Literal["clinic", "pharmacy", "lab", "imaging", "cashier"]


class Department(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(min_length=1)
    name_en: str = ""
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$", description="ticket prefix, e.g. A -> A001")
    area: str
    service: ServiceKind = Field(default="clinic", description="what its rooms are: clinic rooms, pharmacy windows, "
                                 "lab draw stations, imaging rooms (one department per modality) or cashier windows")
    description: str = ""
    description_en: str = ""
    location: str = ""
    location_en: str = ""
    slot_minutes: int | None = Field(default=None, ge=5, le=240, description="imaging only: the length of one "
                                     "booking slot of this modality (default 15)")
    slot_capacity: int | None = Field(default=None, ge=1, le=100, description="imaging only: exams booked into "
                                      "one slot at most, e.g. the number of rooms of the modality (default 1)")


# Tube colours of the specimen labels (the cap colour of the vacuum tube a lab panel needs)
TUBES: dict[str, tuple[str, str]] = {
    "purple": ("紫帽管", "purple top (EDTA)"), "yellow": ("黄帽管", "yellow top (serum)"),
    "grey": ("灰帽管", "grey top (fluoride)"), "blue": ("蓝帽管", "blue top (citrate)"),
    "red": ("红帽管", "red top (plain)"), "green": ("绿帽管", "green top (heparin)"),
}


class CatalogItem(_Model):
    code: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    name: str = Field(min_length=1)
    name_en: str = ""
    price: int = Field(ge=0, description="fen (1 元 = 100 分)")
    department: str | None = Field(default=None, description="the service department that serves it; default: "
                                   "the only department of its service")


class Drug(CatalogItem):
    spec: str = Field(default="", description="规格, e.g. 0.25g×24粒")
    unit: str = "盒"


class LabPanel(CatalogItem):
    tube: Literal["purple", "yellow", "grey", "blue", "red", "green"]
    fasting: bool = Field(default=False, description="needs the patient fasting (空腹): fasting patients go first "
                          "where the lab's auto_priority lists \"fasting\"")
    report_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60, description="usual turnaround 采血 -> report")


class ImagingExam(CatalogItem):
    fasting_hours: float = Field(default=0, ge=0, le=24, description="空腹: hours without food before the exam")
    water_minutes: int = Field(default=0, ge=0, le=240, description="憋尿: minutes after drinking water before "
                               "the exam (0: none)")
    contrast: bool = Field(default=False, description="needs the signed contrast consent (增强检查知情同意)")
    slot_minutes: int = Field(default=15, ge=5, le=240)
    prepare: str = Field(default="", description="what to bring or do, shown on the guide slip")
    prepare_en: str = ""


class Catalog(_Model):
    """What a doctor can order (开单), with prices and preparation: the demo's drug list, lab panels, exams."""

    drugs: list[Drug] = Field(default_factory=list)
    lab_panels: list[LabPanel] = Field(default_factory=list)
    imaging_exams: list[ImagingExam] = Field(default_factory=list)

    def find(self, kind: str, code: str) -> CatalogItem | None:
        items = {"drug": self.drugs, "lab": self.lab_panels, "imaging": self.imaging_exams}.get(kind, [])
        return next((item for item in items if item.code == code), None)


ORDER_SERVICE = {"drug": "pharmacy", "lab": "lab", "imaging": "imaging"}


class Doctor(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(min_length=1)
    name_en: str = Field(default="", description="the name in pinyin as the doctor writes it, e.g. Zhang Jianguo")
    title: str = ""
    title_en: str = ""
    department: str
    specialty: str = ""
    specialty_en: str = ""
    expert: bool = False
    room: str
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))
    sessions: list[Session] = Field(default_factory=lambda: ["am", "pm"])
    photo: str = ""

    def works(self, weekday: int, session: str) -> bool:
        """weekday: 0 = Monday, as date.weekday()."""
        return WEEKDAYS[weekday] in self.days and session in self.sessions


class Device(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    role: Role
    token: str = Field(min_length=16, description="secret bearer token; at least 16 characters")
    name: str = ""
    area: str | None = None
    room: str | None = None
    settings: DeviceSettings = Field(default=None, validate_default=True,  # type: ignore[arg-type]
                                     description="the role's settings (common/device_settings.py, docs/settings.md)")

    @field_validator("settings", mode="before")
    @classmethod
    def _role_settings(cls, raw: Any, info: ValidationInfo) -> DeviceSettings:
        """Checked by the model of the device's role: an unknown key or a bad value is reported with its path."""
        if isinstance(raw, DeviceSettings):
            return raw
        model = model_for(str(info.data.get("role", "")), raw, info.data.get("room"))
        return model.from_file(raw)


class User(_Model):
    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,32}$")
    name: str = Field(min_length=1)
    role: Literal["nurse", "doctor", "admin", "manager"]  # manager: the service cockpit only
    areas: list[str] = Field(default_factory=list)
    password_hash: str

    @field_validator("password_hash")
    @classmethod
    def _hashed(cls, value: str) -> str:
        if not is_password_hash(value):
            raise ValueError("must be a password hash (argon2id; make one with: python -m caller hash-password)")
        return value


class HelpConfig(_Model):
    """Where a kiosk's "呼叫工作人员" goes, and when an unanswered call goes wider."""

    areas: list[str] = Field(default_factory=list, description="areas whose consoles answer help calls (the guide "
                             "desk / lobby); a kiosk's settings.help_areas overrides; empty: the kiosk's own area, "
                             "else every area")
    escalate_after_s: int = Field(default=60, ge=5, le=3600, description="not acknowledged this long: escalate")
    escalate_to: list[str] = Field(default_factory=list, description="areas added on escalation; empty: every area")


class DeviceHealthConfig(_Model):
    """How often devices send a heartbeat and how many may be missed before one counts as offline."""

    heartbeat_s: float = Field(default=15.0, ge=0.05, le=600)
    missed_heartbeats: int = Field(default=3, ge=2, le=100)

    @property
    def offline_after_s(self) -> float:
        return self.heartbeat_s * self.missed_heartbeats


class MediaItem(_Model):
    """One item of the waiting-room screens' playlist: a file of the media folder, or a text slide."""

    file: str = Field(default="", description="an image or video in the media folder (png, jpg, webp, mp4, webm, mkv, mov)")
    title: str = Field(default="", description="a text slide's title (or a caption for a file)")
    text: str = Field(default="", description="a text slide's text (when no file is given)")
    kind: Literal["education", "notice", "general"] = Field(
        default="education", description="education items get the guaranteed share of each hour (media.education_share)")
    areas: list[str] = Field(default_factory=list, description="areas whose screens play it (default: every area)")
    screens: list[str] = Field(default_factory=list, description="display device ids that play it (default: every "
                               "screen of those areas)")
    hours: str = Field(default="", description='when it plays, e.g. "07:00-10:00" (default: all day)')
    seconds: float = Field(default=12.0, ge=2, le=600, description="how long an image or text stays (a video plays "
                           "to its end)")

    @model_validator(mode="after")
    def _file_or_text(self) -> "MediaItem":
        if not self.file and not self.text:
            raise ValueError("give a file or a text")
        if self.file and (Path(self.file).name != self.file or self.file.startswith(".")):
            raise ValueError(f"file {self.file!r}: a file name inside the media folder, without a path")
        if self.hours:
            _parse_span(self.hours)
        return self


class MediaConfig(_Model):
    """Health education, notices and the hospital's own slides on the web screens (docs/screens.md)."""

    folder: str = Field(default="", description="the media folder (relative to the hospital file); files are "
                        "checked with ffprobe and, where browsers cannot play them, transcoded with ffmpeg")
    education_share: float = Field(default=0.25, ge=0, le=1, description="at least this share of each hour of a "
                                   "screen's playlist goes to health-education items")
    doctor_slides: bool = Field(default=True, description="a slide per doctor of the area (name, title, specialty, "
                                "room), from [[doctors]]")
    price_slides: bool = Field(default=True, description="a slide of registration fees, from [fees]")
    slide_seconds: float = Field(default=10.0, ge=2, le=120, description="how long a generated slide stays")
    items: list[MediaItem] = Field(default_factory=list)


class SecurityConfig(_Model):
    """Caps on what one kiosk token or one ticket link can do (docs/security.md)."""

    kiosk_sessions_per_minute: int = Field(default=10, ge=1, le=1000, description="patient sessions one kiosk may "
                                           "open in 60 s; more suspends the kiosk until staff reinstate it")
    second_factor_tries: int = Field(default=5, ge=1, le=100, description="wrong second factors for one patient "
                                     "before that patient's second factor is locked (staff unlock)")
    kiosk_second_factor_tries: int = Field(default=10, ge=1, le=1000, description="wrong second factors at one "
                                           "kiosk within an hour before the kiosk is suspended")
    ticket_link_connections: int = Field(default=5, ge=1, le=100, description="live connections one ticket link "
                                         "may hold (more: 503 with Retry-After)")
    phone_connections: int = Field(default=300, ge=1, le=20000, description="live connections of all ticket links "
                                   "together (more: 503 with Retry-After)")


class HospitalConfig(_Model):
    hospital: HospitalInfo
    rules: QueueRules
    schedule: ScheduleConfig = ScheduleConfig()
    fees: Fees = Fees()
    areas: list[Area] = Field(min_length=1)
    departments: list[Department] = Field(min_length=1)
    doctors: list[Doctor] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    help: HelpConfig = HelpConfig()
    device_health: DeviceHealthConfig = DeviceHealthConfig()
    retention: RetentionConfig = RetentionConfig()
    cockpit: CockpitConfig = CockpitConfig()
    notify: NotifySettings = NotifySettings()
    media: MediaConfig = MediaConfig()
    catalog: Catalog = Catalog()
    security: SecurityConfig = SecurityConfig()
    his: HisSettings = HisSettings()  # records from the service itself or the hospital's HIS (docs/his.md)
    triage: TriageConfig = TriageConfig()  # 智能导诊 at the kiosk: regions, symptoms, red flags (docs/kiosk.md)

    @model_validator(mode="after")
    def _cross_references(self) -> "HospitalConfig":
        problems: list[str] = []

        def unique(kind: str, values: list[str]) -> None:
            seen: set[str] = set()
            for value in values:
                if value in seen:
                    problems.append(f"{kind} {value!r} appears twice")
                seen.add(value)

        rooms = [room for area in self.areas for room in area.rooms]
        problems += self.triage.problems({d.id for d in self.departments})
        unique("area id", [a.id for a in self.areas])
        unique("room id", [r.id for r in rooms])
        unique("department id", [d.id for d in self.departments])
        unique("ticket prefix", [d.prefix for d in self.departments])
        unique("doctor id", [d.id for d in self.doctors])
        unique("device id", [d.id for d in self.devices])
        by_token: dict[str, str] = {}
        for d in self.devices:  # a token is a secret: the message names the devices, never the token
            if d.token in by_token:
                problems.append(f"devices {by_token[d.token]!r} and {d.id!r} have the same token; give each its own "
                                "(python -m caller new-device)")
            by_token.setdefault(d.token, d.id)
        unique("username", [u.username for u in self.users])

        area_ids = {a.id for a in self.areas}
        dept_by_id = {d.id: d for d in self.departments}
        room_area = {room.id: area.id for area in self.areas for room in area.rooms}
        for dept in self.departments:
            if dept.area not in area_ids:
                problems.append(f"department {dept.id!r}: area {dept.area!r} is not defined")
            if dept.service != "imaging" and (dept.slot_minutes is not None or dept.slot_capacity is not None):
                problems.append(f"department {dept.id!r}: slot_minutes / slot_capacity are for imaging departments "
                                f"(service = \"imaging\") only")
            if dept.slot_minutes is not None and any(
                    (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) < dept.slot_minutes
                    for start, end in (self.schedule.session_span("am"), self.schedule.session_span("pm"))):
                problems.append(f"department {dept.id!r}: slot_minutes = {dept.slot_minutes} is longer than a "
                                "session of the schedule")
        for area in self.areas:
            for room in area.rooms:
                for dept_id in room.departments:
                    dept = dept_by_id.get(dept_id)
                    if dept is None:
                        problems.append(f"room {room.id!r}: department {dept_id!r} is not defined")
                    elif dept.area != area.id:
                        problems.append(
                            f"room {room.id!r} is in area {area.id!r} but department {dept_id!r} is in area {dept.area!r}"
                        )
                if room.triage_levels and not area.emergency:
                    problems.append(f"room {room.id!r} has triage_levels but area {area.id!r} is not an emergency area")
        for doctor in self.doctors:
            dept = dept_by_id.get(doctor.department)
            if dept is None:
                problems.append(f"doctor {doctor.id!r}: department {doctor.department!r} is not defined")
            if doctor.room not in room_area:
                problems.append(f"doctor {doctor.id!r}: room {doctor.room!r} is not defined")
            elif dept is not None and room_area[doctor.room] != dept.area:
                problems.append(f"doctor {doctor.id!r}: room {doctor.room!r} is not in the area of {doctor.department!r}")
        for device in self.devices:
            if device.area is not None and device.area not in area_ids:
                problems.append(f"device {device.id!r}: area {device.area!r} is not defined")
            if device.room is not None:
                if device.room not in room_area:
                    problems.append(f"device {device.id!r}: room {device.room!r} is not defined")
                elif device.area is not None and room_area[device.room] != device.area:
                    problems.append(f"device {device.id!r}: room {device.room!r} is not in area {device.area!r}")
            help_areas = device.settings.help_areas if isinstance(device.settings, KioskSettings) else None
            if help_areas is not None and any(a not in area_ids for a in help_areas):
                problems.append(f"device {device.id!r}: settings.help_areas must list defined areas (got {help_areas!r})")
            if device.role in ("display", "speaker") and device.area is None:
                problems.append(f"device {device.id!r}: a {device.role} needs an area")
        for item in self.media.items:
            for area_id in item.areas:
                if area_id not in area_ids:
                    problems.append(f"media item {item.file or item.title!r}: area {area_id!r} is not defined")
        for key in ("areas", "escalate_to"):
            for area_id in getattr(self.help, key):
                if area_id not in area_ids:
                    problems.append(f"help.{key}: area {area_id!r} is not defined")
        for user in self.users:
            for area_id in user.areas:
                if area_id not in area_ids:
                    problems.append(f"user {user.username!r}: area {area_id!r} is not defined")
        problems += self._catalog_problems(dept_by_id)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _catalog_problems(self, dept_by_id: dict[str, "Department"]) -> list[str]:
        """Every catalog item has one service department of its kind to go to; codes are unique per list."""
        problems: list[str] = []
        by_service: dict[str, list[str]] = {}
        for dept in self.departments:
            by_service.setdefault(dept.service, []).append(dept.id)
        for key, kind in (("drugs", "drug"), ("lab_panels", "lab"), ("imaging_exams", "imaging")):
            service = ORDER_SERVICE[kind]
            seen: set[str] = set()
            for item in getattr(self.catalog, key):
                where = f"catalog.{key}(code={item.code})"
                if item.code in seen:
                    problems.append(f"{where}: the code appears twice")
                seen.add(item.code)
                if item.department is not None:
                    dept = dept_by_id.get(item.department)
                    if dept is None:
                        problems.append(f"{where}: department {item.department!r} is not defined")
                    elif dept.service != service:
                        problems.append(f"{where}: department {item.department!r} is a {dept.service} department, "
                                        f"not {service}")
                elif len(by_service.get(service, [])) != 1:
                    found = by_service.get(service, [])
                    problems.append(f"{where}: name its department (there are {len(found)} {service} departments"
                                    f"{': ' + ', '.join(found) if found else ''})")
        for area in self.areas:
            services = {dept_by_id[d].service for room in area.rooms for d in room.departments if d in dept_by_id}
            if len(services) > 1:
                problems.append(f"area {area.id!r} mixes services {sorted(services)}: one kind of service point per area")
            kinds = {k.kind for k in area.rules.special_kinds}
            for flag in area.rules.auto_priority:
                if flag not in kinds:
                    problems.append(f"area {area.id!r}: rules.auto_priority lists {flag!r}, which is not one of its "
                                    f"special_kinds {sorted(kinds)}")
        return problems

    def service_department(self, kind: str, code: str | None = None) -> "Department":
        """The department an order of ``kind`` (drug, lab, imaging) with catalog ``code`` goes to (KeyError)."""
        item = self.catalog.find(kind, code) if code else None
        if item is not None and item.department:
            return self.department(item.department)
        service = ORDER_SERVICE.get(kind, kind)
        found = [d for d in self.departments if d.service == service]
        if len(found) != 1:
            raise KeyError(kind)
        return found[0]

    # ---- look-ups -------------------------------------------------------------------------------
    def area(self, area_id: str) -> Area:
        for area in self.areas:
            if area.id == area_id:
                return area
        raise KeyError(area_id)

    def room(self, room_id: str) -> Room:
        for area in self.areas:
            for room in area.rooms:
                if room.id == room_id:
                    return room
        raise KeyError(room_id)

    def area_of_room(self, room_id: str) -> Area:
        for area in self.areas:
            if any(room.id == room_id for room in area.rooms):
                return area
        raise KeyError(room_id)

    def department(self, dept_id: str) -> Department:
        for dept in self.departments:
            if dept.id == dept_id:
                return dept
        raise KeyError(dept_id)

    def doctor(self, doctor_id: str) -> Doctor:
        for doctor in self.doctors:
            if doctor.id == doctor_id:
                return doctor
        raise KeyError(doctor_id)

    def doctors_of(self, dept_id: str) -> list[Doctor]:
        return [d for d in self.doctors if d.department == dept_id]

    def rooms_of(self, dept_id: str) -> list[Room]:
        return [room for area in self.areas for room in area.rooms if dept_id in room.departments]

    def device_by_token(self, token: str) -> Device | None:
        for device in self.devices:
            if device.token == token:
                return device
        return None

    def device(self, device_id: str) -> Device:
        for device in self.devices:
            if device.id == device_id:
                return device
        raise KeyError(device_id)

    def user(self, username: str) -> User | None:
        for user in self.users:
            if user.username == username:
                return user
        return None

    def rules_for_area(self, area_id: str) -> QueueRules:
        return self.area(area_id).rules


def _merge_area_rules(raw: dict) -> dict:
    """Each area's [areas.rules] holds only overrides: merge them over the hospital's [rules]."""
    raw = dict(raw)
    hospital_rules = raw.get("rules", {})
    if not isinstance(hospital_rules, dict):
        return raw
    areas = raw.get("areas")
    if isinstance(areas, list):
        merged_areas = []
        for area in areas:
            if isinstance(area, dict):
                overrides = area.get("rules", {})
                if isinstance(overrides, dict):
                    area = {**area, "rules": {**hospital_rules, **overrides}}
            merged_areas.append(area)
        raw["areas"] = merged_areas
    return raw


def _key_path(raw: dict, loc: tuple) -> str:
    """Turn a pydantic location into the key a person finds in the file, naming list items by id."""
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict):
                ident = node[item].get("id") or node[item].get("username")
                if ident:
                    label = f"[{item}](id={ident})"
            parts.append(label)
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)


def hospital_from_dict(raw: dict, source: str = "<config>") -> HospitalConfig:
    merged = _merge_area_rules(raw)
    try:
        return HospitalConfig.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if x not in ("function-after",))
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "unknown key (check the spelling)"
            elif err["type"] == "missing":
                message = "is required but missing"
            elif err.get("input") is not None and err["type"] not in ("value_error",):
                message = f"{message} (got {err['input']!r})"
            problems.append((_key_path(merged, loc), message.removeprefix("Value error, ")))
        raise ConfigError(source, problems) from None


def hospital_public(cfg: HospitalConfig) -> dict:
    """The hospital's structure as apps need it (no tokens, no users, no password hashes)."""
    return {
        "hospital": cfg.hospital.model_dump(),
        "areas": [{"id": a.id, "name": a.name, "name_en": a.name_en, "location": a.location, "location_en": a.location_en,
                   "emergency": a.emergency, "notices": list(a.notices),
                   "rooms": [r.model_dump() for r in a.rooms],
                   "rules": {"check_in_mode": a.rules.check_in_mode, "call_repeat": a.rules.call_repeat,
                             "call_template": a.rules.call_template,
                             "call_targets": list(a.rules.call_targets), "screen_name": a.rules.screen_name,
                             "speech_name": a.rules.speech_name, "missed_after_calls": a.rules.missed_after_calls,
                             "special_kinds": [k.model_dump() for k in a.rules.special_kinds]}}
                  for a in cfg.areas],
        "departments": [d.model_dump() for d in cfg.departments],
        "doctors": [d.model_dump() for d in cfg.doctors],
        "fees": cfg.fees.model_dump(),
        "schedule": cfg.schedule.model_dump(mode="json"),
        "device_health": cfg.device_health.model_dump(),
        "notify_channels": list(cfg.notify.channels),  # the kiosk offers text reminders when "sms" is here
        "triage": cfg.triage.model_dump(),  # 智能导诊: the kiosk's body map, symptoms and red flags
        "catalog": cfg.catalog.model_dump(),  # what a doctor orders (开单), with prices and preparation
    }


def load_hospital(path: str | Path) -> HospitalConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [("", f"cannot read the file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(str(path), [("", f"line {line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save the "
                                           "file as UTF-8 (a file saved as GBK by an editor on Windows is not)")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [("", f"TOML syntax error: {exc}")]) from None
    return hospital_from_dict(raw, source=str(path))


DEMO_CONFIG = Path(__file__).resolve().parent.parent / "assets" / "demo-hospital.toml"
