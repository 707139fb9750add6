import pytest

from bot.present import bar, percent


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.5, "50.0%"), (0.996, "99.6%"), (0.99951, ">99.9%"), (1.0, "100%"), (0.0004, "0.0%")],
)
def test_percentages_never_round_a_doubt_away(p: float, text: str) -> None:
    assert percent(p) == text


def test_bars_have_a_fixed_width() -> None:
    assert {len(bar(p)) for p in (0.0, 0.01, 0.5, 0.999, 1.0)} == {12}
    assert bar(1.0) == "█" * 12 and bar(0.0).strip() == ""
