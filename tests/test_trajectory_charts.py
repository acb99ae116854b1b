"""Trajectory, capability and comparison charts, checked through ``chart.to_dict()``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import pandas as pd
import pytest
import vl_convert

from models.analysis.trajectory import (
    capability_curve,
    evidence_events,
    group_line,
    resolution_of,
    standing_at_changes,
    trajectories,
    trajectory,
)
from models.analysis.updates import spread_history
from models.charts import style as chartstyle
from models.charts.trajectory import (
    ESTIMATES_DATA,
    EVIDENCE_DATA,
    PERCENT_TICKS,
    RECONSTRUCTED,
    RECONSTRUCTED_DASH,
    RINGS_DATA,
    capability_chart,
    comparison_chart,
    spread_chart,
    to_spec,
    trajectory_chart,
)
from models.format import logit
from models.frames import (
    EVIDENCE,
    EVIDENCE_LINKS,
    FORECASTS,
    LEVELS,
    LINKS,
    QUESTIONS,
    Frames,
    conform,
    empty,
)
from tests.factories import fc

NOW = "2024-12-31"
LEVEL_SCALE = [("1x", 1.0), ("3x", 2.0), ("10x", 3.0)]


def cond(forecast_id: int, probability: float, as_of: str, level: str, **kw: Any) -> dict[str, Any]:
    return fc(forecast_id, probability, as_of, level=level, level_position=dict(LEVEL_SCALE)[level], **kw)


ROWS = [
    fc(1, 0.2, "2023-01-01", reconstructed=True, rationale="looking back"),
    fc(2, 0.5, "2024-02-01", rationale="new eval"),
    fc(3, 0.0, "2024-03-01"),
    fc(4, 0.7, "2024-01-15", researcher="bob"),
    fc(5, 1.0, "2024-04-01", researcher="bob"),
    fc(6, 0.4, "2024-01-10", question_id=2, question="Q2"),
    cond(7, 0.3, "2024-01-01", "3x"),
    cond(8, 0.1, "2024-01-01", "1x"),
    cond(9, 0.6, "2024-02-01", "10x", researcher="bob"),
]
LINKS_ROWS = [
    {"forecast_id": 2, "evidence_id": 10, "evidence": "Paper X", "direction": "raised"},
    {"forecast_id": 5, "evidence_id": 10, "evidence": "Paper X", "direction": "raised"},
    {"forecast_id": 3, "evidence_id": 11, "evidence": "Result Y", "direction": "lowered"},
]


@pytest.fixture
def frames() -> Frames:
    return Frames(
        forecasts=conform(pd.DataFrame(ROWS), FORECASTS),
        questions=conform(
            pd.DataFrame(
                [{"question_id": 1, "question": "Q1", "outcome": "yes", "resolved_at": "2024-06-30"}]
            ),
            QUESTIONS,
        ),
        evidence_links=conform(pd.DataFrame(LINKS_ROWS), EVIDENCE_LINKS),
        evidence=empty(EVIDENCE),
        levels=conform(pd.DataFrame(LEVEL_SCALE, columns=["level", "position"]), LEVELS),
        links=empty(LINKS),
    )


def unconditional(frames: Frames) -> pd.DataFrame:
    return trajectory(frames, 1, levels=[None], now=NOW)


def spec_of(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict()  # type: ignore[no-any-return]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a spec, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def views(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in walk(spec) if "mark" in d]


def mark(view: dict[str, Any]) -> dict[str, Any]:
    return view["mark"] if isinstance(view["mark"], dict) else {"type": view["mark"]}


def filters(view: dict[str, Any]) -> list[str]:
    return [t["filter"] for t in view.get("transform", []) if isinstance(t.get("filter"), str)]


def rows_of(spec: dict[str, Any], view: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline rows a view draws (its own data, else the data Altair hoisted to the top)."""
    data = view.get("data") or spec["data"]
    return spec["datasets"][data["name"]]  # type: ignore[no-any-return]


