"""医保 settlement through the running service against the platform simulator over HTTP: the split, the 自付 part
paid by the payment gateway, and every way it can fail ending with exactly one settlement or none."""
from __future__ import annotations

import json
import logging
import time

import pytest

from tests.records.records_helpers import new_patient


def exam_bill(admin, patient_id: int) -> dict:
    return admin.ok("POST", "/records/bills", {
        "patient_id": patient_id, "kind": "exam", "title": "检验费",
        "items": [{"name": "血常规", "quantity": 1, "unit": "次", "unit_fen": 2500},
                  {"name": "肝功能", "quantity": 1, "unit": "次", "unit_fen": 7500}]})


def insured(kiosk, admin, medins, name="李建国", balance_fen=1000, insutype="310"):
    """A patient with a record, an unpaid 100.00 元 bill, and the same person insured at the platform."""
    p = new_patient(kiosk, name=name)
    person = medins.platform.add_person(name, p["id_number"], insutype=insutype, balc_fen=balance_fen)
    bill = exam_bill(admin, p["patient_id"])
    return p, person, bill


def start(kiosk, p, bill, cert_type="01", cert_no="", key="claim-1"):
    return kiosk.post("/records/insurance/claims", {"idempotency_key": key, "patient_id": p["patient_id"],
                                                    "bill_ids": [bill["bill_id"]], "cert_type": cert_type,
                                                    "cert_no": cert_no})


def audit(live, prefix="records.insurance"):
    rows = live.records.db.all('SELECT "user", device, action, detail FROM audit WHERE action LIKE ? ORDER BY id',
                               (prefix + "%",))
    return rows


def test_the_kiosk_is_told_whether_insurance_can_be_used(kiosk):
    status = kiosk.ok("GET", "/records/insurance/status")
    assert status["insurance"] is True and status["einvoice"] is True and status["ehealth"] is True
    assert status["message_zh"].startswith("可以使用医保")


