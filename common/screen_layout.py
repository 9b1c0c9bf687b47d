"""Per-screen layout settings, read from the device's ``settings`` table in the hospital TOML (pure).

Example (assets/demo-hospital.toml)::

    [[devices]]
    id = "wall-1f"
    role = "display"
    area = "A1"
    settings = { kind = "wall", rooms = ["NK1", "NK2"], rows = 6, next_count = 3, last_calls = 5,
                 font_scale = 1.0, speak = false }

Font sizes come from how far people sit and how big the panel is: ``viewing_distance_m`` and
``screen_inches`` (defaults: a wall 5 m / 55", a door 2 m / 21.5"), see :mod:`common.legible`. They may
still be given one by one (``font_title``, ``font_call``, ``font_row``); all are multiplied by
``font_scale``. Lines that do not fit are shortened by whole items, never a ticket number.

The keys, their bounds and defaults are the models of common/device_settings.py (docs/settings.md): the hospital
file is checked with them when it is loaded, and a layout built from a hand-made table here too: a bad value falls
back to the default and is reported in ``ScreenLayout.problems`` so the screen can still start.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from common.device_settings import SCREENS, WallSettings, WindowSettings, lenient
from common.legible import DEFAULT_SCREEN_INCHES, DEFAULT_VIEWING_DISTANCE_M, MM_PER_M, text_px

DOOR_DISTANCE_M = 2.0
DOOR_SCREEN_INCHES = 21.5


class ScreenLayout(WindowSettings):
    """How one wall, door or window screen is laid out: the screen settings of the hospital file (one shape: the
    keys, bounds and defaults are those of common/device_settings.py) with what a screen works out from them. Sizes
    are pixels. A door has the room keys of a wall at their defaults, a wall or door the window's ``ready_count``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["wall", "door", "window"] = "wall"
    problems: tuple[str, ...] = Field((), exclude=True)  # settings that fell back to their default, and why

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> "ScreenLayout":
        """The layout from a screen's settings, checked by the same models as the hospital file
        (common/device_settings.py). A bad value falls back to the default and is listed in ``problems``."""
        raw = dict(settings or {})
        checked, problems = lenient(SCREENS.get(str(raw.get("kind")), WallSettings), raw)
        return cls(**checked.model_dump(), problems=tuple(problems))

    @property
    def distance_m(self) -> float:
        return self.viewing_distance_m or (DOOR_DISTANCE_M if self.kind == "door" else DEFAULT_VIEWING_DISTANCE_M)

    @property
    def inches(self) -> float:
        return self.screen_inches or (DOOR_SCREEN_INCHES if self.kind == "door" else DEFAULT_SCREEN_INCHES)

    def font(self, name: str) -> int:
        """A font size in pixels after ``font_scale``.

        ``name``: title, call, row (set in the file, else from the viewing distance), doctor, next, small
        (always from the viewing distance, in step with row when ``font_row`` is set by hand).
        """
        given = getattr(self, f"font_{name}", None)
        if given is None:
            given = text_px(name, self.distance_m, self.inches, self.width, self.height)
            if self.font_row is not None and name in ("doctor", "next", "small"):
                given = round(self.font_row * MM_PER_M[name] / MM_PER_M["row"])
        return max(10, round(given * self.font_scale))
