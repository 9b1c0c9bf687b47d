"""After the consulting room (一票到底): the doctor's orders, payment, and the window staff of the pharmacy, the
lab, imaging and the cashier at work, all through the console's commands over the LAN.

The nurse desk (demo/desk.py) hands each patient whose consultation ends to :meth:`JourneyDesk.order`: the doctor
orders (开单) drugs, lab panels and exams from the hospital's catalog, seeded. Then, on the simulated clock:

* the patient pays a few minutes later at a kiosk: identified there again (card, medical card), the orders are
  the patient's bills (one per step), paid by QR, and the payment opens their steps, audited as the kiosk's (a
  patient the demo cannot identify again, such as a 港澳台 card, pays through the cashier's console); the first
  patient who pays there takes a 导诊单 (guide slip) from that kiosk's receipt printer (``guide_printer``: its ESC/POS
  simulator draws it to out/demo/printed/kiosk-pay/job-NNN.png); or queues
  at a cashier window (``pay_at_window``: 请 A015 号 到 1号收费窗口缴费) whose 收费完成 opens the orders;
* the pharmacist starts each paid prescription (配药中), marks it ready at the window with the shortest list
  (已配好: the pharmacy wall's 请以下患者取药), calls the patient to that window and confirms 已取药 with the
  patient's code;
* the patient walks to the lab and checks in with the ticket number; a draw window calls, prints the tube labels
  on a TSPL label printer (the simulator draws each to out/demo/labels/label-NNN.png), draws, and the report comes
  out later;
* at imaging the desk checks the patient in and records the preparation (fasting since last night, water drunk
  some minutes ago, the signed consent); the room calls once the preparation is met and finishes after the slot.

The service keeps a patient from being called in two places at once; the desk only presses the buttons.
"""
from __future__ import annotations

import json
import logging
import random
import threading
from datetime import datetime, timedelta
from typing import Any

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
from client.http import CallerClient, CallerError
from demo.clock import SimClock
from demo.lan import R, identify
from demo.ledger import Ledger
from hardware.printer import GuideSlipDoc, profile_named, render_guide_slip
from hardware.printer.transport import TcpTransport

log = logging.getLogger(__name__)

STAFF = {"YF": (DEMO_TOKENS["console_yf"], "yaoshi-chen"), "JY": (DEMO_TOKENS["console_jy"], "caixue-wu"),
         "YX": (DEMO_TOKENS["console_yx"], "jishi-sun"), "SF": (DEMO_TOKENS["console_sf"], "shoufei-he")}
DRUGS = ("AMOX", "IBU", "MET", "AML", "OME", "CPM")
LABS = ("CBC", "GLU", "LFT", "LIPID", "COAG", "CRP")
EXAMS = ("CT-CHEST", "US-ABD", "US-PELV", "ECG", "ECG", "CT-CHEST")  # ECG and chest CT are the common ones
SLOT_MINUTES = {"CT-CHEST": 10, "CT-ABD-C": 20, "US-ABD": 15, "US-PELV": 15, "ECG": 10}


def plan_orders(rng: random.Random) -> tuple[list[dict], bool]:
    """What a doctor orders for one patient (seeded): a prescription most often, lab panels often, an exam for
    about half; and whether the patient pays at a cashier window. At least one order every time."""
    orders: list[dict] = []
    if rng.random() < 0.9:
        drugs = rng.sample(DRUGS, rng.choice((1, 1, 2)))
        orders.append({"kind": "drug", "items": [{"code": c, "quantity": rng.choice((1, 1, 2))} for c in drugs]})
    if rng.random() < 0.75:
        orders.append({"kind": "lab", "items": [{"code": c} for c in rng.sample(LABS, rng.choice((1, 2, 2, 3)))]})
    if rng.random() < 0.55 or not orders:
        orders.append({"kind": "imaging", "items": [{"code": rng.choice(EXAMS)}]})
    return orders, rng.random() < 0.3


