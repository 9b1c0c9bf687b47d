"""What each kind of device may set in its ``settings`` table of the hospital file, checked when the file is loaded.

One model per role: a kiosk, a wall screen, a door screen, a speaker, a console (and the admin and monitor tokens,
which have no settings). A display is a wall unless its settings say ``kind = "door"`` or it names a room without
a kind. Unknown keys are refused, so a typo is reported by ``python -m caller check-config`` with its place in the
file (``devices[3](id=wall-nk).settings.viewing_distance_m: ...``) instead of showing up on a screen at 7 a.m.

The service sends a device its own settings in ``GET /auth/me`` (:meth:`DeviceSettings.served`: the keys the file
sets, checked and typed); the kiosk, the screens and the speakers read them from there. docs/settings.md lists every
key: its table is :func:`settings_table` of these models, and a test fails when the two differ.
"""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
)

from common.passwords import is_password_hash, verify_password
from common.printer_profiles import PROFILES
from common.privacy import SpeechNameMode


def _not_a_flag(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


Int = Annotated[int, BeforeValidator(_not_a_flag)]
Real = Annotated[float, BeforeValidator(_not_a_flag)]
Flag = Annotated[bool, Strict()]  # true or false, never "yes" or 1


class DeviceSettings(BaseModel):
    """The settings of one device. Each role's model lists what that role may set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def served(self) -> dict[str, Any]:
        """What ``/auth/me`` sends the device: the keys its file entry sets, as JSON (the device keeps its own
        defaults for the rest)."""
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def from_file(cls, raw: Any) -> DeviceSettings:
        """``raw`` as the hospital file (or the service) gives it. A field marked ``exclude`` is a value the
        device keeps for itself while running: the file may not set it, so it is refused as an unknown key."""
        if not isinstance(raw, dict):
            return cls.model_validate({} if raw is None else raw)
        running = [key for key in raw if key in cls.model_fields and cls.model_fields[key].exclude]
        if running:
            raise ValidationError.from_exception_data(cls.__name__, [
                {"type": "extra_forbidden", "loc": (key,), "input": raw[key]} for key in running])
        return cls.model_validate(raw)


class KioskSettings(DeviceSettings):
    """A self-service kiosk: the keys of its entry in the hospital file, and (``exclude``: never from the file, never
    served) the values the running kiosk sets for itself from the service's answers and its command line.

    The one settings object of a kiosk: the window reads it, and tests and the demo change it in place (so it is
    not frozen and an assignment is not checked again)."""

    model_config = ConfigDict(frozen=False, extra="forbid", coerce_numbers_to_str=True)

    admin_pin: str = Field("", description="staff PIN of the kiosk's maintenance page, in plain text (prefer "
                           "admin_pin_hash); none: the page stays closed")
    admin_pin_hash: str = Field("", description="the staff PIN as a hash (python -m caller hash-password)")
    timeout_s: Int = Field(60, ge=10, le=3600, description="seconds without a touch before the kiosk goes home")
    elderly_timeout_s: Int = Field(150, ge=10, le=3600, description="the same in the large-print (elderly) mode")
    payment_timeout_s: Int = Field(120, ge=10, le=3600, description="seconds a payment QR code waits")
    confirm_check_in: Flag = Field(True, description="false: one appointment due is checked in as the card is read")
    printer_profile: str = Field("generic-80-gbk", description="the thermal printer's profile (see docs/kiosk.md)")
    a4_printer: str = Field("", description='CUPS queue for A4 lab reports, "LabA4" or "LabA4@host:port"; '
                            "empty: the thermal printer")
    help_areas: list[str] | None = Field(None, min_length=1, description="areas whose consoles answer this "
                                         "kiosk's 呼叫工作人员 (default: [help].areas)")


    # the running kiosk's own values (GET /hospital, GET /auth/me, the command line), not keys of the file
    hospital_name: str = Field("市第一人民医院", exclude=True)
    hospital_name_en: str = Field("First People's Hospital", exclude=True)
    device_id: str = Field("kiosk", exclude=True)
    portrait: bool = Field(True, exclude=True)
    warn_s: int = Field(10, exclude=True)  # the "returning home" warning, seconds before the countdown ends
    tick_ms: int = Field(1000, exclude=True)
    per_page: int = Field(6, exclude=True)
    elderly_per_page: int = Field(6, exclude=True)
    elderly_scale: float = Field(1.5, exclude=True)
    out_of_service_retry_ms: int = Field(5000, exclude=True)
    sms_reminders: bool = Field(False, exclude=True)  # the hospital has an SMS gateway: the ticket offers reminders
    triage: bool = Field(False, exclude=True)  # the hospital file has [triage] symptoms: the home offers 智能导诊

    @field_validator("admin_pin_hash")
    @classmethod
    def _hashed(cls, value: str) -> str:
        if value and not is_password_hash(value):
            raise ValueError("must be a password hash (make one with: python -m caller hash-password)")
        return value

    @field_validator("printer_profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown printer profile {value!r}; known: {', '.join(PROFILES)}")
        return value

    def pin_matches(self, pin: str) -> bool:
        """The staff PIN typed on the keypad: checked against its hash when the file has one (never stored plain)."""
        if self.admin_pin_hash:
            return verify_password(pin, self.admin_pin_hash)
        return bool(self.admin_pin) and pin == self.admin_pin


class _Screen(DeviceSettings):
    """What wall and door screens share: size, fonts from the viewing distance, paging, names."""

    width: Int = Field(1920, ge=320, le=7680, description="pixels")
    height: Int = Field(1080, ge=240, le=4320, description="pixels")
    next_count: Int = Field(3, ge=0, le=5, description="waiting patients shown per room")
    viewing_distance_m: Real | None = Field(None, ge=0.5, le=40.0, description="how far people read it from "
                                             "(default: a wall 5 m, a door 2 m); sets the font sizes")
    screen_inches: Real | None = Field(None, ge=7.0, le=250.0, description='panel diagonal (default: a wall 55", '
                                        'a door 21.5")')
    font_title: Int | None = Field(None, ge=12, le=200, description="pixels (default: from the viewing distance)")
    font_call: Int | None = Field(None, ge=24, le=300, description="pixels (default: from the viewing distance)")
    font_row: Int | None = Field(None, ge=12, le=160, description="pixels (default: from the viewing distance)")
    font_scale: Real = Field(1.0, ge=0.3, le=4.0, description="multiplies every font size")
    flash_seconds: Real = Field(6.0, ge=0, le=60, description="how long a new call flashes")
    page_seconds: Real = Field(10.0, ge=2, le=120, description="seconds per page when rooms do not fit")
    show_names: Flag = Field(True, description="masked names, or no name at all")
    ticker_speed: Int = Field(120, ge=10, le=1000, description="notice band speed, pixels per second")
    media: Literal["none", "zone", "full"] = Field("none", description="web screens (/screen/): the playlist of "
                                                   "[media] in a zone beside the calls, full screen between calls, "
                                                   "or none")


class WallSettings(_Screen):
    """A wall screen over an area's waiting room (it may also speak the area's calls)."""

    kind: Literal["wall"] = "wall"
    rooms: list[str] = Field(default_factory=list, description="rooms shown, in order (default: every room of "
                             "the area)")
    rows: Int = Field(6, ge=1, le=20, description="room rows on one page")
    recent_calls: Int = Field(5, ge=0, le=10, validation_alias=AliasChoices("recent_calls", "last_calls"),
                              description="calls listed under the newest one (also spelled last_calls)")
    speak: Flag = Field(False, description="the wall also speaks its area's calls")
    voice: str = Field("", description="speech voice when it speaks (default: the speech engine's)")
    rate: Int | None = Field(None, ge=50, le=400, description="speech rate, words per minute")
    name_mode: SpeechNameMode = Field("surname", description="how a name is spoken: surname, full, none")


class DoorSettings(_Screen):
    """A door screen beside one consulting room (started with DOOR_PANEL unless its settings say otherwise)."""

    kind: Literal["door"] = "door"


class WindowSettings(WallSettings):
    """A web screen over a pharmacy's or lab's windows (/screen/): the newest call, each window's current call and
    the ready list (请以下患者取药; the lab: reports ready), from the journey's ready events. Each ticket is listed
    once: on the ready list until it is called, then at its window."""

    kind: Literal["window"] = "window"  # type: ignore[assignment]
    ready_count: Int = Field(24, ge=0, le=60, description="patients listed as ready (as many as fit are shown)")


DOOR_PANEL: dict[str, Any] = {"width": 1280, "height": 800, "font_call": 150, "font_row": 40}  # a door's small panel


class SpeakerSettings(DeviceSettings):
    """A speaker (a small PC with loudspeakers) that speaks an area's calls."""

    voice: str = Field("", description="speech voice (default: the speech engine's)")
    rate: Int | None = Field(None, ge=50, le=400, description="speech rate, words per minute")
    name_mode: SpeechNameMode = Field("surname", description="how a name is spoken: surname, full, none")


