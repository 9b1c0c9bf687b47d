"""Per-screen layout settings, read from the device's ``settings`` table in the hospital TOML (pure).

Example (assets/demo-hospital.toml)::

    [[devices]]
    id = "wall-1f"
    role = "display"
    area = "A1"
    settings = { kind = "wall", rooms = ["NK1", "NK2"], rows = 6, next_count = 3, last_calls = 5,
                 font_scale = 1.0, speak = false }

Font sizes come from how far people sit and how big the panel is: ``viewing_distance_m`` and
``screen_inches`` (defaults: a wall 5 m / 55", a door 2 m / 21.5"), see :mod:`display.legible`. They may
still be given one by one (``font_title``, ``font_call``, ``font_row``); all are multiplied by
``font_scale``. Lines that do not fit are shortened by whole items, never a ticket number.

Unknown keys are ignored (other parts may keep their own settings there); a bad value falls back
to the default and is reported in ``ScreenLayout.problems`` so the screen can still start.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from display.legible import DEFAULT_SCREEN_INCHES, DEFAULT_VIEWING_DISTANCE_M, MM_PER_M, text_px

DOOR_DISTANCE_M = 2.0
DOOR_SCREEN_INCHES = 21.5


@dataclass(frozen=True)
class ScreenLayout:
    """How one wall or door screen is laid out. Sizes are pixels."""

    kind: str = "wall"  # wall | door
    width: int = 1920
    height: int = 1080
    rooms: tuple[str, ...] = ()  # empty: every room of the area, in the service's order
    rows: int = 6  # room rows on one page; more rooms page through every ``page_seconds``
    next_count: int = 3  # waiting patients shown per room
    recent_calls: int = 5  # calls listed under the newest one (as many as fit)
    viewing_distance_m: float | None = None  # None: 5 m for a wall, 2 m for a door
    screen_inches: float | None = None  # None: 55" for a wall, 21.5" for a door
    font_title: int | None = None  # None: from the viewing distance (display.legible)
    font_call: int | None = None
    font_row: int | None = None
    flash_seconds: float = 6.0
    page_seconds: float = 10.0
    show_names: bool = True  # rule 16: masked names, or no name at all
    speak: bool = False  # a display with a speaker also speaks its area's calls
    ticker_speed: int = 120  # band scroll speed, pixels per second
    font_scale: float = 1.0
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> "ScreenLayout":
        settings = dict(settings or {})
        if "last_calls" in settings and "recent_calls" not in settings:
            settings["recent_calls"] = settings["last_calls"]
        values: dict[str, Any] = {}
        problems: list[str] = []
        limits = {
            "width": (320, 7680), "height": (240, 4320), "rows": (1, 20), "next_count": (0, 5),
            "recent_calls": (0, 10), "font_title": (12, 200), "font_call": (24, 300),
            "font_row": (12, 160), "flash_seconds": (0, 60), "page_seconds": (2, 120),
            "ticker_speed": (10, 1000), "font_scale": (0.3, 4.0),
            "viewing_distance_m": (0.5, 40.0), "screen_inches": (7.0, 250.0),
        }
        for f in fields(cls):
            if f.name == "problems" or f.name not in settings:
                continue
            raw = settings[f.name]
            try:
                if f.name == "kind":
                    if raw not in ("wall", "door"):
                        raise ValueError("must be 'wall' or 'door'")
                    values["kind"] = raw
                elif f.name == "rooms":
                    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
                        raise ValueError("must be a list of room ids")
                    values["rooms"] = tuple(raw)
                elif f.name in ("show_names", "speak"):
                    if not isinstance(raw, bool):
                        raise ValueError("must be true or false")
                    values[f.name] = raw
                else:
                    if isinstance(raw, bool):
                        raise ValueError("must be a number")
                    as_float = f.name.endswith(("seconds", "_m", "inches")) or f.name == "font_scale"
                    number = float(raw) if as_float else int(raw)
                    low, high = limits[f.name]
                    if not low <= number <= high:
                        raise ValueError(f"must be between {low} and {high}")
                    values[f.name] = number
            except (TypeError, ValueError) as exc:
                problems.append(f"settings.{f.name}: {exc} (got {raw!r}); using the default")
        return cls(**values, problems=tuple(problems))

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
