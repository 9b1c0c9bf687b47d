"""Records tell patients who opted in: a released lab report, and a doctor's session stopped (停诊) with what to do."""
from __future__ import annotations

from datetime import datetime

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, free_port, run_service
from client.http import CallerClient
from records.ids import make_id_number
from tests.phone.conftest import notify_settings

PHONE = "13812345678"


def test_a_released_report_is_texted_to_a_patient_who_opted_in(hospital, gateway, tmp_path, clock):
    port = free_port()
    config = hospital.model_copy(update={"notify": notify_settings(gateway.url)})
    with run_service(config, tmp_path / "h.db", clock=clock, port=port) as live:
        admin = CallerClient(live, DEMO_TOKENS["admin"])
        patient = admin.request("POST", "/records/patients", json_body={
            "source": "typed", "id_number": make_id_number("11010119700101001"), "name": "张伟",
            "phone": "13800001111"})["patient"]["patient_id"]
        visit = admin.request("POST", "/visits", json_body={"department": "NK", "name": "张伟",
                                                             "patient_id": str(patient)})["visit"]
        with CallerClient(live, DEMO_TOKENS["console_nk"]) as nurse:
            nurse.login("wanghs", DEMO_PASSWORD)
            nurse.notify(visit["visit_id"], "sms", PHONE)
        records = live.app.state.records
        report = records.add_report(patient, "血常规", datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 8, 0),
                                    [{"name": "白细胞计数", "result": "6.1", "unit": "10^9/L"}])
        records.verify_report(report, "wanghs")
        assert gateway.delivered == []  # one signature does not release it
        records.verify_report(report, "zhangys")
        assert gateway.wait_for(1)
        assert gateway.delivered[0].to == PHONE
        assert gateway.delivered[0].text == "【仁和市第一人民医院】您好，您的血常规报告已出，可到门诊自助机打印。祝您健康！"
        audit = [a["action"] for a in admin.audit(visit=visit["visit_id"])]
        assert "notify_optin" in audit
        admin.close()
