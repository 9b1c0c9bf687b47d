"""PNG screenshots of the nurse console against a running service (``make screenshots``).

``write_screenshots(out_dir, base_url)`` writes:

* ``login.png``            the login dialog after a successful login (area and room to choose)
* ``console-NK.png``       the internal-medicine console with patients waiting, called, missed
* ``console-JZ-alert.png`` the emergency console right after a level-1 arrival (red banner)
* ``console-DT-help.png``  the lobby guide desk: a kiosk's call for help (我来处理 Ctrl+H) and its printer out
  of paper (alert and the devices pane)
* ``console-DT-help-taken.png`` the same console after 我来处理: 已解决 / 患者已离开
"""
from __future__ import annotations

from pathlib import Path

from client.http import CallerClient, CallerError
from uikit.screens import screenshot_app, wait_until

NK_CONSOLE = "demo-console-nk-9c2e47b1d3a6"
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
    return written


if __name__ == "__main__":
    import sys

    for p in write_screenshots(Path(sys.argv[2] if len(sys.argv) > 2 else "out/screenshots/console"), sys.argv[1]):
        print(p)
