"""The web screens' live side: one board per area fed by the same public events as the Qt screens, pushed to
every paired browser as what it shows.

Per area with a web screen, :class:`AreaFeed` subscribes to the event hub like a wall screen does (public audience:
masked names only) and folds each event into :class:`common.board.AreaBoard` (one for the area's walls, one for
its door screens). After each change every page gets the view of its layout (common/boardview.py, computed once
per layout and sent as the same text to every page that shares it). A ``call`` goes out first, as its own message,
before the view: the page shows calls one by one, none dropped, and plays its clip in order when the screen
speaks. Emergency notices (:class:`Overrides`) and playlists (caller/screens/playlist.py) go to the screens they
are meant for the moment they change.

Messages to a page (JSON): ``hello`` (who it is, its layout), ``view``, ``call``, ``broadcast``, ``clip``,
``override`` / ``override_end``, ``playlist``, ``heartbeat`` (every 2 s, with the service's time). The page sends
``hello`` (the last call seq it showed, so a reconnect repeats nothing) and ``health`` (what it plays, its cache).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from caller.auth import Principal
from caller.events import text_frame
from caller.screens import playlist
from caller.screens.clips import CallClips
from caller.screens.media import MediaFile, MediaLibrary
from caller.screens.pairing import Pairings
from caller.store import AuditRow, ChangeRows
from common.board import AreaBoard, DoctorCard
from common.boardview import call_line, door_view, layout_view, verb_of, wall_view, window_view
from common.device_settings import DOOR_PANEL
from common.screen_layout import ScreenLayout
from common.wire import PUBLIC, BroadcastData, CallData

if TYPE_CHECKING:  # the service builds the hub through the app; typed only
    from caller.service import CallerService

log = logging.getLogger("caller.screens")

HEARTBEAT_S = 2.0
RESCAN_S = 60.0
REPLAY_CALL_S = 60.0  # a call missed while a page was away is shown again only when this fresh
SEND_QUEUE_MAX = 500
OVERRIDE_SCHEMA = ("CREATE TABLE IF NOT EXISTS screen_overrides (id TEXT PRIMARY KEY, data TEXT NOT NULL, "
                   "created_at TEXT NOT NULL, ended_at TEXT)",)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(eq=False)
class Page:
    """One open page of a paired screen."""

    ws: Any
    device: str
    area: str
    room: str | None
    kind: str  # wall | door | window
    layout: ScreenLayout
    speak: bool
    title: str = ""
    subtitle: str = ""
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(SEND_QUEUE_MAX))
    last_view: str = ""
    last_call: int = 0
    closed: bool = False
    # writes a ready WebSocket frame straight to the socket (caller/api/events_ws.direct_writer), once the first
    # messages went through the queue: fan-out to hundreds of screens then costs one write per page
    direct_writer: Callable[[bytes], bool] | None = None
    direct: Callable[[bytes], bool] | None = None
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    layout_key: str = ""  # the layout as text: pages of the same layout share one view (a layout is not hashable)

    def __post_init__(self) -> None:
        self.layout_key = self.layout.model_dump_json()

    @property
    def target(self) -> str:
        return "room_screen" if self.kind == "door" else "area_screen"

    def send(self, text: str, frame: bytes | None = None) -> None:
        if self.closed:
            return
        if self.direct is not None:
            if not self.direct(frame if frame is not None else text_frame(text)):
                self.close()
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:  # a page this far behind reconnects and gets the whole state again
            self.close()

    def close(self) -> None:
        self.closed = True
        self.gone.set()


def fan_out(pages: Iterable[Page], text: str) -> None:
    """The same message to many pages: its frame is made once."""
    frame = text_frame(text)
    for page in list(pages):
        page.send(text, frame)


class AreaFeed:
    """The boards of one area, kept current from the event hub."""

    def __init__(self, hub: "ScreenHub", area: str):
        self.hub, self.area = hub, area
        doctors = hub.doctor_cards()
        ready_kind = hub.ready_kind(area)
        self.boards = {"area_screen": AreaBoard(area, recent_limit=11, target="area_screen", doctors=doctors,
                                                ready_kind=ready_kind),
                       "room_screen": AreaBoard(area, recent_limit=11, target="room_screen", doctors=doctors)}
        self.pages: set[Page] = set()
        self.task: asyncio.Task | None = None
        self.sub = None
        self.ready = asyncio.Event()

    def start(self) -> None:
        self.task = asyncio.create_task(self._follow(), name=f"screens-{self.area}")

    async def stop(self) -> None:
        if self.sub is not None:
            self.hub.service.hub.unsubscribe(self.sub)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def _follow(self) -> None:
        events = self.hub.service.hub
        while True:
            self.sub, first = events.subscribe(self.area, PUBLIC, None, role="screen")
            try:
                for text in first:
                    self.take(json.loads(text))
                self.ready.set()
                while True:
                    text = await self.sub.next()
                    if text is None:
                        break  # dropped by the hub (too far behind): subscribe again for a fresh snapshot
                    self.take(json.loads(text))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the feed must outlive one bad event
                log.exception("web screens of area %s: event not applied", self.area)
            finally:
                events.unsubscribe(self.sub)
            await asyncio.sleep(0.2)

    def resync(self) -> None:
        """A new day: drop the subscription; the loop subscribes again and gets a fresh snapshot."""
        if self.sub is not None:
            self.sub.close()

    def take(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind in ("heartbeat", "error", "alert"):
            return
        now = self.hub.service.now_aware()
        changed = {target: board.apply(event, now) for target, board in self.boards.items()}
        seq = int(event.get("seq") or 0)
        if kind == "call":
            self._call(event, seq)
        elif kind == "broadcast":
            self._broadcast(event, seq)
        if any(changed.values()):
            self.push_views()
        if any("day" in c for c in changed.values()) and kind not in ("snapshot", "queue"):
            self.resync()

    def _call(self, event: dict[str, Any], seq: int) -> None:
        try:
            call = CallData.model_validate(event.get("data"))
        except ValueError:
            return
        clip = f"c{seq}" if "speaker" in call.targets else ""
        sent: dict[tuple[str, bool], str] = {}
        for target, board in self.boards.items():
            line = board.newest_call()
            if target not in call.targets or line is None or line.seq != seq:
                continue
            for page in list(self.pages):
                if page.target != target or (target == "room_screen" and page.room != call.room_id):
                    continue
                key = (target, page.layout.show_names)
                if key not in sent:
                    text = _dumps({"type": "call", **call_line(line, page.layout.show_names, self.hub.verb(self.area)),
                                   "clip": clip, "server_ms": time.time() * 1000})
                    sent[key] = (text, text_frame(text))
                page.send(*sent[key])
                page.last_call = max(page.last_call, seq)
        if clip and any(p.speak for p in self.pages):  # after the pages have the call: calls first
            self.hub.clip(clip, self.area, call.speech, call.repeat)

    def _broadcast(self, event: dict[str, Any], seq: int) -> None:
        try:
            data = BroadcastData.model_validate(event.get("data"))
        except ValueError:
            return
        clip = f"b{seq}"
        if any(p.speak for p in self.pages):
            self.hub.clip(clip, self.area, data.speech, 1)
        fan_out(self.pages, _dumps({"type": "broadcast", "seq": seq, "text": data.text, "clip": clip}))

    def view_text(self, page: Page, cache: dict | None = None) -> str:
        key = (page.kind, page.room, page.layout_key, page.title)
        if cache is not None and key in cache:
            return cache[key]
        board = self.boards[page.target]
        if page.kind == "door":
            view = door_view(board, page.layout, page.room or "", room_name=page.title, subtitle=page.subtitle,
                             photo_url=self.hub.photo_url(board.rooms.get(page.room or "")))
        elif page.kind == "window":
            view = window_view(board, page.layout, title=page.title, verb=self.hub.verb(self.area),
                               notices=self.hub.notices(self.area))
        else:
            view = wall_view(board, page.layout, title=page.title, notices=self.hub.notices(self.area),
                             education=self.hub.education(self.area), verb=self.hub.verb(self.area))
        text = _dumps({"type": "view", "view": view})
        if cache is not None:
            cache[key] = text
        return text

    def push_views(self) -> None:
        cache: dict = {}
        frames: dict[str, bytes] = {}
        for page in list(self.pages):
            text = self.view_text(page, cache)
            if text != page.last_view:
                page.last_view = text
                frame = frames.get(text)
                if frame is None:
                    frame = frames[text] = text_frame(text)
                page.send(text, frame)

    def tick(self, now: datetime) -> None:
        changed = [board.tick(now) for board in self.boards.values()]
        if any(changed):
            self.push_views()
        if any("day" in c for c in changed):
            self.resync()

    def missed_calls(self, page: Page, since: int, now: datetime) -> list[str]:
        """Calls after ``since`` a reconnecting page has not shown, oldest first (only fresh ones)."""
        board = self.boards[page.target]
        out = []
        for line in reversed(board.calls):
            if line.seq <= since or (now - line.at).total_seconds() > REPLAY_CALL_S:
                continue
            if page.kind == "door" and line.room_id != page.room:
                continue
            clip = f"c{line.seq}" if self.hub.clips_made(f"c{line.seq}") else ""
            out.append(_dumps({"type": "call", **call_line(line, page.layout.show_names, self.hub.verb(self.area)),
                               "clip": clip,
                               "replayed": True}))
        return out


class Overrides:
    """Emergency notices over chosen screens (停诊, fire drill, evacuation route): kept until taken down, audited."""

    def __init__(self, store: Any):
        self.store = store
        with store.transaction() as conn:
            for sql in OVERRIDE_SCHEMA:
                conn.execute(sql)
        with store.read() as conn:
            rows = conn.execute("SELECT data FROM screen_overrides WHERE ended_at IS NULL ORDER BY created_at").fetchall()
        self.active: dict[str, dict] = {}
        for (data,) in rows:
            item = json.loads(data)
            self.active[item["id"]] = item

    def put(self, who: Principal, text: str, text_en: str, title: str, devices: list[str], areas: list[str],
            ts: str) -> dict:
        item = {"id": secrets.token_hex(6), "title": title or "紧急通知", "text": text, "text_en": text_en,
                "devices": devices, "areas": areas, "by": who.actor, "at": ts}
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO screen_overrides(id, data, created_at) VALUES (?,?,?)",
                         (item["id"], _dumps(item), ts))
            self.store.write_change(conn, ChangeRows(audit=[AuditRow(
                ts=ts, user=who.user or "", device=who.device, action="screen_override",
                detail={k: item[k] for k in ("id", "title", "text", "devices", "areas")})]))
        self.active[item["id"]] = item
        return item

    def end(self, who: Principal, override_id: str, ts: str) -> dict | None:
        item = self.active.get(override_id)
        if item is None:
            return None
        with self.store.transaction() as conn:
            conn.execute("UPDATE screen_overrides SET ended_at = ? WHERE id = ?", (ts, override_id))
            self.store.write_change(conn, ChangeRows(audit=[AuditRow(
                ts=ts, user=who.user or "", device=who.device, action="screen_override_end",
                detail={"id": override_id, "title": item["title"]})]))
        return self.active.pop(override_id)

    @staticmethod
    def covers(item: dict, page: Page) -> bool:
        if not item["devices"] and not item["areas"]:
            return True
        return page.device in item["devices"] or page.area in item["areas"]


class ScreenHub:
    """Everything the web screens need from the service, on the service's event loop."""

    def __init__(self, service: "CallerService", *, config_path: str | Path | None = None, data_dir: Path | None = None):
        self.service = service
        self.config_path = Path(config_path) if config_path else None
        base = data_dir or _data_dir(service)
        self.pairings = Pairings(service.store, lambda: self.service.config)
        self.overrides = Overrides(service.store)
        self.library = MediaLibrary(self.media_folder(), base / "media-cache")
        self.clip_dir = base / "clips"
        self._clips: CallClips | None = None
        self.feeds: dict[str, AreaFeed] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task] = []
        self._playlists: dict[str, str] = {}  # device -> version sent
        self.clip_seconds: list[float] = []  # how long clips took to make (bench, health)
        self.library.on_change = self._library_changed

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._tasks = [asyncio.create_task(self._ticker(), name="screens-tick"),
                       asyncio.create_task(self._rescanner(), name="screens-media")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for feed in list(self.feeds.values()):
            await feed.stop()
        for page in self.pages():
            page.close()
        self.library.close()
        if self._clips is not None:
            await asyncio.to_thread(self._clips.close)

    def reconfigure(self) -> None:
        """The hospital file was reloaded: media folder, playlists, doctors."""
        self.library.set_folder(self.media_folder())
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._refresh_all)

    def _refresh_all(self) -> None:
        cards = self.doctor_cards()
        for feed in self.feeds.values():
            for board in feed.boards.values():
                board.doctors = dict(cards)
            feed.push_views()
        self._push_playlists()

    # ------------------------------------------------------------------ hospital data
    def media_folder(self) -> Path | None:
        folder = self.service.config.media.folder
        if not folder:
            return None
        path = Path(folder)
        if not path.is_absolute() and self.config_path is not None:
            path = self.config_path.parent / path
        return path

    def doctor_cards(self) -> dict[str, DoctorCard]:
        return {d.id: DoctorCard(d.name, d.title, d.photo, d.specialty) for d in self.service.config.doctors}

    def ready_kind(self, area: str) -> str:
        """What a window screen of the area lists as ready: a pharmacy its medicine, a lab its reports."""
        services = {d.service for d in self.service.config.departments if d.area == area}
        return "medicine" if "pharmacy" in services else "report" if "lab" in services else ""

    def verb(self, area: str) -> str:
        return verb_of(self.service.config.area(area).rules.call_template)

    def notices(self, area: str) -> list[str]:
        return list(self.service.config.area(area).notices)

    def education(self, area: str) -> list[str]:
        return [f"{d.name}主要诊治：{d.description}" for d in self.service.config.departments
                if d.area == area and d.description]

    def photo_url(self, room: Any) -> str:
        doctor_id = getattr(room, "doctor_id", "") if room is not None else ""
        return f"/screen/api/photos/{doctor_id}" if doctor_id and room.doctor_photo else ""

    def photo_path(self, doctor_id: str) -> Path | None:
        try:
            photo = self.service.config.doctor(doctor_id).photo
        except KeyError:
            return None
        if not photo:
            return None
        assets = Path(__file__).resolve().parents[2] / "assets"
        for candidate in (Path(photo), assets / photo, assets / "photos" / photo):
            if candidate.is_file() and candidate.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"):
                return candidate
        return None

    def page_for(self, ws: Any, who: Principal) -> Page:
        config = self.service.config
        device = config.device(who.device)
        settings = device.settings.served()
        kind = settings.get("kind") if settings.get("kind") in ("door", "window") else \
            "door" if device.room and "kind" not in settings else "wall"
        layout = ScreenLayout.from_settings({"kind": kind, **(DOOR_PANEL if kind == "door" else {}), **settings})
        area = config.area(who.area or "")
        if kind == "door" and device.room:
            room = config.room(device.room)
            depts = [config.department(d).name for d in room.departments]
            title, subtitle = room.name, " · ".join(x for x in ("、".join(depts), room.location) if x)
        else:
            title, subtitle = " ".join(x for x in (area.name, area.location) if x), ""
        return Page(ws=ws, device=device.id, area=area.id, room=device.room, kind=kind, layout=layout,
                    speak=bool(settings.get("speak")), title=title, subtitle=subtitle)

    # ------------------------------------------------------------------ media
    def media_url(self, item: MediaFile) -> str:
        return f"/screen/api/media/{item.name}?v={item.version}"

    def playlist(self, page: Page) -> playlist.Playlist:
        return playlist.build(self.service.config, page.area, page.device, self.library.lookup, self.media_url,
                              lambda doctor_id: f"/screen/api/photos/{doctor_id}")

    def _library_changed(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._push_playlists)

    def _push_playlists(self) -> None:
        plans: dict[tuple[str, str], tuple[playlist.Playlist, str]] = {}  # one build per screen, not per page
        for feed in self.feeds.values():
            for page in list(feed.pages):
                if page.layout.media == "none":
                    continue
                key = (page.area, page.device)
                if key not in plans:
                    plan = self.playlist(page)
                    plans[key] = (plan, _dumps(plan.as_message()))
                plan, text = plans[key]
                if self._playlists.get(id(page)) != plan.version:
                    self._playlists[id(page)] = plan.version
                    page.send(text)

    # ------------------------------------------------------------------ clips
    def _clip_maker(self) -> CallClips:
        if self._clips is None:
            self._clips = CallClips(self.clip_dir, self._clip_ready_threadsafe)
        return self._clips

    def clip(self, clip_id: str, area: str, text: str, repeat: int) -> None:
        self._clip_maker().render(clip_id, area, text, repeat)

    def clips_made(self, clip_id: str) -> bool:
        return self._clips is not None and self._clips.path(clip_id) is not None

    def clip_path(self, clip_id: str) -> Path | None:
        return self._clips.path(clip_id) if self._clips is not None else None

    def _clip_ready_threadsafe(self, clip_id: str, area: str, seconds: float) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._clip_ready, clip_id, area, seconds)

    def _clip_ready(self, clip_id: str, area: str, seconds: float) -> None:
        self.clip_seconds.append(seconds)
        del self.clip_seconds[:-1000]
        feed = self.feeds.get(area)
        if feed is None:
            return
        fan_out([p for p in feed.pages if p.speak], _dumps({"type": "clip", "id": clip_id,
                                                             "url": f"/screen/api/clips/{clip_id}",
                                                             "server_ms": time.time() * 1000}))

    # ------------------------------------------------------------------ overrides
    def put_override(self, who: Principal, text: str, text_en: str, title: str, devices: list[str],
                     areas: list[str]) -> dict:
        item = self.overrides.put(who, text, text_en, title, devices, areas, self._now_iso())
        fan_out([p for p in self.pages() if Overrides.covers(item, p)],
                _dumps({"type": "override", **item, "server_ms": time.time() * 1000}))
        return item

    def end_override(self, who: Principal, override_id: str) -> dict | None:
        item = self.overrides.end(who, override_id, self._now_iso())
        if item is not None:
            fan_out(self.pages(), _dumps({"type": "override_end", "id": override_id}))
        return item

    def pages(self) -> list[Page]:
        return [page for feed in self.feeds.values() for page in feed.pages]

    def disconnect_device(self, device: str) -> None:
        """A revoked screen: close its open pages at once."""
        for page in self.pages():
            if page.device == device:
                page.send(_dumps({"type": "revoked"}))
                page.close()

    # ------------------------------------------------------------------ health
    def record_health(self, page: Page, report: dict[str, Any]) -> None:
        """What the page plays and holds, as the device's health in the console's device pane."""
        plan_problems = self.playlist(page).problems if page.layout.media != "none" else []
        failed = [str(x)[:80] for x in (report.get("failed") or [])][:10]
        playing = str(report.get("playing") or "")[:80]
        cache = report.get("cache") if isinstance(report.get("cache"), dict) else {}
        cached, total = int(cache.get("cached") or 0), int(cache.get("items") or 0)
        skipped = [p["file"] or p["zh"] for p in plan_problems] + failed
        parts_zh = ["网页屏"]
        if page.layout.media != "none":
            parts_zh.append(f"正在播放：{playing or '（叫号画面）'}")
            parts_zh.append(f"缓存 {cached}/{total}")
        if not report.get("sound", True) and page.speak:
            parts_zh.append("未开启声音（请在屏幕上点一下）")
        if skipped:
            parts_zh.append("已跳过：" + "、".join(skipped[:5]))
        status = "warning" if skipped or (page.speak and not report.get("sound", True)) else "ok"
        reason_zh = "，".join(parts_zh)
        reason_en = (f"web screen; playing {playing or '-'}; cache {cached}/{total}"
                     + (f"; skipped {', '.join(skipped[:5])}" if skipped else ""))
        detail = {"web": True, "playing": playing, "cache": {"cached": cached, "items": total,
                                                            "bytes": int(cache.get("bytes") or 0)},
                  "skipped": skipped[:10], "sound": bool(report.get("sound", True)), "mode": page.layout.media,
                  "user_agent": str(report.get("agent") or "")[:120]}
        body = _HealthBody(status=status, reason_zh=reason_zh, reason_en=reason_en, detail=detail)
        who = Principal(role="display", device=page.device, area=page.area, room=page.room)
        self.service.device_watch.record_health(who, body)

    # ------------------------------------------------------------------ a page's session
    def feed(self, area: str) -> AreaFeed:
        feed = self.feeds.get(area)
        if feed is None:
            feed = self.feeds[area] = AreaFeed(self, area)
            feed.start()
        return feed

    async def serve(self, ws: Any, who: Principal, direct: Callable[[bytes], bool] | None = None) -> None:
        """One page, until it goes away. ``direct``: writes a frame straight to its socket (or None)."""
        page = self.page_for(ws, who)
        page.direct_writer = direct
        try:
            first = json.loads(await asyncio.wait_for(ws.receive_text(), 10.0))
        except Exception as exc:  # noqa: BLE001 - no hello: the page gets the current state, from no call on
            log.debug("web screen %s sent no hello: %s", page.device, type(exc).__name__)
            first = {}
        since = int(first.get("last_call") or 0) if isinstance(first, dict) else 0
        feed = self.feed(page.area)
        if page.speak and self._clips is None:
            await asyncio.to_thread(self._clip_maker)  # the voice ready before this screen's first call
        await asyncio.wait_for(feed.ready.wait(), 10.0)
        hello = {"type": "hello", "device": page.device, "kind": page.kind, "area": page.area, "room": page.room,
                 "speak": page.speak, "media": page.layout.media, "layout": layout_view(page.layout),
                 "heartbeat_s": self.service.config.device_health.heartbeat_s, **self._clock()}
        page.send(_dumps(hello))
        page.last_view = feed.view_text(page)
        page.send(page.last_view)
        for item in self.overrides.active.values():
            if Overrides.covers(item, page):
                page.send(_dumps({"type": "override", **item}))
        if page.layout.media != "none":
            plan = self.playlist(page)
            self._playlists[id(page)] = plan.version
            page.send(_dumps(plan.as_message()))
        for text in feed.missed_calls(page, since, self.service.now_aware()):
            page.send(text)
        feed.pages.add(page)
        self.service.device_watch.note_seen(page.device)
        writer = asyncio.create_task(self._write(page))
        try:
            while not page.closed:
                message = json.loads(await ws.receive_text())
                self.service.device_watch.note_seen(page.device)
                if isinstance(message, dict) and message.get("type") == "health":
                    await asyncio.to_thread(self.record_health, page, message)
        except Exception as exc:  # noqa: BLE001 - the page went away (or sent garbage): end its session
            log.debug("web screen %s left: %s", page.device, type(exc).__name__)
        finally:
            page.close()
            feed.pages.discard(page)
            self._playlists.pop(id(page), None)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    async def _write(self, page: Page) -> None:
        """Send what is queued; then, when the socket allows it, hand the page over to direct frame writes."""
        try:
            while not page.closed:
                if page.direct_writer is not None and page.queue.empty():
                    page.direct = page.direct_writer  # no await between the check and this: nothing is reordered
                    await page.gone.wait()
                    break
                getter = asyncio.ensure_future(page.queue.get())
                gone = asyncio.ensure_future(page.gone.wait())
                done, _ = await asyncio.wait({getter, gone}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                gone.cancel()
                await page.ws.send_text(getter.result())
        finally:
            page.close()
            with contextlib.suppress(Exception):
                await page.ws.close()

    # ------------------------------------------------------------------ clock
    def _clock(self) -> dict[str, Any]:
        now = self.service.now_aware()
        return {"time": now.isoformat(timespec="milliseconds"), "server_ms": time.time() * 1000}

    def _now_iso(self) -> str:
        return self.service.clock().isoformat(timespec="milliseconds")

    async def _ticker(self) -> None:
        beat = 0.0
        while True:
            await asyncio.sleep(1.0)
            try:
                now = self.service.now_aware()
                for feed in list(self.feeds.values()):
                    feed.tick(now)
                beat += 1.0
                if beat >= HEARTBEAT_S:
                    beat = 0.0
                    fan_out(self.pages(), _dumps({"type": "heartbeat", **self._clock()}))
            except Exception:  # noqa: BLE001
                log.exception("web screens tick failed")

    async def _rescanner(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.library.rescan)
            await asyncio.sleep(RESCAN_S)


@dataclass
class _HealthBody:
    """The shape caller.service.CallerService.record_health reads (as the health route's model)."""

    status: str
    reason_zh: str
    reason_en: str
    detail: dict
    device: str = ""
    parts: list = field(default_factory=list)


def _data_dir(service: "CallerService") -> Path:
    """Where clips and transcoded media go: beside the database file, else a temporary folder."""
    local = getattr(service.store, "local_file", None)
    if local:
        return Path(local).resolve().parent / "screens"

    return Path(tempfile.mkdtemp(prefix="screens-"))