def test_qr_presettles_settles_and_the_patient_pays_only_the_own_part(kiosk, admin, live, medins, provider):
    p, person, bill = insured(kiosk, admin, medins, balance_fen=1000)
    status, claim = start(kiosk, p, bill, "01", person.qr)
    assert status == 201, claim
    # 职工 (310): the fund pays 70.00, the personal account its 10.00 balance, the patient the remaining 20.00
    assert (claim["state"], claim["total_fen"], claim["fund_fen"], claim["acct_fen"], claim["cash_fen"]) == \
        ("presettled", 10000, 7000, 1000, 2000)
    assert claim["insutype_zh"] == "职工基本医疗保险" and claim["cert_type_zh"] == "医保电子凭证"
    assert p["id_number"] not in json.dumps(claim) and person.psn_no not in json.dumps(claim)
    again = start(kiosk, p, bill, "01", person.qr)[1]  # the kiosk retried its command
    assert again["claim_id"] == claim["claim_id"]
    assert [c[0] for c in medins.platform.calls] == ["1101", "2201", "2203", "2204", "2206"]
    assert {c[1] for c in medins.platform.calls} == {"2"}  # every transaction marked as a self-service terminal

    settled = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    assert settled["state"] == "settled" and settled["cash_fen"] == 2000
    assert kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")["state"] == "settled"
    assert len(medins.platform.settled()) == 1  # a retried settle command settled once
    # the bills stay unpaid until the 自付 is paid; no other payment of them is taken meanwhile
    s, refused = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                  "amount_fen": 10000})
    assert s == 409 and refused["error"]["code"] == "bill_in_settlement"
    s, wrong = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                "amount_fen": 10000, "insurance_claim_id": claim["claim_id"]})
    assert s == 422 and wrong["error"]["expected_fen"] == 2000
    order = kiosk.ok("POST", "/records/payments", {"idempotency_key": "own-part", "patient_id": p["patient_id"],
                                                   "bill_ids": [bill["bill_id"]], "amount_fen": 2000,
                                                   "insurance_claim_id": claim["claim_id"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"
    done = kiosk.ok("GET", f"/records/insurance/claims/{claim['claim_id']}")
    assert done["state"] == "complete" and done["order_ids"] == [order["order_id"]]
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"] == []
    assert medins.platform.persons[person.psn_no].balc_fen == 0
    actions = [r["action"] for r in audit(live)]
    assert actions == ["records.insurance_claim_started", "records.insurance_presettled", "records.insurance_settling",
                       "records.insurance_settled", "records.insurance_claim_complete"]
    kiosk_device = next(d.id for d in live.config.devices if d.role == "kiosk")
    assert {r["device"] for r in audit(live)} == {kiosk_device}
    trail = json.dumps([r["detail"] for r in audit(live, "records.")], ensure_ascii=False)
    assert p["id_number"] not in trail and person.qr not in trail and person.psn_no not in trail


def test_id_card_and_social_security_card_identify_the_insured(kiosk, admin, medins):
    p, person, bill = insured(kiosk, admin, medins, insutype="390")
    claim = start(kiosk, p, bill, "02", p["id_number"])[1]
    assert (claim["fund_fen"], claim["acct_fen"], claim["cash_fen"]) == (5000, 0, 5000)  # 城乡居民: no account
    assert kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/cancel")["state"] == "cancelled"
    claim = start(kiosk, p, bill, "03", person.ssc_no, key="claim-ssc")[1]
    assert claim["state"] == "presettled" and claim["cert_type_zh"] == "社会保障卡"
    assert medins.platform.visits and all(v.state == "cancelled" for v in list(medins.platform.visits.values())[:1])


def test_someone_elses_insurance_is_refused(kiosk, admin, medins):
    p, _person, bill = insured(kiosk, admin, medins)
    other = medins.platform.add_person("王小明", "110101199003078515")
    claim = start(kiosk, p, bill, "01", other.qr)[1]
    assert claim["state"] == "failed" and "不是本次缴费患者本人" in claim["message_zh"]
    assert not medins.platform.visits  # nothing registered at the platform


def test_platform_failing_at_presettlement_settles_nothing(kiosk, admin, medins):
    p, person, bill = insured(kiosk, admin, medins)
    medins.faults.add("2206", "error")
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    assert claim["state"] == "failed"
    assert "医保结算未成功" in claim["message_zh"] and "没有扣费" in claim["message_zh"]
    assert medins.platform.settled() == []
    assert all(v.state == "cancelled" for v in medins.platform.visits.values())  # 2202 undid the registration
    again = start(kiosk, p, bill, "01", person.qr, key="claim-2")[1]  # the bills are free for another try
    assert again["state"] == "presettled"


def test_platform_refusing_the_settlement_settles_nothing(kiosk, admin, medins):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    medins.faults.add("2207", "error")
    failed = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    assert failed["state"] == "failed" and "没有扣费" in failed["message_zh"] and "请稍后重试" in failed["message_zh"]
    assert medins.platform.settled() == [] and medins.platform.persons[person.psn_no].balc_fen == 1000
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"][0]["state"] == "unpaid"


def test_platform_unreachable_at_settlement_settles_nothing(kiosk, admin, medins):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    medins.faults.add("2207", "down")
    failed = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    assert failed["state"] == "failed" and "暂时无法连接" in failed["message_zh"]
    assert medins.platform.settled() == []


def test_settlement_whose_answer_was_lost_is_reversed_by_its_msgid(kiosk, admin, live, medins):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    medins.faults.add("2207", "lose_answer")
    answer = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    # the platform did settle; nobody here could know: 冲正 (2601) undid it, the patient was charged nothing
    assert len(medins.platform.settlements) == 1 and medins.platform.settled() == []
    assert answer["state"] == "reversed" and "没有扣费" in answer["message_zh"]
    assert medins.platform.persons[person.psn_no].balc_fen == 1000
    assert [c[0] for c in medins.platform.calls][-2:] == ["2601", "2202"]
    actions = [r["action"] for r in audit(live)]
    assert actions[-2:] == ["records.insurance_reversal_requested", "records.insurance_reversed"]
    assert audit(live)[-1]["device"] == "system"
    assert start(kiosk, p, bill, "01", person.qr, key="claim-again")[1]["state"] == "presettled"


def test_a_reversal_the_platform_cannot_take_now_is_retried_from_the_outbox(kiosk, admin, live, medins, clock):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    medins.faults.add("2207", "lose_answer")
    medins.faults.add("2601", "down", times=2)
    answer = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    assert answer["state"] == "reversing" and "正在自动撤销" in answer["message_zh"]
    assert medins.platform.settled() != []  # still settled at the platform
    s, refused = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                  "amount_fen": 10000})
    assert s == 409 and refused["error"]["code"] == "bill_in_settlement"  # never paid twice meanwhile
    outbox = live.app.state.insurance.outbox
    for _ in range(6):  # the sender retries with backoff; time moves on until the platform takes it
        clock.advance(seconds=120)
        live.app.state.insurance.outbox.wake()
        if kiosk.ok("GET", f"/records/insurance/claims/{claim['claim_id']}")["state"] == "reversed":
            break
        time.sleep(0.5)
    assert kiosk.ok("GET", f"/records/insurance/claims/{claim['claim_id']}")["state"] == "reversed"
    assert medins.platform.settled() == []
    assert [m["state"] for m in outbox.messages() if m["channel"] == "medins"] == ["sent"]


def test_patient_who_leaves_without_paying_the_own_part_is_reversed(kiosk, admin, live, medins, provider):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                   "amount_fen": 2000, "insurance_claim_id": claim["claim_id"]})
    gone = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/cancel")
    assert gone["state"] == "reversed" and medins.platform.settled() == []
    assert [c[0] for c in medins.platform.calls][-2:] == ["2208", "2202"]
    assert kiosk.ok("GET", f"/records/payments/{order['order_id']}")["state"] == "abandoned"
    # the payment lands after all: the claim is gone, so the money goes back
    provider.patient_pays(order["payment"]["provider_order_id"])
    late = kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    assert late["state"] in ("refunded", "refund_pending") and late["state"] != "paid"
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"][0]["state"] == "unpaid"