class ConsoleSettings(DeviceSettings):
    """A nurse console (its users and areas come from [[users]]; nothing to set per device yet)."""


class NoSettings(DeviceSettings):
    """Admin and monitor tokens: no settings."""


SCREENS: dict[str, type[_Screen]] = {"wall": WallSettings, "door": DoorSettings, "window": WindowSettings}
BY_ROLE: dict[str, type[DeviceSettings]] = {"kiosk": KioskSettings, "speaker": SpeakerSettings,
                                            "console": ConsoleSettings, "admin": NoSettings, "monitor": NoSettings}


def model_for(role: str, raw: Any, room: str | None = None) -> type[DeviceSettings]:
    """The settings model of a device: by its role, and for a display by its ``kind`` (door if it names a room)."""
    if role == "display":
        kind = raw.get("kind") if isinstance(raw, dict) else None
        return SCREENS.get(str(kind), DoorSettings if kind is None and room else WallSettings)
    return BY_ROLE.get(role, NoSettings)


def lenient(model: type[DeviceSettings], raw: dict[str, Any] | None) -> tuple[DeviceSettings, list[str]]:
    """``raw`` checked by ``model`` on a device that must start anyway: a bad value is dropped (the default
    stands) and listed as ``settings.KEY: reason (got VALUE); using the default``; keys the model does not know
    (a newer service's, or another kind of screen's) are dropped silently."""
    raw = dict(raw or {})
    problems: list[str] = []
    while True:
        try:
            return model.from_file(raw), problems
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else ""
                for name in _SPELLINGS.get(key, (key,)):
                    raw.pop(name, None)
                if err["type"] != "extra_forbidden":
                    msg = str(err["msg"]).removeprefix("Value error, ")
                    problems.append(f"settings.{key}: {msg} (got {err.get('input')!r}); using the default")


