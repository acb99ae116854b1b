"""Altair charts of belief trajectories, capability curves and researcher comparisons.

Builders take the frames of :mod:`models.analysis.trajectory` and :mod:`models.analysis.updates`, put the data
inline in the spec (named datasets in its top-level ``datasets``: no row limit, nothing to
serve) and end with :func:`models.charts.style.finish`.  Pages build them with ``inline=False``
and draw :func:`to_spec`, which hands the data to Streamlit as DataFrames instead.

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

import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar, cast

import altair as alt
import numpy as np
import pandas as pd
from altair.utils.schemapi import debug_mode

from models.charts import style as chartstyle
from models.format import PROB_CLIP, logit, plural

P = ParamSpec("P")
R = TypeVar("R")
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
#: Names of the datasets a chart's layers read (``spec["datasets"][name]``).
ESTIMATES_DATA = "estimates"
EVIDENCE_DATA = "evidence_events"
RINGS_DATA = "evidence_rings"
RESOLUTION_DATA = "resolution"
CURVE_DATA = "capability_curve"
GROUP_STATISTICS = {
    "median_probability": ("median", "#000000"),
    "geo_mean_odds_probability": ("geometric mean of odds", "#888888"),
}


def _unchecked(builder: Callable[P, R]) -> Callable[P, R]:
    """Run a chart builder without Altair's check of every schema object as it is created.

    That check (``DEBUG_MODE``) took a third of building a chart; the finished spec is still
    validated whole by ``chart.to_dict()`` (in the tests and exports), and Altair itself turns
    the flag off the same way around every copy it makes.
    """

    @functools.wraps(builder)
    def build(*args: P.args, **kwargs: P.kwargs) -> R:
        with debug_mode(False):
            return builder(*args, **kwargs)

    return build


def _iso(times: pd.Series) -> np.ndarray:
    """UTC times as ``"2024-06-30T00:00:00.000Z"`` text (``None`` for NaT), vectorized in numpy."""
    ms = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ms]")
    text = np.char.add(np.datetime_as_string(ms, unit="ms"), "Z").astype("object")
    text[np.isnat(ms)] = None
    return text


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df`` as JSON records: ISO-8601 UTC times, NaN as null.

    Times are formatted in numpy first because pandas' ISO writer is slow on timezone-aware
    columns.
    """
    times = [c for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
    plain = df.assign(**{c: _iso(df[c]) for c in times}) if times else df
    records: list[dict[str, Any]] = json.loads(plain.to_json(orient="records"))
    return records


def _named(name: str) -> alt.NamedData:
    return alt.NamedData(name=name)


def _with_data(
    chart: alt.TopLevelMixin,
    datasets: Mapping[str, pd.DataFrame | Sequence[pd.DataFrame]],
    inline: bool = True,
) -> alt.TopLevelMixin:
    """The finished ``chart`` with each :func:`_named` placeholder replaced by its records.

    A dataset given as several frames is their records one after the other (each record has
    only its own frame's columns).  Layers are built on named placeholders and the records
    are put in once, at the end, because Altair deep-copies a chart's data on every
    ``encode``/``mark``/``properties`` call and validates an ``alt.InlineData`` record by
    record, which took seconds for a few thousand estimates; ``to_dict()`` then moves each
    ``{"values": ...}`` into the spec's top-level ``datasets`` by reference.

    With ``inline=False`` the placeholders stay and the frames ride along on the chart for
    :func:`to_spec`, which hands them to Streamlit as DataFrames (sent as Arrow, with no JSON
    round trip); ``chart.to_dict()`` of such a chart has no data.
    """
    frames = {
        name: dfs if isinstance(dfs, pd.DataFrame) else pd.concat(list(dfs), ignore_index=True)
        for name, dfs in datasets.items()
    }
    if not inline:
        object.__setattr__(chart, "_frames", frames)
        return chart
    values = {
        name: {
            "values": [
                row for df in ([dfs] if isinstance(dfs, pd.DataFrame) else dfs) for row in _records(df)
            ]
        }
        for name, dfs in datasets.items()
    }

    def attach(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                attach(child)
        elif isinstance(node, alt.SchemaBase):
            data = node._get("data")
            if isinstance(data, alt.NamedData) and data._get("name") in values:
                node["data"] = values[data._get("name")]
            for key in ("layer", "spec"):
                attach(node._get(key))

    attach(chart)
    return chart


def to_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of a chart built here, for ``st.vega_lite_chart``.

    A chart built with ``inline=False`` gets its data as DataFrames in ``spec["datasets"]``
    (Streamlit sends them as Arrow).  The spec is not validated against the Vega-Lite schema
    again: every builder's output is validated by the test suite (``chart.to_dict()``), and
    validating on every page rerun took 40 ms to 60 ms per chart (``st.altair_chart`` always
    validates).
    """
    spec: dict[str, Any] = chart.to_dict(validate=False)
    frames = chart.__dict__.get("_frames")
    if frames:
        spec["datasets"] = {**spec.get("datasets", {}), **frames}
    return spec


def _legend(title: str, n: int, wide: bool = False) -> alt.Legend:
    """A legend of ``n`` entries: ``LEGEND_ROWS`` per column beside a chart, three per row below it."""
    columns = min(n, 3) if wide else math.ceil(n / LEGEND_ROWS)
    return alt.Legend(title=title, columns=max(1, columns), symbolLimit=0, labelLimit=0)  # never cut a label


def _dash_legend() -> alt.Legend:
    return alt.Legend(
        title="line", columns=1, symbolLimit=0, symbolType="stroke", symbolSize=900, symbolStrokeWidth=2
    )


#: Time-axis labels always carry the year ("Jan 2025"), on a page as wide as in an export:
#: Vega's default shows the year only at year boundaries, which a narrow or dense axis drops.
DATE_FORMAT = "%b %Y"


def _x(ticks: int = 8) -> alt.X:
    axis = alt.Axis(
        labelFlush=True, labelOverlap="greedy", tickCount=ticks, format=DATE_FORMAT, formatType="utc"
    )
    return alt.X("t:T", title="date", scale=alt.Scale(type="utc"), axis=axis)


def _y(log_odds: bool, field: str = "y:Q") -> alt.Y:
    if log_odds:
        edge = float(logit(PROB_CLIP))
        return alt.Y(
            field,
            title="probability (log-odds scale)",
            scale=alt.Scale(domain=[edge, -edge], nice=False),
            axis=alt.Axis(
                values=[float(v) for v in logit(PERCENT_TICKS)],
                labelExpr="format(1 / (1 + exp(-datum.value)), '.0%')",
            ),
        )
    return alt.Y(field, title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%"))


def _researchers(df: pd.DataFrame) -> list[str]:
    return sorted(df["researcher"].dropna().unique().tolist())


def _colour(researchers: list[str], wide: bool = False) -> alt.Color:
    return alt.Color(
        "researcher:N",
        scale=chartstyle.colour_scale(researchers),
        legend=_legend("researcher", len(researchers), wide),
    )


def _shape(researchers: list[str], wide: bool = False) -> alt.Shape:
    return alt.Shape(
        "researcher:N",
        scale=alt.Scale(domain=researchers),
        legend=_legend("researcher", len(researchers), wide),
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


#: The columns of a point row: what the marks, tooltips and evidence rings read.
POINT_COLUMNS = [
    "forecast_id", "question", "researcher", "series", "probability", "rationale", "evidence",
    "t", "y", "date_label", "estimate", "reconstructed", "line_style",
]  # fmt: skip


def _points(traj: pd.DataFrame, log_odds: bool) -> pd.DataFrame:
    """Trajectory points as chart rows: ``t``, ``y`` and the tooltip texts."""
    reconstructed = traj["reconstructed"].fillna(False).astype(bool)
    return traj.assign(
        t=traj["as_of"],
        y=traj["log_odds"] if log_odds else traj["probability"],
        date_label=traj["as_of"].dt.strftime("%Y-%m-%d"),
        estimate=np.where(reconstructed, RECONSTRUCTED, RECORDED),
        reconstructed=reconstructed,
        line_style=_line_styles(traj)[0],
    )[POINT_COLUMNS]


def _segments(traj: pd.DataFrame, log_odds: bool) -> pd.DataFrame:
    """Two rows per point, ``(as_of, y)`` and ``(segment_end, next y)``: with step-after
    interpolation they draw the held belief and the jump to the next estimate."""
    y = traj["log_odds"] if log_odds else traj["probability"]
    if "segment_to" in traj.columns:  # the estimate each step leads to (the update rule)
        y_of = pd.Series(y.to_numpy(), index=traj["forecast_id"].to_numpy())
        following = pd.Series(y_of.reindex(traj["segment_to"].astype("float64")).to_numpy(), index=traj.index)
    else:
        following = y.groupby([traj["question_id"], traj["series"]], sort=False).shift(-1)
    common = pd.DataFrame(
        {
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
    base: alt.Chart,
    researchers: list[str],
    dash: alt.Scale,
    log_odds: bool,
    ticks: int = 8,
    wide: bool = False,
) -> list[alt.Chart]:
    """Step segments, filled recorded points and hollow reconstructed points on ``base``
    (``wide``: the researcher legend in rows, for a legend below the chart)."""
    x, y = _x(ticks), _y(log_odds)
    steps = (
        base.transform_filter("datum.kind == 'segment'")
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=_colour(researchers, wide),
            strokeDash=alt.StrokeDash("line_style:N", scale=dash, legend=_dash_legend()),
            detail="segment:N",
        )
    )
    point = base.encode(
        x=x, y=y, color=_colour(researchers, wide), shape=_shape(researchers, wide), tooltip=_POINT_TOOLTIP
    )
    recorded = point.transform_filter("datum.kind == 'point' && !datum.reconstructed").mark_point(
        filled=True, size=45, opacity=1
    )
    reconstructed = point.transform_filter("datum.kind == 'point' && datum.reconstructed").mark_point(
        filled=False, size=70, strokeWidth=1.5, opacity=1
    )
    return [steps, recorded, reconstructed]


def _estimate_data(traj: pd.DataFrame, log_odds: bool) -> list[pd.DataFrame]:
    """Segment rows then point rows, kept apart so that neither carries the other's columns."""
    return [
        _segments(traj, log_odds).assign(kind="segment", reconstructed=False),
        _points(traj, log_odds).assign(kind="point"),
    ]


def _evidence_data(traj: pd.DataFrame, evidence: pd.DataFrame, log_odds: bool) -> dict[str, pd.DataFrame]:
    """The evidence rules' rows and the rows of the rings around the estimates citing each item."""
    events = evidence.assign(t=evidence["date"], date_label=evidence["date"].dt.strftime("%Y-%m-%d"))
    hits = _points(traj, log_odds).assign(evidence_id=traj["evidence_ids"]).explode("evidence_id")
    hits = hits[hits["evidence_id"].notna()]
    return {EVIDENCE_DATA: events.drop(columns="date"), RINGS_DATA: hits[["t", "y", "evidence_id", "series"]]}


def _evidence_layers(log_odds: bool) -> list[alt.Chart]:
    """Evidence rules at their dates (hover one to ring the estimates that cite it)."""
    hovered = alt.selection_point(
        name=EVIDENCE_PARAM, fields=["evidence_id"], on="pointerover", clear="pointerout", empty=False
    )
    rules = (
        alt.Chart(_named(EVIDENCE_DATA))
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
    ringed = (
        alt.Chart(_named(RINGS_DATA))
        .mark_point(filled=False, color="#000000", strokeWidth=2)
        .encode(
            x=_x(),
            y=_y(log_odds),
            size=alt.when(hovered).then(alt.value(420)).otherwise(alt.value(0)),
            opacity=alt.when(hovered).then(alt.value(1)).otherwise(alt.value(0)),
        )
    )
    return [rules, ringed]


def _resolution_data(resolution: Mapping[str, Any]) -> pd.DataFrame:
    outcome = str(resolution["outcome"])
    label = f"resolved {outcome.upper()}" if outcome in ("yes", "no") else outcome
    return pd.DataFrame({"t": [pd.Timestamp(resolution["resolved_at"])], "label": [label]})


def _resolution_layers() -> list[alt.Chart]:
    base = alt.Chart(_named(RESOLUTION_DATA)).encode(x=_x())
    rule = base.mark_rule(color="#000000", strokeWidth=2)
    text = base.mark_text(align="right", baseline="top", dx=-4, dy=4, fontWeight="bold").encode(
        y=alt.value(0), text="label:N"
    )
    return [rule, text]


@_unchecked
def trajectory_chart(
    traj_df: pd.DataFrame,
    evidence_df: pd.DataFrame | None = None,
    resolution: Mapping[str, Any] | None = None,
    log_odds: bool = False,
    title: str | None = None,
    made: datetime | None = None,
    inline: bool = True,
) -> alt.TopLevelMixin:
    """One question's trajectory: a step line per researcher (and level).

    ``traj_df`` is :func:`models.analysis.trajectory.trajectory`; ``evidence_df`` is
    :func:`models.analysis.trajectory.evidence_events` (rules at the evidence dates; hovering one rings
    the estimates citing it through the ``evidence`` selection param); ``resolution`` is
    :func:`models.analysis.trajectory.resolution_of` (a rule labelled "resolved YES/NO").
    """
    researchers = _researchers(traj_df)
    dash = _line_styles(traj_df)[1]
    base = alt.Chart(_named(ESTIMATES_DATA))
    data = {ESTIMATES_DATA: _estimate_data(traj_df, log_odds)}
    layers: list[alt.Chart] = []
    if evidence_df is not None and not evidence_df.empty:
        rules, ringed = _evidence_layers(log_odds)
        layers = [rules, *_estimate_layers(base, researchers, dash, log_odds), ringed]
        data.update(_evidence_data(traj_df, evidence_df, log_odds))
    else:
        layers = _estimate_layers(base, researchers, dash, log_odds)
    if resolution is not None and resolution.get("outcome") is not None:
        layers += _resolution_layers()
        data[RESOLUTION_DATA] = _resolution_data(resolution)
    question = traj_df["question"].iloc[0] if len(traj_df) else "Belief trajectory"
    what = f"{plural(len(traj_df), 'estimate')} by {plural(len(researchers), 'researcher')}"
    chart = alt.layer(*layers).properties(width=chartstyle.WIDTH, height=chartstyle.HEIGHT)
    finished = chartstyle.finish(chart, title or str(question), chartstyle.caption(what, made))
    return _with_data(finished, data, inline)


def _capability_rows(data: pd.DataFrame, log_odds: bool) -> pd.DataFrame:
    return data.assign(
        y=data["log_odds"] if log_odds else data["probability"],
        made_label=data["as_of"].dt.strftime("%Y-%m-%d"),
    ).drop(columns=["at", "as_of"], errors="ignore")


def _capability_layers(data: pd.DataFrame, log_odds: bool) -> list[alt.Chart]:
    """Lines and points of :func:`_capability_rows` (the ``CURVE_DATA`` dataset)."""
    researchers = _researchers(data)
    order = data.sort_values("level_position", kind="stable")["level"].unique().tolist()
    base = alt.Chart(_named(CURVE_DATA)).encode(
        x=alt.X(
            "level:N",
            sort=order,
            scale=alt.Scale(domain=order),
            title="capability level",
            axis=alt.Axis(labelAngle=0, labelLimit=220),
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


@_unchecked
def capability_chart(
    curve_df: pd.DataFrame, log_odds: bool = False, made: datetime | None = None, inline: bool = True
) -> alt.TopLevelMixin:
    """P(question | level) along the ordered capability scale, one line per researcher.

    ``curve_df`` is :func:`models.analysis.trajectory.capability_curve`; the x axis lists the level
    names in ``level_position`` order.
    """
    question = curve_df["question"].iloc[0] if len(curve_df) else "Capability curve"
    when = curve_df["date_label"].iloc[0] if len(curve_df) else ""
    chart = alt.layer(*_capability_layers(curve_df, log_odds)).properties(
        width=chartstyle.WIDTH, height=chartstyle.HEIGHT
    )
    what = f"standing P(question | level) on {when}, {plural(int(curve_df['researcher'].nunique()), 'researcher')}"
    finished = chartstyle.finish(chart, str(question), chartstyle.caption(what, made))
    return _with_data(finished, {CURVE_DATA: _capability_rows(curve_df, log_odds)}, inline)


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
        title="group", columns=1, symbolType="stroke", symbolSize=900, symbolStrokeWidth=2, symbolDash=[6, 3]
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


@_unchecked
def comparison_chart(
    traj_df_multi: pd.DataFrame,
    group_df: pd.DataFrame | None = None,
    columns: int = 3,
    log_odds: bool = False,
    title: str = "Researchers compared",
    made: datetime | None = None,
    inline: bool = True,
) -> alt.TopLevelMixin:
    """Small multiples, one panel per question (wrapping after ``columns``), on a shared time axis.

    ``traj_df_multi`` is :func:`models.analysis.trajectory.trajectories`; ``group_df`` is
    :func:`models.analysis.trajectory.group_line`, drawn as dashed step lines: median black,
    geometric mean of odds grey.
    """
    researchers = _researchers(traj_df_multi)
    dash = _line_styles(traj_df_multi)[1]
    data = _estimate_data(traj_df_multi, log_odds)
    base = alt.Chart()
    layers = _estimate_layers(base, researchers, dash, log_odds, ticks=4, wide=True)
    if group_df is not None and not group_df.empty:
        data.append(_group_rows(group_df, traj_df_multi, log_odds))
        layers.append(_group_layer(base, log_odds))
    order = traj_df_multi.sort_values("question_id", kind="stable")["question"].unique().tolist()
    width = max(180, (chartstyle.WIDTH - 30 * (columns - 1)) // columns)
    # Built in one step: every method call on a faceted layer chart deep-copies all of it.
    chart = alt.FacetChart(
        data=_named(ESTIMATES_DATA),
        spec=alt.LayerChart(layer=layers, width=width, height=160),
        facet=alt.Facet(
            "question:N", sort=order, title=None, header=alt.Header(labelLimit=width, labelAnchor="start")
        ),
        columns=columns,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(x="shared", y="shared")),
    )
    what = (
        f"{plural(int(traj_df_multi['question_id'].nunique()), 'question')}, "
        f"{plural(len(researchers), 'researcher')}"
    )
    finished = chartstyle.finish(chart, title, chartstyle.caption(what, made))
    # Legends below the panels, so that the grid keeps the page's width.
    cast(Any, finished).config.legend.orient = "bottom"
    return _with_data(finished, {ESTIMATES_DATA: data}, inline)


SPREAD_DATA = "spread"


@_unchecked
def spread_chart(
    spread_df: pd.DataFrame,
    question_id: int | None = None,
    log_odds: bool = False,
    title: str | None = None,
    made: datetime | None = None,
    inline: bool = True,
) -> alt.TopLevelMixin:
    """How far apart the researchers were over time: a band from the lowest to the highest
    standing estimate, and the median as a line, one colour per capability level.

    ``spread_df`` is :func:`models.analysis.updates.spread_history` or
    :func:`models.analysis.updates.spread_over_time`; ``question_id`` picks one of its questions (needed
    when it holds several).  Every row holds until the next (step-after), so a narrowing band
    is convergence and a widening one divergence.
    """
    if question_id is not None:
        spread_df = spread_df[spread_df["question_id"] == question_id]
    df = spread_df.sort_values("level_position", kind="stable")
    label = df["level"].where(df["level"].notna(), UNCONDITIONAL).astype("object")
    order = label.drop_duplicates().tolist()
    to_y = logit if log_odds else (lambda p: p)
    rows = pd.DataFrame(
        {
            "t": df["time"],
            "line": label,
            "low": to_y(df["min_probability"]),
            "high": to_y(df["max_probability"]),
            "y": to_y(df["median_probability"]),
            "min_probability": df["min_probability"],
            "max_probability": df["max_probability"],
            "median_probability": df["median_probability"],
            "spread_points": df["spread_points"],
            "n_researchers": df["n_researchers"],
            "date_label": df["time"].dt.strftime("%Y-%m-%d"),
        }
    ).sort_values(["line", "t"], kind="stable")
    colour = alt.Color(
        "line:N",
        scale=alt.Scale(domain=order, range=chartstyle.PALETTE),
        legend=alt.Legend(title="capability level", symbolLimit=0, labelLimit=220),
    )
    tooltip = [
        alt.Tooltip("line:N", title="level"),
        alt.Tooltip("date_label:N", title="from"),
        alt.Tooltip("n_researchers:Q", title="researchers"),
        alt.Tooltip("min_probability:Q", title="lowest", format=".1%"),
        alt.Tooltip("median_probability:Q", title="median", format=".1%"),
        alt.Tooltip("max_probability:Q", title="highest", format=".1%"),
        alt.Tooltip("spread_points:Q", title="spread (points)", format=".0f"),
    ]
    base = alt.Chart(_named(SPREAD_DATA)).encode(x=_x(), color=colour)
    band = base.mark_area(interpolate="step-after", opacity=0.18).encode(y=_y(log_odds, "low:Q"), y2="high:Q")
    median = base.mark_line(interpolate="step-after", strokeWidth=2).encode(y=_y(log_odds), tooltip=tooltip)
    chart = alt.layer(band, median).properties(width=chartstyle.WIDTH, height=chartstyle.HEIGHT - 120)
    question = str(spread_df["question"].iloc[0]) if len(spread_df) else "Disagreement over time"
    what = "band: lowest to highest standing estimate; line: median"
    finished = chartstyle.finish(chart, title or question, chartstyle.caption(what, made))
    return _with_data(finished, {SPREAD_DATA: rows}, inline)
