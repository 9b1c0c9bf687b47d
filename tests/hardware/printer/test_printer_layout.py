"""Width-aware layout: a Chinese character takes two columns, lines never exceed the paper."""
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.printer.layout import columns_row, fit, format_fen, format_fen_yuan, text_columns, wrap

MIXED = st.text(alphabet=st.sampled_from(list("门诊楼2层内科诊区，出电梯右转：（）￥ abcXYZ0123456789.-↑↓")), max_size=80)


def test_chinese_and_fullwidth_take_two_columns():
    assert text_columns("A015") == 4
    assert text_columns("内科") == 4
    assert text_columns("：（）￥↑") == 10
    assert text_columns("￥12.50") == 7


@settings(max_examples=300, deadline=None)
@given(MIXED, st.integers(min_value=2, max_value=48))
def test_wrap_keeps_every_character_and_fits(text, width):
    lines = wrap(text, width)
    assert all(text_columns(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@settings(max_examples=200, deadline=None)
@given(MIXED, st.integers(min_value=2, max_value=48), st.sampled_from(["left", "center", "right"]))
def test_fit_is_exactly_the_width(text, width, align):
    assert text_columns(fit(text, width, align)) == width


def test_columns_row_aligns_amounts_at_the_right_edge():
    lines = columns_row([("阿莫西林胶囊（0.25g×24粒）", 19, "left"), ("2", 6, "right"), ("￥12.50", 10, "right"),
                         ("￥25.00", 10, "right")])
    assert len(lines) == 2
    assert lines[0].endswith("￥25.00") and text_columns(lines[0]) == 48
    assert lines[1] == "（0.25g×24粒）"  # a bracketed term is never split


def test_money_from_integer_fen():
    assert format_fen(1250) == "￥12.50"
    assert format_fen(5) == "￥0.05"
    assert format_fen(-300) == "-￥3.00"
    assert format_fen(123456) == "￥1234.56"
    assert format_fen_yuan(1250) == "12.50元"
