"""Factories that build a running wall screen, door screen or speaker agent from a device token.

The token says which device this is (GET /api/v1/auth/me: area, room); the layout comes from the
device's ``settings`` in the hospital TOML, as served by the service, or read from ``config`` when
the program runs beside the service file (demo, tests).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.http import CallerClient, CallerError
from common.board import DoctorCard
from common.boardview import verb_of
from common.clock import ServiceClock
from common.device_settings import DOOR_PANEL
from common.screen_layout import ScreenLayout


@dataclass
class DeviceInfo:
    """What a screen needs to know about itself and its area."""

    device: str
    role: str
    area: str
    room: str | None = None
    area_name: str = ""
    area_location: str = ""
    room_name: str = ""
    room_subtitle: str = ""  # the room's departments and where it is, for its door screen
    notices: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    doctors: dict[str, DoctorCard] = field(default_factory=dict)
    education: list[str] = field(default_factory=list)  # plain-language lines about the area's departments
    verb: str = "就诊"  # what a call asks there (就诊, 取药, 采血, 检查), from the area's call template


def _find(items: Any, key: str, value: str) -> dict:
    for item in items or []:
        if isinstance(item, dict) and item.get(key) == value:
            return item
    return {}


def describe_device(base_url: str, token: str, config: str | Path | None = None) -> DeviceInfo:
    """Ask the service who this token is and what its area looks like.

    The device's layout ``settings`` come from GET /auth/me when the service sends them, else from
    the hospital file ``config`` (default: the ``HOSPITAL_CONFIG`` environment variable). When the
    service cannot be reached and the file is there, the file answers, so a screen starts anyway
    (showing "connection lost") and connects as soon as the service is up.
    """
    config = config if config is not None else os.environ.get("HOSPITAL_CONFIG") or None
    try:
        with CallerClient(base_url, token) as client:
            me = client.request("GET", "/auth/me")
            try:
                hospital = client.hospital()
            except CallerError:
                hospital = {}
    except CallerError as exc:
        if exc.code not in ("unreachable", "standby") or config is None:
            raise
        me, hospital = _from_config(token, Path(config))
    info = _device_info(me, hospital)
    if config is not None:
        _fill_from_config(info, Path(config))
    return info


def _from_config(token: str, path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """What /auth/me and /hospital would say, read from the hospital file."""
    from common.config import hospital_public, load_hospital  # noqa: PLC0415 - the hospital file's models (pydantic, argon2) load only when a file is read

    cfg = load_hospital(path)
    device = cfg.device_by_token(token)
    if device is None:
        raise CallerError("unauthorized", "对不起，设备令牌不在医院配置文件中，请联系管理员。",
                          f"token not found in {path}", status=401)
    me = {"role": device.role, "device": device.id, "area": device.area, "room": device.room,
          "settings": device.settings.served()}
    return me, hospital_public(cfg)


def _device_info(me: dict[str, Any], hospital: dict[str, Any]) -> DeviceInfo:
    area_id = str(me.get("area") or "")
    info = DeviceInfo(device=str(me.get("device") or ""), role=str(me.get("role") or ""), area=area_id,
                      room=me.get("room"), settings=dict(me.get("settings") or {}))
    area = _find(hospital.get("areas"), "id", area_id)
    info.area_name = str(area.get("name") or area_id)
    info.area_location = str(area.get("location") or "")
    info.notices = [str(n) for n in area.get("notices") or []]
    info.verb = verb_of(str((area.get("rules") or {}).get("call_template") or ""))
    info.education = [f"{d['name']}主要诊治：{d['description']}" for d in hospital.get("departments") or []
                      if isinstance(d, dict) and d.get("area") == area_id and d.get("description")]
    info.doctors = {str(d["id"]): DoctorCard(str(d.get("name") or ""), str(d.get("title") or ""),
                                             str(d.get("photo") or ""), str(d.get("specialty") or ""))
                    for d in hospital.get("doctors") or [] if isinstance(d, dict) and d.get("id")}
    if info.room:
        room = _find(area.get("rooms"), "id", info.room)
        info.room_name = str(room.get("name") or info.room)
        depts = [str(_find(hospital.get("departments"), "id", d).get("name") or d) for d in room.get("departments") or []]
        info.room_subtitle = " · ".join(x for x in ("、".join(depts), str(room.get("location") or "")) if x)
    return info


def _fill_from_config(info: DeviceInfo, path: Path) -> None:
    """Settings (and anything the service left out) from the hospital file."""
    from common.config import load_hospital  # noqa: PLC0415 - the hospital file's models (pydantic, argon2) load only when a file is read

    cfg = load_hospital(path)
    try:
        device = cfg.device(info.device)
    except KeyError:
        return
    info.settings = {**device.settings.served(), **info.settings}
    area = cfg.area(info.area)
    info.area_name = info.area_name if info.area_name != info.area else area.name
    info.area_location = info.area_location or area.location
    info.notices = info.notices or list(area.notices)
    if info.room and info.room_name in ("", info.room):
        info.room_name = cfg.room(info.room).name


def make_speech(wav_dir: str | Path | None = None, settings: dict[str, Any] | None = None):
    """The speech worker for a speaker (WAV files in ``wav_dir`` instead of the sound card when given)."""
    from hardware.speech import SpeechWorker  # noqa: PLC0415 - a display process runs one role and loads only that role's parts

    settings = settings or {}
    kwargs: dict[str, Any] = {}
    if settings.get("voice"):
        kwargs["voice"] = str(settings["voice"])
    if settings.get("rate"):
        kwargs["rate"] = int(settings["rate"])
    return SpeechWorker(out_dir=wav_dir, **kwargs)


def make_speaker(base_url: str, token: str, *, wav_dir: str | Path | None = None, state_file: str | Path | None = None,
                 config: str | Path | None = None, speech=None, start: bool = True):
    """A speaker agent for the token's area. ``state_file`` keeps the last seq spoken across restarts."""
    from display.speaker import SpeakerAgent  # noqa: PLC0415 - a display process runs one role and loads only that role's parts

    info = describe_device(base_url, token, config)
    owns_speech = speech is None
    speech = speech or make_speech(wav_dir, info.settings)
    if state_file is None:
        state_file = Path.home() / ".cache" / "hospital-queue" / f"speaker-{info.device or info.area}.json"
    agent = SpeakerAgent(base_url, token, info.area, speech, state_file=Path(state_file), owns_speech=owns_speech)
    return agent.start() if start else agent


