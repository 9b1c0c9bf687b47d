"""The national medical-insurance platform, simulated: ``python -m platforms.medins.simulator --port N``.

One endpoint takes every transaction, as the platform's gateway does::

    POST /fsi/api/rsfComIfsService/callService   request envelope (platforms.medins.envelope.Request) -> Answer

Transactions: 1101 人员信息获取, 2201/2202 门诊挂号 and its cancel, 2203 就诊信息上传, 2204 费用明细上传,
2206 门诊预结算, 2207 门诊结算, 2208 门诊结算撤销, 2601 冲正交易 (reverse a transaction by its msgid, for an answer
that never came). A request is identified by 医保电子凭证 QR (mdtrt_cert_type 01), ID number (02) or social-security
card number (03).

For tests and the demo::

    POST /sim/persons     {psn_name, certno, insutype?, balc?, gend?, brdy?} -> {psn_no, qr, ssc_no}
    GET  /sim/settlements -> every settlement with its state (settled / reversed)
    POST /sim/faults      {op: "2207", mode: error|down|slow|lose_answer, times?, delay_s?}  (platforms.httpsim)

The policy is the simulator's own, plain on purpose: the fund (统筹) pays 70% of a 职工 (310) outpatient bill and 50%
of a 城乡居民 (390) one; the personal account (个人账户, 职工 only) pays what it can of the rest when the request says
``acct_used_flag = "1"``; the patient pays the remainder (现金/自付).
"""
from __future__ import annotations

import itertools
import secrets
import sys
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from platforms.httpsim import JsonServer, serve_main
from platforms.medins.envelope import (
    CERT_ID_CARD,
    CERT_QR,
    CERT_SSC,
    OTP_SETTLE,
    Answer,
    Request,
    to_fen,
    to_yuan,
)

PATH = "/fsi/api/rsfComIfsService/callService"
FUND_RATIO = {"310": 0.70, "390": 0.50}
QR_PREFIX = "YBEC:"  # how the kiosk's scanner sees a 医保电子凭证 QR code (docs/his.md)


class Refused(Exception):
    """The platform refuses the transaction: infcode -1 with this err_msg."""


@dataclass
class Person:
    psn_no: str
    psn_name: str
    certno: str
    gend: str
    brdy: str
    insutype: str
    balc_fen: int
    qr: str
    ssc_no: str


@dataclass
class Visit:
    mdtrt_id: str
    psn_no: str
    insutype: str
    state: str = "registered"  # registered | cancelled
    uploaded: bool = False
    fees: dict[str, int] = field(default_factory=dict)  # feedetl_sn -> fen


@dataclass
class Settlement:
    setl_id: str
    mdtrt_id: str
    psn_no: str
    msgid: str
    medfee_fen: int
    fund_fen: int
    acct_fen: int
    cash_fen: int
    state: str = "settled"  # settled | reversed
    opter_type: str = ""
    dev_no: str = ""
    setl_time: str = ""


