"""Demo hospital records: a week of schedules around today, 200 patients, appointments, bills, lab reports, prices.

    python -m records.demo_data --config assets/demo-hospital.toml --db out/hospital.db --seed 7 [--today 2026-11-23]

Deterministic for a seed and a day. Also `generate(config, db, seed=7, today=...)` for the demo and tests.
"""
from __future__ import annotations

import argparse
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from common.clock import HospitalClock
from common.config import load_hospital
from records.backend import Records, open_records
from records.core import iso
from records.errors import RecordsError
from records.ids import make_id_number
from records.models import BillCreate, BillItemIn, HoldRequest, PatientCreate, Proxy

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN_CHARS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰飞鹏宇浩然子轩梓涵一诺欣怡思远建国志强淑珍海燕晓红文博佳琪雨桐俊杰"
PLACES = (  # (6-digit address code, address prefix)
    ("110101", "北京市东城区"), ("110105", "北京市朝阳区"), ("310104", "上海市徐汇区"), ("440305", "广东省深圳市南山区"),
    ("330106", "浙江省杭州市西湖区"), ("510107", "四川省成都市武侯区"), ("420106", "湖北省武汉市武昌区"),
    ("320102", "江苏省南京市玄武区"), ("610113", "陕西省西安市雁塔区"), ("370102", "山东省济南市历下区"),
)
STREETS = ("人民路", "解放路", "中山路", "建设路", "和平街", "光明巷", "长安街", "新华路", "文化路", "胜利大街")
RELATIONS = ("配偶", "儿子", "女儿", "父亲", "母亲")
ETHNICITIES = ("汉",) * 9 + ("回", "满", "蒙古", "壮")

PRICES = [
    {"code": "REG001", "name": "普通门诊挂号费", "category": "registration", "unit": "次", "unit_fen": 1500},
    {"code": "REG002", "name": "专家门诊挂号费", "category": "registration", "unit": "次", "unit_fen": 3500},
    {"code": "LAB001", "name": "血常规", "category": "exam", "unit": "次", "unit_fen": 2500},
    {"code": "LAB002", "name": "肝功能", "category": "exam", "unit": "次", "unit_fen": 4800},
    {"code": "LAB003", "name": "空腹血糖", "category": "exam", "unit": "次", "unit_fen": 800},
    {"code": "LAB004", "name": "尿常规", "category": "exam", "unit": "次", "unit_fen": 1200},
    {"code": "EXM001", "name": "胸部X线摄影", "category": "exam", "unit": "次", "unit_fen": 9000},
    {"code": "EXM002", "name": "心电图", "category": "exam", "unit": "次", "unit_fen": 2500},
    {"code": "DRG001", "name": "阿莫西林胶囊 0.25g×24粒", "category": "drug", "unit": "盒", "unit_fen": 1850},
    {"code": "DRG002", "name": "布洛芬缓释胶囊 0.3g×20粒", "category": "drug", "unit": "盒", "unit_fen": 2280},
    {"code": "DRG003", "name": "氨氯地平片 5mg×28片", "category": "drug", "unit": "盒", "unit_fen": 3150},
    {"code": "DRG004", "name": "二甲双胍片 0.5g×48片", "category": "drug", "unit": "盒", "unit_fen": 1620},
    {"code": "SRV001", "name": "门诊诊查费", "category": "visit", "unit": "次", "unit_fen": 1000},
]

LABS = {  # title -> (specimen, [(code, name, unit, low, high, typical)])
    "血常规": ("静脉血", [("WBC", "白细胞计数", "10^9/L", 3.5, 9.5, 6.0), ("RBC", "红细胞计数", "10^12/L", 4.3, 5.8, 4.9),
                      ("HGB", "血红蛋白", "g/L", 130, 175, 145), ("PLT", "血小板计数", "10^9/L", 125, 350, 230)]),
    "肝功能": ("静脉血", [("ALT", "丙氨酸氨基转移酶", "U/L", 9, 50, 25), ("AST", "天门冬氨酸氨基转移酶", "U/L", 15, 40, 24),
                      ("TBIL", "总胆红素", "μmol/L", 0, 23, 12)]),
    "空腹血糖": ("静脉血", [("GLU", "葡萄糖", "mmol/L", 3.9, 6.1, 5.2)]),
}


def _name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))


