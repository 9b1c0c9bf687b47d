"""PNG screenshots of the nurse console against a running service (``make screenshots``).

``write_screenshots(out_dir, base_url)`` writes:

* ``login.png``            the login dialog after a successful login (area and room to choose)
* ``console-NK.png``       the internal-medicine console with patients waiting, called, missed
* ``console-JZ-alert.png`` the emergency console right after a level-1 arrival (red banner)
* ``console-DT-help.png``  the lobby guide desk: a kiosk's call for help (我来处理 Ctrl+H) and its printer out
  of paper (alert and the devices pane)
* ``console-DT-help-taken.png`` the same console after 我来处理: 已解决 / 患者已离开

``write_station_screenshots(out_dir, base_url)`` (also called by ``write_screenshots``) writes the window mode and
the ordering screen, after sending a few internal-medicine patients on their journeys:

* ``console-order.png``          开单: a prescription, two lab panels and an exam ticked, with the total
* ``console-YF-pharmacy.png``    3号窗口 of the pharmacy: 已呼叫, 已配好, 待配药, 配药中
* ``console-JY-lab.png``         1号采血窗口: called, checked in (fasting and elderly first), still to check in
* ``console-YX-imaging.png``     超声1室: the waiting exams with their preparation countdowns
"""
from __future__ import annotations

from pathlib import Path

from client.http import CallerClient, CallerError
from uikit.screens import screenshot_app, wait_until

NK_CONSOLE = "demo-console-nk-9c2e47b1d3a6"
YF_CONSOLE = "demo-console-yf-3d8a1f6c2e07"
JY_CONSOLE = "demo-console-jy-8b2e5c9f1a46"
YX_CONSOLE = "demo-console-yx-1f7c3a9e5d28"
SF_CONSOLE = "demo-console-sf-6e0d4b8a2c93"
JZ_CONSOLE = "demo-console-jz-2a7c5e8b1f40"
DT_CONSOLE = "demo-console-dt-5e2b7a9c1d84"
KIOSK = "demo-kiosk-2-53ab8e1f6c07"
PASSWORD = "demo1234"




def _populate_nk(client: CallerClient) -> None:
    """Enough patients in area NK, and (unless somebody was already called) one missed, one called, one elderly."""
    snap = client.area_queue("NK")
    people = [("张伟", {}), ("王秀英", {"source": "appointment"}), ("李娜", {}), ("刘强", {}),
              ("欧阳娜娜", {}), ("陈静", {"doctor": "nk-zhang", "kind": "expert"}), ("杨洋", {}), ("赵磊", {})]
    visits = []
    for name, extra in people[: max(0, 8 - len(snap.get("waiting") or []))]:
        visit = client.register("NK", name=name, **extra)["visit"]
        if visit["state"] == "registered":
            client.check_in(visit["visit_id"])
        visits.append(visit)
    if snap.get("called") or snap.get("missed"):
        return
    try:
        called = client.call_next("NK3")["visit"]
        if called:
            client.call_again(called["visit_id"])
            client.missed(called["visit_id"])
        client.call_next("NK3")
        waiting = client.area_queue("NK").get("waiting") or []
        if waiting:
            client.priority(waiting[-1]["visit_id"], "elderly")
    except CallerError:
        pass