class MedInsPlatform:
    """The platform's state and rules (no HTTP); thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.persons: dict[str, Person] = {}
        self.visits: dict[str, Visit] = {}
        self.settlements: dict[str, Settlement] = {}
        self.by_msgid: dict[str, tuple[str, str]] = {}  # msgid -> (infno, setl_id or mdtrt_id)
        self.calls: list[tuple[str, str]] = []  # (infno, opter_type) of every transaction answered
        self._seq = itertools.count(1)

    # -- people
    def add_person(self, psn_name: str, certno: str, insutype: str = "310", balc_fen: int = 50000,
                   gend: str = "1", brdy: str = "") -> Person:
        with self.lock:
            n = next(self._seq)
            person = Person(psn_no=f"11000000{n:08d}", psn_name=psn_name, certno=certno.upper(), gend=gend,
                            brdy=brdy or (f"{certno[6:10]}-{certno[10:12]}-{certno[12:14]}" if len(certno) == 18 else ""),
                            insutype=insutype, balc_fen=balc_fen, qr=QR_PREFIX + secrets.token_hex(16),
                            ssc_no=f"A{n:08d}")
            self.persons[person.psn_no] = person
            return person

    def _person_by_cert(self, cert_type: str, cert_no: str) -> Person:
        cert_no = (cert_no or "").strip()
        for person in self.persons.values():
            if (cert_type == CERT_QR and person.qr == cert_no) or (cert_type == CERT_ID_CARD and person.certno == cert_no.upper()) \
                    or (cert_type == CERT_SSC and person.ssc_no == cert_no):
                return person
        if cert_type not in (CERT_QR, CERT_ID_CARD, CERT_SSC):
            raise Refused("就诊凭证类型不正确")
        raise Refused("未查询到参保信息" if cert_type != CERT_QR else "医保电子凭证无效或已过期，请刷新后重试")

    def _person(self, psn_no: str) -> Person:
        if psn_no not in self.persons:
            raise Refused("人员编号不存在")
        return self.persons[psn_no]

    def _visit(self, mdtrt_id: str, psn_no: str) -> Visit:
        visit = self.visits.get(mdtrt_id)
        if visit is None or visit.psn_no != psn_no:
            raise Refused("就诊信息不存在")
        return visit

    # -- one transaction
    def call(self, req: Request) -> Answer:
        now = datetime.now().strftime("%Y%m%d%H%M%S")
        with self.lock:
            try:
                handler = getattr(self, f"t{req.infno}", None)
                if handler is None:
                    raise Refused(f"交易编号{req.infno}不支持")
                output = handler(req, req.input.get("data", req.input))
                self.calls.append((req.infno, req.opter_type))
                return Answer(infcode=0, inf_refmsgid=f"SIM{now}{next(self._seq):06d}", refmsg_time=now,
                              respond_time=now, output=output)
            except Refused as exc:
                return Answer(infcode=-1, refmsg_time=now, respond_time=now, err_msg=str(exc))

    def t1101(self, req: Request, data: dict) -> dict:
        person = self._person_by_cert(data.get("mdtrt_cert_type", ""), data.get("mdtrt_cert_no", ""))
        return {"baseinfo": {"psn_no": person.psn_no, "psn_cert_type": "01", "certno": person.certno,
                             "psn_name": person.psn_name, "gend": person.gend, "brdy": person.brdy},
                "insuinfo": [{"balc": to_yuan(person.balc_fen), "insutype": person.insutype, "psn_type": "11",
                              "psn_insu_stas": "1", "insuplc_admdvs": "110100"}],
                "idetinfo": []}

    def t2201(self, req: Request, data: dict) -> dict:
        person = self._person(data.get("psn_no", ""))
        self._person_by_cert(data.get("mdtrt_cert_type", ""), data.get("mdtrt_cert_no", ""))
        mdtrt_id = f"MD{datetime.now():%Y%m%d}{next(self._seq):08d}"
        self.visits[mdtrt_id] = Visit(mdtrt_id, person.psn_no, data.get("insutype") or person.insutype)
        return {"data": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "ipt_otp_no": data.get("ipt_otp_no", "")}}

    def t2202(self, req: Request, data: dict) -> dict:
        visit = self._visit(data.get("mdtrt_id", ""), data.get("psn_no", ""))
        if any(s.mdtrt_id == visit.mdtrt_id and s.state == "settled" for s in self.settlements.values()):
            raise Refused("该就诊已结算，请先撤销结算")
        visit.state = "cancelled"
        return {}

    def t2203(self, req: Request, data: dict) -> dict:
        info = req.input.get("mdtrtinfo") or {}
        visit = self._visit(info.get("mdtrt_id", ""), info.get("psn_no", ""))
        if visit.state != "registered":
            raise Refused("就诊已撤销")
        visit.uploaded = True
        return {}

    def t2204(self, req: Request, data: dict) -> dict:
        rows = req.input.get("feedetail") or []
        if not rows:
            raise Refused("费用明细为空")
        out = []
        for row in rows:
            visit = self._visit(row.get("mdtrt_id", ""), row.get("psn_no", ""))
            amount = to_fen(row.get("det_item_fee_sumamt", 0))
            visit.fees[str(row.get("feedetl_sn"))] = amount
            out.append({"feedetl_sn": row.get("feedetl_sn"), "det_item_fee_sumamt": to_yuan(amount),
                        "cnt": row.get("cnt", 1), "pric": row.get("pric", 0), "selfpay_prop": 0, "chrgitm_lv": "01"})
        return {"result": out}

    def _split(self, data: dict) -> tuple[Person, Visit, int, int, int, int]:
        person = self._person(data.get("psn_no", ""))
        self._person_by_cert(data.get("mdtrt_cert_type", ""), data.get("mdtrt_cert_no", ""))
        visit = self._visit(data.get("mdtrt_id", ""), person.psn_no)
        if visit.state != "registered" or not visit.uploaded:
            raise Refused("请先上传就诊信息")
        total = to_fen(data.get("medfee_sumamt", 0))
        if total != sum(visit.fees.values()):
            raise Refused("医疗费总额与上传的费用明细不符")
        fund = int(total * FUND_RATIO.get(visit.insutype, 0.5) + 0.5)
        own = total - fund
        acct = min(person.balc_fen, own) if data.get("acct_used_flag") == "1" and visit.insutype == "310" else 0
        return person, visit, total, fund, acct, own - acct

    def _setlinfo(self, person: Person, visit: Visit, total: int, fund: int, acct: int, cash: int, balc: int) -> dict:
        return {"mdtrt_id": visit.mdtrt_id, "psn_no": person.psn_no, "psn_name": person.psn_name,
                "insutype": visit.insutype, "medfee_sumamt": to_yuan(total), "fund_pay_sumamt": to_yuan(fund),
                "hifp_pay": to_yuan(fund), "acct_pay": to_yuan(acct), "psn_cash_pay": to_yuan(cash),
                "psn_part_amt": to_yuan(acct + cash), "balc": to_yuan(balc)}

    def t2206(self, req: Request, data: dict) -> dict:
        person, visit, total, fund, acct, cash = self._split(data)
        return {"setlinfo": self._setlinfo(person, visit, total, fund, acct, cash, person.balc_fen - acct),
                "setldetail": [{"fund_pay_type": "310100", "fund_payamt": to_yuan(fund)}]}

    def t2207(self, req: Request, data: dict) -> dict:
        if any(s.mdtrt_id == data.get("mdtrt_id") and s.state == "settled" for s in self.settlements.values()):
            raise Refused("该就诊已结算，请勿重复结算")
        person, visit, total, fund, acct, cash = self._split(data)
        person.balc_fen -= acct
        setl_id = f"ST{datetime.now():%Y%m%d}{next(self._seq):08d}"
        now = datetime.now()
        self.settlements[setl_id] = Settlement(setl_id, visit.mdtrt_id, person.psn_no, req.msgid, total, fund, acct,
                                               cash, opter_type=req.opter_type, dev_no=req.dev_no,
                                               setl_time=now.isoformat(timespec="seconds"))
        self.by_msgid[req.msgid] = (OTP_SETTLE, setl_id)
        info = self._setlinfo(person, visit, total, fund, acct, cash, person.balc_fen)
        return {"setlinfo": {**info, "setl_id": setl_id, "setl_time": now.strftime("%Y-%m-%d %H:%M:%S")},
                "setldetail": [{"fund_pay_type": "310100", "fund_payamt": to_yuan(fund)}]}

    def _reverse(self, settlement: Settlement) -> None:
        if settlement.state == "settled":
            settlement.state = "reversed"
            self.persons[settlement.psn_no].balc_fen += settlement.acct_fen

    def t2208(self, req: Request, data: dict) -> dict:
        settlement = self.settlements.get(data.get("setl_id", ""))
        if settlement is None or settlement.psn_no != data.get("psn_no") or settlement.mdtrt_id != data.get("mdtrt_id"):
            raise Refused("结算信息不存在")
        if settlement.state == "reversed":
            raise Refused("该结算已撤销")
        self._reverse(settlement)
        return {"setlinfo": {"setl_id": f"RV{settlement.setl_id}", "mdtrt_id": settlement.mdtrt_id,
                             "psn_no": settlement.psn_no, "medfee_sumamt": -to_yuan(settlement.medfee_fen),
                             "fund_pay_sumamt": -to_yuan(settlement.fund_fen), "acct_pay": -to_yuan(settlement.acct_fen),
                             "psn_cash_pay": -to_yuan(settlement.cash_fen)}}

    def t2601(self, req: Request, data: dict) -> dict:
        """冲正: undo the transaction sent with ``omsgid`` (whatever became of it); nothing to undo is no error."""
        infno, ref = self.by_msgid.get(data.get("omsgid", ""), ("", ""))
        if infno and infno != data.get("oinfno"):
            raise Refused("原交易编号不符")
        if infno == OTP_SETTLE:
            self._reverse(self.settlements[ref])
        return {}

    def settled(self) -> list[Settlement]:
        with self.lock:
            return [s for s in self.settlements.values() if s.state == "settled"]


class MedInsSimulator(JsonServer):
    """The platform over HTTP (``platform`` holds its state)."""

    name = "medins-simulator"

    def __init__(self, platform: MedInsPlatform | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.platform = platform or MedInsPlatform()
        super().__init__(host, port)

    def op_of(self, method: str, path: str, body: dict[str, Any]) -> str:
        return str(body.get("infno", "")) if path == PATH else path

    def error_answer(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return 200, Answer(infcode=-1, err_msg="医保平台系统繁忙，请稍后再试").model_dump()

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if method == "POST" and path == PATH:
            try:
                req = Request.model_validate(body)
            except ValueError as exc:
                return 200, Answer(infcode=-1, err_msg=f"报文格式错误：{str(exc)[:120]}").model_dump()
            return 200, self.platform.call(req).model_dump()
        if method == "POST" and path == "/sim/persons":
            person = self.platform.add_person(body["psn_name"], body["certno"], body.get("insutype", "310"),
                                              to_fen(body.get("balc", 500)), body.get("gend", "1"), body.get("brdy", ""))
            return 200, {"psn_no": person.psn_no, "qr": person.qr, "ssc_no": person.ssc_no}
        if method == "GET" and path == "/sim/settlements":
            with self.platform.lock:
                return 200, [asdict(s) for s in self.platform.settlements.values()]
        if method == "GET" and path == "/health":
            return 200, {"status": "ok"}
        return 404, {"error": "not_found"}


def main(argv: list[str] | None = None) -> int:
    return serve_main(lambda host, port: MedInsSimulator(host=host, port=port), argv, prog="python -m platforms.medins.simulator",
                      description=__doc__.splitlines()[0], port=8766, what="medical-insurance platform")


if __name__ == "__main__":
    sys.exit(main())
