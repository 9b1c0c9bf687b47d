"""Code tables: SW3 status bytes (GA 467), gender (GB/T 2261.1), nation (GB 3304)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusInfo:
    """Meaning of one SW3 status byte."""

    code: int
    zh: str
    en: str

    @property
    def ok(self) -> bool:
        return self.code in (SW_SUCCESS, SW_CARD_FOUND)


SW_SUCCESS = 0x90
SW_CARD_FOUND = 0x9F
SW_CHECKSUM_ERROR = 0x10
SW_LENGTH_ERROR = 0x11
SW_COMMAND_ERROR = 0x21
SW_UNKNOWN_ERROR = 0x24
SW_CARD_AUTH_FAILED = 0x31
SW_READER_AUTH_FAILED = 0x32
SW_VERIFY_ERROR = 0x33
SW_WRONG_CARD_TYPE = 0x40
SW_READ_FAILED = 0x41
SW_RANDOM_FAILED = 0x47
SW_SAM_SELF_TEST_FAILED = 0x60
SW_SAM_NOT_AUTHORISED = 0x66
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81

STATUSES: dict[int, StatusInfo] = {
    s.code: s
    for s in (
        StatusInfo(SW_SUCCESS, "操作成功", "success"),
        StatusInfo(SW_CARD_FOUND, "找到身份证", "card found"),
        StatusInfo(SW_CHECKSUM_ERROR, "命令校验和错误", "checksum error in the command"),
        StatusInfo(SW_LENGTH_ERROR, "命令长度错误", "length error in the command"),
        StatusInfo(SW_COMMAND_ERROR, "命令错误", "command error"),
        StatusInfo(SW_UNKNOWN_ERROR, "未知错误", "unknown error"),
        StatusInfo(SW_CARD_AUTH_FAILED, "卡认证机具失败", "card-to-reader authentication failed"),
        StatusInfo(SW_READER_AUTH_FAILED, "机具认证卡失败", "reader-to-card authentication failed"),
        StatusInfo(SW_VERIFY_ERROR, "信息验证错误", "information verification error"),
        StatusInfo(SW_WRONG_CARD_TYPE, "无法识别的卡类型", "wrong card type"),
        StatusInfo(SW_READ_FAILED, "读卡操作失败", "read failed"),
        StatusInfo(SW_RANDOM_FAILED, "取随机数失败", "random number failed"),
        StatusInfo(SW_SAM_SELF_TEST_FAILED, "安全模块自检失败", "SAM self-test failed"),
        StatusInfo(SW_SAM_NOT_AUTHORISED, "安全模块未经授权", "SAM not authorised"),
        StatusInfo(SW_NO_CARD, "未找到身份证", "no card found"),
        StatusInfo(SW_SELECT_FAILED, "选卡失败", "select failed"),
    )
}

# Statuses that mean the reader itself is not working (not a problem of the card on it).
DEVICE_FAULTS = frozenset(
    {SW_CHECKSUM_ERROR, SW_LENGTH_ERROR, SW_COMMAND_ERROR, SW_UNKNOWN_ERROR,
     SW_SAM_SELF_TEST_FAILED, SW_SAM_NOT_AUTHORISED}
)


def status_info(code: int) -> StatusInfo:
    """Meaning of an SW3 byte; unknown bytes get a generic description, never an error."""
    known = STATUSES.get(code)
    if known is not None:
        return known
    return StatusInfo(code, f"未知状态 0x{code:02X}", f"unknown status 0x{code:02X}")


# GB/T 2261.1 sex codes: code -> (Chinese, English)
GENDERS: dict[str, tuple[str, str]] = {
    "0": ("未知", "unknown"),
    "1": ("男", "male"),
    "2": ("女", "female"),
    "9": ("未说明", "unspecified"),
}

# GB 3304 nationality (民族) codes, short names as printed on the card.
NATIONS: dict[str, str] = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤",
    "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西", "28": "景颇",
    "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌", "34": "布朗",
    "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌", "40": "普米",
    "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春",
    "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统",
}

NATION_CODES: dict[str, str] = {name: code for code, name in NATIONS.items()}
GENDER_CODES: dict[str, str] = {zh: code for code, (zh, _en) in GENDERS.items()}
