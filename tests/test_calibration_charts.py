"""Calibration charts, read through their Vega-Lite specs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from models.analysis.calibration import calibration_intervals
from models.charts.calibration import reliability_chart, sharpness_chart
from models.charts.style import researcher_colour

MADE = datetime(2026, 3, 1, tzinfo=UTC)
CALIBRATION = pd.DataFrame(
    {
        "researcher": ["ann", "ann", "bo"],
        "bucket": [0.1, 0.7, 0.9],
        "n": [4, 10, 1],
        "mean_forecast": [0.12, 0.68, 0.91],
        "observed": [0.25, 0.5, 1.0],
    }
)
SHARPNESS = pd.DataFrame(
    {"researcher": ["ann", "ann", "bo"], "bucket": [0.0, 0.1, 0.0], "n": [3, 0, 2], "share": [1.0, 0.0, 1.0]}
)


def layers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The layers of a layered spec, keyed by mark type."""
    return {layer["mark"]["type"]: layer for layer in spec["layer"]}


def rows(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["datasets"][layer["data"]["name"]]  # type: ignore[no-any-return]


@pytest.fixture
def reliability() -> dict[str, Any]:
    return reliability_chart(calibration_intervals(CALIBRATION), made=MADE).to_dict()  # type: ignore[no-any-return]


def test_reliability_points_plot_mean_forecast_against_observed(reliability: dict[str, Any]) -> None:
    encoding = layers(reliability)["circle"]["encoding"]
    assert (encoding["x"]["field"], encoding["y"]["field"], encoding["size"]["field"]) == (
        "mean_forecast",
        "observed",
        "n",
    )


def test_reliability_colours_researchers_with_shared_palette(reliability: dict[str, Any]) -> None:
    colour = layers(reliability)["circle"]["encoding"]["color"]
    assert (colour["field"], colour["scale"]["domain"], colour["scale"]["range"]) == (
        "researcher",
        ["ann", "bo"],
        [researcher_colour("ann"), researcher_colour("bo")],
    )


@pytest.mark.parametrize("channel", ["x", "y"])
def test_reliability_axes_run_from_zero_to_one_as_percent(reliability: dict[str, Any], channel: str) -> None:
    encoding = layers(reliability)["circle"]["encoding"][channel]
    assert (encoding["scale"]["domain"], encoding["axis"]["format"]) == ([0, 1], ".0%")


def test_reliability_tooltip_names_bucket_counts_and_interval(reliability: dict[str, Any]) -> None:
    fields = [t["field"] for t in layers(reliability)["circle"]["encoding"]["tooltip"]]
    assert fields == ["researcher", "bucket", "n", "mean_forecast", "observed", "lower", "upper"]


def test_reliability_draws_dashed_diagonal(reliability: dict[str, Any]) -> None:
    diagonal = layers(reliability)["line"]
    points = [(r["mean_forecast"], r["observed"]) for r in rows(reliability, diagonal)]
    assert (points, "strokeDash" in diagonal["mark"]) == ([(0.0, 0.0), (1.0, 1.0)], True)


def test_reliability_draws_interval_as_rule_from_lower_to_upper(reliability: dict[str, Any]) -> None:
    encoding = layers(reliability)["rule"]["encoding"]
    assert (encoding["y"]["field"], encoding["y2"]["field"]) == ("lower", "upper")


def test_reliability_without_interval_columns_has_no_rules() -> None:
    spec = reliability_chart(CALIBRATION, made=MADE).to_dict()
    assert set(layers(spec)) == {"line", "circle"}


def test_reliability_keeps_data_inline(reliability: dict[str, Any]) -> None:
    assert all("url" not in layer["data"] for layer in reliability["layer"])
    assert len(rows(reliability, layers(reliability)["circle"])) == 3


def test_reliability_title_and_caption(reliability: dict[str, Any]) -> None:
    title = reliability["title"]
    assert (title["text"], title["subtitle"]) == (
        "Calibration",
        "Final forecasts on resolved questions, by 10% bucket · made 2026-03-01 with Credence",
    )


def test_reliability_of_empty_table_still_builds() -> None:
    empty = calibration_intervals(CALIBRATION.iloc[:0])
    assert "layer" in reliability_chart(empty, made=MADE).to_dict()


@pytest.fixture
def sharp() -> dict[str, Any]:
    return sharpness_chart(SHARPNESS, made=MADE).to_dict()  # type: ignore[no-any-return]


def test_sharpness_bars_count_by_bucket_side_by_side(sharp: dict[str, Any]) -> None:
    encoding = sharp["encoding"]
    assert (
        sharp["mark"]["type"],
        encoding["x"]["field"],
        encoding["xOffset"]["field"],
        encoding["y"]["field"],
    ) == (
        "bar",
        "bucket",
        "researcher",
        "n",
    )


def test_sharpness_colours_by_researcher(sharp: dict[str, Any]) -> None:
    assert sharp["encoding"]["color"]["field"] == "researcher"


def test_sharpness_tooltip_fields(sharp: dict[str, Any]) -> None:
    assert [t["field"] for t in sharp["encoding"]["tooltip"]] == ["researcher", "bucket", "n", "share"]
