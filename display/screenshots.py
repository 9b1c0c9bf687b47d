"""PNG screenshots of the wall and door screens against a running service (``make screenshots``).

``write_screenshots(out_dir, base_url)`` opens the demo hospital's internal-medicine wall screen and the
door screen of room NK1, makes sure something was called (registers and calls a few demo patients
through the area's console when nobody was called yet), and writes:

* ``wall-NK.png``          the area screen, 1920x1080, right after a call (flashing)
* ``wall-NK-settled.png``  the same screen after the flash, with a broadcast banner
* ``wall-NK-lost.png``     the same screen while the service cannot be reached
* ``wall-NK-2160.png``     the same wall on a 2160-line (4K) panel: same physical letter sizes
* ``door-NK1.png``         the door screen of 内科1诊室 with who is inside and the next three
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from client.http import CallerClient, CallerError
from common.demo_accounts import DEMO_PASSWORD, DEMO_TOKENS
from uikit.screens import screenshot_app, wait_until

DEMO_WALL = DEMO_TOKENS["wall_nk"]
DEMO_DOOR = DEMO_TOKENS["door_nk1"]
DEMO_CONSOLE = DEMO_TOKENS["console_nk"]
DEMO_USER = "wanghs"  # the NK nurse of the demo hospital
DEMO_PATIENTS = (("王小明", "nk-zhang"), ("欧阳娜娜", "nk-zhang"), ("李秀英", None), ("张伟", None),
                 ("司马相如", None), ("陈静", "nk-zhang"), ("刘洋", None), ("赵敏", None))




def _fill_door_room(client: CallerClient) -> None:
    """Room NK1 (the door screen's) has someone inside and three waiting for 张建国."""
    room = next(r for r in client.area_queue("NK").get("rooms", []) if r.get("room_id") == "NK1")
    upcoming = room.get("next") or room.get("queue") or []
    for i in range(max(0, 4 - len(upcoming))):
        visit = client.register("NK", name=("孙丽", "周杰", "吴敏", "郑爽")[i], doctor="nk-zhang", kind="expert")["visit"]
        if visit["state"] == "registered":
            client.check_in(visit["visit_id"])
    if not room.get("called") and not room.get("in_service"):
        try:
            client.call_next("NK1")
        except CallerError:
            pass


def _call_a_few(client: CallerClient) -> None:
    for name, doctor in DEMO_PATIENTS:
        kwargs = {"doctor": doctor, "kind": "expert"} if doctor else {}
        visit = client.register("NK", name=name, **kwargs)["visit"]
        if visit["state"] == "registered":
            client.check_in(visit["visit_id"])
    for room in ("NK3", "NK4", "NK1", "NK3"):
        try:
            client.call_next(room)
        except CallerError:
            pass
    client.broadcast("NK", "内科2诊室李医生临时会诊，预计 10:30 开诊，请您耐心等候，谢谢。")


def populate(base_url: str, console_token: str = DEMO_CONSOLE) -> None:
    """Register and call a few demo patients in area NK unless someone is already called there."""
    with CallerClient(base_url, console_token) as client:
        client.login(DEMO_USER, DEMO_PASSWORD)
        snap = client.area_queue("NK")
        if not any(room.get("called") or room.get("in_service") for room in snap.get("rooms", [])):
            _call_a_few(client)
        _fill_door_room(client)


def write_screenshots(out_dir: Path, base_url: str, *, wall_token: str = DEMO_WALL, door_token: str = DEMO_DOOR,
                      console_token: str | None = DEMO_CONSOLE) -> list[Path]:
    """Write the display PNGs into ``out_dir``; returns their paths."""
    from display.app import make_door, make_wall

    app = screenshot_app()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if console_token:
        populate(base_url, console_token)
    wall = make_wall(base_url, wall_token)
    door = make_door(base_url, door_token)
    written: list[Path] = []
    try:
        for screen in (wall, door):
            screen.show()
        wait_until(app, lambda: wall.online and door.online and bool(wall.board.rooms) and bool(door.board.rooms))
        if console_token:  # one fresh call, so the wall shows the flashing newest call
            with CallerClient(base_url, console_token) as client:
                client.login(DEMO_USER, DEMO_PASSWORD)
                seq = wall.board.last_seq
                try:
                    client.call_next("NK4")
                except CallerError:
                    pass
            wait_until(app, lambda: wall.board.last_seq > seq, timeout=3)
        wait_until(app, lambda: wall.call_panel.flashing() and wall.call_panel._flash_on, timeout=2)

        def shot(widget, name: str) -> None:
            app.processEvents()
            path = out_dir / name
            widget.grab().save(str(path))
            written.append(path)

        shot(wall, "wall-NK.png")
        wait_until(app, lambda: not wall.call_panel.flashing(), timeout=wall.layout_settings.flash_seconds + 2)
        shot(wall, "wall-NK-settled.png")
        shot(door, "door-NK1.png")
        big = make_wall(base_url, wall_token, layout=replace(wall.layout_settings, width=3840, height=2160))
        try:
            big.show()
            wait_until(app, lambda: big.online and bool(big.board.rooms))
            shot(big, "wall-NK-2160.png")
        finally:
            big.shutdown()
            big.close()
        wall.link.stop()
        wall.set_online(False, "")
        shot(wall, "wall-NK-lost.png")
    finally:
        for screen in (wall, door):
            screen.shutdown()
            screen.close()
    return written


if __name__ == "__main__":
    import sys

    for p in write_screenshots(Path(sys.argv[2] if len(sys.argv) > 2 else "out/screenshots/display"), sys.argv[1]):
        print(p)
