"""Percentages read alike everywhere: one decimal, more only near 0 % and 100 %."""

from __future__ import annotations

import pytest

from models.format import format_percent


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.7917, "79.2%"),
        (0.8, "80%"),
        (0.37, "37%"),
        (0.325, "32.5%"),
        (0.04762, "4.8%"),
        (1.0, "100%"),
        (1.4, "140%"),
        (0.0, "0%"),
        (0.005, "0.5%"),
        (0.0015, "0.15%"),
        (0.999, "99.9%"),
        (0.9999, "99.99%"),
        (0.9951, "99.51%"),
    ],
)
def test_percentages_have_one_decimal_and_keep_their_size_near_certainty(p: float, text: str) -> None:
    assert format_percent(p) == text
