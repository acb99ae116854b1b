"""Update quality without resolution: movement, uncertainty reduction, excess (hand-computed)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.analysis.update_quality import (
    RESEARCHER_COLUMNS,
    reading,
    researcher_update_quality,
    target_movement,
    update_quality,
)


def rows(
    probabilities: list[float],
    researcher: str = "teal_heron",
    question_id: int = 1,
    level: str | None = None,
    start_id: int = 1,
    reconstructed: list[bool] | None = None,
) -> list[dict[str, Any]]:
    """Forecasts of one target on the 1st of successive months of 2024."""
    return [
        {
            "forecast_id": start_id + i,
            "researcher": researcher,
            "question_id": question_id,
            "level": level,
            "probability": p,
            "as_of": pd.Timestamp(f"2024-{i + 1:02d}-01", tz="UTC"),
            "recorded_at": pd.Timestamp("2025-01-01", tz="UTC"),
            "reconstructed": bool(reconstructed[i]) if reconstructed else False,
        }
        for i, p in enumerate(probabilities)
    ]


def frame(*groups: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([r for g in groups for r in g])


def test_movement_reduction_and_excess_of_one_target() -> None:
    # 0.5 -> 0.8 -> 0.6: m = 0.09 + 0.04 = 0.13; r = 0.25 - 0.24 = 0.01; x = 0.12
    t = target_movement(frame(rows([0.5, 0.8, 0.6]))).iloc[0]
    assert t["n_changes"] == 2
    assert t["movement"] == pytest.approx(0.13)
    assert t["uncertainty_reduction"] == pytest.approx(0.01)
    assert t["excess_movement"] == pytest.approx(0.12)
    assert t["sum_abs_change"] == pytest.approx(0.5)


def test_a_straight_move_to_certainty_has_no_excess_beyond_its_square() -> None:
    # 0.5 -> 1.0: m = 0.25, r = 0.25 - 0 = 0.25, x = 0
    t = target_movement(frame(rows([0.5, 1.0]))).iloc[0]
    assert (t["movement"], t["uncertainty_reduction"], t["excess_movement"]) == pytest.approx(
        (0.25, 0.25, 0.0)
    )


def test_target_with_one_estimate_is_left_out() -> None:
    assert target_movement(frame(rows([0.3]))).empty


def test_reconstructed_estimates_are_left_out() -> None:
    # the reconstructed 0.9 in the middle is dropped: 0.2 -> 0.4, m = 0.04, r = 0.16 - 0.24 = -0.08
    t = target_movement(frame(rows([0.2, 0.9, 0.4], reconstructed=[False, True, False]))).iloc[0]
    assert t["n_changes"] == 1
    assert t["movement"] == pytest.approx(0.04)
    assert t["uncertainty_reduction"] == pytest.approx(-0.08)


def test_equal_as_of_orders_by_recorded_at() -> None:
    r = rows([0.2, 0.6])
    r[1]["as_of"] = r[0]["as_of"]
    r[0]["recorded_at"] = pd.Timestamp("2025-02-01", tz="UTC")  # the 0.2 was recorded later: last
    t = target_movement(frame(r)).iloc[0]
    assert (t["first_probability"], t["last_probability"]) == (0.6, 0.2)


def test_levels_and_questions_are_separate_targets() -> None:
    t = target_movement(frame(rows([0.5, 0.6]), rows([0.1, 0.3], level="3x", start_id=10),
                              rows([0.7, 0.7], question_id=2, start_id=20)))  # fmt: skip
    assert len(t) == 3
    assert t["movement"].sum() == pytest.approx(0.01 + 0.04 + 0.0)


def test_extra_condition_keys_split_targets() -> None:
    d = frame(rows([0.5, 0.6]), rows([0.5, 0.9], start_id=10))
    d["condition"] = ["a", "a", "b", "b"]
    assert len(target_movement(d)) == 1  # without the key the four rows are one target
    assert len(target_movement(d, ["researcher", "question_id", "level", "condition"])) == 2


def test_per_researcher_figures() -> None:
    # target A: 0.5 -> 0.8 -> 0.6: m .13, r .01, x .12, |Δ| .5, T 2
    # target B: 0.2 -> 0.4:        m .04, r .16-.24 = -.08, x .12, |Δ| .2, T 1
    q = update_quality(frame(rows([0.5, 0.8, 0.6]), rows([0.2, 0.4], question_id=2, start_id=10)))
    assert list(q.columns) == RESEARCHER_COLUMNS
    r = q.iloc[0]
    assert r["n_targets"] == 2
    assert r["movement"] == pytest.approx(0.17)
    assert r["uncertainty_reduction"] == pytest.approx(-0.07)
    assert r["excess_movement"] == pytest.approx(0.12)
    assert r["excess_se"] == pytest.approx(0.0, abs=1e-12)  # both x are 0.12
    assert math.isnan(r["normalized_excess"])  # Σr ≤ 0
    assert r["updates_per_target"] == pytest.approx(1.5)
    assert r["mean_abs_change"] == pytest.approx(0.7 / 3)


def test_excess_se_uses_n_minus_one_and_normalized_excess() -> None:
    # target A: 0.5 -> 0.9: m .16, r .25 - .09 = .16, x 0
    # target B: 0.5 -> 0.7 -> 0.5: m .08, r 0, x .08
    # target C: 0.6 -> 0.4 -> 0.5 -> 0.3: m .04+.01+.04 = .09, r .24 - .21 = .03, x .06
    q = update_quality(
        frame(rows([0.5, 0.9]), rows([0.5, 0.7, 0.5], question_id=2, start_id=10),
              rows([0.6, 0.4, 0.5, 0.3], question_id=3, start_id=20))
    ).iloc[0]  # fmt: skip
    x = np.array([0.0, 0.08, 0.06])
    assert q["excess_movement"] == pytest.approx(x.mean())
    assert q["excess_se"] == pytest.approx(x.std(ddof=1) / math.sqrt(3))
    assert q["normalized_excess"] == pytest.approx((0.16 + 0.08 + 0.09) / (0.16 + 0.0 + 0.03) - 1)
    assert q["updates_per_target"] == pytest.approx(2.0)
    assert q["mean_abs_change"] == pytest.approx((0.4 + 0.4 + 0.5) / 6)


def test_excess_se_is_null_with_one_target() -> None:
    q = update_quality(frame(rows([0.5, 0.8]))).iloc[0]
    assert q["n_targets"] == 1
    assert math.isnan(q["excess_se"])
    # m .09, r .25 - .16 = .09: normalized excess 0
    assert q["normalized_excess"] == pytest.approx(0.0)


def test_researchers_without_targets_are_left_out_and_rows_sorted_by_handle() -> None:
    q = update_quality(frame(rows([0.5, 0.6], researcher="zephyr"), rows([0.4], researcher="amber", start_id=5),
                             rows([0.1, 0.2], researcher="birch", start_id=9)))  # fmt: skip
    assert q["researcher"].tolist() == ["birch", "zephyr"]


def test_empty_input_gives_empty_table() -> None:
    empty = frame(rows([0.5]))[0:0]
    assert researcher_update_quality(target_movement(empty)).empty


@pytest.mark.parametrize(
    ("normalized", "n", "text"),
    [
        (1.0, 5, "moves about twice as much as their uncertainty shrinks (over-reacts)"),
        (0.02, 5, "moves about as much as their uncertainty shrinks, as a Bayesian would"),
        (-0.5, 5, "moves only half as much as their uncertainty shrinks (sticky)"),
        (
            1.0,
            1,
            "moves about twice as much as their uncertainty shrinks (over-reacts) (one target: too few to judge)",
        ),
        (None, 3, "their uncertainty did not shrink on balance, so movement cannot be weighed against it"),
    ],
)
def test_reading(normalized: float | None, n: int, text: str) -> None:
    assert reading(normalized, n) == text


# --- simulation: a Bayesian has no excess movement, an over-reactor has a lot ------------------------


def simulate(doubling: bool, n_targets: int = 2000, steps: int = 6, seed: int = 20261201) -> pd.DataFrame:
    """Questions whose truth is drawn with the prior probability; binary signals of known
    likelihood q = P(signal | yes) = P(no signal | no) = 0.7; the researcher adds ±ln(q/(1−q))
    (a Bayesian) or twice that (an over-reactor) to their log-odds at each signal."""
    rng = np.random.default_rng(seed)
    prior = rng.uniform(0.05, 0.95, n_targets)
    truth = rng.random(n_targets) < prior
    q = 0.7
    p_signal = np.where(truth, q, 1 - q)[:, None]
    signals = rng.random((n_targets, steps)) < p_signal
    step = np.where(signals, 1.0, -1.0) * math.log(q / (1 - q)) * (2.0 if doubling else 1.0)
    log_odds = np.log(prior / (1 - prior))[:, None] + np.concatenate(
        [np.zeros((n_targets, 1)), np.cumsum(step, axis=1)], axis=1
    )
    p = 1.0 / (1.0 + np.exp(-log_odds))
    t = steps + 1
    return pd.DataFrame(
        {
            "forecast_id": np.arange(n_targets * t),
            "researcher": "sim",
            "question_id": np.repeat(np.arange(n_targets), t),
            "level": None,
            "probability": p.ravel(),
            "as_of": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(np.tile(np.arange(t), n_targets), "D"),
            "recorded_at": pd.Timestamp("2025-01-01", tz="UTC"),
            "reconstructed": False,
        }
    )


def test_simulated_bayesian_has_mean_excess_within_three_standard_errors_of_zero() -> None:
    q = update_quality(simulate(doubling=False)).iloc[0]
    assert q["n_targets"] == 2000
    assert abs(q["excess_movement"]) < 3 * q["excess_se"]


def test_simulated_researcher_doubling_each_step_has_excess_above_five_standard_errors() -> None:
    q = update_quality(simulate(doubling=True)).iloc[0]
    assert q["n_targets"] == 2000
    assert q["excess_movement"] > 5 * q["excess_se"]


def test_stored_conditions_split_targets_when_the_frames_have_them() -> None:
    import dataclasses

    from models.analysis.update_quality import researchers_update_quality
    from models.frames import Frames

    d = frame(rows([0.5, 0.6]), rows([0.5, 0.9], start_id=10))
    d["given_question_id"] = pd.array([7, 7, 7, 7], dtype="Int64")
    d["given_outcome"] = ["yes", "yes", "no", "no"]
    frames = dataclasses.replace(Frames.empty(), forecasts=d)
    q = researchers_update_quality(frames).iloc[0]
    # two targets, P(A | B = yes): .5 -> .6 and P(A | B = no): .5 -> .9
    assert q["n_targets"] == 2
    assert q["movement"] == pytest.approx(0.01 + 0.16)


def test_forecasts_given_another_question_are_their_own_targets() -> None:
    """P(A | B = yes) moves on its own: its sequence is a target beside P(A)'s."""
    from models.analysis.update_quality import researchers_update_quality
    from models.frames import FORECASTS, Frames, conform

    day = pd.Timestamp("2025-01-01", tz="UTC")
    rows = [
        {"forecast_id": i + 1, "researcher": "ada", "question_id": 1, "question": "A", "level": None,
         "probability": p, "as_of": day + pd.Timedelta(days=i), "recorded_at": day + pd.Timedelta(days=i),
         "reconstructed": False, "rationale": "", "given_question_id": given, "given_outcome": outcome}
        for i, (p, given, outcome) in enumerate(
            [(0.5, None, None), (0.6, None, None), (0.2, 2, "yes"), (0.4, 2, "yes")]
        )
    ]  # fmt: skip
    frame = conform(pd.DataFrame(rows), FORECASTS)
    empty = Frames.empty()
    conditional = frame["given_question_id"].notna()
    frames = Frames(
        frame[~conditional].reset_index(drop=True), empty.questions, empty.evidence_links, empty.evidence,
        empty.levels, empty.links, conditionals=frame[conditional].reset_index(drop=True),
    )  # fmt: skip
    table = researchers_update_quality(frames)
    assert table.loc[table["researcher"] == "ada", "n_targets"].tolist() == [2]


