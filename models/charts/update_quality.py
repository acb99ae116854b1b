"""Update quality chart: each researcher's mean excess movement with its interval."""

from __future__ import annotations

import altair as alt
import pandas as pd

from models.charts.style import FONT_SIZE, WIDTH, finish, researcher_scale


def excess_chart(table: pd.DataFrame) -> alt.TopLevelMixin:
    """Mean excess movement per researcher (a dot) with its interval (a bar from ``excess_low``
    to ``excess_high``; none with a single target), and a rule at 0, where a Bayesian is on
    average.  ``table`` is :func:`models.analysis.update_quality.with_intervals`."""
    data = table[["researcher", "n_targets", "excess_movement", "excess_low", "excess_high", "reading"]]
    y = alt.Y("researcher:N", sort=None, title=None, axis=alt.Axis(labelFontSize=FONT_SIZE))
    tooltip = [
        alt.Tooltip("researcher:N"),
        alt.Tooltip("n_targets:Q", title="targets"),
        alt.Tooltip("excess_movement:Q", title="mean excess", format="+.4f"),
        alt.Tooltip("excess_low:Q", title="95% from", format="+.4f"),
        alt.Tooltip("excess_high:Q", title="95% to", format="+.4f"),
        alt.Tooltip("reading:N"),
    ]
    base = alt.Chart(data)
    bars = base.mark_rule(strokeWidth=3, opacity=0.6).encode(
        y=y, x=alt.X("excess_low:Q", title="mean excess movement (probability²)"), x2="excess_high:Q",
        color=alt.Color("researcher:N", scale=researcher_scale(data["researcher"]), legend=None), tooltip=tooltip,
    )  # fmt: skip
    dots = base.mark_point(filled=True, size=90).encode(
        y=y, x="excess_movement:Q", color=alt.Color("researcher:N", scale=researcher_scale(data["researcher"]), legend=None),
        tooltip=tooltip,
    )  # fmt: skip
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color="#555555").encode(x="x:Q")
    chart = alt.layer(zero, bars, dots).properties(width=WIDTH, height=max(120, 34 * len(data)))
    return finish(
        chart, "Excess movement", "0: moves as much as uncertainty shrinks; right: over-reacts; left: sticky"
    )
