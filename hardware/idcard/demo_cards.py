"""Realistic demo cards of all four kinds (simulator, demo data, tests). Deterministic per seed."""
from __future__ import annotations

import dataclasses
import hashlib
import random
from datetime import date

from hardware.idcard.card import CardKind, IdCard
from hardware.idcard.idnumber import check_char, make_id_number
from hardware.idcard.layouts import encode_text

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN_FEMALE = ["芳", "娜", "秀英", "敏", "静", "丽", "艳", "娟", "秀兰", "霞", "小红", "晓燕"]
_GIVEN_MALE = ["伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "建国", "志强"]
_AREAS = [  # (area code, address prefix, issuing authority)
    ("110101", "北京市东城区东华门街道南池子大街", "北京市公安局东城分局"),
    ("310104", "上海市徐汇区漕河泾街道田林路", "上海市公安局徐汇分局"),
    ("440106", "广州市天河区石牌街道天河路", "广州市公安局天河分局"),
    ("510107", "四川省成都市武侯区玉林街道芳草街", "成都市公安局武侯区分局"),
    ("330106", "浙江省杭州市西湖区文新街道文二西路", "杭州市公安局西湖区分局"),
]
_HMT = [("810000", "H", "香港"), ("820000", "M", "澳门"), ("830000", "", "台湾")]
_FOREIGN = [  # (alpha-3, numeric, English name and Chinese name for a man, then for a woman)
    ("USA", "840", ("SMITH, JOHN MICHAEL", "史密斯"), ("SMITH, EMILY ROSE", "史艾米")),
    ("GBR", "826", ("BROWN, OLIVER JAMES", "布朗"), ("BROWN, CHARLOTTE ANNE", "布夏洛")),
    ("DEU", "276", ("MUELLER, KLAUS PETER", "穆勒"), ("MUELLER, ANNA MARIA", "穆安娜")),
    ("JPN", "392", ("TANAKA, HIROSHI", "田中浩"), ("TANAKA, YUKI", "田中由纪")),
]


def demo_photo(seed: str) -> bytes:
    """1024 opaque bytes standing in for the encrypted vendor photo."""
    out = b""
    counter = 0
    while len(out) < 1024:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return out[:1024]


def _birth(rng: random.Random) -> date:
    return date(rng.randint(1938, 2008), rng.randint(1, 12), rng.randint(1, 28))


def _resident_validity(birth: date, issued: date) -> date | None:
    """10 years to 25, 20 years to 45, then 长期 (None); 5 years under 16."""
    age = issued.year - birth.year
    if age >= 46:
        return None
    years = 5 if age < 16 else 10 if age <= 25 else 20
    return issued.replace(year=issued.year + years)


def _seq(rng: random.Random, female: bool) -> int:
    return rng.randrange(0, 999, 2) + (0 if female else 1)


def demo_card(kind: CardKind = CardKind.RESIDENT, seed: int = 0, **overrides: object) -> IdCard:
    """A plausible card of the given kind; keyword overrides replace fields (the raw text follows)."""
    rng = random.Random(f"{kind.value}:{seed}")
    female = rng.random() < 0.5
    gender = "2" if female else "1"
    birth = _birth(rng)
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN_FEMALE if female else _GIVEN_MALE)
    issued = date(rng.randint(2023, 2025), rng.randint(1, 12), rng.randint(1, 28))  # valid until 2028 at least
    if kind is CardKind.RESIDENT:
        area, street, authority = rng.choice(_AREAS)
        card = IdCard(
            kind=kind, name=name, gender_code=gender, nation_code="01" if rng.random() < 0.9 else "03",
            birth=birth, address=f"{street}{rng.randint(1, 300)}号", id_number=make_id_number(area, birth, _seq(rng, female)),
            authority=authority, valid_from=issued,
            valid_to=_resident_validity(birth, issued))
    elif kind is CardKind.HMT_RESIDENT:
        area, prefix, region = rng.choice(_HMT)
        card = IdCard(
            kind=kind, name=name, gender_code=gender, birth=birth, address=f"深圳市福田区福田街道福华一路{rng.randint(1, 99)}号",
            id_number=make_id_number(area, birth, _seq(rng, female)), authority="深圳市公安局福田分局",
            valid_from=issued, valid_to=issued.replace(year=issued.year + 5),
            pass_number=f"{prefix}{rng.randint(0, 10**8 - 1):08d}", issue_count=rng.randint(1, 3))
    elif kind is CardKind.FOREIGN_2017:
        alpha3, _num, male, woman = rng.choice(_FOREIGN)
        name_en, name = woman if female else male
        number = f"{alpha3}{rng.randint(11, 65)}{birth:%y%m%d}{rng.randint(0, 9999):04d}"
        card = IdCard(
            kind=kind, name=name, name_en=name_en, gender_code=gender, birth=birth, id_number=number,
            nationality=alpha3, valid_from=issued, valid_to=issued.replace(year=issued.year + 10),
            card_version="01", authority="1500")
    else:
        alpha3, num, male, woman = rng.choice(_FOREIGN)
        name_en, name = woman if female else male
        first17 = f"9{rng.randint(11, 65)}{num}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
        card = IdCard(
            kind=kind, name=name, name_en=name_en, gender_code=gender, birth=birth,
            id_number=first17 + check_char(first17), nationality=alpha3, valid_from=issued,
            valid_to=issued.replace(year=issued.year + 10), issue_count=0)
    card = dataclasses.replace(card, photo=demo_photo(f"{kind.value}:{seed}"), **overrides)  # type: ignore[arg-type]
    return dataclasses.replace(card, raw_text=encode_text(card))