def params(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        p["name"]: p for d in walk(spec) for p in d.get("params", []) if isinstance(p, dict) and "name" in p
    }


def test_trajectory_steps_use_step_after_interpolation(frames: Frames) -> None:
    lines = [v for v in views(spec_of(trajectory_chart(unconditional(frames)))) if mark(v)["type"] == "line"]
    assert [mark(v)["interpolate"] for v in lines] == ["step-after"]


def test_trajectory_step_holds_until_segment_end_then_jumps(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames)))
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    alice_first = [r for r in rows_of(spec, line) if r["kind"] == "segment" and r["segment"] == "1"]
    assert [(r["t"][:10], r["y"]) for r in alice_first] == [("2023-01-01", 0.2), ("2024-02-01", 0.5)]


def test_colour_and_shape_both_encode_the_researcher(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames)))
    point = next(v for v in views(spec) if mark(v)["type"] == "point" and "shape" in v["encoding"])
    colour, shape = point["encoding"]["color"], point["encoding"]["shape"]
    assert (colour["field"], shape["field"]) == ("researcher", "researcher")
    assert colour["scale"] == {
        "domain": ["alice", "bob"],
        "range": [chartstyle.researcher_colour("alice"), chartstyle.researcher_colour("bob")],
    }


def test_reconstructed_points_are_hollow_and_recorded_points_filled(frames: Frames) -> None:
    points = [v for v in views(spec_of(trajectory_chart(unconditional(frames)))) if "shape" in v["encoding"]]
    filled = {mark(v)["filled"]: filters(v) for v in points}
    assert filled == {
        True: ["datum.kind == 'point' && !datum.reconstructed"],
        False: ["datum.kind == 'point' && datum.reconstructed"],
    }


def test_reconstructed_steps_are_dotted_with_a_legend_saying_so(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames)))
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    dash = line["encoding"]["strokeDash"]["scale"]
    assert dict(zip(dash["domain"], dash["range"], strict=True))[RECONSTRUCTED] == RECONSTRUCTED_DASH
    styles = {r["segment"]: r["line_style"] for r in rows_of(spec, line) if r["kind"] == "segment"}
    assert styles == {
        "1": RECONSTRUCTED,
        "2": "recorded at the time",
        "3": "recorded at the time",
        "4": "recorded at the time",
        "5": "recorded at the time",
    }


def test_conditional_levels_get_dashes_in_scale_order(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(trajectory(frames, 1, now=NOW)))
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    domain = line["encoding"]["strokeDash"]["scale"]["domain"]
    assert domain == ["unconditional", "1x", "3x", "10x", RECONSTRUCTED]


def test_point_tooltip_shows_percent_date_rationale_and_evidence(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames)))
    point = next(v for v in views(spec) if "shape" in v["encoding"])
    tooltip = {t["field"]: t for t in point["encoding"]["tooltip"]}
    assert tooltip["probability"]["format"] == ".1%"
    assert {"date_label", "rationale", "evidence", "estimate"} <= tooltip.keys()
    row = next(r for r in rows_of(spec, point) if r["kind"] == "point" and r["forecast_id"] == 2)
    assert (row["date_label"], row["rationale"], row["evidence"]) == (
        "2024-02-01",
        "new eval",
        "Paper X (raised)",
    )


