"""Schedules as the kiosk sees them: departments, doctors and slots with remaining counts and fees; stop-clinic notices."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import RecordsError, bad_request, not_found
from records.schedule import is_released, plan_day, release_moment, slot_has_ended
from records.settings import KIND_NAMES_ZH, SESSION_NAMES_ZH

if TYPE_CHECKING:  # the parts it works with (Records wires them)
    from records.holds import Seats


SESSION_NEXT_STEPS = "请到挂号窗口或自助机改约其他医生或时段，已缴费用将全额退回。"  # 停诊: what the patient does next


def parse_day(value: str | date | None, today: date) -> date:
    if value is None or value == "":
        return today
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request("invalid_date", "日期格式不正确，请重新选择日期。", "The date is not valid (YYYY-MM-DD).") from None


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


class Schedules:
    """Builds each day's sessions and slots from the config on first use, and answers schedule questions."""

    def __init__(self, core: RecordsCore, seats: Seats) -> None:
        self.core = core
        self.seats = seats


    def ensure_day(self, day: date) -> None:
        """Create the sessions and slots of `day` once (idempotent)."""
        if self.core.db.one("SELECT 1 AS x FROM rec_sessions WHERE date = ? LIMIT 1", (day.isoformat(),)):
            return
        planned = plan_day(self.core.doctors(), day, self.core.settings, self.core.emergency_departments())
        if not planned:
            return
        with self.core.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM rec_sessions WHERE date = ? LIMIT 1", (day.isoformat(),)).fetchone():
                return
            for p in planned:
                session_id = conn.execute(
                    "INSERT INTO rec_sessions (date, session, doctor_id, department_id, room_id, kind, fee_fen, starts, ends)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (day.isoformat(), p.session, p.doctor_id, p.department_id, p.room_id, p.kind, p.fee_fen, p.starts, p.ends),
                ).fetchone()[0]
                conn.executemany(
                    "INSERT INTO rec_slots (session_id, date, starts, ends, quota) VALUES (?, ?, ?, ?, ?)",
                    [(session_id, day.isoformat(), s, e, q) for s, e, q in p.slots])

    def _release_info(self, day: date, now: datetime) -> dict[str, Any]:
        released = is_released(day, now, self.core.settings)
        moment = release_moment(day, self.core.settings)
        info: dict[str, Any] = {"date": day.isoformat(), "released": released, "release_at": iso(moment) if day >= now.date() else None}
        if not released and day >= now.date():
            info["message_zh"] = f"{day.month}月{day.day}日的号源将于{moment.month}月{moment.day}日 {moment:%H:%M} 开放预约，请届时再来。"
            info["message_en"] = f"Numbers for {day.isoformat()} open at {moment:%Y-%m-%d %H:%M}."
        return info

    def _session_view(self, s: dict[str, Any], slots: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
        doctor = self.core.doctor(s["doctor_id"])
        day = date.fromisoformat(s["date"])
        open_ = s["status"] == "open"
        slot_views = [{
            "slot_id": x["id"], "start": x["starts"], "end": x["ends"], "quota": x["quota"],
            "remaining": max(x["quota"] - x["taken"], 0) if open_ and not slot_has_ended(day, x["ends"], now) else 0,
        } for x in slots]
        return {
            "session_id": s["id"], "date": s["date"], "session": s["session"], "session_zh": SESSION_NAMES_ZH[s["session"]],
            "doctor_id": s["doctor_id"], "doctor_name": _attr(doctor, "name", s["doctor_id"]), "doctor_title": _attr(doctor, "title"),
            "department_id": s["department_id"], "room_id": s["room_id"], "kind": s["kind"], "kind_zh": KIND_NAMES_ZH[s["kind"]],
            "fee_fen": s["fee_fen"], "status": s["status"], "stop_notice": s["stop_notice"],
            "remaining": sum(v["remaining"] for v in slot_views), "slots": slot_views,
        }

    def _sessions(self, day: date, department_id: str | None = None, doctor_id: str | None = None,
                  session_id: int | None = None) -> list[dict[str, Any]]:
        self.ensure_day(day)
        self.seats.expire_holds()
        where, params = ["s.date = ?"], [day.isoformat()]
        if department_id:
            where.append("s.department_id = ?")
            params.append(department_id)
        if doctor_id:
            where.append("s.doctor_id = ?")
            params.append(doctor_id)
        if session_id:
            where.append("s.id = ?")
            params.append(session_id)
        sessions = self.core.db.all(f"SELECT * FROM rec_sessions s WHERE {' AND '.join(where)} ORDER BY s.session, s.kind DESC, s.doctor_id", tuple(params))
        if not sessions:
            return []
        ids = tuple(s["id"] for s in sessions)
        slots = self.core.db.all(f"SELECT * FROM rec_slots WHERE session_id IN ({','.join('?' * len(ids))}) ORDER BY starts", ids)
        by_session: dict[int, list[dict[str, Any]]] = {}
        for x in slots:
            by_session.setdefault(x["session_id"], []).append(x)
        now = self.core.now()
        return [self._session_view(s, by_session.get(s["id"], []), now) for s in sessions]

    def list_departments(self, day: str | None = None) -> dict[str, Any]:
        now = self.core.now()
        d = parse_day(day, now.date())
        sessions = self._sessions(d)
        used = {r["department_id"]: r["n"] for r in self.core.db.all(  # numbers taken that day: elderly mode lists by use
            "SELECT s.department_id, SUM(x.taken) AS n FROM rec_slots x JOIN rec_sessions s ON s.id = x.session_id"
            " WHERE s.date = ? GROUP BY s.department_id", (d.isoformat(),))}
        out = []
        for dep in self.core.departments():
            if (_attr(dep, "service") or "clinic") != "clinic":  # pharmacy, lab, imaging, cashier: reached by orders
                continue
            dep_id = str(_attr(dep, "id"))
            mine = [s for s in sessions if s["department_id"] == dep_id]
            out.append({
                "department_id": dep_id, "name": _attr(dep, "name"), "name_en": _attr(dep, "name_en"),
                "description": _attr(dep, "description"), "location": _attr(dep, "location"), "area": _attr(dep, "area"),
                "description_en": _attr(dep, "description_en"), "location_en": _attr(dep, "location_en"),
                "remaining": sum(s["remaining"] for s in mine), "taken": int(used.get(dep_id) or 0),
                "fees_fen": sorted({s["fee_fen"] for s in mine}),
                "open_sessions": sorted({s["session"] for s in mine if s["status"] == "open"}),
            })
        return {**self._release_info(d, now), "departments": out}

    def list_doctors(self, department_id: str | None, day: str | None = None) -> dict[str, Any]:
        now = self.core.now()
        d = parse_day(day, now.date())
        sessions = self._sessions(d, department_id=department_id)
        doctors = []
        for doc in self.core.doctors():
            if department_id and str(_attr(doc, "department")) != department_id:
                continue
            mine = [{k: s[k] for k in ("session_id", "session", "session_zh", "kind", "kind_zh", "fee_fen", "status", "stop_notice", "remaining")}
                    for s in sessions if s["doctor_id"] == str(_attr(doc, "id"))]
            doctors.append({
                "doctor_id": str(_attr(doc, "id")), "name": _attr(doc, "name"), "name_en": _attr(doc, "name_en"),
                "title": _attr(doc, "title"),
                "department_id": str(_attr(doc, "department")), "specialty": _attr(doc, "specialty"),
                "expert": bool(_attr(doc, "expert", False)), "room_id": _attr(doc, "room"), "sessions": mine,
            })
        return {**self._release_info(d, now), "doctors": doctors}

    def list_slots(self, department_id: str | None, day: str | None = None, doctor_id: str | None = None,
                   session: str | None = None) -> dict[str, Any]:
        now = self.core.now()
        d = parse_day(day, now.date())
        if department_id and self.core.config is not None and self.core.department(department_id) is None:
            raise not_found("该科室", "The department")
        sessions = [s for s in self._sessions(d, department_id=department_id, doctor_id=doctor_id) if not session or s["session"] == session]
        info = self._release_info(d, now)
        if not info["released"]:
            for s in sessions:
                s["remaining"] = 0
                for x in s["slots"]:
                    x["remaining"] = 0
        return {**info, "sessions": sessions}

    def stop_clinic(self, session_id: int, notice: str) -> dict[str, Any]:
        """停诊: no more numbers are sold; registrations already made are listed so staff can call the patients."""
        with self.core.db.transaction() as conn:
            row = conn.execute("SELECT * FROM rec_sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise not_found("该出诊时段", "The session")
            conn.execute("UPDATE rec_sessions SET status = 'stopped', stop_notice = ? WHERE id = ?", (notice, session_id))
            affected = conn.execute(
                "SELECT id, patient_id, state, visit_id FROM rec_registrations WHERE session_id = ? AND state IN ('held', 'final')",
                (session_id,)).fetchall()
            doctor = _attr(self.core.doctor(row["doctor_id"]), "name", "")
            what = f"{doctor}医生{SESSION_NAMES_ZH[row['session']]}" if doctor else f"本{SESSION_NAMES_ZH[row['session']]}"
            for reg in affected:
                if reg["visit_id"]:
                    self.core.notify_visit(conn, reg["visit_id"], "stopped", f"{reg['visit_id']}:stopped:session:{session_id}",
                              what=what, next=SESSION_NEXT_STEPS)
                else:  # booked, not here yet: the addresses the patient gave for appointment reminders
                    to = [(r["channel"], r["recipient"]) for r in conn.execute(
                        "SELECT channel, recipient FROM rec_reminder_optin WHERE patient_id = ?", (reg["patient_id"],))]
                    if to:
                        self.core.notify_recipients(conn, to, "stopped", f"booking:{reg['id']}:stopped:session:{session_id}",
                                  what=what, next=SESSION_NEXT_STEPS)
            self.core.audit(conn, "clinic_stopped", before=row["status"], after="stopped", session_id=session_id,
                       doctor_id=row["doctor_id"], date=row["date"], session=row["session"], notice=notice,
                       affected_registration_ids=[r["id"] for r in affected])
        return {"session_id": session_id, "status": "stopped", "stop_notice": notice,
                "affected_registrations": [dict(r) for r in affected]}

    def notices(self, day: str | None = None) -> dict[str, Any]:
        d = parse_day(day, self.core.now().date())
        rows = self.core.db.all("SELECT * FROM rec_sessions WHERE date = ? AND status = 'stopped'", (d.isoformat(),))
        return {"date": d.isoformat(), "notices": [{
            "session_id": r["id"], "doctor_id": r["doctor_id"], "doctor_name": _attr(self.core.doctor(r["doctor_id"]), "name", r["doctor_id"]),
            "department_id": r["department_id"], "session": r["session"], "session_zh": SESSION_NAMES_ZH[r["session"]],
            "notice": r["stop_notice"]} for r in rows]}

    def session_row(self, conn: RowConn, session_id: int) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM rec_sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise not_found("该出诊时段", "The session")
        return dict(row)

    def refuse_unless_bookable(self, session: dict[str, Any], slot: dict[str, Any], now: datetime) -> None:
        day = date.fromisoformat(session["date"])
        if session["status"] != "open":
            raise RecordsError("clinic_stopped", f"对不起，该医生本时段已停诊（{session['stop_notice'] or '临时停诊'}），请选择其他医生或时段。",
                               "The doctor's session is stopped; please choose another doctor or time.")
        if day < now.date() or slot_has_ended(day, slot["ends"], now):
            raise RecordsError("slot_past", "对不起，该时段已结束，请选择其他时段。", "That time has passed; please choose another.")
        if not is_released(day, now, self.core.settings):
            info = self._release_info(day, now)
            raise RecordsError("not_released", info["message_zh"], info["message_en"], release_at=info["release_at"])
