"""The decoded identity card."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from common.privacy import mask_id_number
from hardware.idcard.tables import GENDERS, NATIONS


class CardKind(str, Enum):
    """Card kinds, told apart by the flag character at bytes 248-249 of the text block."""

    RESIDENT = "resident"          # 居民身份证 (flag: space)
    HMT_RESIDENT = "J"             # 港澳台居民居住证
    FOREIGN_2017 = "I"             # 外国人永久居留身份证 (2017)
    FOREIGN_2023 = "Y"             # 外国人永久居留身份证 (2023)

    @property
    def label_zh(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS = {
    CardKind.RESIDENT: ("居民身份证", "resident identity card"),
    CardKind.HMT_RESIDENT: ("港澳台居民居住证", "residence permit for Hong Kong, Macao and Taiwan residents"),
    CardKind.FOREIGN_2017: ("外国人永久居留身份证（2017版）", "foreign permanent resident ID card (2017)"),
    CardKind.FOREIGN_2023: ("外国人永久居留身份证（2023版）", "foreign permanent resident ID card (2023)"),
}


@dataclass(frozen=True, repr=False)
class IdCard:
    """Everything read from one card. Empty strings / None where a card kind has no such field.

    gender and nation are the printed labels (男, 汉); gender_code / nation_code keep the codes.
    valid_to is None for 长期 (no expiry). photo is the opaque 1024-byte vendor image.
    Permits: pass_number and issue_count (J), renewal count as issue_count (Y); 2017 foreigner
    cards carry the issuing authority's code in authority. str() and repr() mask the ID number.
    """

    kind: CardKind
    name: str
    gender_code: str
    birth: date
    id_number: str
    valid_from: date
    valid_to: date | None
    name_en: str = ""
    nation_code: str = ""
    address: str = ""
    authority: str = ""
    pass_number: str = ""
    issue_count: int | None = None
    nationality: str = ""
    card_version: str = ""
    photo: bytes = field(default=b"", repr=False)
    raw_text: bytes = field(default=b"", repr=False)

    @property
    def gender(self) -> str:
        return GENDERS.get(self.gender_code, ("", ""))[0]

    @property
    def nation(self) -> str:
        return NATIONS.get(self.nation_code, "")

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def __str__(self) -> str:  # safe for logs: never the full number
        return f"IdCard({self.kind.value}, {self.masked_id_number})"

    __repr__ = __str__
