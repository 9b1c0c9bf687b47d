"""The door screen of one room: the room, its doctor, who is inside and who is next."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from common.board import DoctorCard, RoomBoard
from common.screen_layout import ScreenLayout
from display.screen import ScreenBase, local_now
from display.wall import PAUSED_ZH
from display.widgets import ACCENT, MUTED, PANEL, TEXT, FitLabel

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _resolve_photo(photo: str) -> Path | None:
    if not photo:
        return None
    path = Path(photo)
    for candidate in (path, ASSETS / path, ASSETS / "photos" / path):
        if candidate.is_file():
            return candidate
    return None


class DoorDisplay(ScreenBase):
    """The room screen. Feed it the area's events with ``apply_event``; it shows one room."""

    target = "room_screen"

    def __init__(self, area_id: str, room_id: str, layout: ScreenLayout, *, room_name: str = "", subtitle: str = "",
                 doctors: dict[str, DoctorCard] | None = None, now: Callable[[], datetime] = local_now,
                 parent: QWidget | None = None):
        super().__init__(area_id, layout, doctors=doctors, title=room_name or room_id, now=now, parent=parent)
        self.room_id = room_id
        self._room_name = room_name or room_id
        row_px = layout.font("row")
        big = layout.font("call")

        self.photo = QLabel()
        self.photo.setAlignment(Qt.AlignCenter)
        self.photo.setFixedSize(int(row_px * 4.2), int(row_px * 5.4))
        self.photo.setStyleSheet(f"background: #1d4e89; color: {MUTED}; border-radius: 8px;")
        self.doctor_name = FitLabel("", int(row_px * 1.5), bold=True, align=Qt.AlignCenter)
        self.doctor_title = FitLabel("", row_px, color=ACCENT, align=Qt.AlignCenter)
        self.specialty = FitLabel("", int(row_px * 0.75), color=TEXT, align=Qt.AlignCenter)
        self.department = FitLabel(subtitle, int(row_px * 0.8), color=MUTED, align=Qt.AlignCenter)
        doctor_box = QFrame()
        doctor_box.setObjectName("doctorBox")
        doctor_box.setStyleSheet(f"#doctorBox {{ background: {PANEL}; border-radius: 12px; }}")
        doctor_col = QVBoxLayout(doctor_box)
        doctor_col.setContentsMargins(16, 24, 16, 24)
        doctor_col.addWidget(self.photo, 0, Qt.AlignHCenter)
        doctor_col.addWidget(self.doctor_name, 2)
        doctor_col.addWidget(self.doctor_title, 1)
        doctor_col.addWidget(self.specialty, 1)
        doctor_col.addWidget(self.department, 1)
        doctor_col.addStretch(1)

        self.current_caption = FitLabel("正在就诊", row_px, color=MUTED, align=Qt.AlignCenter)
        self.current = FitLabel("", big, bold=True, color=ACCENT, align=Qt.AlignCenter)
        self.next_caption = FitLabel("请以下患者在门外稍候", int(row_px * 0.9), color=MUTED, align=Qt.AlignCenter)
        self.next_labels = [FitLabel("", row_px, align=Qt.AlignCenter) for _ in range(max(1, layout.next_count))]
        patients = QFrame()
        patients.setObjectName("patients")
        patients.setStyleSheet(f"#patients {{ background: {PANEL}; border-radius: 12px; }}")
        col = QVBoxLayout(patients)
        col.setContentsMargins(16, 16, 16, 16)
        col.addWidget(self.current_caption, 2)
        col.addWidget(self.current, 6)
        col.addWidget(self.next_caption, 2)
        for label in self.next_labels:
            col.addWidget(label, 2)

        body = QHBoxLayout()
        body.setContentsMargins(24, 16, 24, 24)
        body.setSpacing(24)
        body.addWidget(doctor_box, 4)
        body.addWidget(patients, 5)

        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        page.addWidget(self.header)
        page.addWidget(self.connection_banner)
        page.addWidget(self.broadcast_banner)
        page.addLayout(body, 1)
        self._photo_path: str | None = None
        self._redraw({"rooms", "banner"})

    def room(self) -> RoomBoard:
        return self.board.rooms.get(self.room_id) or RoomBoard(self.room_id, self._room_name)

    def _redraw(self, changed: set[str]) -> None:
        if "banner" in changed:
            self._redraw_banner()
        if not changed & {"rooms", "calls"}:
            return
        lay = self.layout_settings
        room = self.room()
        self.title_label.setText(room.name or self._room_name)
        self.photo.setVisible(bool(room.doctor_name))
        self.doctor_name.setText(room.doctor_name or "")
        self.doctor_title.setText(room.doctor_title)
        card = self.board.doctors.get(room.doctor_id)
        self.specialty.setText(f"擅长：{card.specialty}" if card and card.specialty else "")
        self._show_photo(room)
        if room.paused:
            self.current.setText(PAUSED_ZH)
            self.current.set_color("#ff9f9f")
            self.next_caption.setText(f"医生预计 {room.return_at} 回来，请您稍候，谢谢" if room.return_at
                                      else "请留意叫号或咨询护士，谢谢")
        else:
            self.current.setText(room.current.label(lay.show_names) if room.current else "请稍候")
            self.current.set_color(ACCENT if room.current else TEXT)
            self.next_caption.setText("请以下患者在门外稍候" if room.waiting else "")
        for i, label in enumerate(self.next_labels):
            shown = i < len(room.waiting) and not room.paused
            label.setText(room.waiting[i].label(lay.show_names) if shown else "")

    def _show_photo(self, room: RoomBoard) -> None:
        if room.doctor_photo == self._photo_path:
            return
        self._photo_path = room.doctor_photo
        path = _resolve_photo(room.doctor_photo)
        pixmap = QPixmap(str(path)) if path else QPixmap()
        if pixmap.isNull():
            self.photo.setPixmap(QPixmap())
            self.photo.setText(room.doctor_name[:1] or "医")
            font = self.photo.font()
            font.setPixelSize(int(self.photo.height() * 0.4))
            self.photo.setFont(font)
        else:
            self.photo.setPixmap(pixmap.scaled(self.photo.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation))
