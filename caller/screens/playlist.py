"""The playlist of one web screen (pure): what plays when, with a guaranteed share of health education.

The items of ``[media]`` in the hospital file (files of the media folder and text slides) are chosen per area, per
screen and per time of day (``hours = "07:00-10:00"``); the hospital's own slides are made from its data: one per
doctor of the area (name, title, specialty, room, from ``[[doctors]]``) and the registration fees (``[fees]``).

The day is cut into windows at every ``hours`` boundary. In each window the items form a cycle in which
health-education items fill at least ``education_share`` of the time: education items are repeated, spread evenly
between the others, until they do, so every hour of play (a cycle or several) keeps the share. The screen gets
every window of the day at once, so it keeps the right items for the time of day while the service is away.

Files a browser cannot play (missing, broken, still being transcoded) are left out and listed in ``problems``.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Callable

DAY_MIN = 24 * 60
FEE_LABELS = (("general", "普通号"), ("expert", "专家号"), ("extra", "加号"), ("emergency", "急诊号"))


@dataclass(frozen=True)
class Playlist:
    windows: list[dict[str, Any]]  # {"from": minute, "to": minute, "slides": [...]}, covering the day
    problems: list[dict[str, str]]  # {"file", "zh", "en"}
    version: str

    def as_message(self) -> dict[str, Any]:
        return {"type": "playlist", "version": self.version, "windows": self.windows, "problems": self.problems}


def minutes(text: str) -> int:
    hours, _, mins = text.strip().partition(":")
    return int(hours) * 60 + int(mins)


def span(hours: str) -> tuple[int, int]:
    """``"07:00-10:00"`` as minutes of the day; "" is the whole day."""
    if not hours:
        return 0, DAY_MIN
    start, _, end = hours.partition("-")
    return minutes(start), minutes(end)


def fen_text(fen: int) -> str:
    return f"￥{fen // 100}.{fen % 100:02d}"


def generated_slides(config: Any, area_id: str, seconds: float, photo_url: Callable[[str], str]) -> list[dict]:
    """The hospital's own slides for an area: its doctors, then the fees."""
    media = config.media
    slides: list[dict[str, Any]] = []
    rooms = {r.id: r for a in config.areas if a.id == area_id for r in a.rooms}
    depts = {d.id: d for d in config.departments}
    if media.doctor_slides:
        for doctor in config.doctors:
            room = rooms.get(doctor.room)
            if room is None:
                continue
            dept = depts.get(doctor.department)
            slides.append({
                "id": f"doctor-{doctor.id}", "type": "doctor", "education": False, "seconds": seconds,
                "title": "医生介绍", "name": doctor.name, "doctor_title": doctor.title,
                "dept": dept.name if dept else "", "specialty": doctor.specialty,
                "room": " · ".join(x for x in (room.name, room.location) if x),
                "expert": doctor.expert, "photo": photo_url(doctor.id) if doctor.photo else "",
            })
    if media.price_slides:
        rows = [[label, fen_text(config.fees.for_kind(kind))] for kind, label in FEE_LABELS
                if kind != "emergency" or any(a.emergency and a.id == area_id for a in config.areas)]
        slides.append({"id": "prices", "type": "prices", "education": False, "seconds": seconds,
                       "title": "挂号费用 · 价格公示", "rows": rows,
                       "note": "以上为挂号费，检查、检验和药品费用以收费处及自助机显示为准。"})
    return slides


def _item_slide(index: int, item: Any, lookup: Callable[[str], Any], media_url: Callable[[Any], str],
                problems: dict[str, dict[str, str]]) -> dict[str, Any] | None:
    base = {"id": f"item-{index}", "education": item.kind == "education", "title": item.title,
            "seconds": item.seconds}
    if not item.file:
        return {**base, "type": "text", "text": item.text}
    found = lookup(item.file)
    if not found.ok:
        problems[item.file] = {"file": item.file, "state": found.state, "zh": found.problem_zh, "en": found.problem_en}
        return None
    seconds = max(1.0, round(found.duration_s, 2)) if found.kind == "video" else item.seconds
    return {**base, "type": found.kind, "src": media_url(found), "mime": found.mime, "seconds": seconds,
            "version": found.version}


def interleave(others: list[dict], education: list[dict], share: float) -> list[dict]:
    """One cycle where education fills at least ``share`` of the time, spread evenly between the others."""
    if not education:
        return list(others)
    if not others or share >= 1:
        return list(education)
    other_s = sum(s["seconds"] for s in others)
    edu_s = sum(s["seconds"] for s in education)
    mean = edu_s / len(education)
    needed = share * other_s / (1 - share)  # education seconds per cycle: e / (o + e) >= share
    plays = max(len(education), math.ceil(needed / mean - 1e-9))
    while sum(education[i % len(education)]["seconds"] for i in range(plays)) < needed - 1e-6:
        plays += 1
    cycle: list[dict] = []
    placed = 0
    for i, other in enumerate(others):
        cycle.append(other)
        due = round((i + 1) * plays / len(others))  # education plays due after this many others
        while placed < due:
            cycle.append(education[placed % len(education)])
            placed += 1
    first = next(i for i, slide in enumerate(cycle) if slide["education"])
    return cycle[first:] + cycle[:first]  # a screen switched on starts with health education


def build(config: Any, area_id: str, device_id: str, lookup: Callable[[str], Any], media_url: Callable[[Any], str],
          photo_url: Callable[[str], str]) -> Playlist:
    """The playlist of the screen ``device_id`` of ``area_id`` (every window of the day)."""
    media = config.media
    chosen = [(i, item) for i, item in enumerate(media.items)
              if (not item.areas or area_id in item.areas) and (not item.screens or device_id in item.screens)]
    problems: dict[str, dict[str, str]] = {}
    slides = {i: _item_slide(i, item, lookup, media_url, problems) for i, item in chosen}
    hospital = generated_slides(config, area_id, media.slide_seconds, photo_url)
    cuts = {0, DAY_MIN}
    for _, item in chosen:
        start, end = span(item.hours)
        cuts |= {start, end}
    edges = sorted(c for c in cuts if 0 <= c <= DAY_MIN)
    windows = []
    for start, end in zip(edges, edges[1:]):
        active = [slides[i] for i, item in chosen if slides[i] is not None
                  and span(item.hours)[0] <= start and end <= span(item.hours)[1]]
        education = [s for s in active if s["education"]]
        others = [s for s in active if not s["education"]] + hospital
        windows.append({"from": start, "to": end, "slides": interleave(others, education, media.education_share)})
    merged: list[dict[str, Any]] = []
    for window in windows:  # neighbours with the same cycle are one window
        if merged and merged[-1]["slides"] == window["slides"]:
            merged[-1]["to"] = window["to"]
        else:
            merged.append(window)
    if media.education_share > 0 and not any(s["education"] for w in merged for s in w["slides"]) and merged:
        problems["(education)"] = {"file": "", "state": "missing", "zh": "没有可播放的健康宣教内容",
                                   "en": "no playable health-education item"}
    text = json.dumps([merged, sorted(problems)], sort_keys=True, ensure_ascii=False)
    return Playlist(merged, list(problems.values()), hashlib.sha256(text.encode()).hexdigest()[:12])


def education_seconds(cycle: list[dict], seconds: float) -> tuple[float, float]:
    """(education seconds, total seconds) of playing ``cycle`` round for ``seconds`` from its start."""
    edu = total = 0.0
    i = 0
    while total < seconds and cycle:
        slide = cycle[i % len(cycle)]
        length = min(slide["seconds"], seconds - total)
        total += length
        if slide["education"]:
            edu += length
        i += 1
    return edu, total