def _grouped_by_pandas(forecasts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """target_movement as first written, with pandas' own group operations: the reference."""
    d = forecasts[~forecasts["reconstructed"].astype(bool).to_numpy()]
    d = d.sort_values(["as_of", "recorded_at", "forecast_id"], kind="stable")
    g = d.groupby(keys, dropna=False, sort=True)
    step = d["probability"] - g["probability"].shift(1)
    g = d.assign(_sq=step**2, _abs=step.abs()).groupby(keys, dropna=False, sort=True)
    out = pd.DataFrame(
        {
            "n_changes": (g.size() - 1).astype("int64"),
            "first_probability": g["probability"].first(),
            "last_probability": g["probability"].last(),
            "movement": g["_sq"].sum(),
            "sum_abs_change": g["_abs"].sum(),
        }
    )
    out = out[out["n_changes"] >= 1]
    p0, pt = out["first_probability"], out["last_probability"]
    out["uncertainty_reduction"] = p0 * (1.0 - p0) - pt * (1.0 - pt)
    out["excess_movement"] = out["movement"] - out["uncertainty_reduction"]
    return out[
        list(out.columns[:3]) + ["movement", "uncertainty_reduction", "excess_movement", "sum_abs_change"]
    ]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_target_movement_equals_pandas_group_operations(data: st.DataObject) -> None:
    """Many targets, unconditional ones (level None) and conditions with missing values among
    them, estimates sharing a day or a recorded-at time, reconstructed ones left out."""
    n = data.draw(st.integers(0, 80))
    day = st.integers(0, 30).map(lambda d: pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=d))
    f = pd.DataFrame(
        {
            "forecast_id": data.draw(st.permutations(range(1, n + 1))),
            "researcher": data.draw(st.lists(st.sampled_from(["orrery", "teal_heron"]), min_size=n, max_size=n)),
            "question_id": data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)),
            "level": data.draw(st.lists(st.sampled_from([None, "3x AI R&D", "10x AI R&D"]), min_size=n, max_size=n)),
            "given_question_id": data.draw(st.lists(st.sampled_from([np.nan, 7.0]), min_size=n, max_size=n)),
            "probability": data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)),
            "as_of": pd.Series(data.draw(st.lists(day, min_size=n, max_size=n)), dtype="datetime64[ns, UTC]"),
            "recorded_at": pd.Series(data.draw(st.lists(day, min_size=n, max_size=n)), dtype="datetime64[ns, UTC]"),
            "reconstructed": data.draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        }
    )  # fmt: skip
    keys = ["researcher", "question_id", "level", "given_question_id"]
    pd.testing.assert_frame_equal(
        target_movement(f, keys), _grouped_by_pandas(f, keys), check_exact=False, rtol=1e-12, atol=1e-15
    )