def write_screenshots(out_dir: Path, base_url: str, *, nk_token: str = NK_CONSOLE,
                      jz_token: str = JZ_CONSOLE) -> list[Path]:
    """Write the console PNGs into ``out_dir``; returns their paths."""
    from caller_console.app import LoginDialog, open_console

    app = screenshot_app()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shot(widget, name: str) -> None:
        app.processEvents()
        path = out_dir / name
        widget.grab().save(str(path))
        written.append(path)

    dialog = LoginDialog(base_url, nk_token)
    dialog.show()
    dialog.username.setText("wanghs")
    dialog.password.setText(PASSWORD)
    dialog.submit()
    wait_until(app, lambda: dialog.enter_button.isVisible())
    shot(dialog, "login.png")
    dialog.reject()

    with CallerClient(base_url, nk_token) as client:
        client.login("wanghs", PASSWORD)
        _populate_nk(client)
    window = open_console(base_url, nk_token, "wanghs", PASSWORD, area="NK", room="NK3")
    window.show()
    wait_until(app, lambda: window.online and window.view.waiting != [])
    window.runner.submit("devices", window.client.devices)
    wait_until(app, lambda: bool(window.devices), timeout=3)
    if window.view.waiting:
        window.select(window.view.waiting[0].visit_id)
    shot(window, "console-NK.png")
    window.shutdown()
    window.close()

    window = open_console(base_url, jz_token, "zhouhs", PASSWORD, area="JZ")
    window.show()
    wait_until(app, lambda: window.online)
    with CallerClient(base_url, jz_token) as client:
        client.login("zhouhs", PASSWORD)
        client.register("JZ", name="钱建国", kind="emergency", triage_level=1)
        client.register("JZ", name="孙丽", kind="emergency", triage_level=3)
    wait_until(app, lambda: window.alert_bar.isVisible() and len(window.view.waiting) >= 2)
    shot(window, "console-JZ-alert.png")
    window.shutdown()
    window.close()

    window = open_console(base_url, DT_CONSOLE, "wangdy", PASSWORD, area="DT")
    window.show()
    wait_until(app, lambda: window.online)
    with CallerClient(base_url, KIOSK) as kiosk:
        kiosk.report_health("ok", parts=[{"device": "printer", "status": "offline", "reason_zh": "打印纸已用完",
                                          "reason_en": "paper out"}])
        call = kiosk.request_help("payment")
        wait_until(app, lambda: call["help_id"] in window.help_calls and bool(window.device_alerts))
        window.runner.submit("devices", window.client.devices)
        wait_until(app, lambda: any(d.get("status") == "fault" for d in window.devices), timeout=3)
        shot(window, "console-DT-help.png")
        window.acknowledge_oldest_help()
        wait_until(app, lambda: (call["help_id"], "resolved") in window.help_bar.buttons)
        shot(window, "console-DT-help-taken.png")
        window.close_help(call["help_id"], "resolved")
        kiosk.report_health("ok", parts=[{"device": "printer", "status": "ok"}])
    window.shutdown()
    window.close()
    written += write_station_screenshots(out_dir, base_url, nk_token=nk_token)
    return written


# name, what the doctor orders (paid at once or not), flags
JOURNEYS = (
    ("周建华", [{"kind": "drug", "items": [{"code": "AML"}, {"code": "MET", "quantity": 2}]},
             {"kind": "lab", "items": [{"code": "GLU"}, {"code": "LIPID"}]}], ["elderly"]),
    ("吴晓燕", [{"kind": "drug", "items": [{"code": "OME"}]},
             {"kind": "imaging", "items": [{"code": "US-ABD"}]}], []),
    ("郑国强", [{"kind": "lab", "items": [{"code": "CBC"}, {"code": "CRP"}]},
             {"kind": "imaging", "items": [{"code": "US-PELV"}]}], []),
    ("孙丽华", [{"kind": "drug", "items": [{"code": "AMOX"}, {"code": "IBU"}]}, {"kind": "lab", "items": [{"code": "CBC"}]}],
     []),
    ("钱明", [{"kind": "drug", "items": [{"code": "CPM"}]}, {"kind": "imaging", "items": [{"code": "ECG"}]}], []),
    ("欧阳娜娜", [{"kind": "drug", "items": [{"code": "IBU", "quantity": 2}]},
              {"kind": "lab", "items": [{"code": "LFT"}, {"code": "COAG"}]}], ["child"]),
)


def send_journeys(base_url: str, nk_token: str = NK_CONSOLE) -> list[dict]:
    """Internal-medicine patients seen and ordered for (开单), every order paid at the cashier: their steps wait at
    the pharmacy (待配药), the lab (to check in) and imaging (booked). Returns the clinic visits."""
    visits = []
    with CallerClient(base_url, nk_token) as desk, CallerClient(base_url, SF_CONSOLE) as cashier:
        desk.login("wanghs", PASSWORD)
        cashier.login("shoufei-he", PASSWORD)
        for name, orders, flags in JOURNEYS:
            visit = desk.register("NK", name=name)["visit"]
            if visit["state"] == "registered":
                desk.check_in(visit["visit_id"])
            desk.dispatch(visit["visit_id"], "NK4")
            desk.call_visit(visit["visit_id"], "NK4", "其他")
            desk.start(visit["visit_id"])
            desk.orders(visit["visit_id"], orders, flags=flags)
            desk.finish(visit["visit_id"])
            for step in desk.journey(visit["visit_id"])["steps"][1:]:
                cashier.pay_step(step["visit_id"])
            visits.append(visit)
    return visits


