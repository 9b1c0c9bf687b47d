"""Rendered slips are to scale and draw real Chinese glyphs, never boxes; samples are written for people."""
from PIL import Image

from hardware.printer.decode import Text, decode_for
from hardware.printer.documents import render_receipt, render_report, render_ticket
from hardware.printer.render import missing_glyphs, render_image
from hardware.printer.samples import DEFAULT_OUT, write_samples


def test_font_has_every_character_of_the_slips(docs, profile):
    for data in (render_ticket(docs.ticket, profile), render_receipt(docs.receipt, profile),
                 render_report(docs.report, profile)):
        text = "".join(e.text for e in decode_for(profile, data) if isinstance(e, Text))
        assert missing_glyphs(text) == set()


def test_missing_glyph_check_can_fail():
    assert missing_glyphs("医\U0010fffd") == {"\U0010fffd"}


def test_slip_is_drawn_to_scale_with_a_large_number(docs, profile):
    elements = decode_for(profile, render_ticket(docs.ticket, profile))
    assert render_image(elements, profile.dots).width == profile.dots
    number_at = next(i for i, e in enumerate(elements) if isinstance(e, Text) and e.text == "A015")
    top = render_image(elements[: number_at + 2], profile.dots)  # header ... the number and its line feed
    inked = [y for y in range(top.height) if min(top.crop((0, y, top.width, y + 1)).getdata()) < 128]
    last_run = 1
    while last_run < len(inked) and inked[-last_run - 1] == inked[-last_run] - 1:
        last_run += 1
    assert last_run >= 0.6 * 24 * elements[number_at].height  # digits are drawn at the GS ! height


def test_write_samples_for_people_to_look_at():
    paths = write_samples(DEFAULT_OUT)
    assert {p.name for p in paths} >= {f"{n}-{mm}mm.png" for n in ("ticket", "receipt", "report") for mm in (58, 80)}
    for path in paths:
        with Image.open(path) as image:
            assert image.width == (384 if "58mm" in path.name else 576)
