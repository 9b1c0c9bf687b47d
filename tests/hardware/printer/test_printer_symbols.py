"""Never a silent '?': medical symbols get their GBK forms, anything else prints as an image; wrapping never
splits a number, a unit or a bracketed term."""
from __future__ import annotations

from pathlib import Path

import pytest

from common.printer_profiles import PROFILES
from hardware.printer.decode import RasterImage, decode_for, text_lines
from hardware.printer.layout import encodable, printable, text_columns, wrap
from hardware.printer.slip import SlipWriter

COMMON_UNITS = [
    "µmol/L", "μmol/L", "mmol/L", "g/L", "mg/dL", "10^9/L", "10⁹/L", "×10¹²/L", "mL/min/1.73m²", "kg/m²", "U/L",
    "IU/mL", "mIU/L", "µIU/mL", "ng/mL", "pg/mL", "µg/L", "fL", "pg", "%", "‰", "℃", "mm/h", "mmHg", "s", "INR",
    "cells/µL", "Ω", "mEq/L", "mOsm/kg·H₂O", "≤0.5", "≥60", "3.5−5.5", "1:100", "阴性(−)", "弱阳性(±)", "®", "Å",
]


def demo_strings() -> list[str]:
    """Every text of the demo data a slip can carry: lab items and units, prices, the hospital file's names."""
    from common.config import load_hospital
    from records.demo_data import LABS, PRICES

    out = []
    for title, (specimen, analytes) in LABS.items():
        out += [title, specimen] + [x for a in analytes for x in (a[0], a[1], a[2])]
    out += [p["name"] for p in PRICES] + [p["unit"] for p in PRICES]
    hospital = load_hospital(Path(__file__).resolve().parents[3] / "assets" / "demo-hospital.toml")
    out += [hospital.hospital.name] + [d.name for d in hospital.departments] + [d.location or "" for d in hospital.departments]
    out += [d.name for d in hospital.doctors] + [d.title or "" for d in hospital.doctors]
    for area in hospital.areas:
        out += [area.name, area.location or ""] + [r.name for r in area.rooms] + [r.location or "" for r in area.rooms]
    return [s for s in out if s]


@pytest.mark.parametrize("profile", ["generic-58-gbk", "generic-80-gbk"])
def test_every_character_of_the_demo_data_and_common_units_prints_without_a_question_mark(profile):
    profile = PROFILES[profile]
    for text in demo_strings() + COMMON_UNITS:
        w = SlipWriter(profile)
        w.text(text)
        elements = decode_for(profile, w.finish())
        printed = "".join(text_lines(elements))
        images = [e for e in elements if isinstance(e, RasterImage)]
        assert "?" not in printed, text
        if encodable(printable(text, profile.encoding), profile.encoding):
            assert printed == printable(text, profile.encoding) and not images, text
        else:
            assert images and printed == "", text  # the whole line as a picture with the bundled font


def test_medical_symbols_get_their_gbk_forms():
    assert printable("88 µmol/L") == "88 μmol/L"
    assert printable("3.5−5.5") == "3.5-5.5"
    assert printable("m²") == "m²"  # no GBK form: printed as an image instead
    assert printable("m²", "gb18030") == "m²"


def test_a_line_gbk_cannot_encode_is_drawn_not_replaced(tmp_path):
    from hardware.printer.render import render_png

    profile = PROFILES["generic-58-gbk"]
    w = SlipWriter(profile)
    w.text("eGFR 95 mL/min/1.73m²")
    elements = decode_for(profile, w.finish())
    image = next(e for e in elements if isinstance(e, RasterImage))
    assert image.width_dots >= text_columns("eGFR 95 mL/min/1.73m²") * 12
    assert any(image.bits)  # ink on the line
    assert render_png(elements, profile.dots, tmp_path / "line.png").stat().st_size > 200


@pytest.mark.parametrize("text,width,kept", [
    ("估算肾小球滤过率(eGFR)", 18, "(eGFR)"),
    ("90 mL/min/1.73m²", 14, "mL/min/1.73m²"),
    ("白细胞计数(WBC) 11.8 10^9/L", 14, "10^9/L"),
    ("静脉血（EDTA抗凝）", 14, "（EDTA抗凝）"),
    ("参考范围 3.5-9.5", 12, "3.5-9.5"),
])
def test_wrap_never_splits_a_number_unit_or_bracketed_term(text, width, kept):
    lines = wrap(text, width)
    assert any(kept in line for line in lines), lines
    assert all(text_columns(line) <= width for line in lines)
