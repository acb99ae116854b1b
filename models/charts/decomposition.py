"""Altair charts of a decomposition: implied against direct estimates, and the waterfall of a change.

Data is inline (a few dozen rows at most); every builder ends with ``chartstyle.finish``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from models.analysis.decomposition import Attribution
from models.charts import style as chartstyle

IMPLIED = "implied"
DIRECT = "direct"
RECONSTRUCTED_DASH = [2, 3]


def waterfall_frame(attribution: Attribution) -> pd.DataFrame:
    """The bars of a waterfall: the implied estimate at t₀, one floating bar per part, then at t₁.

    Columns ``step`` (label, in drawing order), ``order``, ``start``, ``end`` (probabilities),
    ``change`` (points, 0 for the two totals) and ``kind`` (``total``, ``up``, ``down``).
    Part ``i`` floats from the running sum of the earlier parts; the last bar ends at
    ``implied(t₀) + Σ parts``, which is ``implied(t₁)``.
    """
    b, a = attribution.before, attribution.after
    assert b.implied is not None and a.implied is not None
    rows = [
        {
            "step": f"{b.day.isoformat()} (implied)",
            "start": 0.0,
            "end": b.implied,
            "change": 0.0,
            "kind": "total",
        }
    ]
    level = b.implied
    for name, change in attribution.parts:
        rows.append(
            {"step": name, "start": level, "end": level + change, "change": change * 100,
             "kind": "up" if change > 0 else "down"}
        )  # fmt: skip
        level += change
    rows.append(
        {
            "step": f"{a.day.isoformat()} (implied)",
            "start": 0.0,
            "end": a.implied,
            "change": 0.0,
            "kind": "total",
        }
    )
    out = pd.DataFrame(rows)
    out["order"] = range(len(out))
    return out


def waterfall_chart(attribution: Attribution, question: str) -> alt.TopLevelMixin:
    """A waterfall of :func:`waterfall_frame`: grey totals, blue rises, orange falls."""
    data = waterfall_frame(attribution)
    colour = alt.Scale(domain=["total", "up", "down"], range=["#999999", "#0072B2", "#E69F00"])
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "step:N",
                sort=alt.EncodingSortField("order"),
                title=None,
                axis=alt.Axis(labelAngle=-20, labelLimit=260),
            ),
            y=alt.Y("start:Q", title="P", axis=alt.Axis(format="%")),
            y2="end:Q",
            color=alt.Color("kind:N", scale=colour, legend=None),
            tooltip=[
                alt.Tooltip("step:N"),
                alt.Tooltip("change:Q", title="change (points)", format="+.2f"),
                alt.Tooltip("end:Q", title="running implied", format=".1%"),
            ],
        )
        .properties(width=chartstyle.WIDTH, height=chartstyle.HEIGHT)
    )
    return chartstyle.finish(
        chart, f"Why P({question}) moved", chartstyle.caption("Shapley parts of the implied estimate")
    )


def trajectories_frame(implied: pd.DataFrame, direct: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Implied and direct steps in one frame: ``series, as_of, segment_end, probability, reconstructed``.

    ``implied`` is :func:`models.decomposition.implied_trajectory`'s frame (unavailable rows
    dropped); ``direct`` has ``as_of, probability, reconstructed`` in forecast order.  Each step
    ends where the next one of its series starts, the last at ``end``.
    """
    parts = []
    imp = implied[implied["implied"].notna()].rename(columns={"implied": "probability"})
    for name, d in ((IMPLIED, imp), (DIRECT, direct)):
        d = d[["as_of", "probability", "reconstructed"]].reset_index(drop=True).copy()
        d["segment_end"] = d["as_of"].shift(-1).fillna(end)
        d["series"] = name
        parts.append(d)
    return pd.concat(parts, ignore_index=True)


def _step_layers(base: alt.Chart, colour: str, size: int) -> alt.TopLevelMixin:
    """Step lines from ``as_of`` to ``segment_end`` and a point at each estimate, hollow where the
    estimate rests on reconstructed inputs; ``colour`` is the field that fills the points."""
    steps = base.mark_rule(strokeWidth=2).encode(
        x2="segment_end:T", y=alt.Y("probability:Q", axis=alt.Axis(format="%"), title="P")
    )
    points = base.mark_point(size=size).encode(
        y="probability:Q",
        fill=alt.condition("datum.reconstructed", alt.value("white"), alt.Color(colour)),
        tooltip=[
            alt.Tooltip("series:N"), alt.Tooltip("as_of:T", format="%Y-%m-%d"),
            alt.Tooltip("probability:Q", format=".1%"), alt.Tooltip("reconstructed:N"),
        ],
    )  # fmt: skip
    return alt.layer(steps, points).properties(width=chartstyle.WIDTH, height=chartstyle.HEIGHT)


def implied_direct_chart(data: pd.DataFrame, question: str, researcher: str) -> alt.TopLevelMixin:
    """Step lines of :func:`trajectories_frame`: implied and direct P(A); reconstructed points hollow."""
    base = alt.Chart(data).encode(
        x=alt.X("as_of:T", title="as of"),
        color=alt.Color(
            "series:N", scale=alt.Scale(domain=[IMPLIED, DIRECT], range=["#0072B2", "#000000"]), title=None
        ),
    )
    return chartstyle.finish(
        _step_layers(base, "series:N", 60),
        f"P({question}): implied and direct, {researcher}",
        chartstyle.caption("hollow points rest on reconstructed estimates"),
    )


def implied_lines_chart(lines: pd.DataFrame, question: str) -> alt.TopLevelMixin:
    """Implied estimates as step lines, one per researcher and decomposition (dashed), beside each
    researcher's direct estimates (solid): ``lines`` has ``series, researcher, kind, as_of,
    segment_end, probability, reconstructed``; reconstructed points are hollow."""
    base = alt.Chart(lines).encode(
        x=alt.X("as_of:T", title="as of"),
        color=alt.Color(
            "researcher:N", scale=chartstyle.researcher_scale(lines["researcher"]), title="researcher"
        ),
        strokeDash=alt.StrokeDash(
            "kind:N", scale=alt.Scale(domain=[DIRECT, IMPLIED], range=[[1, 0], [6, 4]]), title=None
        ),
        detail="series:N",
    )
    return chartstyle.finish(
        _step_layers(base, "researcher:N", 50),
        f"P({question}): implied by decompositions (dashed) and direct",
        chartstyle.caption("hollow points rest on reconstructed estimates"),
    )