def test_evidence_rules_carry_a_hover_param_that_rings_citing_estimates(frames: Frames) -> None:
    traj = unconditional(frames)
    spec = spec_of(trajectory_chart(traj, evidence_events(frames, traj)))
    param = params(spec)["evidence"]
    assert param["select"] == {
        "type": "point",
        "fields": ["evidence_id"],
        "on": "pointerover",
        "clear": "pointerout",
    }
    rule = next(v for v in views(spec) if mark(v)["type"] == "rule" and "tooltip" in v["encoding"])
    assert sorted(r["evidence_id"] for r in rows_of(spec, rule)) == [10, 11]
    ring = next(v for v in views(spec) if "size" in v["encoding"])
    assert ring["encoding"]["size"]["condition"] == [{"param": "evidence", "value": 420, "empty": False}]
    assert ring["encoding"]["opacity"]["condition"][0]["param"] == "evidence"
    cited = sorted((r["evidence_id"], r["series"], r["t"][:10]) for r in rows_of(spec, ring))
    assert cited == [(10, "alice", "2024-02-01"), (10, "bob", "2024-04-01"), (11, "alice", "2024-03-01")]


@pytest.mark.parametrize(("outcome", "label"), [("yes", "resolved YES"), ("no", "resolved NO")])
def test_resolution_is_a_rule_with_its_label(frames: Frames, outcome: str, label: str) -> None:
    resolution = {"resolved_at": pd.Timestamp("2024-06-30", tz="UTC"), "outcome": outcome}
    spec = spec_of(trajectory_chart(unconditional(frames), resolution=resolution))
    text = next(v for v in views(spec) if mark(v)["type"] == "text")
    assert rows_of(spec, text) == [{"t": "2024-06-30T00:00:00.000Z", "label": label}]


def test_resolution_of_frames_feeds_the_chart(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames), resolution=resolution_of(frames, 1)))
    assert any(mark(v)["type"] == "text" for v in views(spec))


def test_log_odds_axis_plots_logit_labelled_as_percentages(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames), log_odds=True))
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    axis = line["encoding"]["y"]["axis"]
    assert axis["values"] == pytest.approx(list(logit(PERCENT_TICKS)))
    assert axis["labelExpr"] == "format(1 / (1 + exp(-datum.value)), '.0%')"
    zero = next(r for r in rows_of(spec, line) if r["kind"] == "point" and r["forecast_id"] == 3)
    assert zero["y"] == pytest.approx(float(logit(0.0)))


def test_probability_axis_is_zero_to_one_in_percent(frames: Frames) -> None:
    line = next(
        v for v in views(spec_of(trajectory_chart(unconditional(frames)))) if mark(v)["type"] == "line"
    )
    assert line["encoding"]["y"]["scale"] == {"domain": [0, 1]}
    assert line["encoding"]["y"]["axis"]["format"] == ".0%"


def test_legend_wraps_into_columns_for_twenty_researchers() -> None:
    rows = [fc(i + 1, 0.5, "2024-01-01", researcher=f"r{i:02d}") for i in range(20)]
    many = dataclasses.replace(Frames.empty(), forecasts=conform(pd.DataFrame(rows), FORECASTS))
    spec = spec_of(trajectory_chart(trajectory(many, 1, now=NOW)))
    legend = next(v for v in views(spec) if "shape" in v["encoding"])["encoding"]["color"]["legend"]
    assert (legend["columns"], legend["symbolLimit"]) == (2, 0)


def test_chart_ends_with_chartstyle_caption(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames)))
    assert spec["title"]["text"] == "Q1"
    assert spec["title"]["subtitle"].endswith("with Credence")
    assert spec["config"]["font"] == chartstyle.FONT


def test_capability_chart_orders_levels_by_position(frames: Frames) -> None:
    spec = spec_of(capability_chart(capability_curve(frames, 1, NOW)))
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    assert line["encoding"]["x"]["sort"] == ["1x", "3x", "10x"]
    assert line["encoding"]["color"]["field"] == "researcher"


def test_comparison_is_faceted_by_question_on_a_shared_time_axis(frames: Frames) -> None:
    traj = trajectories(frames, [1, 2], now=NOW)
    spec = spec_of(comparison_chart(traj, columns=2))
    assert (spec["facet"]["field"], spec["columns"]) == ("question", 2)
    assert spec["facet"]["sort"] == ["Q1", "Q2"]
    assert spec["resolve"]["scale"]["x"] == "shared"


