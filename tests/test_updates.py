"""Update histories: changes between successive forecasts, per-researcher statistics, spread."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.analysis.updates import (
    CONVERGED,
    DIVERGED,
    STEADY,
    convergence,
    disagreement,
    evidence_impact,
    spread_history,
    spread_over_time,
    update_statistics,
    updates,
)
from tests.factories import fc, frames_of

LN_999 = math.log(999)  # logit(0.999): the clipped log-odds of 100 %
NOW = "2024-12-31"


def link(
    forecast_id: int, evidence_id: int, direction: str | None = None, title: str | None = None
) -> dict[str, Any]:
    return {
        "forecast_id": forecast_id,
        "evidence_id": evidence_id,
        "evidence": title or f"E{evidence_id}",
        "direction": direction,
    }


def series(probabilities: list[float], start_id: int = 1, **kw: Any) -> list[dict[str, Any]]:
    """Forecasts of one target on the 1st of successive months of 2024."""
    return [fc(start_id + i, p, f"2024-{i + 1:02d}-01", **kw) for i, p in enumerate(probabilities)]


def test_first_forecast_of_a_target_has_no_previous() -> None:
    first = updates(frames_of(series([0.2, 0.5]))).iloc[0]
    assert pd.isna(first["previous_forecast_id"])
    assert np.isnan([first["from_probability"], first["change_points"], first["change_log_odds"]]).all()


@pytest.mark.parametrize(
    ("before", "after", "points", "log_odds"),
    [
        (0.2, 0.5, 30.0, math.log(4)),  # odds 1/4 -> 1
        (0.5, 0.2, -30.0, -math.log(4)),
        (0.0, 1.0, 100.0, 2 * LN_999),  # clipped to 0.1 % and 99.9 %: finite
        (1.0, 0.0, -100.0, -2 * LN_999),
        (0.0, 0.5, 50.0, LN_999),
        (0.4, 0.4, 0.0, 0.0),
    ],
)
def test_change_in_points_and_log_odds(before: float, after: float, points: float, log_odds: float) -> None:
    second = updates(frames_of(series([before, after]))).iloc[1]
    assert (second["from_probability"], second["to_probability"]) == (before, after)
    assert second["change_points"] == pytest.approx(points)
    assert second["change_log_odds"] == pytest.approx(log_odds)


def test_previous_forecast_is_from_the_same_target_only() -> None:
    rows = [
        fc(1, 0.2, "2024-01-01"),
        fc(2, 0.9, "2024-02-01", researcher="bob"),
        fc(3, 0.7, "2024-02-15", level="3x"),
        fc(4, 0.4, "2024-03-01"),
    ]
    got = updates(frames_of(rows)).set_index("forecast_id")["previous_forecast_id"]
    assert got.dropna().to_dict() == {4: 1}


@pytest.mark.parametrize(
    ("rationale", "links", "has_reason"),
    [
        ("", (), False),
        ("   ", (), False),
        ("new eval results", (), True),
        ("", (link(2, 10, "raised"),), True),
    ],
)
def test_has_reason_is_rationale_or_evidence(rationale: str, links: tuple, has_reason: bool) -> None:
    rows = [fc(1, 0.2, "2024-01-01"), fc(2, 0.5, "2024-02-01", rationale=rationale)]
    assert bool(updates(frames_of(rows, links)).iloc[1]["has_reason"]) is has_reason


def stats_of(rows: list[dict[str, Any]], links: tuple = (), **kw: Any) -> pd.Series:
    table = update_statistics(frames_of(rows, links), now=NOW, **kw)
    return table.set_index("researcher").loc["alice"]


def test_update_statistics_by_hand() -> None:
    # 0.2 -> 0.5 (+30, cites E10) -> 0.3 (-20): |changes| 30 and 20.
    rows = series([0.2, 0.5, 0.3])
    rows[1]["rationale"] = "new paper"
    s = stats_of(rows, (link(2, 10, "raised", "Paper X"),))
    assert (s["n_forecasts"], s["n_updates"]) == (3, 2)
    assert s["mean_abs_change_points"] == pytest.approx(25.0)
    assert s["mean_abs_change_log_odds"] == pytest.approx(
        (math.log(4) + math.log(0.5 / 0.5) - math.log(0.3 / 0.7)) / 2
    )
    assert (s["largest_update_points"], s["largest_update_question_id"]) == (pytest.approx(30.0), 1)
    assert (s["largest_update_evidence"], s["largest_update_rationale"]) == ("Paper X (raised)", "new paper")
    assert s["total_movement_points"] == pytest.approx(50.0)
    assert s["net_movement_points"] == pytest.approx(10.0)
    assert s["share_with_reason"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("path", "total", "net"),
    [
        ([0.5, 0.9, 0.5, 0.9, 0.5], 160.0, 0.0),  # zig-zag: lots of movement, no net change
        ([0.1, 0.3, 0.5, 0.7], 60.0, 60.0),  # steady drift: total equals net
        ([0.6, 0.2, 0.4], 60.0, -20.0),
        ([0.3], 0.0, 0.0),
    ],
)
def test_total_movement_versus_net_movement(path: list[float], total: float, net: float) -> None:
    s = stats_of(series(path))
    assert (s["total_movement_points"], s["net_movement_points"]) == (
        pytest.approx(total),
        pytest.approx(net),
    )


def test_net_movement_sums_over_targets() -> None:
    rows = [*series([0.2, 0.6]), *series([0.9, 0.7], start_id=10, question_id=2)]
    assert stats_of(rows)["net_movement_points"] == pytest.approx(40.0 - 20.0)


def test_largest_update_keeps_its_sign() -> None:
    s = stats_of(series([0.8, 0.7, 0.1, 0.2]))
    assert s["largest_update_points"] == pytest.approx(-60.0)


def test_update_statistics_at_zero_and_one_are_finite() -> None:
    s = stats_of(series([0.0, 1.0, 0.0]))
    assert s["mean_abs_change_log_odds"] == pytest.approx(2 * LN_999)
    assert s["total_movement_points"] == pytest.approx(200.0)
    measures = s[["mean_abs_change_points", "mean_abs_change_log_odds", "largest_update_points"]]
    assert np.isfinite(measures.astype(float)).all()


def test_researcher_without_updates_has_zero_updates_and_no_means() -> None:
    s = stats_of(series([0.3]))
    assert (s["n_updates"], s["total_movement_points"]) == (0, 0.0)
    assert np.isnan([s["mean_abs_change_points"], s["share_with_reason"]]).all()


def test_days_since_last_update_counts_from_the_latest_as_of() -> None:
    s = stats_of(series([0.3, 0.4]))  # last as_of 2024-02-01
    assert s["days_since_last_update"] == pytest.approx((pd.Timestamp(NOW) - pd.Timestamp("2024-02-01")).days)


def test_update_statistics_one_row_per_selected_researcher() -> None:
    rows = [
        *series([0.3, 0.4]),
        *series([0.5], start_id=10, researcher="bob"),
        fc(20, 0.1, "2024-01-01", researcher="cy"),
    ]
    table = update_statistics(frames_of(rows), researchers=["alice", "bob"], now=NOW)
    assert table["researcher"].tolist() == ["alice", "bob"]
    assert table["n_updates"].tolist() == [1, 0]


SPREAD = [
    fc(1, 0.2, "2024-01-01"),
    fc(2, 0.5, "2024-01-01", researcher="bob"),
    fc(3, 0.4, "2024-03-01", researcher="bob"),
    fc(4, 0.9, "2024-01-01", level="3x", level_position=2.0),
]


@pytest.mark.parametrize(
    ("at", "spread", "std_log_odds"),
    [
        (None, 20.0, abs(math.log(0.25) - math.log(0.4 / 0.6)) / 2),  # 0.2 vs 0.4 (bob's latest)
        ("2024-02-01", 30.0, math.log(4) / 2),  # 0.2 vs 0.5: log-odds -ln 4 and 0
    ],
)
def test_disagreement_spread_and_log_odds_std(at: str | None, spread: float, std_log_odds: float) -> None:
    table = disagreement(frames_of(SPREAD), at=at)
    row = table[table["level"].isna()].iloc[0]
    assert (row["n_researchers"], row["spread_points"]) == (2, pytest.approx(spread))
    assert row["std_log_odds"] == pytest.approx(std_log_odds)


def test_disagreement_is_per_level_and_zero_for_one_researcher() -> None:
    table = disagreement(frames_of(SPREAD))
    row = table[table["level"] == "3x"].iloc[0]
    assert (row["n_researchers"], row["spread_points"], row["std_log_odds"]) == (1, 0.0, 0.0)


def test_spread_over_time_shows_convergence() -> None:
    rows = [*series([0.1, 0.3, 0.5]), *series([0.9, 0.7, 0.5], start_id=10, researcher="bob")]
    table = spread_over_time(frames_of(rows), 1, ["2024-01-15", "2024-02-15", "2024-03-15"])
    assert table["spread_points"].tolist() == pytest.approx([80.0, 40.0, 0.0])


def test_evidence_impact_counts_directions_and_sums_changes() -> None:
    rows = [*series([0.2, 0.5, 0.3]), *series([0.6], start_id=10, researcher="bob")]
    links = (
        link(1, 7, "raised"),  # a first forecast: cites it, changes nothing
        link(2, 7, "raised"),  # +30
        link(3, 7, "lowered"),  # -20
        link(3, 8, None),
        link(10, 7, "no_change"),
    )
    table = evidence_impact(frames_of(rows, links)).set_index(["evidence_id", "researcher"])
    alice = table.loc[(7, "alice")]
    assert (alice["n_citing"], alice["n_updates"], alice["n_raised"], alice["n_lowered"]) == (3, 2, 2, 1)
    assert alice["sum_change_points"] == pytest.approx(10.0)
    assert alice["sum_change_log_odds"] == pytest.approx(math.log(0.3 / 0.7) - math.log(0.25))
    assert table.loc[(7, "bob"), "n_no_change"] == 1
    assert table.loc[(8, "alice"), "n_unstated"] == 1


def test_spread_over_time_without_dates_samples_every_estimate() -> None:
    rows = [*series([0.1, 0.3, 0.5]), *series([0.9, 0.7, 0.5], start_id=10, researcher="bob")]
    table = spread_over_time(frames_of(rows), 1)
    assert table["time"].dt.strftime("%m-%d").tolist() == ["01-01", "02-01", "03-01"]
    assert table["spread_points"].tolist() == pytest.approx([80.0, 40.0, 0.0])


def test_spread_history_ends_at_until_and_ignores_later_estimates() -> None:
    rows = [*series([0.1, 0.3, 0.5]), *series([0.9, 0.7, 0.5], start_id=10, researcher="bob")]
    table = spread_history(frames_of(rows), [1], until="2024-02-15")
    assert table["time"].dt.strftime("%m-%d").tolist() == ["01-01", "02-01", "02-15"]
    assert table["spread_points"].tolist() == pytest.approx([80.0, 40.0, 40.0])


def _trend(alice: list[float], bob: list[float]) -> pd.Series:
    rows = [*series(alice), *series(bob, start_id=10, researcher="bob")]
    return convergence(spread_history(frames_of(rows), until="2024-12-31")).iloc[0]


def test_convergence_compares_the_first_shared_spread_with_the_latest() -> None:
    row = _trend([0.2, 0.4, 0.6], [0.8, 0.8, 0.7])  # spread 60 → 40 → 10
    assert (row["trend"], row["spread_then_points"], row["spread_now_points"]) == (
        CONVERGED,
        pytest.approx(60.0),
        pytest.approx(10.0),
    )
    assert row["change_points"] == pytest.approx(-50.0)
    assert (row["peak_points"], row["peak_at"].strftime("%m-%d")) == (pytest.approx(60.0), "01-01")


def test_convergence_sees_divergence_and_an_unchanged_spread() -> None:
    assert _trend([0.5, 0.2], [0.6, 0.9])["trend"] == DIVERGED  # 10 → 70
    assert _trend([0.5, 0.52], [0.6, 0.6])["trend"] == STEADY  # 10 → 8


def test_convergence_tolerance_is_not_fooled_by_float_noise() -> None:
    # 100 · (0.20 − 0.15) is 5.000000000000002 in floating point; 5 points is the tolerance.
    assert _trend([0.15, 0.15], [0.15, 0.20])["trend"] == DIVERGED
    assert _trend([0.15, 0.15], [0.15, 0.1999])["trend"] == STEADY


def test_convergence_needs_two_researchers_at_once() -> None:
    rows = series([0.2, 0.9])
    assert convergence(spread_history(frames_of(rows), until="2024-12-31")).empty


def test_levels_filter_keeps_only_those_targets() -> None:
    frames = frames_of(SPREAD)
    assert disagreement(frames, levels=["3x"])["level"].tolist() == ["3x"]
    assert update_statistics(frames, levels=[None], now=NOW)["n_forecasts"].sum() == 3


def test_statistics_from_a_shared_update_history_are_the_same() -> None:
    frames = frames_of([*series([0.2, 0.5, 0.3]), *series([0.6, 0.1], start_id=10, researcher="bob")])
    shared = updates(frames)
    pd.testing.assert_frame_equal(
        update_statistics(frames, now=NOW, history=shared), update_statistics(frames, now=NOW)
    )
    pd.testing.assert_frame_equal(evidence_impact(frames, history=shared), evidence_impact(frames))


# --- the update rule: reconstructions never rewrite the updates around them ------------------------


def _rule_rows(recorded_at: str) -> list[dict[str, Any]]:
    """40 % in 2024-01, "Unchanged." 40 % in 2025-01, and "my view in 2024-06 was 2 %"."""
    return [
        fc(1, 0.40, "2024-01-01", recorded_at="2024-01-01"),
        fc(2, 0.40, "2025-01-01", recorded_at="2025-01-01", rationale="Unchanged."),
        fc(3, 0.02, "2024-06-01", recorded_at=recorded_at, reconstructed=True),
    ]


def test_reconstruction_entered_later_does_not_change_the_update_it_precedes() -> None:
    got = updates(frames_of(_rule_rows("2026-11-01"))).set_index("forecast_id")
    assert got.loc[2, ["previous_forecast_id", "from_probability", "change_points"]].tolist() == [
        1,
        0.40,
        0.0,
    ]
    assert got.loc[3, ["previous_forecast_id", "change_points"]].tolist() == [1, pytest.approx(-38.0)]


def test_reconstruction_entered_before_the_next_record_is_its_from() -> None:
    got = updates(frames_of(_rule_rows("2024-09-01"))).set_index("forecast_id")
    assert got.loc[2, ["previous_forecast_id", "change_points"]].tolist() == [3, pytest.approx(38.0)]
