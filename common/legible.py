"""Legible text on wall and door screens: sizes from the viewing distance, and shortening that never cuts a ticket.

Sizes. A text read from ``d`` metres needs letters about ``k * d`` millimetres high (``k`` per kind of text,
below; larger for what matters most, generous for elderly eyes). The screen's physical height comes from its
diagonal (``screen_inches``) and its pixel shape, so the same file gives the same physical letter size on a
1080-line and a 2160-line panel. With the defaults (5 m, 55") a 1080-line wall gets room rows of 75 px and
doctor names and the last calls of 59 px: measured ink, at least 60 px and 44 px.

Shortening. A line that does not fit at its legible size is never shrunk below it: it is shortened by whole
items. Patients: the names go first (tickets only), then the last patients, replaced by "…"; a ticket
number is never cut. Other text (a doctor's title, a long room name) loses its end to "…".
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

ELLIPSIS = "…"
# letter size in millimetres per metre of viewing distance
# "doctor" is also the size of the last-calls list: 7.5 mm per metre, near the signage rule of about one inch of letter
# height per ten feet of distance: a doctor's name and the last calls are read from the back of the room too.
MM_PER_M = {"call": 16.0, "row": 9.5, "next": 7.0, "doctor": 7.5, "title": 6.0, "small": 5.0}
DEFAULT_VIEWING_DISTANCE_M = 5.0
DEFAULT_SCREEN_INCHES = 55.0


def screen_height_mm(screen_inches: float, width_px: int, height_px: int) -> float:
    """The panel's visible height from its diagonal and its pixel shape (square pixels)."""
    return screen_inches * 25.4 * height_px / math.hypot(width_px, height_px)


def text_px(kind: str, viewing_distance_m: float, screen_inches: float, width_px: int, height_px: int) -> int:
    """The font size in pixels for ``kind`` of text read from ``viewing_distance_m``."""
    mm_per_px = screen_height_mm(screen_inches, width_px, height_px) / height_px
    return max(10, round(MM_PER_M[kind] * viewing_distance_m / mm_per_px))


def patient_choices(patients: Sequence[tuple[str, str]], sep: str = "   ") -> list[str]:
    """The ways of listing ``(ticket, masked name)``, longest first; tickets are never cut.

    Every patient with name; then tickets only; then the first tickets and "…"; last the first ticket alone.
    The Qt screens take the first that fits (:func:`fit_patients`); the web screens get the list and do the same.
    """
    if not patients:
        return []
    choices = [sep.join(f"{t} {n}".strip() for t, n in patients)]
    tickets = [t for t, _ in patients]
    for count in range(len(tickets), 0, -1):
        text = sep.join(tickets[:count]) + ("" if count == len(tickets) else f" {ELLIPSIS}")
        if text not in choices:
            choices.append(text)
    return choices


def fit_patients(patients: Sequence[tuple[str, str]], fits: Callable[[str], bool], sep: str = "   ") -> str:
    """The longest way of listing ``(ticket, masked name)`` that fits; tickets are never cut.

    Every patient with name; else tickets only; else the first tickets and "…"; else the first ticket
    alone (a screen shows at least who is next, even if it must overflow).
    """
    choices = patient_choices(patients, sep)
    if not choices:
        return ""
    for text in choices:
        if fits(text):
            return text
    return choices[-1]


def fit_text(choices: Sequence[str], fits: Callable[[str], bool]) -> str:
    """The first of ``choices`` that fits (longest first), else the last one cut at the end with "…"."""
    choices = [c for c in choices if c] or [""]
    for text in choices:
        if fits(text):
            return text
    text = choices[-1]
    for cut in range(len(text) - 1, 0, -1):
        shorter = text[:cut].rstrip() + ELLIPSIS
        if fits(shorter):
            return shorter
    return text[:1] + ELLIPSIS
