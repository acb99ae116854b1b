"""Trajectories as step functions: standing values, segments, capability curves, group lines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.analysis.trajectory import (
    capability_curve,
    capability_curve_over_time,
    capability_dates,
    choose_questions,
    evidence_events,
    frames_for,
    group_line,
    level_choices,
    levels_of,
    researchers_of,
    resolution_of,
    standing_at_changes,
    tagged_questions,
    trajectories,
    trajectory,
    value_at,
)
from models.format import day_end, logit
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
from tests.factories import fc, frames_of

NOW = "2024-12-31"
LN_999 = math.log(999)  # logit(0.999): the clipped log-odds of 100 %


ALICE = [fc(1, 0.2, "2024-01-01"), fc(2, 0.5, "2024-02-01"), fc(3, 0.3, "2024-03-01")]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2023-12-31", np.nan),  # before the first forecast
        ("2024-01-01", 0.2),  # exactly at the first
        ("2024-01-20", 0.2),  # between: the belief holds
        ("2024-02-01", 0.5),  # exactly at an update: the new value
        ("2024-02-28", 0.5),
        ("2024-03-01", 0.3),
        ("2025-06-01", 0.3),  # after the last
    ],
)
def test_value_at_is_the_standing_step_value(when: str, expected: float) -> None:
    got = value_at(frames_of(ALICE).forecasts, [when])["probability"].iloc[0]
    assert got == pytest.approx(expected, nan_ok=True)


def test_value_at_reports_the_standing_forecast_id() -> None:
    got = value_at(frames_of(ALICE).forecasts, ["2023-06-01", "2024-02-15"])
    assert got["forecast_id"].tolist() == [pd.NA, 2]


def test_value_at_equal_as_of_the_later_recorded_wins() -> None:
    rows = [
        fc(1, 0.9, "2024-01-01", recorded_at="2024-05-01"),
        fc(2, 0.1, "2024-01-01", recorded_at="2024-01-02"),
    ]
    got = value_at(frames_of(rows).forecasts, ["2024-01-01"])
    assert got["probability"].tolist() == [0.9]


def test_value_at_keeps_researchers_and_levels_apart() -> None:
    rows = [
        *ALICE,
        fc(4, 0.7, "2024-01-15", researcher="bob"),
        fc(5, 0.6, "2024-01-10", level="L2", level_position=2.0),
    ]
    got = value_at(frames_of(rows).forecasts, ["2024-01-20"])
    assert dict(zip(got["series"], got["probability"], strict=True)) == {
        "alice": 0.2,
        "alice · L2": 0.6,
        "bob": 0.7,
    }


def test_value_at_accepts_per_question_times() -> None:
    rows = [*ALICE, fc(4, 0.7, "2024-01-15", question_id=2, question="Q2")]
    times = pd.DataFrame(
        {"question_id": [1, 2], "time": pd.to_datetime(["2024-02-15", "2024-01-01"], utc=True)}
    )
    got = value_at(frames_of(rows).forecasts, times)
    assert got["question_id"].tolist() == [1, 2]
    assert got["probability"].tolist() == pytest.approx([0.5, np.nan], nan_ok=True)


@pytest.mark.parametrize(
    ("probability", "log_odds"),
    [(0.0, -LN_999), (1.0, LN_999), (0.5, 0.0), (0.2, math.log(0.25)), (0.999, LN_999)],
)
def test_logit_is_natural_log_odds_clipped_to_finite(probability: float, log_odds: float) -> None:
    assert float(logit(probability)) == pytest.approx(log_odds)


@pytest.mark.parametrize(("level", "series"), [(None, "alice"), ("3x AI R&D", "alice · 3x AI R&D")])
def test_trajectory_series_label_names_the_level_of_conditional_forecasts(
    level: str | None, series: str
) -> None:
    pos = float("nan") if level is None else 1.0
    traj = trajectory(frames_of([fc(1, 0.2, "2024-01-01", level=level, level_position=pos)]), 1, now=NOW)
    assert traj["series"].tolist() == [series]


def test_trajectory_segment_ends_at_next_update_of_the_same_target() -> None:
    rows = [*ALICE, fc(4, 0.7, "2024-01-15", researcher="bob")]
    traj = trajectory(frames_of(rows), 1, now=NOW)
    ends = dict(zip(traj["forecast_id"], traj["segment_end"].dt.strftime("%Y-%m-%d"), strict=True))
    assert ends == {1: "2024-02-01", 4: "2024-12-31", 2: "2024-03-01", 3: "2024-12-31"}


def test_trajectory_last_segment_ends_at_resolution_when_resolved_before_now() -> None:
    question = {"question_id": 1, "question": "Q1", "outcome": "yes", "resolved_at": "2024-06-30"}
    traj = trajectory(frames_of(ALICE, questions=(question,)), 1, now=NOW)
    assert traj["segment_end"].iloc[-1] == pd.Timestamp("2024-06-30", tz="UTC")


def test_trajectory_log_odds_are_finite_at_zero_and_one() -> None:
    traj = trajectory(frames_of([fc(1, 0.0, "2024-01-01"), fc(2, 1.0, "2024-02-01")]), 1, now=NOW)
    assert traj["log_odds"].tolist() == pytest.approx([-LN_999, LN_999])


def test_trajectory_evidence_text_lists_items_with_direction() -> None:
    links = (
        {"forecast_id": 2, "evidence_id": 10, "evidence": "Paper X", "direction": "lowered"},
        {"forecast_id": 2, "evidence_id": 11, "evidence": "Result Y", "direction": "raised"},
        {"forecast_id": 3, "evidence_id": 12, "evidence": "Talk Z", "direction": None},
    )
    traj = trajectory(frames_of(ALICE, links=links), 1, now=NOW)
    assert traj["evidence"].tolist() == ["", "Paper X (lowered); Result Y (raised)", "Talk Z"]
    assert traj["evidence_ids"].tolist() == [(), (10, 11), (12,)]


def test_trajectory_marks_reconstructed_points() -> None:
    rows = [fc(1, 0.2, "2023-01-01", reconstructed=True), fc(2, 0.5, "2024-02-01")]
    assert trajectory(frames_of(rows), 1, now=NOW)["reconstructed"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("researchers", "levels", "expected_ids"),
    [
        (None, None, [1, 5, 4, 2, 3]),
        (["bob"], None, [4]),
        (None, [None], [1, 4, 2, 3]),
        (None, ["L2"], [5]),
    ],
)
def test_trajectory_filters_researchers_and_levels(
    researchers: list[str] | None, levels: list[str | None] | None, expected_ids: list[int]
) -> None:
    rows = [
        *ALICE,
        fc(4, 0.7, "2024-01-15", researcher="bob"),
        fc(5, 0.6, "2024-01-10", level="L2", level_position=2.0),
        fc(6, 0.6, "2024-01-10", question_id=2),
    ]
    traj = trajectory(frames_of(rows), 1, researchers=researchers, levels=levels, now=NOW)
    assert traj["forecast_id"].tolist() == expected_ids


def test_trajectories_cover_several_questions() -> None:
    rows = [*ALICE, fc(6, 0.6, "2024-01-10", question_id=2, question="Q2")]
    assert sorted(trajectories(frames_of(rows), [1, 2], now=NOW)["question_id"].unique()) == [1, 2]


CONDITIONAL = [
    fc(1, 0.1, "2024-01-01", level="1x", level_position=1.0),
    fc(2, 0.4, "2024-01-01", level="10x", level_position=3.0),
    fc(3, 0.2, "2024-01-01", level="3x", level_position=2.0),
    fc(4, 0.3, "2024-03-01", level="3x", level_position=2.0),
    fc(5, 0.5, "2024-02-01", level="1x", level_position=1.0, researcher="bob"),
    fc(6, 0.9, "2024-01-01"),  # unconditional: not on the capability curve
]
SCALE = conform(pd.DataFrame({"level": ["1x", "3x", "10x"], "position": [1.0, 2.0, 3.0]}), LEVELS)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2024-01-15", [("alice", "1x", 0.1), ("alice", "3x", 0.2), ("alice", "10x", 0.4)]),
        (
            "2024-03-15",
            [("alice", "1x", 0.1), ("alice", "3x", 0.3), ("alice", "10x", 0.4), ("bob", "1x", 0.5)],
        ),
    ],
)
def test_capability_curve_is_the_standing_estimate_per_level_in_scale_order(
    at: str, expected: list[tuple[str, str, float]]
) -> None:
    curve = capability_curve(frames_of(CONDITIONAL, levels=SCALE), 1, at)
    got = list(zip(curve["researcher"], curve["level"], curve["probability"], strict=True))
    assert got == expected


def test_capability_curve_over_time_stacks_dates_with_an_index() -> None:
    curve = capability_curve_over_time(frames_of(CONDITIONAL, levels=SCALE), 1, ["2024-03-15", "2024-01-15"])
    assert curve.groupby("date_index")["date_label"].first().to_dict() == {0: "2024-01-15", 1: "2024-03-15"}
    assert curve.groupby("date_index").size().to_dict() == {0: 3, 1: 4}


@pytest.mark.parametrize(
    ("probabilities", "median", "geo_mean_odds"),
    [
        ([0.2, 0.5, 0.8], 0.5, 0.5),  # odds 1/4, 1, 4: geometric mean 1
        ([0.5, 0.9], 0.7, 0.75),  # odds 1, 9: geometric mean 3 -> 3/4
        ([0.1, 0.1, 0.9, 0.5], 0.3, 1 / (1 + 9**0.25)),  # odds 1/9, 1/9, 9, 1: geometric mean 9^(-1/4)
        ([1.0, 0.5], 0.75, 999**0.5 / (1 + 999**0.5)),  # 100 % counts as 99.9 %
    ],
)
def test_group_line_median_and_geometric_mean_of_odds_by_hand(
    probabilities: list[float], median: float, geo_mean_odds: float
) -> None:
    standing = pd.DataFrame(
        {
            "researcher": [f"r{i}" for i in range(len(probabilities))],
            "question_id": 1,
            "level": None,
            "time": pd.Timestamp("2024-01-01", tz="UTC"),
            "probability": probabilities,
        }
    )
    row = group_line(standing).iloc[0]
    assert (row["n_researchers"], row["median_probability"]) == (len(probabilities), pytest.approx(median))
    assert row["geo_mean_odds_probability"] == pytest.approx(geo_mean_odds)


def test_group_line_leaves_out_researchers_without_an_estimate_yet() -> None:
    rows = [*ALICE, fc(4, 0.7, "2024-01-15", researcher="bob")]
    line = group_line(standing_at_changes(trajectory(frames_of(rows), 1, now=NOW)))
    assert line["n_researchers"].tolist() == [1, 2, 2, 2, 2]
    assert line["median_probability"].tolist() == pytest.approx([0.2, 0.45, 0.6, 0.5, 0.5])


def test_group_line_narrows_to_the_selected_researchers() -> None:
    rows = [*ALICE, fc(4, 0.7, "2024-01-15", researcher="bob")]
    line = group_line(standing_at_changes(trajectory(frames_of(rows), 1, now=NOW)), researchers=["bob"])
    assert line["median_probability"].tolist() == [0.7, 0.7, 0.7, 0.7]


def test_standing_at_changes_samples_every_update_and_the_end() -> None:
    standing = standing_at_changes(trajectory(frames_of(ALICE), 1, now=NOW))
    assert standing["time"].dt.strftime("%m-%d").tolist() == ["01-01", "02-01", "03-01", "12-31"]


def test_evidence_events_date_is_published_else_first_citing_forecast() -> None:
    links = (
        {"forecast_id": 2, "evidence_id": 10, "evidence": "Paper X", "direction": "raised"},
        {"forecast_id": 3, "evidence_id": 10, "evidence": "Paper X", "direction": "lowered"},
        {"forecast_id": 3, "evidence_id": 11, "evidence": "Result Y", "direction": None},
    )
    catalogue = conform(
        pd.DataFrame([{"evidence_id": 10, "evidence": "Paper X", "published": "2023-11-05"}]), EVIDENCE
    )
    frames = frames_of(ALICE, links=links, evidence=catalogue)
    events = evidence_events(frames, trajectory(frames, 1, now=NOW))
    assert events["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-11-05", "2024-03-01"]
    assert events["cited_by"].tolist() == ["alice (raised); alice (lowered)", "alice"]


@pytest.mark.parametrize(("outcome", "expected"), [("no", "no"), (None, None)])
def test_resolution_of_only_resolved_questions(outcome: str | None, expected: str | None) -> None:
    resolved_at = "2024-05-01" if outcome else None
    q = {"question_id": 1, "question": "Q1", "outcome": outcome, "resolved_at": resolved_at}
    got = resolution_of(frames_of(ALICE, questions=(q,)), 1)
    assert (got or {}).get("outcome") == expected


def _large_frames(n: int = 100_000) -> Frames:
    rng = np.random.default_rng(7)
    question = rng.integers(1, 501, n)
    level = np.where(rng.random(n) < 0.3, rng.choice(np.array(["1x", "3x"], dtype=object), n), None)
    as_of = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**8, n), unit="s")
    forecasts = pd.DataFrame(
        {
            "forecast_id": np.arange(1, n + 1),
            "researcher": rng.choice(np.array([f"r{i}" for i in range(30)], dtype=object), n),
            "question_id": question,
            "question": "Q",
            "level": level,
            "level_position": pd.Series(level).map({"1x": 1.0, "3x": 2.0}),
            "probability": rng.random(n),
            "as_of": as_of,
            "recorded_at": as_of,
            "reconstructed": False,
            "rationale": "",
        }
    )
    links = pd.DataFrame(
        {
            "forecast_id": rng.integers(1, n + 1, n // 2),
            "evidence_id": rng.integers(1, 1000, n // 2),
            "evidence": "E",
        }
    )
    return Frames(
        forecasts=conform(forecasts, FORECASTS),
        questions=empty(QUESTIONS),
        evidence_links=conform(links, EVIDENCE_LINKS),
        evidence=empty(EVIDENCE),
        levels=SCALE,
        links=empty(LINKS),
    )


def test_one_question_trajectory_of_100k_forecasts_has_every_forecast_of_it() -> None:
    # Timings are measured by bench/trajectory_pages.py, never asserted in tests.
    frames = _large_frames()
    traj = trajectory(frames, 7, now=NOW)
    expected = frames.forecasts.loc[frames.forecasts["question_id"] == 7, "forecast_id"]
    assert sorted(traj["forecast_id"]) == sorted(expected)
    assert not group_line(standing_at_changes(traj)).empty
    assert len(evidence_events(frames, traj)) > 0


# --- the numpy as-of lookup against a brute-force reference -------------------------------------


def _standing_by_hand(
    forecasts: pd.DataFrame, researcher: str, level: str | None, when: pd.Timestamp
) -> float:
    mine = forecasts[(forecasts["researcher"] == researcher) & (forecasts["as_of"] <= when)]
    mine = mine[mine["level"].isna()] if level is None else mine[mine["level"] == level]
    if mine.empty:
        return float("nan")
    return float(mine.sort_values(["as_of", "recorded_at", "forecast_id"]).iloc[-1]["probability"])


@pytest.mark.parametrize("seed", range(5))
def test_value_at_matches_the_last_forecast_at_or_before_each_time(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    rows = [
        fc(i + 1, float(rng.random()), f"2024-01-{rng.integers(1, 20):02d}",
           researcher=str(rng.choice(["alice", "bob", "carol"])),
           level=rng.choice(np.array([None, "1x", "3x"], dtype=object)),
           recorded_at=f"2024-06-{rng.integers(1, 4):02d}")
        for i in range(n)
    ]  # fmt: skip
    frames = frames_of(rows)
    times = ["2023-12-31", *[f"2024-01-{d:02d}" for d in (1, 5, 10, 19, 25)]]
    got = value_at(frames.forecasts, times)
    for row in got.itertuples(index=False):
        expected = _standing_by_hand(frames.forecasts, row.researcher, row.level, row.time)
        assert row.probability == pytest.approx(expected, nan_ok=True)


# --- choosing what a view shows -------------------------------------------------------------


def test_day_end_is_the_last_instant_of_the_utc_day() -> None:
    assert day_end("2024-03-01") == pd.Timestamp("2024-03-01 23:59:59.999999999", tz="UTC")


def test_capability_curve_at_day_end_counts_estimates_made_that_day() -> None:
    rows = [fc(1, 0.1, "2024-01-01T00:00:00Z", level="1x"), fc(2, 0.6, "2024-02-01T18:30:00Z", level="1x")]
    curve = capability_curve(frames_of(rows, levels=SCALE), 1, day_end("2024-02-01"))
    assert curve["probability"].tolist() == [0.6]


def test_capability_curve_narrows_to_the_chosen_levels() -> None:
    curve = capability_curve(frames_of(CONDITIONAL, levels=SCALE), 1, NOW, levels=["1x"])
    assert set(curve["level"]) == {"1x"}


def test_levels_of_follow_the_scale_and_choices_put_unconditional_first() -> None:
    frames = frames_of(CONDITIONAL, levels=SCALE)
    assert levels_of(frames, [1]) == ["1x", "3x", "10x"]
    assert level_choices(frames, [1]) == [None, "1x", "3x", "10x"]
    assert level_choices(frames_of(ALICE), [1]) == [None]


def test_researchers_of_lists_who_forecast_the_questions() -> None:
    rows = [*ALICE, fc(9, 0.5, "2024-01-01", researcher="bob", question_id=2, question="Q2")]
    assert researchers_of(frames_of(rows), [1]) == ["alice"]
    assert researchers_of(frames_of(rows)) == ["alice", "bob"]


def test_capability_dates_are_the_days_of_conditional_estimates() -> None:
    rows = [*CONDITIONAL, fc(7, 0.2, "2024-02-01", level="3x", level_position=2.0)]
    days = capability_dates(frames_of(rows, levels=SCALE), 1)
    assert [d.isoformat() for d in days] == ["2024-01-01", "2024-02-01", "2024-03-01"]


def _question(question_id: int, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"question_id": question_id, "question": f"Q{question_id}", "tags": tags}


def _crowd() -> Frames:
    """Question q has q researchers (1 to 4); question 5 has none; odd questions are tagged odd."""
    rows = [
        fc(10 * q + r, 0.5, "2024-01-01", question_id=q, question=f"Q{q}", researcher=f"r{r}")
        for q in range(1, 5)
        for r in range(q)
    ]
    questions = tuple(_question(q, ("odd",) if q % 2 else ("even",)) for q in range(1, 6))
    return frames_of(rows, questions=questions)


def test_tagged_questions_are_listed_by_id() -> None:
    assert tagged_questions(_crowd(), "odd") == [1, 3, 5]


def test_choose_questions_defaults_to_those_most_researchers_forecast() -> None:
    choice = choose_questions(_crowd(), default=2)
    assert (choice.question_ids, choice.truncated) == ([3, 4], False)


def test_choose_questions_by_tag_keeps_the_busiest_and_says_how_many_matched() -> None:
    choice = choose_questions(_crowd(), tag="odd", limit=1)
    assert (choice.question_ids, choice.matching, choice.truncated) == ([3], 3, True)


def test_choose_questions_by_id_drops_unknown_ids() -> None:
    assert choose_questions(_crowd(), question_ids=[4, 1, 99]).question_ids == [1, 4]


def test_frames_for_narrows_without_changing_results() -> None:
    frames = _crowd()
    narrowed = frames_for(frames, [2, 3])
    assert set(narrowed.forecasts["question_id"]) == {2, 3}
    assert narrowed.questions["question_id"].tolist() == [2, 3]
    pd.testing.assert_frame_equal(trajectory(narrowed, 3, now=NOW), trajectory(frames, 3, now=NOW))


def test_trajectory_record_line_skips_a_reconstruction_entered_later() -> None:
    rows = [
        fc(1, 0.40, "2024-01-01", recorded_at="2024-01-01"),
        fc(2, 0.40, "2025-01-01", recorded_at="2025-01-01"),
        fc(3, 0.02, "2024-06-01", recorded_at="2026-11-01", reconstructed=True),
    ]
    t = trajectory(frames_of(rows), 1, now="2026-12-01").set_index("forecast_id")
    # The 2024 record holds until 2025 (its step leads to the 2025 record, not to the 2 %);
    # the reconstruction is its own step, also leading to the 2025 record.
    assert t.loc[1, "segment_end"] == pd.Timestamp("2025-01-01", tz="UTC")
    assert t["segment_to"].to_dict() == {1: 2, 3: 2, 2: None}
    assert t.loc[2, "segment_end"] == pd.Timestamp("2026-12-01", tz="UTC")