def test_own_part_paid_while_the_kiosk_cancels_completes_instead(kiosk, admin, medins, provider):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                   "amount_fen": 2000, "insurance_claim_id": claim["claim_id"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/cancel")["state"] == "complete"
    assert len(medins.platform.settled()) == 1


def test_fully_covered_bill_is_paid_by_the_settlement_alone(kiosk, admin, medins):
    p = new_patient(kiosk, name="赵六")
    person = medins.platform.add_person("赵六", p["id_number"], balc_fen=100000)
    bill = exam_bill(admin, p["patient_id"])
    claim = start(kiosk, p, bill, "02", p["id_number"])[1]
    assert claim["cash_fen"] == 0 and claim["acct_fen"] == 3000
    done = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    assert done["state"] == "complete"
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"], state="paid")["bills"][0]["bill_id"] == bill["bill_id"]
    assert person.psn_no in medins.platform.persons


def test_another_kiosk_session_cannot_touch_the_claim(kiosk, admin, live, medins):
    from tests.records.records_helpers import Api

    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    stranger = Api(live, "kiosk")
    new_patient(stranger, name="周七")
    s, data = stranger.post(f"/records/insurance/claims/{claim['claim_id']}/settle")
    assert s == 403 and data["error"]["code"] == "patient_not_in_session"
    stranger.client.close()


def test_nothing_of_the_insurance_data_reaches_the_log(kiosk, admin, medins, caplog):
    caplog.set_level(logging.DEBUG)
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    medins.faults.add("2207", "lose_answer")
    kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    text = caplog.text
    for secret in (p["id_number"], person.qr, person.psn_no, person.psn_name, "1000"):
        assert secret not in text, secret


@pytest.mark.parametrize("cert", [("04", "x"), ("01", "")])
def test_a_missing_or_unknown_certificate_is_refused_plainly(kiosk, admin, medins, cert):
    p, _person, bill = insured(kiosk, admin, medins)
    s, data = start(kiosk, p, bill, *cert)
    assert s == 422 and "请核对后重新提交" in data["error"]["message_zh"]  # nothing started


def test_settlement_interrupted_by_a_stop_of_the_service_is_undone_later(kiosk, admin, live, medins, clock):
    """The service stopped while 2207 was on its way: the claim stays ``settling``; minutes later the platforms'
    sender finds it and undoes whatever the platform did (2601)."""
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    claims = live.app.state.insurance.claims
    with claims.core.db.transaction() as conn:  # as left by a stop between the two: sent, answer never read
        conn.execute("UPDATE rec_ins_claims SET state = 'settling', settle_msgid = ?, settling_at = ? WHERE id = ?",
                     ("H110101000012026112308200001", "2026-11-23T08:20:00", claim["claim_id"]))
    assert claims.sweep() == 0  # not yet: it may still be answered
    clock.advance(minutes=10)
    live.app.state.insurance.outbox.wake()
    deadline = time.monotonic() + 10
    while kiosk.ok("GET", f"/records/insurance/claims/{claim['claim_id']}")["state"] != "reversed":
        assert time.monotonic() < deadline, "the interrupted settlement was not undone"
        time.sleep(0.2)
    assert [c[0] for c in medins.platform.calls][-2:] == ["2601", "2202"]


def wait_for_claim(kiosk, live, clock, claim_id: int, state: str, timeout_s: float = 15.0) -> dict:
    """Let the platforms' sender retry (time moves on past its backoff) until the claim reaches ``state``."""
    deadline = time.monotonic() + timeout_s
    while True:
        claim = kiosk.ok("GET", f"/records/insurance/claims/{claim_id}")
        if claim["state"] == state:
            return claim
        assert time.monotonic() < deadline, f"claim still {claim['state']}, not {state}"
        clock.advance(seconds=120)
        live.app.state.insurance.outbox.wake()
        time.sleep(0.2)


def cash_payment_of(kiosk, provider, p, bill, key: str) -> dict:
    order = kiosk.ok("POST", "/records/payments", {"idempotency_key": key, "patient_id": p["patient_id"],
                                                   "bill_ids": [bill["bill_id"]], "amount_fen": bill["total_fen"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    return kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")


@pytest.mark.parametrize("mode", ["error", "down"])
@pytest.mark.parametrize("step", ["1101", "2201", "2203", "2204"])
def test_platform_failing_before_presettlement_settles_nothing_and_leaves_the_bills_payable(
        kiosk, admin, live, medins, provider, step, mode):
    p, person, bill = insured(kiosk, admin, medins)
    medins.faults.add(step, mode)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    assert claim["state"] == "failed" and claim["cash_fen"] == 0
    assert "没有扣费" in claim["message_zh"] and "请" in claim["message_zh"], claim["message_zh"]
    assert claim["message_en"]
    steps = ["1101", "2201", "2203", "2204"]
    before = steps[:steps.index(step)]
    # the platform got the steps before the failing one, and nothing after it but the undoing of its registration
    assert [c[0] for c in medins.platform.calls] == before + (["2202"] if "2201" in before else [])
    assert medins.platform.settlements == {} and medins.platform.persons[person.psn_no].balc_fen == 1000
    assert all(v.state == "cancelled" for v in medins.platform.visits.values())  # a registration made is undone
    assert [(b["bill_id"], b["state"]) for b in kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"]] \
        == [(bill["bill_id"], "unpaid")]
    # the bills are free: the patient pays them by themselves, once
    assert cash_payment_of(kiosk, provider, p, bill, f"cash-{step}-{mode}")["state"] == "paid"
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"] == []


def test_a_settlement_cancel_the_platform_cannot_take_now_is_retried_until_it_is_back(
        kiosk, admin, live, medins, provider, clock):
    """2208 after 2207: the patient left before paying the 自付 while the platform was away. The claim stays
    ``reversing`` (the bills payable by nothing else) until the outbox's retries get through, then the bills are free."""
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    assert kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")["state"] == "settled"
    medins.faults.add("2208", "down", times=2)
    medins.faults.add("2208", "error", times=1)
    gone = kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/cancel")
    assert gone["state"] == "reversing" and "没有扣费" in gone["message_zh"]
    assert len(medins.platform.settled()) == 1  # still settled at the platform meanwhile
    s, refused = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                  "amount_fen": 10000})
    assert s == 409 and refused["error"]["code"] == "bill_in_settlement"
    wait_for_claim(kiosk, live, clock, claim["claim_id"], "reversed")
    assert medins.platform.settled() == [] and medins.platform.persons[person.psn_no].balc_fen == 1000
    assert [c[0] for c in medins.platform.calls].count("2208") == 1  # the platform took it once, when it was back
    assert medins.faults.take("2208") is None  # after the three tries it could not take
    outbox = live.app.state.insurance.outbox
    assert [m["state"] for m in outbox.messages() if m["channel"] == "medins"] == ["sent"]
    assert cash_payment_of(kiosk, provider, p, bill, "cash-after-2208")["state"] == "paid"


def test_reconcile_reverses_a_claim_left_settled_without_its_own_part(kiosk, admin, live, medins, provider, clock):
    """The kiosk crashed after 2207 and nobody paid the 自付: after the hold time, reconcile undoes the settlement
    (2208) and closes the open 自付 order; before it, nothing is touched."""
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                   "amount_fen": 2000, "insurance_claim_id": claim["claim_id"]})
    assert admin.ok("POST", "/records/insurance/reconcile") == {"reversed": 0}  # within the hold time
    assert kiosk.ok("GET", f"/records/insurance/claims/{claim['claim_id']}")["state"] == "settled"
    clock.advance(minutes=live.records.core.settings.hold_minutes + 1)
    s, denied = kiosk.post("/records/insurance/reconcile")
    assert s == 403  # staff only
    assert admin.ok("POST", "/records/insurance/reconcile") == {"reversed": 1}
    wait_for_claim(kiosk, live, clock, claim["claim_id"], "reversed")
    assert medins.platform.settled() == [] and "2208" in [c[0] for c in medins.platform.calls]
    assert kiosk.ok("GET", f"/records/payments/{order['order_id']}")["state"] == "abandoned"
    assert admin.ok("POST", "/records/insurance/reconcile") == {"reversed": 0}  # once
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"][0]["state"] == "unpaid"
    assert cash_payment_of(kiosk, provider, p, bill, "cash-after-sweep")["state"] == "paid"