def work_the_windows(base_url: str, visits: list[dict]) -> None:
    """Window staff at work: prescriptions dispensed and ready at windows, lab check-ins, exam check-ins with the
    water drunk 20 minutes ago, one patient called at each."""
    from datetime import datetime, timedelta

    with CallerClient(base_url, YF_CONSOLE) as pharmacy, CallerClient(base_url, JY_CONSOLE) as lab, \
            CallerClient(base_url, YX_CONSOLE) as desk:
        pharmacy.login("yaoshi-chen", PASSWORD)
        lab.login("caixue-wu", PASSWORD)
        desk.login("jishi-sun", PASSWORD)
        prescriptions = [s for s in pharmacy.area_steps("YF") if s.get("stage") == "pending"]
        for n, step in enumerate(prescriptions):
            if n < 3:
                pharmacy.ready(step["visit_id"], "YF3" if n != 1 else "YF1")
            elif n == 3:
                pharmacy.dispense(step["visit_id"])
        pharmacy.call_next("YF3")
        for visit in visits:
            for area, client in (("JY", lab), ("YX", desk)):
                try:
                    client.check_in_code(area, visit["ticket"])
                except CallerError:
                    pass  # no step there, or not yet
        lab.call_next("JY1")
        for step in desk.area_steps("YX"):
            if "water_minutes" in (step.get("prep") or ""):
                now = datetime.fromisoformat(desk.healthz()["time"]).replace(tzinfo=None)
                desk.prep(step["visit_id"], water_at=(now - timedelta(minutes=20)).strftime("%H:%M"))


def write_station_screenshots(out_dir: Path, base_url: str, *, nk_token: str = NK_CONSOLE) -> list[Path]:
    """The ordering screen and the window mode of the pharmacy, the lab and imaging (see the module's list)."""
    from caller_console.app import open_console

    app = screenshot_app()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shot(widget, name: str) -> None:
        app.processEvents()
        path = out_dir / name
        widget.grab().save(str(path))
        written.append(path)

    visits = send_journeys(base_url, nk_token)
    doctor = open_console(base_url, nk_token, "zhangys", PASSWORD, area="NK", room="NK4")
    doctor.show()
    wait_until(app, lambda: doctor.online)
    with CallerClient(base_url, nk_token) as desk:
        desk.login("wanghs", PASSWORD)
        visit = desk.register("NK", name="王秀英")["visit"]
        if visit["state"] == "registered":
            desk.check_in(visit["visit_id"])
        desk.dispatch(visit["visit_id"], "NK4")
        desk.call_visit(visit["visit_id"], "NK4", "其他")
        desk.start(visit["visit_id"])
    wait_until(app, lambda: doctor.view.current_of_room() is not None)
    doctor.do_orders()
    dialog = doctor.order_dialog
    if dialog is not None:
        dialog.tick("drug", "AMOX")
        dialog.quantities["AMOX"].setValue(2)
        dialog.tick("drug", "IBU")
        dialog.tick("lab", "CBC")
        dialog.tick("lab", "GLU")
        dialog.tick("imaging", "US-ABD")
        dialog.slots["US-ABD"].setText("10:30")
        dialog.flags["elderly"].setChecked(True)
        dialog.tabs.setCurrentIndex(2)
        shot(dialog, "console-order.png")
        dialog.reject()
    doctor.shutdown()
    doctor.close()

    work_the_windows(base_url, visits)
    for token, user, area, room, name, ready in (
            (YF_CONSOLE, "yaoshi-chen", "YF", "YF3", "console-YF-pharmacy.png",
             lambda w: bool(w.view.lists.get("ready")) and bool(w.view.lists.get("pending"))),
            (JY_CONSOLE, "caixue-wu", "JY", "JY1", "console-JY-lab.png", lambda w: bool(w.view.lists.get("called"))),
            (YX_CONSOLE, "jishi-sun", "YX", "US1", "console-YX-imaging.png",
             lambda w: bool(w.view.lists.get("queue")))):
        window = open_console(base_url, token, user, PASSWORD, area=area, room=room)
        window.resize(1600, 960)
        window.show()
        wait_until(app, lambda w=window, r=ready: w.online and w.steps != [] and r(w))
        panes = window.station_panes
        first = next((p for p in panes.values() if p.rows), None)
        if first is not None:
            window.select(first.rows[0].visit_id)
        shot(window, name)
        window.shutdown()
        window.close()
    return written


if __name__ == "__main__":
    import sys

    for p in write_screenshots(Path(sys.argv[2] if len(sys.argv) > 2 else "out/screenshots/console"), sys.argv[1]):
        print(p)