def _patient(rng: random.Random, serial: int, today: date) -> PatientCreate:
    code, place = rng.choice(PLACES)
    born = date(rng.randint(1935, 2020), rng.randint(1, 12), rng.randint(1, 28))
    number = make_id_number(f"{code}{born:%Y%m%d}{rng.randint(0, 999):03d}")
    name = _name(rng)
    address = f"{place}{rng.choice(STREETS)}{rng.randint(1, 300)}号{rng.randint(1, 20)}单元{rng.randint(101, 2504)}室"
    phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
    card_no = f"MC{today:%y}{serial:06d}"
    return PatientCreate(source="id_card", phone=phone, medical_card_no=card_no, id_card={
        "name": name, "gender": "男" if int(number[16]) % 2 else "女", "ethnicity": rng.choice(ETHNICITIES),
        "birth_date": born.isoformat(), "address": address, "id_number": number, "authority": f"{place[:6]}公安局",
        "valid_from": f"{today.year - rng.randint(1, 9)}0101", "valid_to": "长期" if born.year < 1970 else f"{today.year + rng.randint(1, 15)}0101",
    })


def _book(records: Records, patient_id: int, slot_id: int) -> int | None:
    """An appointment made through another channel (app, phone) and paid there: final, bill paid."""
    try:
        reg = records.hold(HoldRequest(patient_id=patient_id, slot_id=slot_id))
    except RecordsError:  # full, already booked: pick another next time
        return None
    with records.db.transaction() as conn:
        records.finalise(conn, reg["registration_id"])
        conn.execute("UPDATE rec_bills SET state = 'paid', paid_at = ? WHERE id = ?", (iso(records.now()), reg["bill_id"]))
    return reg["registration_id"]


def generate(config: Any, db: str | Path, *, seed: int = 7, today: date | None = None, patients: int = 200) -> dict[str, int]:
    """Fill the records tables of `db` with demo data; returns counts. Run once on a fresh file."""
    today = today or HospitalClock(config.hospital.timezone).today()
    rng = random.Random(seed)
    records = open_records(db, config, clock=lambda: datetime.combine(today, time(7, 30)), advance_days=7)
    records.set_prices(PRICES)
    days = [today + timedelta(days=d) for d in range(-3, 4)]
    for day in days:
        records.ensure_day(day)
    ids = [records.create_patient(_patient(rng, n + 1, today))["patient"]["patient_id"] for n in range(patients)]
    for pid in rng.sample(ids, 12):
        relative = _patient(rng, 900 + pid, today)
        records.add_proxy(pid, _proxy(rng, relative))
    slots = [r["id"] for r in records.db.all(
        "SELECT x.id FROM rec_slots x JOIN rec_sessions s ON s.id = x.session_id WHERE x.date >= ? ORDER BY x.id", (today.isoformat(),))]
    booked = sum(_book(records, pid, rng.choice(slots)) is not None for pid in rng.sample(ids, 60))
    bills = 0
    for pid in rng.sample(ids, 50):
        items = rng.sample([p for p in PRICES if p["category"] in ("exam", "drug", "visit")], rng.randint(1, 3))
        kind = "drug" if all(p["category"] == "drug" for p in items) else "exam"
        records.create_bill(BillCreate(patient_id=pid, kind=kind, title="门诊费用", items=[
            BillItemIn(name=p["name"], quantity=rng.randint(1, 2) if p["category"] == "drug" else 1, unit=p["unit"], unit_fen=p["unit_fen"])
            for p in items]))
        bills += 1
    released = pending = 0
    for pid in rng.sample(ids, 60):
        title = rng.choice(list(LABS))
        specimen, analytes = LABS[title]
        sampled = datetime.combine(today - timedelta(days=rng.randint(0, 3)), time(rng.randint(7, 10), rng.choice((0, 15, 30, 45))))
        ready = sampled + timedelta(hours=rng.choice((2, 4, 24)))
        items = [{"code": c, "name": n, "unit": u, "ref_low": lo, "ref_high": hi,
                  "result": f"{typ * rng.uniform(0.6, 1.5):.1f}"} for c, n, u, lo, hi, typ in analytes]
        rid = records.add_report(pid, title, sampled, ready, items, "NK", specimen)
        if ready <= datetime.combine(today, time(7, 30)) or rng.random() < 0.5:
            records.verify_report(rid, "lab-li")
            records.verify_report(rid, "lab-zhou")
            released += 1
        else:
            pending += 1
    counts = {"days": len(days), "patients": len(ids), "appointments": booked, "bills": bills,
              "reports_released": released, "reports_pending": pending, "prices": len(PRICES)}
    records.db.close()
    return counts


def _proxy(rng: random.Random, relative: PatientCreate) -> Any:
    card = relative.id_card
    return Proxy(name=card.name, relation=rng.choice(RELATIONS), phone=relative.phone, id_number=card.id_number)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m records.demo_data", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="assets/demo-hospital.toml")
    parser.add_argument("--db", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args(argv)
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    counts = generate(load_hospital(args.config), args.db, seed=args.seed, today=args.today, patients=args.patients)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