def make_wall(base_url: str, token: str, *, config: str | Path | None = None, layout: ScreenLayout | None = None,
              wav_dir: str | Path | None = None, speech=None, start: bool = True):
    """A wall screen following its area (and speaking its calls when ``speak`` is set). Returns the widget.

    The widget owns its event link (``widget.link``) and, when speaking, ``widget.speaker``.
    """
    from client.link import EventLink  # noqa: PLC0415 - a display process runs one role and loads only that role's parts
    from display.wall import WallDisplay  # noqa: PLC0415 - a display process runs one role and loads only that role's parts

    info = describe_device(base_url, token, config)
    layout = layout or ScreenLayout.from_settings({"kind": "wall", **info.settings})
    title = " ".join(x for x in (info.area_name, info.area_location) if x)
    clock = ServiceClock()  # the screen shows the service's time
    screen = WallDisplay(info.area, layout, title=title, notices=info.notices, education=info.education,
                         doctors=info.doctors, now=clock.aware, verb=info.verb)
    _attach(screen, EventLink(base_url, token, info.area, report_health=True, clock=clock, parent=screen), start)
    screen.speaker = None
    if layout.speak:
        screen.speaker = make_speaker(base_url, token, wav_dir=wav_dir, config=config, speech=speech, start=start)
    return screen


def make_door(base_url: str, token: str, *, config: str | Path | None = None, layout: ScreenLayout | None = None,
              start: bool = True):
    """A door screen for the token's room. Returns the widget (``widget.link`` is its event link)."""
    from client.link import EventLink  # noqa: PLC0415 - a display process runs one role and loads only that role's parts
    from display.door import DoorDisplay  # noqa: PLC0415 - a display process runs one role and loads only that role's parts

    info = describe_device(base_url, token, config)
    if not info.room:
        raise ValueError(f"device {info.device!r} has no room: a door screen needs `room = ...` in the hospital file")
    layout = layout or ScreenLayout.from_settings({"kind": "door", **DOOR_PANEL, **info.settings})
    clock = ServiceClock()  # the screen shows the service's time
    screen = DoorDisplay(info.area, info.room, layout, room_name=info.room_name,
                         subtitle=info.room_subtitle, doctors=info.doctors, now=clock.aware)
    _attach(screen, EventLink(base_url, token, info.area, report_health=True, clock=clock, parent=screen), start)
    return screen


def _attach(screen, link, start: bool) -> None:
    screen.link = link.connect_screen(screen)
    if start:
        link.start()