def test_comparison_group_lines_are_dashed_black_and_grey(frames: Frames) -> None:
    traj = trajectories(frames, [1, 2], now=NOW)
    spec = spec_of(comparison_chart(traj, group_line(standing_at_changes(traj))))
    group = next(v for v in views(spec) if "stroke" in v["encoding"])
    assert (mark(group)["strokeDash"], mark(group)["interpolate"]) == ([6, 3], "step-after")
    assert group["encoding"]["stroke"]["scale"] == {
        "domain": ["median", "geometric mean of odds"],
        "range": ["#000000", "#888888"],
    }


def _full_trajectory(frames: Frames) -> alt.TopLevelMixin:
    traj = trajectory(frames, 1, now=NOW)
    return trajectory_chart(traj, evidence_events(frames, traj), resolution_of(frames, 1))


def _comparison(frames: Frames) -> alt.TopLevelMixin:
    multi = trajectories(frames, [1, 2], now=NOW)
    return comparison_chart(multi, group_line(standing_at_changes(multi)), log_odds=True)


BUILDERS: dict[str, Callable[[Frames], alt.TopLevelMixin]] = {
    "trajectory": _full_trajectory,
    "trajectory_log_odds": lambda f: trajectory_chart(trajectory(f, 1, now=NOW), log_odds=True),
    "capability": lambda f: capability_chart(capability_curve(f, 1, NOW)),
    "comparison": _comparison,
}


@pytest.mark.parametrize("name", ["trajectory", "comparison"])
def test_chart_data_is_inline(frames: Frames, name: str) -> None:
    data = [d["data"] for d in walk(spec_of(BUILDERS[name](frames))) if isinstance(d.get("data"), dict)]
    assert data and all(set(d) == {"name"} for d in data)  # names of the spec's own inline datasets


@pytest.mark.parametrize("name", BUILDERS)
def test_chart_compiles_to_vega(frames: Frames, name: str) -> None:
    assert vl_convert.vegalite_to_vega(spec_of(BUILDERS[name](frames)))["marks"]


def test_empty_trajectory_still_draws(frames: Frames) -> None:
    chart = trajectory_chart(trajectory(frames, 99, now=NOW))
    assert vl_convert.vegalite_to_vega(spec_of(chart))["marks"]


def _spread(frames: Frames) -> pd.DataFrame:
    return spread_history(frames, [1], until=NOW)


def test_spread_chart_is_a_step_band_from_lowest_to_highest_with_the_median() -> None:
    rows = [fc(1, 0.2, "2024-01-01"), fc(2, 0.8, "2024-01-01", researcher="bob"), fc(3, 0.6, "2024-03-01")]
    spec = spec_of(
        spread_chart(
            _spread(dataclasses.replace(Frames.empty(), forecasts=conform(pd.DataFrame(rows), FORECASTS)))
        )
    )
    area = next(v for v in views(spec) if mark(v)["type"] == "area")
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    assert (mark(area)["interpolate"], mark(line)["interpolate"]) == ("step-after", "step-after")
    assert (
        area["encoding"]["y"]["field"],
        area["encoding"]["y2"]["field"],
        line["encoding"]["y"]["field"],
    ) == (
        "low",
        "high",
        "y",
    )
    first = sorted(rows_of(spec, line), key=lambda r: r["t"])[0]
    assert (first["low"], first["high"], first["y"], first["spread_points"]) == (
        0.2,
        0.8,
        0.5,
        pytest.approx(60.0),
    )


def test_spread_chart_colours_levels_in_scale_order(frames: Frames) -> None:
    spec = spec_of(spread_chart(_spread(frames), question_id=1))
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    assert line["encoding"]["color"]["scale"]["domain"] == ["1x", "3x", "10x", "unconditional"]


