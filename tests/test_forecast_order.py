"""Putting forecast rows in forecast order skips the sort when they already are, and gives
exactly what sorting gives either way."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from models.frames import FORECAST_ORDER, in_forecast_order

DAY = st.integers(-3, 3).map(lambda d: pd.Timestamp("1970-01-01", tz="UTC") + pd.Timedelta(days=d))


@st.composite
def _rows(draw: st.DrawFn) -> pd.DataFrame:
    """Rows with many ties on both times, sometimes already in order, sometimes a missing time,
    sometimes without recorded_at, under an index of their own."""
    n = draw(st.integers(0, 30))
    times = st.one_of(DAY, st.just(pd.NaT)) if draw(st.booleans()) else DAY
    df = pd.DataFrame(
        {
            "forecast_id": pd.Series(draw(st.lists(st.integers(1, 40), min_size=n, max_size=n)), dtype="int64"),
            "as_of": pd.Series(draw(st.lists(times, min_size=n, max_size=n)), dtype="datetime64[ns, UTC]"),
            "recorded_at": pd.Series(draw(st.lists(DAY, min_size=n, max_size=n)), dtype="datetime64[ns, UTC]"),
            "probability": np.linspace(0, 1, n),
        },
        index=draw(st.permutations(range(100, 100 + n))),
    )  # fmt: skip
    if draw(st.booleans()):
        df = df.sort_values([c for c in FORECAST_ORDER if c in df.columns], kind="stable")
    if draw(st.booleans()):
        df = df.drop(columns=["recorded_at"])
    return df


@settings(max_examples=150, deadline=None)
@given(_rows(), st.booleans())
def test_forecast_order_equals_a_stable_sort(df: pd.DataFrame, ignore_index: bool) -> None:
    expected = df.sort_values(
        [c for c in FORECAST_ORDER if c in df.columns], kind="stable", ignore_index=ignore_index
    )
    pd.testing.assert_frame_equal(in_forecast_order(df, ignore_index=ignore_index), expected)


def test_rows_already_in_order_come_back_as_a_copy_the_caller_may_change() -> None:
    df = pd.DataFrame(
        {
            "forecast_id": [1, 2],
            "as_of": pd.to_datetime(["2024-01-01", "2024-02-01"], utc=True),
            "recorded_at": pd.to_datetime(["2024-03-01", "2024-03-01"], utc=True),
        }
    )
    out = in_forecast_order(df)
    out["probability"] = [0.1, 0.2]
    out.loc[0, "forecast_id"] = 9
    assert list(df.columns) == ["forecast_id", "as_of", "recorded_at"]
    assert df["forecast_id"].tolist() == [1, 2]
