"""我不排了 on the phone page of a booked, paid number: the refund rule is told first, then the seat goes back and the fee
is refunded, audited with the ticket page as who did it; past the rule the patient may leave but is told the fee stays.
The page also shows the patient's medical-card QR (the unguessable card code, never the card number)."""
from __future__ import annotations

import re
from datetime import datetime

import httpx
import zxingcpp
from PIL import Image, ImageDraw
from records_helpers import Api, logged_in, paid_registration

from caller.testing import ManualClock
from hardware.payment import Outcome, SimulatedProvider
from records.testing import serve_records


def token_of(live, visit_id: str) -> str:
    nurse = logged_in(live, "wanghs")
    try:
        return nurse.ok("GET", f"/visits/{visit_id}/status")["ticket_token"]
    finally:
        nurse.client.close()


def remaining(kiosk: Api, slot_id: int) -> int:
    sessions = kiosk.ok("GET", "/records/slots", department="NK")["sessions"]
    return next(s["remaining"] for session in sessions for s in session["slots"] if s["slot_id"] == slot_id)


def test_leaving_a_paid_number_refunds_it_and_gives_the_seat_back(live, kiosk, provider):
    reg = paid_registration(kiosk, provider, "08:30")
    seats = remaining(kiosk, reg["slot_id"])
    page = f"{live.url}/t/{token_of(live, reg['visit_id'])}"

    terms = httpx.get(f"{page}/leave", timeout=10).json()  # told before the patient confirms: nothing done yet
    fee = f"{reg['fee_fen'] / 100:.2f}"
    assert terms["refund"] is True and terms["refund_fen"] == reg["fee_fen"]
    assert f"挂号费 {fee} 元按原支付方式退回" in terms["text"] and fee in terms["text_en"]
    assert kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]["state"] == "final"

    left = httpx.post(f"{page}/leave", timeout=10)
    assert left.status_code == 200 and left.json()["terms"] == terms
    after = kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]
    assert after["state"] == "cancelled" and after["bill_state"] in ("refund_pending", "refunded")
    assert remaining(kiosk, reg["slot_id"]) == seats + 1  # the seat is on sale again

    nurse = logged_in(live, "wanghs")
    trail = nurse.ok("GET", "/audit", visit=reg["visit_id"])
    nurse.client.close()
    by_page = {row["action"] for row in trail if row["device"] == "ticket-page"}
    assert "leave_queue" in by_page and any(a.startswith("records.") and "cancel" in a for a in by_page), trail
    assert httpx.post(f"{page}/leave", timeout=10).status_code == 409  # once is enough: nothing refunded twice


def test_past_the_rule_the_patient_is_told_the_fee_stays(tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 8, 20))
    provider = SimulatedProvider(Outcome.no_answer(), clock=lambda: clock().timestamp(), expires_after_s=900)
    with serve_records(db_path=tmp_path / "h.db", clock=clock, payments=provider, cancel_until="slot_start") as live:
        kiosk = Api(live, "kiosk")
        reg = paid_registration(kiosk, provider, "08:30")
        clock.set(clock().replace(hour=int(reg["start"][:2]), minute=int(reg["start"][3:5]) + 1))
        page = f"{live.url}/t/{token_of(live, reg['visit_id'])}"
        terms = httpx.get(f"{page}/leave", timeout=10).json()
        assert terms["refund"] is False and terms["refund_fen"] == 0 and "不能退挂号费" in terms["text"]
        assert httpx.post(f"{page}/leave", timeout=10).json()["terms"]["refund"] is False
        after = kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]
        assert after["bill_state"] == "paid"  # nothing refunded, as the patient was told
        kiosk.client.close()


def svg_to_image(svg: str, scale: int = 8) -> Image.Image:
    """Draw the unit squares of a path-only SVG QR code (``M2,2H3V3H2z`` ...) onto a white picture."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        x, y = int(x), int(y)
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def test_the_page_shows_the_medical_card_qr_with_the_card_code(live, kiosk, provider):
    reg = paid_registration(kiosk, provider, "08:30")
    patient = kiosk.ok("GET", f"/records/patients/{reg['patient_id']}")
    answer = httpx.get(f"{live.url}/t/{token_of(live, reg['visit_id'])}/card.svg", timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["cache-control"] == "no-store"
    codes = zxingcpp.read_barcodes(svg_to_image(answer.text))
    assert [c.text for c in codes] == [patient["card_qr"]] and patient["card_qr"].startswith("MC:")
    assert httpx.get(f"{live.url}/t/{'A' * 24}/card.svg", timeout=10).status_code == 404