def test_spread_chart_on_a_log_odds_axis(frames: Frames) -> None:
    spec = spec_of(spread_chart(_spread(frames), log_odds=True))
    line = next(v for v in views(spec) if mark(v)["type"] == "line")
    assert line["encoding"]["y"]["axis"]["labelExpr"].startswith("format(1 / (1 + exp(-datum.value))")


def test_comparison_legends_sit_below_the_panels(frames: Frames) -> None:
    spec = spec_of(comparison_chart(trajectories(frames, [1, 2], now=NOW)))
    assert spec["config"]["legend"]["orient"] == "bottom"


def test_chart_built_for_a_page_carries_its_data_as_frames(frames: Frames) -> None:
    traj = unconditional(frames)
    inline = trajectory_chart(traj, evidence_events(frames, traj), inline=True)
    framed = trajectory_chart(traj, evidence_events(frames, traj), inline=False)
    spec = to_spec(framed)
    assert all(isinstance(d, pd.DataFrame) for d in spec["datasets"].values())
    names = {d["data"]["name"] for d in walk(spec) if isinstance(d.get("data"), dict)}
    assert names == set(spec["datasets"]) == {ESTIMATES_DATA, EVIDENCE_DATA, RINGS_DATA}
    points = spec["datasets"][ESTIMATES_DATA].query("kind == 'point'")
    inline_spec = spec_of(inline)
    inline_points = [r for rows in inline_spec["datasets"].values() for r in rows if r.get("kind") == "point"]
    assert sorted(points["forecast_id"]) == sorted(r["forecast_id"] for r in inline_points)


def test_to_spec_of_an_inline_chart_is_its_spec(frames: Frames) -> None:
    chart = trajectory_chart(unconditional(frames))
    assert to_spec(chart) == chart.to_dict()


def test_spread_chart_compiles_to_vega(frames: Frames) -> None:
    assert vl_convert.vegalite_to_vega(spec_of(spread_chart(_spread(frames))))["marks"]


def test_chart_step_of_a_record_jumps_to_the_record_it_led_to() -> None:
    from models.charts.trajectory import _segments
    from tests.factories import fc, frames_of

    rows = [
        fc(1, 0.40, "2024-01-01", recorded_at="2024-01-01"),
        fc(2, 0.45, "2025-01-01", recorded_at="2025-01-01"),
        fc(3, 0.02, "2024-06-01", recorded_at="2026-11-01", reconstructed=True),
    ]
    traj = trajectory(frames_of(rows), 1, now="2026-12-01")
    seg = _segments(traj, log_odds=False)
    stops = seg.drop_duplicates("segment", keep="last").set_index("segment")
    assert stops.loc["1", ["t", "y"]].tolist() == [pd.Timestamp("2025-01-01", tz="UTC"), 0.45]
    assert stops.loc["3", ["t", "y"]].tolist() == [pd.Timestamp("2025-01-01", tz="UTC"), 0.45]


def test_a_researcher_keeps_their_colour_as_colleagues_are_added() -> None:
    alone = chartstyle.colour_scale(["bob"]).to_dict()
    together = chartstyle.colour_scale(["alice", "bob", "carol"]).to_dict()
    assert alone["range"][0] == together["range"][together["domain"].index("bob")]
    assert chartstyle.researcher_colour("bob") in chartstyle.PALETTE


def test_time_axis_labels_carry_the_year_and_legend_labels_are_never_cut(frames: Frames) -> None:
    spec = spec_of(trajectory_chart(unconditional(frames)))
    axes = [
        v["encoding"]["x"]["axis"]
        for v in views(spec)
        if "x" in v.get("encoding", {}) and "axis" in v["encoding"]["x"]
    ]
    assert axes and all(a["format"] == "%b %Y" and a["formatType"] == "utc" for a in axes)
    point = next(v for v in views(spec) if mark(v)["type"] == "point" and "shape" in v["encoding"])
    assert point["encoding"]["color"]["legend"]["labelLimit"] == 0