_SPELLINGS = {"recent_calls": ("recent_calls", "last_calls"), "last_calls": ("recent_calls", "last_calls")}


def settings_table() -> str:
    """Every setting of every role as Markdown (docs/settings.md carries it; a test keeps the two the same)."""
    lines = []
    for title, model in (("Kiosk (`role = \"kiosk\"`)", KioskSettings),
                         ("Wall screen (`role = \"display\"`, `kind = \"wall\"`)", WallSettings),
                         ("Door screen (`role = \"display\"`, `kind = \"door\"`)", DoorSettings),
                         ("Window screen, web only (`role = \"display\"`, `kind = \"window\"`)", WindowSettings),
                         ("Speaker (`role = \"speaker\"`)", SpeakerSettings)):
        lines += [f"### {title}", "", "| key | type | default | what |", "|---|---|---|---|"]
        for name, info in model.model_fields.items():
            if info.exclude:
                continue  # a running value of the device, not a key of the file
            default = info.get_default(call_default_factory=True)
            shown = "none" if default is None else json.dumps(default, ensure_ascii=False)
            lines.append(f"| `{name}` | {_type_name(info.annotation)} | {shown} | {info.description or ''} |")
        if model is DoorSettings:
            lines.append("A door screen starts with " + ", ".join(f"`{k} = {v}`" for k, v in DOOR_PANEL.items())
                         + " (a small panel read from 2 m) unless its settings say otherwise.")
        lines.append("")
    lines.append("Consoles, admin and monitor tokens take no settings: any key there is refused.")
    return "\n".join(lines) + "\n"


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Annotated:
        return _type_name(get_args(annotation)[0])
    if get_origin(annotation) is Literal:
        return " or ".join(json.dumps(a) for a in get_args(annotation))
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is list:
        return f"list of {_type_name(args[0])}"
    if args and len(args) < len(get_args(annotation)):  # X | None
        return _type_name(args[0])
    return {"int": "integer", "float": "number", "bool": "true/false", "str": "text"}.get(
        getattr(annotation, "__name__", ""), str(annotation))
