"""Altair charts of belief trajectories, capability curves and researcher comparisons.

Builders take the frames of :mod:`models.trajectory` and :mod:`models.updates`, put the data
inline in the spec (``InlineData``: no row limit, nothing to serve) and end with
:func:`models.chartstyle.finish`.

Visual conventions
------------------
* A belief holds until the next update, so each estimate is a step from its ``as_of`` to its
  ``segment_end`` (``interpolate="step-after"``), then a vertical jump to the next estimate.
* Colour and point shape both encode the researcher (one merged legend), so 20 researchers
  stay distinguishable when the palette repeats.  Line dash encodes the capability level of
  conditional forecasts; a dotted step and a hollow point mark an estimate *reconstructed
  (written after the fact)*.
* ``log_odds=True`` plots natural log-odds (probabilities clipped to [0.001, 0.999]) with the
  ticks labelled as percentages.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import altair as alt
import pandas as pd

from models import chartstyle
from models.trajectory import PROB_CLIP, logit

RECONSTRUCTED = "reconstructed (written after the fact)"
RECORDED = "recorded at the time"
UNCONDITIONAL = "unconditional"
#: Probabilities labelled on a log-odds axis.
PERCENT_TICKS = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
RECONSTRUCTED_DASH = [2, 3]
#: Dashes of the line styles (levels), none of them the dotted reconstructed pattern.
DASHES = [[1, 0], [8, 4], [12, 3, 3, 3], [16, 4], [6, 6], [20, 4, 4, 4], [3, 8]]
LEGEND_ROWS = 12
EVIDENCE_PARAM = "evidence"
DATE_PARAM = "date_step"
GROUP_STATISTICS = {
    "median_probability": ("median", "#000000"),
    "geo_mean_odds_probability": ("geometric mean of odds", "#888888"),
}


def _inline(df: pd.DataFrame) -> alt.InlineData:
    """``df`` as inline records: ISO-8601 UTC times, NaN as null."""
    return alt.InlineData(values=json.loads(df.to_json(orient="records", date_format="iso")))


def _legend(title: str, n: int) -> alt.Legend:
    return alt.Legend(title=title, columns=max(1, math.ceil(n / LEGEND_ROWS)), symbolLimit=0, labelLimit=160)


def _dash_legend() -> alt.Legend:
    return alt.Legend(title="line", symbolLimit=0, symbolType="stroke", symbolSize=900, symbolStrokeWidth=2)


def _x(ticks: int = 8) -> alt.X:
    axis = alt.Axis(labelFlush=True, labelOverlap="greedy", tickCount=ticks)
    return alt.X("t:T", title="date", scale=alt.Scale(type="utc"), axis=axis)


def _y(log_odds: bool) -> alt.Y:
    if log_odds:
        edge = float(logit(PROB_CLIP))
        return alt.Y(
            "y:Q",
            title="probability (log-odds scale)",
            scale=alt.Scale(domain=[edge, -edge], nice=False),
            axis=alt.Axis(
                values=[float(v) for v in logit(PERCENT_TICKS)],
                labelExpr="format(1 / (1 + exp(-datum.value)), '.0%')",
            ),
        )
    return alt.Y("y:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%"))


def _researchers(df: pd.DataFrame) -> list[str]:
    return sorted(df["researcher"].dropna().unique().tolist())


def _colour(researchers: list[str]) -> alt.Color:
    return alt.Color(
        "researcher:N",
        scale=chartstyle.colour_scale(researchers),
        legend=_legend("researcher", len(researchers)),
    )


def _shape(researchers: list[str]) -> alt.Shape:
    return alt.Shape(
        "researcher:N", scale=alt.Scale(domain=researchers), legend=_legend("researcher", len(researchers))
    )


def _line_styles(traj: pd.DataFrame) -> tuple[pd.Series, alt.Scale]:
    """Per point its line style (level, unconditional or reconstructed) and the dash scale."""
    conditional = traj["level"].notna()
    reconstructed = traj["reconstructed"].fillna(False).astype(bool)
    plain = UNCONDITIONAL if conditional.any() else RECORDED
    style = traj["level"].where(conditional, plain).where(~reconstructed, RECONSTRUCTED).astype("object")
    levels = traj.loc[conditional].sort_values("level_position", kind="stable")["level"].unique().tolist()
    domain = ([plain] if (~conditional).any() or traj.empty else []) + levels
    dashes = [DASHES[i % len(DASHES)] for i in range(len(domain))]
    if reconstructed.any():
        domain, dashes = [*domain, RECONSTRUCTED], [*dashes, RECONSTRUCTED_DASH]
    return style, alt.Scale(domain=domain, range=dashes)


def _points(traj: pd.DataFrame, log_odds: bool) -> pd.DataFrame:
    """Trajectory points as chart rows: ``t``, ``y`` and the tooltip texts."""
    reconstructed = traj["reconstructed"].fillna(False).astype(bool)
    return traj.assign(
        t=traj["as_of"],
        y=traj["log_odds"] if log_odds else traj["probability"],
        date_label=traj["as_of"].dt.strftime("%Y-%m-%d"),
        estimate=reconstructed.map({True: RECONSTRUCTED, False: RECORDED}),
        reconstructed=reconstructed,
        line_style=_line_styles(traj)[0],
    ).drop(columns=["evidence_ids", "recorded_at", "segment_end", "as_of"])


def _segments(traj: pd.DataFrame, log_odds: bool) -> pd.DataFrame:
    """Two rows per point, ``(as_of, y)`` and ``(segment_end, next y)``: with step-after
    interpolation they draw the held belief and the jump to the next estimate."""
    y = traj["log_odds"] if log_odds else traj["probability"]
    following = y.groupby([traj["question_id"], traj["series"]], sort=False).shift(-1)
    common = pd.DataFrame(
        {
            "question_id": traj["question_id"],
            "question": traj["question"],
            "researcher": traj["researcher"],
            "series": traj["series"],
            "segment": traj["forecast_id"].astype(str),
            "line_style": _line_styles(traj)[0],
        }
    )
    start = common.assign(t=traj["as_of"], y=y)
    stop = common.assign(t=traj["segment_end"], y=following.fillna(y))
    return pd.concat([start, stop]).sort_values(["segment", "t"], kind="stable").reset_index(drop=True)


_POINT_TOOLTIP = [
    alt.Tooltip("series:N", title="researcher"),
    alt.Tooltip("probability:Q", title="probability", format=".1%"),
    alt.Tooltip("date_label:N", title="date"),
    alt.Tooltip("estimate:N", title="estimate"),
    alt.Tooltip("rationale:N", title="rationale"),
    alt.Tooltip("evidence:N", title="evidence (direction)"),
]


def _estimate_layers(
    base: alt.Chart, researchers: list[str], dash: alt.Scale, log_odds: bool, ticks: int = 8
) -> list[alt.Chart]:
    """Step segments, filled recorded points and hollow reconstructed points on ``base``."""
    x, y = _x(ticks), _y(log_odds)
    steps = (
        base.transform_filter("datum.kind == 'segment'")
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=_colour(researchers),
            strokeDash=alt.StrokeDash("line_style:N", scale=dash, legend=_dash_legend()),
            detail="segment:N",
        )
    )
    point = base.encode(
        x=x, y=y, color=_colour(researchers), shape=_shape(researchers), tooltip=_POINT_TOOLTIP
    )
    recorded = point.transform_filter("datum.kind == 'point' && !datum.reconstructed").mark_point(
        filled=True, size=45, opacity=1
    )
    reconstructed = point.transform_filter("datum.kind == 'point' && datum.reconstructed").mark_point(
        filled=False, size=70, strokeWidth=1.5, opacity=1
    )
    return [steps, recorded, reconstructed]


def _estimate_data(traj: pd.DataFrame, log_odds: bool) -> pd.DataFrame:
    return pd.concat(
        [
            _segments(traj, log_odds).assign(kind="segment", reconstructed=False),
            _points(traj, log_odds).assign(kind="point"),
        ],
        ignore_index=True,
    )


def _evidence_layers(traj: pd.DataFrame, evidence: pd.DataFrame, log_odds: bool) -> list[alt.Chart]:
    """Evidence rules at their dates (hover one to ring the estimates that cite it)."""
    hovered = alt.selection_point(
        name=EVIDENCE_PARAM, fields=["evidence_id"], on="pointerover", clear="pointerout", empty=False
    )
    events = evidence.assign(t=evidence["date"], date_label=evidence["date"].dt.strftime("%Y-%m-%d"))
    rules = (
        alt.Chart(_inline(events.drop(columns="date")))
        .mark_rule(color="#777777")
        .encode(
            x=_x(),
            strokeWidth=alt.when(hovered).then(alt.value(6)).otherwise(alt.value(4)),
            opacity=alt.when(hovered).then(alt.value(0.6)).otherwise(alt.value(0.25)),
            tooltip=[
                alt.Tooltip("evidence:N", title="evidence"),
                alt.Tooltip("date_label:N", title="date"),
                alt.Tooltip("cited_by:N", title="cited by"),
            ],
        )
        .add_params(hovered)
    )
    hits = _points(traj, log_odds).assign(evidence_id=traj["evidence_ids"]).explode("evidence_id")
    hits = hits[hits["evidence_id"].notna()]
    ringed = (
        alt.Chart(_inline(hits[["t", "y", "evidence_id", "series"]]))
        .mark_point(filled=False, color="#000000", strokeWidth=2)
        .encode(
            x=_x(),
            y=_y(log_odds),
            size=alt.when(hovered).then(alt.value(420)).otherwise(alt.value(0)),
            opacity=alt.when(hovered).then(alt.value(1)).otherwise(alt.value(0)),
        )
    )
    return [rules, ringed]


def _resolution_layers(resolution: Mapping[str, Any]) -> list[alt.Chart]:
    outcome = str(resolution["outcome"])
    label = f"resolved {outcome.upper()}" if outcome in ("yes", "no") else outcome
    when = pd.DataFrame({"t": [pd.Timestamp(resolution["resolved_at"])], "label": [label]})
    base = alt.Chart(_inline(when)).encode(x=_x())
    rule = base.mark_rule(color="#000000", strokeWidth=2)
    text = base.mark_text(align="right", baseline="top", dx=-4, dy=4, fontWeight="bold").encode(
        y=alt.value(0), text="label:N"
    )
    return [rule, text]


def trajectory_chart(
    traj_df: pd.DataFrame,
    evidence_df: pd.DataFrame | None = None,
    resolution: Mapping[str, Any] | None = None,
    log_odds: bool = False,
    title: str | None = None,
    made: datetime | None = None,
) -> alt.TopLevelMixin:
    """One question's trajectory: a step line per researcher (and level).

    ``traj_df`` is :func:`models.trajectory.trajectory`; ``evidence_df`` is
    :func:`models.trajectory.evidence_events` (rules at the evidence dates; hovering one rings
    the estimates citing it through the ``evidence`` selection param); ``resolution`` is
    :func:`models.trajectory.resolution_of` (a rule labelled "resolved YES/NO").
    """
    researchers = _researchers(traj_df)
    dash = _line_styles(traj_df)[1]
    base = alt.Chart(_inline(_estimate_data(traj_df, log_odds)))
    layers: list[alt.Chart] = []
    if evidence_df is not None and not evidence_df.empty:
        rules, ringed = _evidence_layers(traj_df, evidence_df, log_odds)
        layers = [rules, *_estimate_layers(base, researchers, dash, log_odds), ringed]
    else:
        layers = _estimate_layers(base, researchers, dash, log_odds)
    if resolution is not None and resolution.get("outcome") is not None:
        layers += _resolution_layers(resolution)
    question = traj_df["question"].iloc[0] if len(traj_df) else "Belief trajectory"
    what = f"{len(traj_df)} estimates by {len(researchers)} researchers"
    chart = alt.layer(*layers).properties(width=chartstyle.WIDTH, height=chartstyle.HEIGHT)
    return chartstyle.finish(chart, title or str(question), chartstyle.caption(what, made))


def _capability_layers(data: pd.DataFrame, log_odds: bool) -> list[alt.Chart]:
    researchers = _researchers(data)
    order = data.sort_values("level_position", kind="stable")["level"].unique().tolist()
    rows = data.assign(
        y=data["log_odds"] if log_odds else data["probability"],
        made_label=data["as_of"].dt.strftime("%Y-%m-%d"),
    ).drop(columns=["at", "as_of"], errors="ignore")
    base = alt.Chart(_inline(rows)).encode(
        x=alt.X(
            "level:N",
            sort=order,
            scale=alt.Scale(domain=order),
            title="capability level",
            axis=alt.Axis(labelAngle=0, labelLimit=140),
        ),  # fmt: skip
        y=_y(log_odds),
        color=_colour(researchers),
    )
    lines = base.mark_line(strokeWidth=2).encode(detail="researcher:N")
    points = base.mark_point(filled=True, size=60).encode(
        shape=_shape(researchers),
        tooltip=[
            alt.Tooltip("researcher:N"),
            alt.Tooltip("level:N", title="level"),
            alt.Tooltip("probability:Q", title="P(question | level)", format=".1%"),
            alt.Tooltip("made_label:N", title="estimate made"),
            alt.Tooltip("date_label:N", title="standing on"),
        ],
    )
    return [lines, points]


def capability_chart(
    curve_df: pd.DataFrame, log_odds: bool = False, made: datetime | None = None
) -> alt.TopLevelMixin:
    """P(question | level) along the ordered capability scale, one line per researcher.

    ``curve_df`` is :func:`models.trajectory.capability_curve`; the x axis lists the level
    names in ``level_position`` order.
    """
    question = curve_df["question"].iloc[0] if len(curve_df) else "Capability curve"
    when = curve_df["date_label"].iloc[0] if len(curve_df) else ""
    chart = alt.layer(*_capability_layers(curve_df, log_odds)).properties(
        width=chartstyle.WIDTH, height=chartstyle.HEIGHT
    )
    what = f"standing P(question | level) on {when}, {curve_df['researcher'].nunique()} researchers"
    return chartstyle.finish(chart, str(question), chartstyle.caption(what, made))


def capability_chart_over_time(
    curve_over_time_df: pd.DataFrame, log_odds: bool = False, made: datetime | None = None
) -> alt.TopLevelMixin:
    """:func:`capability_chart` with a date slider (``alt.binding_range`` over ``date_index``).

    ``curve_over_time_df`` is :func:`models.trajectory.capability_curve_over_time`; the slider
    starts at the latest date and a label shows the date chosen.
    """
    df = curve_over_time_df
    dates = df[["date_index", "date_label"]].drop_duplicates().sort_values("date_index")
    last = int(dates["date_index"].max()) if len(dates) else 0
    step = alt.param(
        name=DATE_PARAM, value=last, bind=alt.binding_range(min=0, max=last, step=1, name="date (step) ")
    )
    chosen = f"datum.date_index == {DATE_PARAM}"
    layers = [layer.transform_filter(chosen) for layer in _capability_layers(df, log_odds)]
    label = (
        alt.Chart(_inline(dates))
        .transform_filter(chosen)
        .transform_calculate(text="'as of ' + datum.date_label")
        .mark_text(align="left", baseline="top", fontWeight="bold")
        .encode(x=alt.value(4), y=alt.value(4), text="text:N")
    )
    question = df["question"].iloc[0] if len(df) else "Capability curve"
    chart = (
        alt.layer(*layers, label)
        .add_params(step)
        .properties(width=chartstyle.WIDTH, height=chartstyle.HEIGHT)
    )
    what = f"standing P(question | level) at {len(dates)} dates"
    return chartstyle.finish(chart, str(question), chartstyle.caption(what, made))


def _group_rows(group_df: pd.DataFrame, traj: pd.DataFrame, log_odds: bool) -> pd.DataFrame:
    g = group_df
    if "question" not in g.columns:
        titles = traj.drop_duplicates("question_id").set_index("question_id")["question"]
        g = g.assign(question=titles.reindex(g["question_id"]).to_numpy())
    long = g.melt(
        id_vars=["question_id", "question", "level", "time"],
        value_vars=list(GROUP_STATISTICS),
        var_name="statistic",
        value_name="probability",
    )
    long["statistic"] = long["statistic"].map({k: v[0] for k, v in GROUP_STATISTICS.items()})
    long["y"] = logit(long["probability"]) if log_odds else long["probability"]
    level = long["level"].fillna("").astype(str)
    long["segment"] = long["question_id"].astype(str) + "|" + level + "|" + long["statistic"]
    return long.rename(columns={"time": "t"}).assign(kind="group", reconstructed=False)


def _group_layer(base: alt.Chart, log_odds: bool) -> alt.Chart:
    """The group lines: dashed steps, median black and geometric mean of odds grey."""
    names = [v[0] for v in GROUP_STATISTICS.values()]
    legend = alt.Legend(
        title="group", symbolType="stroke", symbolSize=900, symbolStrokeWidth=2, symbolDash=[6, 3]
    )
    return (
        base.transform_filter("datum.kind == 'group'")
        .mark_line(interpolate="step-after", strokeDash=[6, 3], strokeWidth=2)
        .encode(
            x=_x(4),
            y=_y(log_odds),
            stroke=alt.Stroke(
                "statistic:N",
                scale=alt.Scale(domain=names, range=[v[1] for v in GROUP_STATISTICS.values()]),
                legend=legend,
            ),
            detail="segment:N",
            tooltip=[
                alt.Tooltip("statistic:N"),
                alt.Tooltip("probability:Q", title="probability", format=".1%"),
            ],
        )
    )


def comparison_chart(
    traj_df_multi: pd.DataFrame,
    group_df: pd.DataFrame | None = None,
    columns: int = 3,
    log_odds: bool = False,
    title: str = "Researchers compared",
    made: datetime | None = None,
) -> alt.TopLevelMixin:
    """Small multiples, one panel per question (wrapping after ``columns``), on a shared time axis.

    ``traj_df_multi`` is :func:`models.trajectory.trajectories`; ``group_df`` is
    :func:`models.trajectory.group_line`, drawn as dashed step lines: median black,
    geometric mean of odds grey.
    """
    researchers = _researchers(traj_df_multi)
    dash = _line_styles(traj_df_multi)[1]
    parts = [_estimate_data(traj_df_multi, log_odds)]
    if group_df is not None and not group_df.empty:
        parts.append(_group_rows(group_df, traj_df_multi, log_odds))
    data = pd.concat(parts, ignore_index=True)
    base = alt.Chart()
    layers = _estimate_layers(base, researchers, dash, log_odds, ticks=4)
    if len(parts) > 1:
        layers.append(_group_layer(base, log_odds))
    order = traj_df_multi.sort_values("question_id", kind="stable")["question"].unique().tolist()
    width = max(180, (chartstyle.WIDTH - 30 * (columns - 1)) // columns)
    chart = (
        alt.layer(*layers, data=_inline(data))
        .properties(width=width, height=160)
        .facet(
            facet=alt.Facet(
                "question:N", sort=order, title=None, header=alt.Header(labelLimit=width, labelAnchor="start")
            ),
            columns=columns,
        )
        .resolve_scale(x="shared", y="shared")
    )
    what = f"{traj_df_multi['question_id'].nunique()} questions, {len(researchers)} researchers"
    return chartstyle.finish(chart, title, chartstyle.caption(what, made))
