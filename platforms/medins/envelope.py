"""The national medical-insurance platform's message envelope (医疗保障信息平台 定点医药机构接口规范), as typed models.

Every transaction is one HTTP POST of a JSON request envelope; the platform answers with a response envelope::

    request:  infno (交易编号, e.g. "2207"), msgid (报文ID: 12-character institution code + yyyyMMddHHmmss + 4-digit
              sequence, 30 characters, unique per message), mdtrtarea_admvs (就医地医保区划), insuplc_admdvs (参保地医保
              区划), recer_sys_code (接收方系统代码), dev_no (设备编号), dev_safe_info, cainfo, signtype, infver (接口版本),
              opter_type (经办人类别: 1 经办人, 2 自助终端, 3 移动终端), opter, opter_name, inf_time (交易时间),
              fixmedins_code (定点医药机构编号), fixmedins_name, sign_no (签到编号), input (交易输入)
    response: infcode (0 success, -1 failure), inf_refmsgid (the platform's reply id), refmsg_time, respond_time,
              err_msg, warn_msg, cainfo, signtype, output (交易输出)

Amounts on the wire are yuan with two decimals; inside the hospital they are integer fen (``to_yuan``/``to_fen``).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# 就诊凭证类型 (mdtrt_cert_type)
CERT_QR, CERT_ID_CARD, CERT_SSC = "01", "02", "03"
CERT_TYPES = {CERT_QR: "医保电子凭证", CERT_ID_CARD: "居民身份证", CERT_SSC: "社会保障卡"}
# 经办人类别 (opter_type)
OPTER_STAFF, OPTER_SELF_SERVICE, OPTER_MOBILE = "1", "2", "3"
# 险种类型 (insutype)
INSUTYPES = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险", "320": "公务员医疗补助", "330": "大额医疗费用补助"}
MED_TYPE_OUTPATIENT = "11"  # 医疗类别: 普通门诊

# 交易编号 used here
PERSON_INFO, OTP_REGISTER, OTP_REGISTER_CANCEL, OTP_VISIT_UPLOAD, OTP_FEE_UPLOAD = "1101", "2201", "2202", "2203", "2204"
OTP_PRESETTLE, OTP_SETTLE, OTP_SETTLE_CANCEL, REVERSE = "2206", "2207", "2208", "2601"
NAMES = {PERSON_INFO: "人员信息获取", OTP_REGISTER: "门诊挂号", OTP_REGISTER_CANCEL: "门诊挂号撤销",
         OTP_VISIT_UPLOAD: "门诊就诊信息上传", OTP_FEE_UPLOAD: "门诊费用明细信息上传", OTP_PRESETTLE: "门诊预结算",
         OTP_SETTLE: "门诊结算", OTP_SETTLE_CANCEL: "门诊结算撤销", REVERSE: "冲正交易"}


class Request(BaseModel):
    """One transaction sent to the platform (the common input of every 交易)."""

    model_config = ConfigDict(extra="ignore")

    infno: str
    msgid: str = Field(min_length=30, max_length=30)
    mdtrtarea_admvs: str = ""
    insuplc_admdvs: str = ""
    recer_sys_code: str = "FSI_LOCAL"
    dev_no: str = ""
    dev_safe_info: str = ""
    cainfo: str = ""
    signtype: str = ""
    infver: str = "V1.0"
    opter_type: str = OPTER_SELF_SERVICE
    opter: str = ""
    opter_name: str = ""
    inf_time: str = ""
    fixmedins_code: str = ""
    fixmedins_name: str = ""
    sign_no: str = ""
    input: dict[str, Any] = Field(default_factory=dict)


class Answer(BaseModel):
    """The platform's answer to one transaction."""

    model_config = ConfigDict(extra="ignore")

    infcode: int
    inf_refmsgid: str = ""
    refmsg_time: str = ""
    respond_time: str = ""
    err_msg: str | None = None
    warn_msg: str | None = None
    cainfo: str | None = None
    signtype: str | None = None
    output: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.infcode == 0


def to_yuan(fen: int) -> float:
    """1234 -> 12.34 (what the wire carries)."""
    return float(Decimal(fen) / 100)


def to_fen(yuan: Any) -> int:
    """12.34 / "12.34" -> 1234, rounded half up to the fen."""
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
