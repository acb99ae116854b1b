"""Altair charts of calibration: the reliability diagram and the sharpness histogram.

Pure functions of the DataFrames made in :mod:`models.analysis.calibration`; the data travels
inline in the chart spec (no URLs), and every chart ends with :func:`chartstyle.finish`.
"""

from __future__ import annotations

from datetime import datetime

import altair as alt
import pandas as pd

from models.charts.style import HEIGHT, WIDTH, caption, colour_scale, finish

PERCENT = ".0%"
PERCENT_1 = ".1%"


def _researcher_colour(df: pd.DataFrame) -> alt.Color:
    domain = sorted(df["researcher"].astype(str).unique().tolist())
    return alt.Color("researcher:N", title="Researcher", scale=colour_scale(domain or None))


def reliability_chart(
    calibration: pd.DataFrame,
    *,
    title: str = "Calibration",
    what: str = "Final forecasts on resolved questions, by 10% bucket",
    made: datetime | None = None,
) -> alt.TopLevelMixin:
    """Reliability diagram: mean forecast against observed frequency, one colour per researcher.

    ``calibration`` has the columns of :func:`models.analysis.calibration.calibration_table`
    (researcher, bucket, n, mean_forecast, observed), and when it also has ``lower`` and
    ``upper`` (:func:`models.analysis.calibration.calibration_intervals`) each point gets a vertical
    rule for its interval.  Layers: the diagonal ``observed == mean forecast`` (dashed; a
    perfectly calibrated forecaster's points lie on it), the interval rules, and points
    sized by ``n``.  Both axes run from 0 to 1 and read as percentages.
    """
    data = calibration.assign(researcher=calibration["researcher"].astype(str))
    has_interval = {"lower", "upper"} <= set(data.columns)
    x = alt.X(
        "mean_forecast:Q",
        title="Mean forecast",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format=PERCENT),
    )

    def y_axis(field: str) -> alt.Y:
        title = "Observed frequency (share resolved yes)"
        return alt.Y(field, title=title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=PERCENT))

    y = y_axis("observed:Q")
    colour = _researcher_colour(data)
    # Same field names as the points, so the layers share scales and axis titles.
    diagonal = (
        alt.Chart(pd.DataFrame({"mean_forecast": [0.0, 1.0], "observed": [0.0, 1.0]}))
        .mark_line(strokeDash=[6, 4], color="#888888", strokeWidth=1)
        .encode(x=x, y=y)
    )
    tooltip = [
        alt.Tooltip("researcher:N", title="Researcher"),
        alt.Tooltip("bucket:Q", title="Bucket", format=PERCENT),
        alt.Tooltip("n:Q", title="Targets"),
        alt.Tooltip("mean_forecast:Q", title="Mean forecast", format=PERCENT_1),
        alt.Tooltip("observed:Q", title="Observed", format=PERCENT_1),
    ]
    layers: list[alt.Chart] = [diagonal]
    if has_interval:
        tooltip += [
            alt.Tooltip("lower:Q", title="Interval low", format=PERCENT_1),
            alt.Tooltip("upper:Q", title="Interval high", format=PERCENT_1),
        ]
        layers.append(
            alt.Chart(data)
            .mark_rule(strokeWidth=1.5, opacity=0.7)
            .encode(x=x, y=y_axis("lower:Q"), y2=alt.Y2("upper:Q"), color=colour, tooltip=tooltip)
        )
    layers.append(
        alt.Chart(data)
        .mark_circle(opacity=0.85)
        .encode(
            x=x,
            y=y,
            size=alt.Size(
                "n:Q",
                title="Targets",
                scale=alt.Scale(range=[30, 400]),
                legend=alt.Legend(format="d", tickMinStep=1),
            ),
            color=colour,
            tooltip=tooltip,
        )
    )
    chart = alt.layer(*layers).properties(width=HEIGHT, height=HEIGHT)
    return finish(chart, title, caption(what, made))


def sharpness_chart(
    sharpness: pd.DataFrame,
    *,
    title: str = "Sharpness",
    what: str = "Final forecasts on resolved questions, by 10% bucket",
    made: datetime | None = None,
) -> alt.TopLevelMixin:
    """Histogram of forecasts by bucket, bars side by side per researcher.

    ``sharpness`` has the columns of :func:`models.analysis.calibration.sharpness` (researcher,
    bucket, n, share).  Mass near 0% and 100% means confident forecasts; mass at 50% means
    hedged ones.
    """
    data = sharpness.assign(researcher=sharpness["researcher"].astype(str))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("bucket:O", title="Forecast (nearest 10%)", axis=alt.Axis(format=PERCENT, labelAngle=0)),
            xOffset=alt.XOffset("researcher:N"),
            y=alt.Y("n:Q", title="Forecasts", axis=alt.Axis(format="d", tickMinStep=1)),
            color=_researcher_colour(data),
            tooltip=[
                alt.Tooltip("researcher:N", title="Researcher"),
                alt.Tooltip("bucket:Q", title="Bucket", format=PERCENT),
                alt.Tooltip("n:Q", title="Forecasts"),
                alt.Tooltip("share:Q", title="Share of researcher's", format=PERCENT_1),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )
    return finish(chart, title, caption(what, made))
