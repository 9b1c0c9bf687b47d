"""The scripted morning, headless: patients arrive at the two kiosks and over the LAN, nurses call them, the
wall and door screens and the speaker follow; screenshots, slips, WAVs and summary.json land in ``out``.

    run_morning(Path("out/demo"), patients=60)  -> (summary dict, exit code)
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from caller.testing import DEMO_TOKENS
from client.http import CallerClient, CallerError
from common.clock import HospitalClock
from demo.checks import check_morning
from demo.clock import SimClock
from demo.desk import NurseDesk
from demo.kiosk_patient import KioskPatient, KioskStuck, pump, wait_for
from demo.lan import area_of, arrive_over_lan, check_in_later, identity_of
from demo.ledger import Ledger, summarise
from demo.platforms import enroll
from demo.script import BILLS, LATE, MISSED, PAPER_OUT, PAYMENT_TIMEOUT, REPORTS, RETURNING, Arrival, morning_script
from demo.stack import CONFIG, Stack
from hardware.printer import profile_named
from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator

log = logging.getLogger(__name__)


@dataclass
class MorningPlan:
    patients: int = 60
    start: str = "08:00"       # simulated time of the first arrival
    minutes: float = 60.0      # simulated minutes over which patients arrive
    speed: float = 40.0        # simulated seconds per real second
    seed: int = 7
    drain_timeout: float = 60.0  # real seconds to let the nurses empty the queues after the last arrival
    journey_timeout: float = 10.0  # real seconds, after the cockpit's and the TV's screenshots (the journeys go on
    # meanwhile), for the last patients' pharmacy, lab and imaging steps; then what is left counts as in progress
    stuck_minutes: float = 60.0    # simulated minutes a step may stay open before the end counts it as stuck


class Morning:
    def __init__(self, out: Path, plan: MorningPlan) -> None:
        self.out, self.plan = out, plan
        self.ledger = Ledger()
        self.started = time.monotonic()
        self.stack: Stack | None = None
        self.desk: NurseDesk | None = None
        self.arrivals: list[Arrival] = []
        self.kiosk_results: dict[int, dict[str, Any]] = {}
        self.lan_done = threading.Event()
        self.stop_lan = threading.Event()
        self.shots: list[Path] = []
        self.peak_load, self.peak_shot_at = 0, 0.0
        self.door_seen: set[str] = set()  # visits the door screen of NK1 showed as called
        self.journeys = None  # demo.journeys.JourneyDesk: orders, payment and the window staff after the clinic
        self.label_server = None
        self.guide_printer = None  # the 导诊单's printer (a TcpPrinterSimulator)
        self.peak_journeys, self.journey_shot_at = 0, 0.0
        self.marks: dict[str, datetime] = {}  # simulated times the clinic's and the journeys' queues emptied
        self.insurance: dict[str, Any] = {}  # the 医保 payer's split and e-invoice
        self.ehealth: dict[str, Any] = {}  # the patient who identified by e-health card

    # ------------------------------------------------------------------ setup
    def setup(self) -> None:
        from PySide6.QtWidgets import QApplication

        from common.config import load_hospital
        from common.fonts import load_cjk_font
        from demo.prepare import prepare

        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        today = HospitalClock().today()
        first = datetime.combine(today, datetime.strptime(self.plan.start, "%H:%M").time())
        known, appointments = prepare(load_hospital(CONFIG), self.out / "hospital.db", seed=self.plan.seed, today=today)
        self.arrivals = morning_script(self.plan.patients, first, self.plan.minutes, known, appointments, self.plan.seed)
        clock = SimClock(first - timedelta(minutes=2), time.time() + 6.0, self.plan.speed)  # ~6 s to start up
        self.stack = Stack(self.out, clock)
        self.stack.start_service(self.out / "hospital.db")
        # the patient who pays bills is insured: pays with 医保 at the kiosk; the first returning patient at a kiosk
        # shows the national e-health card instead of the medical card (both known to the platform simulators)
        insured = [a for a in self.arrivals if a.kind == BILLS and a.known is not None and a.known.id_number]
        by_ehealth = next((a for a in self.arrivals if a.kind == RETURNING and a.via_kiosk and a.known is not None
                           and a.known.id_number), None)
        cards = enroll(self.stack, [a.known for a in [*insured, *([by_ehealth] if by_ehealth else [])]])
        for arrival in insured:
            arrival.insurance_qr = cards[arrival.known.patient_id].insurance_qr
        if by_ehealth is not None:
            by_ehealth.ehealth_qr = cards[by_ehealth.known.patient_id].ehealth_qr
        self.stack.start_devices()
        app = QApplication.instance() or QApplication([])
        load_cjk_font(app)
        self.stack.start_apps(app, headless=True)
        self.stack.wall.boardChanged.connect(self._wall_changed)
        self.stack.door.boardChanged.connect(self._door_changed)
        wait_for(lambda: self.stack.wall.online and self.stack.door.online and self.stack.console.online, 15)
        self.desk = NurseDesk(self.stack.base_url, clock, self.ledger, seed=self.plan.seed)
        from demo.journeys import JourneyDesk
        from hardware.label.simulator import LabelPrinterServer, SimulatedLabelPrinter

        # the draw windows' label printer: the simulator decodes each TSPL label and draws it to labels/label-NNN.png
        self.label_server = LabelPrinterServer(SimulatedLabelPrinter(self.out / "labels")).__enter__()
        # the receipt printer of the kiosk where the journey desk's patients pay: its 导诊单 in printed/kiosk-pay/
        self.guide_printer = TcpPrinterSimulator(SimulatedPrinter(self.out / "printed" / "kiosk-pay",
                                                                  profile=profile_named("generic-80-gbk"))).start()
        self.journeys = JourneyDesk(self.stack.base_url, clock, self.ledger, seed=self.plan.seed,
                                    label_printer=f"tcp://127.0.0.1:{self.label_server.port}",
                                    guide_printer=f"tcp://127.0.0.1:{self.guide_printer.port}",
                                    provider=self.stack.payment.provider)  # the kiosk's patients pay there
        self.desk.on_finish = self.journeys.order
        from demo.phone import PhoneFollower

        self.phone = PhoneFollower(self.out / "phone", self.stack.base_url).start()  # a patient's phone

    def _wall_changed(self, changed: Any) -> None:
        if "calls" in changed:
            now = time.monotonic()
            for call in self.stack.wall.board.calls[:3]:
                self.ledger.saw_on_wall(call.visit_id, now)

    def _door_changed(self, changed: Any) -> None:
        if "calls" in changed:
            self.door_seen.update(call.visit_id for call in self.stack.door.board.calls[:3])

    # ------------------------------------------------------------------ the morning
    def run(self) -> None:
        self.desk.start()
        self.journeys.start()
        threading.Thread(target=self._lan_arrivals, name="lan-arrivals", daemon=True).start()
        taken: set[str] = set()
        for arrival in [a for a in self.arrivals if a.via_kiosk]:
            self._meanwhile(lambda: self.stack.clock.wall_seconds_until(arrival.at) <= 0, 600, taken)
            self._kiosk_arrival(arrival)
        last = self.arrivals[-1].at if self.arrivals else self.stack.clock()
        self._meanwhile(lambda: self.stack.clock.wall_seconds_until(last) <= 0, 600, taken)
        self._meanwhile(self._all_seen, self.plan.drain_timeout, taken)
        self.marks["clinic_drained"] = self.stack.clock()
        self.stop_lan.set()
        wait_for(self.lan_done.is_set, 30)
        pump(500)
        self._screens("end")
        self.desk.close()  # the journeys go on while finish() takes the cockpit's and the TV's screenshots

    def _meanwhile(self, condition, timeout: float, taken: set[str]) -> bool:
        """Keep the screens running (and photographed at key moments) until condition() or timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            self._moment_shots(taken)
            pump(100)
        return condition()

    def _all_seen(self) -> bool:
        """Every visit in the queue was seen (visits for a later slot, not yet checked in, do not count)."""
        led = self.ledger
        with led.lock:
            waiting = set(led.queued) - led.served
        if not waiting:
            return True
        if time.monotonic() - getattr(self, "_last_seen_check", 0.0) < 1.0:
            return False
        self._last_seen_check = time.monotonic()
        return all(self._admin().visit_status(v).get("state") == "registered" for v in waiting)

    def _journeys_done(self) -> bool:
        """Every step of the morning's journeys is done (asked at most once a second)."""
        if time.monotonic() - getattr(self, "_last_journey_check", 0.0) < 1.0:
            return False
        self._last_journey_check = time.monotonic()
        return self.journeys.open_steps() == 0

    def _moment_shots(self, taken: set[str]) -> None:
        nk_calls = [c for c in self.ledger.calls if c.area == "NK"]
        if nk_calls and "first-call" not in taken:
            wait_for(lambda: bool(self.stack.wall.board.calls), 3)
            taken.add("first-call")
            self._screens("first-call")
        load = self.desk.load.get("NK", 0)  # the busiest moment of the morning: most patients waiting
        if load >= 3 and load > self.peak_load and time.monotonic() - self.peak_shot_at > 3.0:
            self.peak_load, self.peak_shot_at = load, time.monotonic()
            self._screens("busy")
        pharmacy = self.stack.stations["YF"].view  # the pharmacy's busiest moment: its window console and wall
        lists = getattr(pharmacy, "lists", {})
        load = sum(len(rows) for rows in lists.values())
        if load >= 3 and lists.get("ready") and load > self.peak_journeys and \
                time.monotonic() - self.journey_shot_at > 3.0:
            self.peak_journeys, self.journey_shot_at = load, time.monotonic()
            self._screens("journeys-busy")

    def _screens(self, moment: str) -> None:
        stack = self.stack
        pump(50)
        for name, widget in (("console", stack.console), ("wall", stack.wall), ("door", stack.door),
                             ("console-pharmacy", stack.stations["YF"]), ("console-lab", stack.stations["JY"]),
                             ("wall-pharmacy", stack.walls["YF"]), ("wall-lab", stack.walls["JY"]),
                             ("wall-cashier", stack.walls["SF"])):
            path = self.out / "screens" / name / f"{moment}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            widget.grab().save(str(path))

    def _kiosk_arrival(self, arrival: Arrival) -> None:
        stack = self.stack
        rig = stack.kiosks[arrival.kiosk]
        shots = self.out / "screens" / "kiosk" / f"{arrival.number:02d}-{arrival.kind}{'-' + arrival.fault if arrival.fault else ''}"
        patient = KioskPatient(rig, stack.payment.provider, shots, stack.clock)
        try:
            result = patient.run(arrival)
        except (KioskStuck, CallerError) as exc:
            self.ledger.problem(f"{arrival.label}: {exc}")
            self._recover(patient)
            return
        self.kiosk_results[arrival.number] = result
        self._after_kiosk(arrival, result)

    def _recover(self, patient: KioskPatient) -> None:
        try:
            patient.window.go_home("home")
            patient.wait("home", timeout=5)
        except KioskStuck:
            pass

    def _after_kiosk(self, arrival: Arrival, result: dict[str, Any]) -> None:
        led = self.ledger
        area = area_of(arrival.department)
        if arrival.fault == PAYMENT_TIMEOUT:
            self._check_payment_timeout(arrival, result)
            led.patient(number=arrival.number, kind=arrival.kind, via="kiosk", outcome="left at payment")
            return
        if arrival.kind in (BILLS, REPORTS):
            led.patient(number=arrival.number, kind=arrival.kind, via="kiosk", outcome=result.get("text", ""))
            if arrival.insurance_qr:
                self._check_insurance(arrival, result)
            return
        if not result.get("visit_id") and result.get("registration_id"):
            reg = self._admin().request("GET", f"/records/registrations/{result['registration_id']}")["registration"]
            result["visit_id"] = reg.get("visit_id")
        if not result.get("visit_id"):
            led.problem(f"{arrival.label}: ticket {result.get('ticket')} shown but no visit in the queue")
            return
        led.patient(number=arrival.number, kind=arrival.kind, via="kiosk", visit_id=result["visit_id"],
                    ticket=result["ticket"], area=area)
        if arrival.ehealth_qr is not None:
            self._check_ehealth(arrival, result)
        identity = identity_of(arrival)
        if identity is not None:  # the doctor's orders are paid at the kiosk, after the consultation
            self.journeys.pays_at_kiosk(result["visit_id"], identity)
        if arrival.elderly:
            self.desk.give_priority(area, result["visit_id"])
        if arrival.fault == PAPER_OUT:
            code = result.get("reprint_code") or ""
            ok = "没有打印出来" in result["note"] and bool(code) and code in result["note"]
            led.fault("paper_out", arrival.label, ok,
                      f"printer ran out of paper after payment; ticket {result['ticket']} kept in the queue, "
                      f"screen gave reprint code {code or '(none)'}")
        if arrival.fault == LATE:
            status = self._admin().visit_status(result["visit_id"])
            late = bool(status.get("late"))
            led.fault("late", arrival.label, late,
                      f"appointment {arrival.appointment.start}-{arrival.appointment.end} checked in late; "
                      f"queued as {result['ticket']} (late={late}, placed by the late rule)")

    def _check_insurance(self, arrival: Arrival, result: dict[str, Any]) -> None:
        """The 医保 payer: settled once at the platform, the split on the screen, an e-invoice issued for it."""
        stack = self.stack
        settled = stack.medins.platform.settled()
        split = result.get("insurance_split") or {}
        def claims() -> list[dict[str, Any]]:  # the e-invoice of the claim (busNo CLM...; orders are ORD...)
            return [i for bus, i in list(stack.einvoice.invoices.items()) if bus.startswith("CLM")]

        wait_for(lambda: bool(claims()), 10)
        ok = len(settled) == 1 and "统筹支付" in result.get("text", "") and bool(split) and bool(claims())
        self.insurance = {"split": split, "paid_text": result.get("text", ""), "settlements": len(settled),
                          "einvoices": [{"batch_code": i.get("billBatchCode"), "bill_no": i.get("billNo")}
                                        for i in claims()], "einvoices_all_payments": len(stack.einvoice.invoices)}
        if not ok:
            self.ledger.problem(f"{arrival.label}: 医保 payment not as expected: {self.insurance}")

    def _check_ehealth(self, arrival: Arrival, result: dict[str, Any]) -> None:
        """The e-health card holder: the platform verified the card once, for a kiosk, and a ticket came out."""
        verified = list(self.stack.ehealth.verified)
        self.ehealth = {"patient": arrival.label, "verified": len(verified), "ticket": result.get("ticket", ""),
                        "terminal": verified[0][1] if verified else ""}
        if len(verified) != 1 or not result.get("ticket") or not self.ehealth["terminal"]:
            self.ledger.problem(f"{arrival.label}: e-health card identification not as expected: {self.ehealth}")

    def _check_payment_timeout(self, arrival: Arrival, result: dict[str, Any]) -> None:
        provider = self.stack.payment.provider
        order = provider.query(result["order"])
        charged = order.net_fen if hasattr(order, "net_fen") else 0
        reg_state = ""
        if result.get("registration_id"):
            admin = self._admin()
            ok_states = ("released", "cancelled", "expired")
            wait_for(lambda: admin.request("GET", f"/records/registrations/{result['registration_id']}")[
                "registration"]["state"] in ok_states, 10)
            reg_state = admin.request("GET", f"/records/registrations/{result['registration_id']}")["registration"]["state"]
        ok = charged == 0 and "超时" in result["fault_title"] and reg_state in ("released", "cancelled", "expired", "")
        self.ledger.fault("payment_timeout", arrival.label, ok,
                          f"QR not paid within the kiosk's time; order {order.state.value}, charged {charged} fen, "
                          f"held slot {reg_state or 'n/a'}; screen said: {result['fault_title']}")

    def _admin(self) -> CallerClient:
        if not hasattr(self, "_admin_client"):
            self._admin_client = CallerClient(self.stack.base_url, DEMO_TOKENS["admin"])
        return self._admin_client

    def _lan_arrivals(self) -> None:
        """Patients over the LAN API, on time; a patient whose slot is too far ahead checks in when allowed."""
        stack = self.stack
        kiosk = CallerClient(stack.base_url, DEMO_TOKENS["kiosk2"])
        triage = CallerClient(stack.base_url, DEMO_TOKENS["console_jz"])
        triage.login("zhouhs", "demo1234")
        later: list[tuple[datetime, int, dict]] = []  # (when the patient comes back to check in, registration, who)
        try:
            for arrival in [a for a in self.arrivals if not a.via_kiosk]:
                while stack.clock.wall_seconds_until(arrival.at) > 0:
                    later = self._check_in_due(kiosk, later)
                    time.sleep(min(0.2, max(0.0, stack.clock.wall_seconds_until(arrival.at))))
                try:
                    got = arrive_over_lan(arrival, kiosk, triage, stack.payment.provider)
                except CallerError as exc:
                    self.ledger.problem(f"{arrival.label}: {exc.code} {exc.message_en}")
                    continue
                if arrival.fault == MISSED:
                    self.desk.no_show.add(got["visit_id"])
                if got.get("identify"):
                    self.journeys.pays_at_kiosk(got["visit_id"], got["identify"])
                self.ledger.patient(number=arrival.number, kind=arrival.kind, via="lan",
                                    **{k: v for k, v in got.items() if k not in ("checked_in", "identify")})
                if arrival.elderly:
                    self.desk.give_priority(got["area"], got["visit_id"])
                if not got.get("checked_in", True) and got.get("registration_id"):
                    later.append((stack.clock(), got["registration_id"], got["identify"]))
            while later and not self.stop_lan.is_set():
                later = self._check_in_due(kiosk, later)
                time.sleep(0.2)
        except Exception as exc:  # noqa: BLE001
            log.exception("LAN arrivals")
            self.ledger.problem(f"LAN arrivals stopped: {exc!r}")
        finally:
            kiosk.close()
            triage.close()
            self.lan_done.set()

    def _check_in_due(self, kiosk: CallerClient, later: list[tuple[datetime, int, dict]]) -> list[tuple[datetime, int, dict]]:
        now, keep = self.stack.clock(), []
        for when, reg_id, who in later:
            if when > now:
                keep.append((when, reg_id, who))
                continue
            slot_start = check_in_later(kiosk, reg_id, who)
            if slot_start:  # the early check-in rule of the area: an hour before the slot
                keep.append((datetime.fromisoformat(slot_start) - timedelta(minutes=59), reg_id, who))
        return keep

    # ------------------------------------------------------------------ checks and summary
    def finish(self) -> dict[str, Any]:
        """Check what a person would notice, then write summary.json."""
        stack = self.stack
        stack.speech.wait_idle(60)
        self.phone.close()
        (self.out / "messages.json").write_text(json.dumps(  # what the patients' phones received
            [{"to": d.to, "template": d.template, "text": d.text} for d in stack.gateway.delivered],
            ensure_ascii=False, indent=2), encoding="utf-8")
        later = check_morning(self.ledger, self.out, self.arrivals, self.kiosk_results, self.door_seen,
                              lambda visit_id: self._admin().visit_status(visit_id).get("state"))
        printed = sorted((self.out / "printed").rglob("*.png"))
        web_shots: list[list[str]] = []  # the TV's screenshots are taken while the cockpit's are
        web_thread = threading.Thread(target=lambda: web_shots.append(self._web_wall_screens()), name="web-wall")
        web_thread.start()
        cockpit = self._cockpit_screens()
        web_thread.join(120)
        web_wall = web_shots[0] if web_shots else []
        wait_for(self._journeys_done, self.plan.journey_timeout)  # what is left of the last patients' journeys
        self.marks["journeys_ended"] = stack.clock()
        left = self.journeys.still_open()
        journeys = self.journeys.summary(self._admin())
        journeys["in_progress_at_end"] = left
        self.journeys.close()
        labels = sorted((self.out / "labels").glob("label-*.png"))
        self._check_journeys(journeys, labels)
        summary = summarise(self.ledger, later_slots=later, arrivals=len(self.arrivals), wall_area="NK", artefacts={
            "screens": sorted(str(p.relative_to(self.out)) for p in (self.out / "screens").rglob("*.png")),
            "printed": [str(p.relative_to(self.out)) for p in printed],
            "speech_wav": len(list((self.out / "speech").glob("*.wav"))), "speech_dir": "speech/",
            "database": "hospital.db", "cockpit": cockpit, "web_wall": web_wall,
            "phone": [str(p.relative_to(self.out)) for p in self.phone.shots], "messages": "messages.json",
            "labels": [str(p.relative_to(self.out)) for p in labels],
        }, timing={"real_seconds": round(time.monotonic() - self.started, 1), "speed": self.plan.speed,
                   "simulated_from": self.arrivals[0].at.strftime("%H:%M") if self.arrivals else "",
                   "simulated_to": stack.clock().strftime("%H:%M"),
                   **{f"{mark}_at": when.strftime("%H:%M") for mark, when in self.marks.items()}})
        summary["journeys"] = journeys
        summary["insurance"] = self.insurance
        summary["ehealth"] = self.ehealth
        (self.out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        return summary

    def _check_journeys(self, journeys: dict[str, Any], labels: list[Path]) -> None:
        """What a person would notice of the journeys: enough steps per visit, every step done, each label drawn."""
        led = self.ledger
        if journeys["steps_per_visit"] < 3:
            led.problem(f"{journeys['steps_per_visit']} steps per visit (clinic included), fewer than 3")
        stuck = [f"{s['ticket']} {s['kind']} {s['stage'] or s['state']} ({s['open_minutes']} min)"
                 for s in journeys["in_progress_at_end"] if s["open_minutes"] > self.plan.stuck_minutes]
        if stuck:  # a patient still in the lab's queue when the morning ends is not stuck; one left for an hour is
            led.problem(f"journey steps open over {self.plan.stuck_minutes:g} simulated minutes: {stuck}")
        if journeys["labels_printed"] == 0 or len(labels) != journeys["labels_printed"]:
            led.problem(f"{journeys['labels_printed']} specimen labels printed, {len(labels)} drawn by the printer")

    def _web_wall_screens(self) -> list[str]:
        """The internal-medicine TV (a paired web screen) at the end of the morning (out/demo/web-wall-*.png)."""
        from demo import webwall

        try:
            shots = webwall.screenshots(self.stack.base_url, self.out)
        except Exception as exc:  # noqa: BLE001 - reported like any other problem of the morning
            log.exception("web wall screenshots")
            self.ledger.problem(f"web wall screenshots failed: {exc!r}")
            return []
        return [str(p.relative_to(self.out)) for p in shots]

    def _cockpit_screens(self) -> list[str]:
        """The service cockpit of this morning as the hospital's manager sees it (out/demo/cockpit-*.png)."""
        from cockpit.screens import tour

        try:
            shots = tour(self.stack.base_url, self.out, prefix="cockpit")
        except Exception as exc:  # noqa: BLE001 - reported like any other problem of the morning
            log.exception("cockpit screenshots")
            self.ledger.problem(f"cockpit screenshots failed: {exc!r}")
            return []
        return [str(p.relative_to(self.out)) for p in shots]

    def close(self) -> None:
        if getattr(self, "phone", None) is not None:
            self.phone.close()
        if hasattr(self, "_admin_client"):
            self._admin_client.close()
        if self.desk is not None and self.desk.is_alive():
            self.desk.close()
        if self.journeys is not None and self.journeys.is_alive():
            self.journeys.close()
        if self.label_server is not None:
            self.label_server.__exit__(None, None, None)
        if self.guide_printer is not None:
            self.guide_printer.stop()
        if self.stack is not None:
            self.stack.close()


def run_morning(out: Path, plan: MorningPlan | None = None) -> tuple[dict[str, Any], int]:
    """Run the scripted morning into ``out``; returns (summary, exit code: 0 when nothing went wrong)."""
    morning = Morning(Path(out), plan or MorningPlan())
    try:
        morning.setup()
        morning.run()
        summary = morning.finish()
    finally:
        morning.close()
    return summary, 0 if summary["ok"] else 1