class JourneyDesk(threading.Thread):
    """Runs until :meth:`close`. ``label_printer``: the draw windows' printer address (tcp://HOST:PORT)."""

    def __init__(self, base_url: str, clock: SimClock, ledger: Ledger, *, label_printer: str | None = None,
                 seed: int = 7, tick: float = 0.5, provider: Any = None, guide_printer: str | None = None):
        super().__init__(name="journey-desk", daemon=True)
        self.clock, self.ledger, self.tick = clock, ledger, tick
        self.rng = random.Random(seed + 23)       # the patients' and the staff's pace
        self.orders_rng = random.Random(seed + 29)  # what the doctors order: the same plans whatever the pace
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.clients: dict[str, CallerClient] = {}
        for area, (device, user) in STAFF.items():
            client = CallerClient(base_url, device)
            client.login(user, DEMO_PASSWORD)
            self.clients[area] = client
        self.printer = None
        if label_printer:
            from caller_console.label_printer import LabelPrinter

            self.printer = LabelPrinter(label_printer)
        self.journeys: dict[str, str] = {}       # clinic visit id -> ticket (every journey with orders)
        self.pay_at: dict[str, datetime] = {}    # unpaid step -> when the patient pays (cashier's console)
        # the patients who pay at a kiosk: clinic visit id -> how they identify there (records' identify body)
        self.identities: dict[str, dict[str, Any]] = {}
        self.kiosk_pay_at: dict[str, datetime] = {}  # clinic visit id -> when its patient pays at the kiosk
        self.provider = provider                      # the payment gateway simulator: the patient's phone pays
        self.kiosk = CallerClient(base_url, DEMO_TOKENS["kiosk2"]) if provider is not None else None
        self.paid_at_kiosk = 0
        # the receipt printer of the kiosk where they pay (tcp://HOST:PORT, an 80 mm ESC/POS printer): one 导诊单
        self.guide_printer = guide_printer
        self.guides_printed = 0
        self.due: dict[str, datetime] = {}       # step -> when its next move happens (walk in, dispense, ...)
        self.labels_printed = 0
        self.orders_sent = 0
        self.busiest: dict[str, int] = {}        # area -> most steps open at once

    # ------------------------------------------------------------------ the doctor
    def order(self, client: CallerClient, visit: dict) -> None:
        """开单 at the end of a consultation (the nurse desk's thread): the steps open, unpaid."""
        orders, at_window = plan_orders(self.orders_rng)
        answer = client.orders(visit["visit_id"], orders, pay_at_window=at_window)
        journey = client.journey(visit["visit_id"])
        now = self.clock()
        with self.lock:
            self.orders_sent += len(orders)
            self.journeys[visit["visit_id"]] = visit["ticket"]
            when = now + timedelta(minutes=self.rng.uniform(1, 3))
            if not at_window and self.kiosk is not None and visit["visit_id"] in self.identities:
                self.kiosk_pay_at[visit["visit_id"]] = when
            elif not at_window:
                for step in journey["steps"][1:]:
                    if not step["paid"]:
                        self.pay_at[step["visit_id"]] = when
        log.debug("orders for %s: %s", visit["ticket"], answer.get("changed"))

    # ------------------------------------------------------------------ the loop
    def run(self) -> None:
        while not self.stop_event.is_set():
            for name, work in (("pay", self._pay), ("YF", self._pharmacy), ("JY", self._lab), ("YX", self._imaging),
                               ("SF", self._cashier)):
                try:
                    work()
                except CallerError as exc:
                    if exc.code not in ("busy_elsewhere", "preparation_pending", "wrong_state"):
                        self.ledger.problem(f"journey command refused at {name}: {exc.code} {exc.message_en}")
                except Exception as exc:  # noqa: BLE001 - keep the windows working, report it
                    log.exception("journey desk")
                    self.ledger.problem(f"journey desk error at {name}: {exc!r}")
            self.stop_event.wait(self.tick)

    def close(self) -> None:
        self.stop_event.set()
        self.join(10)
        for client in self.clients.values():
            client.close()
        if self.kiosk is not None:
            self.kiosk.close()
        if self.printer is not None:
            self.printer.close()

    def _when(self, step_id: str, low: float, high: float) -> bool:
        """True once the step's next move is due (first asked: set ``low``-``high`` simulated minutes ahead)."""
        due = self.due.setdefault(step_id, self.clock() + timedelta(minutes=self.rng.uniform(low, high)))
        if due <= self.clock():
            del self.due[step_id]
            return True
        return False

    def pays_at_kiosk(self, visit_id: str, identity: dict[str, Any]) -> None:
        """The patient of this clinic visit pays the doctor's orders at a kiosk, identifying with ``identity``."""
        with self.lock:
            self.identities[visit_id] = identity

    def _pay_at_kiosk(self, visit_id: str) -> None:
        """At the kiosk: identify, the journey's bills, one QR payment; the service opens the steps."""
        assert self.kiosk is not None
        found = identify(self.kiosk, self.identities[visit_id])
        patient_id = found["patient"]["patient_id"]
        bills = [b for b in self.kiosk.request("GET", f"{R}/bills", params={"patient_id": patient_id})["bills"]
                 if (b.get("step_id") or "").startswith(f"{visit_id}-")]
        if not bills:
            return
        order = self.kiosk.request("POST", f"{R}/payments", json_body={
            "patient_id": patient_id, "bill_ids": [b["bill_id"] for b in bills],
            "amount_fen": sum(b["total_fen"] for b in bills), "method": "qr"})
        self.provider.patient_pays(order["payment"]["provider_order_id"])
        deadline = self.clock() + timedelta(minutes=5)
        while order["state"] == "pending" and self.clock() < deadline and not self.stop_event.is_set():
            order = self.kiosk.request("POST", f"{R}/payments/{order['order_id']}/confirm")
            if order["state"] == "pending":
                self.stop_event.wait(0.05)
        if order["state"] != "paid":
            self.ledger.problem(f"journey of {visit_id}: kiosk payment {order['order_id']} is {order['state']}")
            return
        with self.lock:
            self.paid_at_kiosk += len(bills)
            first = self.guide_printer is not None and self.guides_printed == 0
            if first:
                self.guides_printed = 1
        if first:
            self._print_guide(visit_id)

    def _print_guide(self, visit_id: str) -> None:
        """The 导诊单 after payment, as the kiosk prints it: every open step, where, what to prepare, places ahead,
        and the ticket page QR that the lab and the pharmacy scan."""
        assert self.kiosk is not None and self.guide_printer is not None
        journey = self.kiosk.journey(visit_id)
        token = self.kiosk.visit_status(visit_id)["ticket_token"]
        hospital = self.kiosk.hospital()["hospital"]["name"]
        doc = GuideSlipDoc.from_journey(journey, hospital=hospital, code_url=f"{self.kiosk.base_url}/t/{token}",
                                        printed_at=self.clock())
        host, port = self.guide_printer.removeprefix("tcp://").rsplit(":", 1)
        printer = TcpTransport(host, int(port))
        try:
            printer.write(render_guide_slip(doc, profile_named("generic-80-gbk")))
        except OSError as exc:
            self.ledger.problem(f"journey of {visit_id}: the guide slip was not printed ({exc})")
            with self.lock:
                self.guides_printed = 0
        finally:
            printer.close()

    def _pay(self) -> None:
        now = self.clock()
        with self.lock:
            at_kiosk = [v for v, when in self.kiosk_pay_at.items() if when <= now]
        for visit_id in at_kiosk:
            with self.lock:
                del self.kiosk_pay_at[visit_id]
            self._pay_at_kiosk(visit_id)
        with self.lock:
            paying = [s for s, when in self.pay_at.items() if when <= now]
        for step_id in paying:
            self.clients["SF"].pay_step(step_id)
            with self.lock:
                del self.pay_at[step_id]

    def _windows(self, area: str, client: CallerClient, serve) -> dict:
        """Each open window of the area: a called patient comes (``serve``), a free window calls the next."""
        snap = client.area_queue(area)
        for room in snap.get("rooms") or []:
            if room.get("paused"):
                continue
            busy = (room.get("called") or []) + (room.get("in_service") or [])
            for item in busy:
                serve(client, item)
            if not busy and (room.get("queue") or snap.get("waiting")):
                client.call_next(room["room_id"])
        return snap

    def _count(self, area: str, steps: list[dict]) -> None:
        self.busiest[area] = max(self.busiest.get(area, 0), len(steps))

    # ------------------------------------------------------------------ pharmacy
    def _pharmacy(self) -> None:
        client = self.clients["YF"]
        steps = client.area_steps("YF")
        self._count("YF", steps)
        for step in steps:
            if step["stage"] == "pending" and self._when(step["visit_id"], 0.3, 1):
                client.dispense(step["visit_id"])
            elif step["stage"] == "dispensing" and self._when(step["visit_id"], 1, 3):
                client.ready(step["visit_id"])  # the open window with the shortest list

        def serve(c: CallerClient, item: dict) -> None:
            if item["state"] == "called" and self._when(item["visit_id"], 0.3, 1):
                c.collect(item["visit_id"], item["ticket"])  # the patient's code, scanned at the window

        self._windows("YF", client, serve)

    # ------------------------------------------------------------------ lab
    def _lab(self) -> None:
        client = self.clients["JY"]
        steps = client.area_steps("JY")
        self._count("JY", steps)
        for step in steps:
            if step["state"] == "registered" and step["stage"] == "open" and self._when(step["visit_id"], 1, 3):
                client.check_in_code("JY", step["ticket"])  # the patient walked up and showed the slip

        def serve(c: CallerClient, item: dict) -> None:
            vid = item["visit_id"]
            if item["state"] == "called" and self._when(vid, 0.2, 0.6):
                c.start(vid)
                if self.printer is not None:
                    labels = self.printer.print_step(lambda: c.labels(vid))
                else:
                    labels = c.labels(vid)
                with self.lock:
                    self.labels_printed += len(labels)
            elif item["state"] == "in_service" and self._when(vid, 0.5, 1.2):  # the draw itself
                c.finish(vid)
                self.due[f"report:{vid}"] = self.clock() + timedelta(minutes=self.rng.uniform(15, 30))

        self._windows("JY", client, serve)
        for key, when in list(self.due.items()):
            if key.startswith("report:") and when <= self.clock():
                del self.due[key]
                client.report_ready(key.split(":", 1)[1])

    # ------------------------------------------------------------------ imaging
    def _imaging(self) -> None:
        client = self.clients["YX"]
        steps = client.area_steps("YX")
        self._count("YX", steps)
        for step in steps:
            if step["state"] == "registered" and step["stage"] == "booked" and self._when(step["visit_id"], 1, 3):
                client.check_in_code("YX", step["ticket"])
                self._prepare(client, step)

        def serve(c: CallerClient, item: dict) -> None:
            vid = item["visit_id"]
            if item["state"] == "called" and self._when(vid, 0.3, 1):
                c.start(vid)
            elif item["state"] == "in_service":
                exams = json.loads(item.get("items") or "[]")
                minutes = SLOT_MINUTES.get(exams[0] if exams else "", 8)
                if self._when(vid, minutes * 0.4, minutes * 0.6):  # the exam itself, within its slot
                    c.finish(vid)

        self._windows("YX", client, serve)

    def _prepare(self, client: CallerClient, step: dict) -> None:
        """At check-in the desk records what the patient did: ate last night, drank the water a while ago, signed."""
        needs = json.loads(step.get("prep") or "{}")
        if not needs:
            return
        now = self.clock()
        answer: dict[str, Any] = {}
        if needs.get("fasting_hours"):
            answer["fasting_since"] = (now.replace(hour=0, minute=0) - timedelta(hours=2)).isoformat(timespec="minutes")
        if needs.get("water_minutes"):  # drank the water on the way: the rest of the wait shows as a countdown
            answer["water_at"] = (now - timedelta(minutes=self.rng.uniform(35, 44))).strftime("%H:%M")
        if needs.get("contrast"):
            answer["consent"] = True
        client.prep(step["visit_id"], **answer)

    # ------------------------------------------------------------------ cashier
    def _cashier(self) -> None:
        client = self.clients["SF"]

        def serve(c: CallerClient, item: dict) -> None:
            vid = item["visit_id"]
            if item["state"] == "called" and self._when(vid, 0.3, 1):
                c.start(vid)
            elif item["state"] == "in_service" and self._when(vid, 0.5, 1.5):
                c.settle(vid)  # 收费完成: the orders it carries open

        self._windows("SF", client, serve)

    # ------------------------------------------------------------------ the end
    def open_steps(self) -> int:
        """Steps of the demo's journeys still to do (the report of a lab draw is not waited for)."""
        return sum(len(c.area_steps(area)) for area, c in self.clients.items())

    def still_open(self) -> list[dict[str, Any]]:
        """The steps not done yet, with how long (simulated minutes) each has been open since payment."""
        now, left = self.clock(), []
        for area, client in self.clients.items():
            for step in client.area_steps(area):
                since = step.get("paid_at") or step.get("registered_at")
                minutes = (now - datetime.fromisoformat(since)).total_seconds() / 60 if since else 0.0
                left.append({"ticket": step["ticket"], "kind": step["step_kind"], "stage": step["stage"],
                             "state": step["state"], "open_minutes": round(minutes, 1)})
        return left

    def summary(self, admin: CallerClient) -> dict[str, Any]:
        """What the journeys came to: steps per visit (the clinic visit counted), by kind and state."""
        by_kind: dict[str, dict[str, int]] = {}
        steps = 0
        for visit_id in list(self.journeys):
            journey = admin.journey(visit_id)
            steps += len(journey["steps"])
            for step in journey["steps"]:
                kinds = by_kind.setdefault(step["kind"], {})
                kinds[step["state"]] = kinds.get(step["state"], 0) + 1
        visits = len(self.ledger.served)
        after = steps - len(self.journeys)
        return {"what": "journeys after the consulting room: the doctor's orders, paid, then the pharmacy, the lab, "
                        "imaging and the cashier",
                "visits_seen": visits, "visits_with_orders": len(self.journeys), "orders": self.orders_sent,
                "steps": after + visits, "steps_per_visit": round((after + visits) / visits, 2) if visits else 0,
                "steps_after_clinic": after, "by_kind_and_state": by_kind, "labels_printed": self.labels_printed,
                "guide_slips_printed": self.guides_printed,
                "bills_paid_at_kiosk": self.paid_at_kiosk, "busiest_open_steps": dict(self.busiest)}
