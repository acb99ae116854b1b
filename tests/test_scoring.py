"""Scoring and calibration of resolved forecasts, against hand-computed numbers."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.analysis.calibration import (
    ALL_RESEARCHERS,
    bucket_of,
    calibration_intervals,
    calibration_over_time,
    calibration_table,
    murphy_decomposition,
    relative_scores,
    sharpness,
    target_breakdown,
)
from models.analysis.scoring import (
    Scope,
    coverage,
    researcher_scores,
    score_report,
    select_scored,
    target_scores,
)
from models.frames import FORECASTS, QUESTIONS, Frames, conform

T0 = pd.Timestamp("2025-01-01", tz="UTC")
RESOLVED = T0 + pd.Timedelta(days=100)


def at(days: float = 0, seconds: int = 0) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=days) + pd.Timedelta(seconds=seconds)


def q(
    qid: int,
    outcome: str | None = "yes",
    *,
    resolved: pd.Timestamp | None = RESOLVED,
    level: str | None = None,
    tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "question_id": qid,
        "question": f"Question {qid}",
        "criteria": "",
        "tags": tags,
        "created_at": T0,
        "resolve_by": None,
        "outcome": outcome,
        "resolved_at": resolved if outcome is not None else None,
        "resolution_level": level,
        "resolution_note": "",
    }


def f(
    researcher: str,
    qid: int,
    p: float,
    as_of: pd.Timestamp | float = 0,
    *,
    level: str | None = None,
    recorded: pd.Timestamp | None = None,
    fid: int | None = None,
    reconstructed: bool = False,
) -> dict[str, Any]:
    when = as_of if isinstance(as_of, pd.Timestamp) else at(as_of)
    return {
        "forecast_id": fid,
        "researcher": researcher,
        "question_id": qid,
        "question": f"Question {qid}",
        "level": level,
        "level_position": np.nan,
        "probability": p,
        "as_of": when,
        "recorded_at": recorded if recorded is not None else when,
        "reconstructed": reconstructed,
        "rationale": "",
    }


def frames(questions: list[dict[str, Any]], forecasts: list[dict[str, Any]]) -> Frames:
    rows = [{**row, "forecast_id": row["forecast_id"] or i + 1} for i, row in enumerate(forecasts)]
    empty = Frames.empty()
    fc = conform(pd.DataFrame(rows, columns=list(FORECASTS)), FORECASTS)
    qs = conform(pd.DataFrame(questions, columns=list(QUESTIONS)), QUESTIONS)
    return Frames(fc, qs, empty.evidence_links, empty.evidence, empty.levels, empty.links)


def overall(fr: Frames, **kwargs: Any) -> dict[str, Any]:
    report = score_report(fr, **kwargs)
    assert report["overall"] is not None
    return report["overall"]  # type: ignore[no-any-return]


# ---- which forecasts are scored ------------------------------------------------------


@pytest.mark.parametrize(
    ("probabilities", "outcome", "brier"),
    [
        ([0.8], "yes", 0.04),
        ([0.8], "no", 0.64),
        ([0.2, 0.7], "yes", 0.09),  # the final forecast counts
        ([1.0], "no", 1.0),
        ([0.0], "no", 0.0),
    ],
)
def test_brier_scores_the_final_forecast(probabilities: list[float], outcome: str, brier: float) -> None:
    fr = frames([q(1, outcome)], [f("ann", 1, p, day * 10) for day, p in enumerate(probabilities)])
    assert overall(fr)["brier"] == pytest.approx(brier)


@pytest.mark.parametrize(
    ("p", "outcome", "expected"),
    [
        (0.8, "yes", math.log(0.8)),
        (0.8, "no", math.log(0.2)),
        (1.0, "yes", math.log(0.999)),
        (0.0, "yes", math.log(0.001)),
        (1.0, "no", math.log(0.001)),
        (0.0, "no", math.log(0.999)),
    ],
)
def test_log_score_clips_probability_to_a_thousandth(p: float, outcome: str, expected: float) -> None:
    assert overall(frames([q(1, outcome)], [f("ann", 1, p)]))["log_score"] == pytest.approx(expected)


def test_brier_all_counts_every_update() -> None:
    fr = frames([q(1, "yes")], [f("ann", 1, 0.2, 0), f("ann", 1, 0.7, 60)])
    assert overall(fr)["brier_all"] == pytest.approx((0.8**2 + 0.3**2) / 2)


def test_time_averaged_brier_weights_each_forecast_by_how_long_it_held() -> None:
    # 0.2 holds for 60 days, 0.7 for the last 40 days before resolution at day 100.
    fr = frames([q(1, "yes")], [f("ann", 1, 0.2, 0), f("ann", 1, 0.7, 60)])
    assert overall(fr)["brier_time_averaged"] == pytest.approx((60 * 0.64 + 40 * 0.09) / 100)


def test_time_averaged_brier_is_exact_to_the_second() -> None:
    # 0.5 holds for 100 days less one second, then 1.0 for the last second.
    last_second = RESOLVED - pd.Timedelta(seconds=1)
    fr = frames([q(1, "yes")], [f("ann", 1, 0.5, 0), f("ann", 1, 1.0, last_second)])
    total = 100 * 86_400
    assert overall(fr)["brier_time_averaged"] == pytest.approx(0.25 * (total - 1) / total, abs=1e-15)


def test_time_averaged_brier_of_single_forecast_is_its_squared_error() -> None:
    fr = frames([q(1, "no")], [f("ann", 1, 0.3, 42)])
    assert overall(fr)["brier_time_averaged"] == pytest.approx(0.09)


def test_forecast_at_resolution_instant_is_not_scored() -> None:
    fr = frames([q(1, "yes")], [f("ann", 1, 0.4, 0), f("ann", 1, 1.0, RESOLVED)])
    assert (overall(fr)["brier"], overall(fr)["n_forecasts"]) == (pytest.approx(0.36), 1)


def test_only_forecast_at_resolution_instant_leaves_nothing_scored() -> None:
    assert score_report(frames([q(1, "yes")], [f("ann", 1, 1.0, RESOLVED)])) == {
        "researchers": [],
        "overall": None,
    }


@pytest.mark.parametrize("outcome", ["annulled", None])
def test_annulled_and_open_questions_are_not_scored(outcome: str | None) -> None:
    fr = frames([q(1, outcome), q(2, "no")], [f("ann", 1, 0.9), f("ann", 2, 0.1)])
    assert (overall(fr)["n_targets"], overall(fr)["brier"]) == (1, pytest.approx(0.01))


@pytest.mark.parametrize(
    ("forecast_level", "resolution_level", "scored"),
    [
        ("3x", "3x", True),
        ("3x", "10x", False),
        ("3x", None, False),
        (None, "10x", True),
        (None, None, True),
    ],
)
def test_conditional_forecast_counts_only_at_matching_resolution_level(
    forecast_level: str | None, resolution_level: str | None, scored: bool
) -> None:
    fr = frames([q(1, "yes", level=resolution_level)], [f("ann", 1, 0.6, level=forecast_level)])
    assert (score_report(fr)["overall"] is not None) == scored


def test_conditional_and_unconditional_forecasts_are_separate_targets() -> None:
    fr = frames([q(1, "yes", level="3x")], [f("ann", 1, 0.6), f("ann", 1, 0.9, 1, level="3x")])
    assert (overall(fr)["n_targets"], overall(fr)["brier"]) == (2, pytest.approx((0.16 + 0.01) / 2))


@pytest.mark.parametrize(("include", "n_targets"), [(False, 1), (True, 2)])
def test_reconstructed_forecasts_count_only_when_included(include: bool, n_targets: int) -> None:
    fr = frames([q(1, "yes"), q(2, "yes")], [f("ann", 1, 0.5), f("ann", 2, 0.5, reconstructed=True)])
    assert overall(fr, include_reconstructed=include)["n_targets"] == n_targets


@pytest.mark.parametrize(
    ("first", "second", "final"),
    [
        ({"recorded": at(5), "fid": 1}, {"recorded": at(3), "fid": 2}, 0.9),  # later recorded wins
        ({"recorded": at(3), "fid": 1}, {"recorded": at(5), "fid": 2}, 0.1),
        ({"recorded": at(5), "fid": 2}, {"recorded": at(5), "fid": 1}, 0.9),  # then larger id
    ],
)
def test_equal_as_of_is_broken_by_recorded_at_then_id(
    first: dict[str, Any], second: dict[str, Any], final: float
) -> None:
    fr = frames([q(1, "yes")], [f("ann", 1, 0.9, 2, **first), f("ann", 1, 0.1, 2, **second)])
    report = overall(fr)
    squared = (1 - final) ** 2
    assert (report["brier"], report["brier_time_averaged"]) == (
        pytest.approx(squared),
        pytest.approx(squared),
    )


def test_input_row_order_does_not_change_scores() -> None:
    rows = [
        f("ann", 1, 0.2, 0),
        f("ann", 1, 0.7, 60),
        f("bo", 1, 0.4, 10, recorded=at(20)),
        f("bo", 1, 0.5, 10),
    ]
    ordered = frames([q(1, "yes")], rows)
    shuffled = dataclasses.replace(ordered, forecasts=ordered.forecasts.iloc[::-1].reset_index(drop=True))
    assert score_report(shuffled) == score_report(ordered)


# ---- the report ----------------------------------------------------------------------


def test_overall_pools_targets_rather_than_averaging_researchers() -> None:
    # ann: one target, brier 0.  bo: three targets, brier 1 each.  Mean of means 0.5; pooled 0.75.
    fr = frames(
        [q(1, "yes"), q(2, "yes"), q(3, "yes")],
        [f("ann", 1, 1.0), f("bo", 1, 0.0), f("bo", 2, 0.0), f("bo", 3, 0.0)],
    )
    assert overall(fr)["brier"] == pytest.approx(0.75)


def test_report_counts_targets_and_forecasts_per_researcher() -> None:
    fr = frames([q(1, "yes"), q(2, "no")], [f("ann", 1, 0.2), f("ann", 1, 0.3, 1), f("ann", 2, 0.5)])
    (ann,) = score_report(fr)["researchers"]
    assert (ann["researcher"], ann["n_targets"], ann["n_forecasts"]) == ("ann", 2, 3)


def test_researchers_without_scored_targets_are_left_out_and_rest_sorted() -> None:
    fr = frames([q(1, "yes"), q(2, None)], [f("zed", 1, 0.5), f("ann", 1, 0.5), f("mia", 2, 0.5)])
    assert [r["researcher"] for r in score_report(fr)["researchers"]] == ["ann", "zed"]


def test_report_calibration_lists_non_empty_buckets() -> None:
    fr = frames(
        [q(1, "yes"), q(2, "no"), q(3, "yes")],
        [f("ann", 1, 0.72), f("ann", 2, 0.68), f("ann", 3, 0.1)],
    )
    assert overall(fr)["calibration"] == [
        {"bucket": 0.1, "n": 1, "mean_forecast": pytest.approx(0.1), "observed": 1.0},
        {"bucket": 0.7, "n": 2, "mean_forecast": pytest.approx(0.7), "observed": 0.5},
    ]


@pytest.mark.parametrize(
    "fr", [Frames.empty(), frames([q(1, None)], [f("ann", 1, 0.5)])], ids=["empty", "open"]
)
def test_nothing_scored_gives_empty_report(fr: Frames) -> None:
    assert score_report(fr) == {"researchers": [], "overall": None}


def test_report_is_plain_json() -> None:
    fr = frames([q(1, "yes"), q(2, "no")], [f("ann", 1, 1.0), f("bo", 2, 1.0), f("bo", 1, 0.3)])
    report = score_report(fr)
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    entry = report["researchers"][0]
    assert {key: type(value) for key, value in entry.items()} == {
        "researcher": str,
        "n_targets": int,
        "n_forecasts": int,
        "brier": float,
        "log_score": float,
        "brier_all": float,
        "brier_time_averaged": float,
        "calibration": list,
    }
    assert {key: type(value) for key, value in entry["calibration"][0].items()} == {
        "bucket": float,
        "n": int,
        "mean_forecast": float,
        "observed": float,
    }
    assert set(report["overall"]) == set(entry) - {"researcher"}


# ---- scope ---------------------------------------------------------------------------

SCOPED = frames(
    [
        q(1, "yes", tags=("ai", "evals"), resolved=at(50)),
        q(2, "no", tags=("bio",), resolved=at(150), level="3x"),
    ],
    [f("ann", 1, 0.9), f("bo", 2, 0.2), f("bo", 2, 0.3, level="3x")],
)


@pytest.mark.parametrize(
    ("scope", "targets"),
    [
        (Scope(), {("ann", 1, None), ("bo", 2, None), ("bo", 2, "3x")}),
        (Scope(tags=("evals", "other")), {("ann", 1, None)}),
        (Scope(resolved_since=at(100)), {("bo", 2, None), ("bo", 2, "3x")}),
        (Scope(resolved_until=at(150)), {("ann", 1, None)}),
        (Scope(levels=("3x",)), {("bo", 2, "3x")}),
        (Scope(levels=(None,)), {("ann", 1, None), ("bo", 2, None)}),
        (Scope(researchers=("bo",)), {("bo", 2, None), ("bo", 2, "3x")}),
    ],
)
def test_scope_narrows_scored_targets(scope: Scope, targets: set[tuple[str, int, str | None]]) -> None:
    table = target_scores(select_scored(SCOPED, scope))
    assert set(zip(table["researcher"], table["question_id"], table["level"], strict=True)) == targets


def test_scope_rejects_reversed_date_range() -> None:
    with pytest.raises(ValueError, match="before"):
        Scope(
            resolved_since=datetime(2025, 2, 1, tzinfo=UTC), resolved_until=datetime(2025, 1, 1, tzinfo=UTC)
        )


# ---- calibration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "bucket"),
    [
        (0.05, 0.1),
        (0.15, 0.2),
        (0.25, 0.3),
        (0.35, 0.4),
        (0.45, 0.5),
        (0.55, 0.6),
        (0.65, 0.7),
        (0.75, 0.8),
        (0.85, 0.9),
        (0.95, 1.0),
        (0.0, 0.0),
        (0.0499, 0.0),
        (0.149, 0.1),
        (0.5, 0.5),
        (1.0, 1.0),
    ],
)
def test_bucket_is_nearest_tenth_with_ties_going_up(p: float, bucket: float) -> None:
    assert bucket_of(np.array([p]))[0] == bucket


def test_wilson_interval_matches_closed_forms() -> None:
    # 90% (z = 1.6449): x = n gives lower n/(n + z²); x = 0 gives upper z²/(n + z²).
    cal = pd.DataFrame(
        {"researcher": ["a"] * 3, "bucket": [0.5, 1.0, 0.0], "n": [10, 1, 4], "observed": [0.5, 1.0, 0.0]}
    )
    out = calibration_intervals(cal)
    assert out["lower"].tolist() == pytest.approx([0.269272, 0.269866, 0.0], abs=1e-6)
    assert out["lower"].tolist()[2] == 0.0  # exactly, not float noise
    assert out["upper"].tolist() == pytest.approx([0.730728, 1.0, 0.403479], abs=1e-6)


MURPHY = frames(
    [q(1, "yes"), q(2, "no"), q(3, "no"), q(4, "no")],
    [f("ann", 1, 0.8), f("ann", 2, 0.8), f("ann", 3, 0.2), f("ann", 4, 0.2)],
)


def test_murphy_decomposition_of_forecasts_on_bucket_values() -> None:
    # Buckets 0.8 (n 2, observed 0.5) and 0.2 (n 2, observed 0); base rate 0.25.
    table = murphy_decomposition(target_scores(select_scored(MURPHY)))
    ann = table.set_index("researcher").loc["ann"]
    assert ann[["brier", "reliability", "resolution", "uncertainty"]].tolist() == pytest.approx(
        [0.19, 0.065, 0.0625, 0.1875]
    )


def test_murphy_terms_add_up_to_brier_when_forecasts_sit_on_bucket_values() -> None:
    table = murphy_decomposition(target_scores(select_scored(MURPHY)))
    assert (table["reliability"] - table["resolution"] + table["uncertainty"]).tolist() == pytest.approx(
        table["brier"].tolist()
    )
    assert table["researcher"].tolist() == ["ann", ALL_RESEARCHERS]


def test_relative_score_compares_with_median_of_other_researchers() -> None:
    # Question 1 briers: ann 0, bo 0.25, cy 1.  Question 2: ann alone (not compared).
    fr = frames(
        [q(1, "yes"), q(2, "yes")],
        [f("ann", 1, 1.0), f("bo", 1, 0.5), f("cy", 1, 0.0), f("ann", 2, 0.0)],
    )
    table = relative_scores(target_scores(select_scored(fr)))
    assert table.to_dict("list") == {
        "researcher": ["ann", "bo", "cy"],
        "n_compared": [1, 1, 1],
        "relative_brier": pytest.approx([0 - 0.625, 0.25 - 0.5, 1 - 0.125]),
    }


def test_relative_score_with_odd_number_of_peers_takes_middle_one() -> None:
    fr = frames([q(1, "yes")], [f("ann", 1, 1.0), f("bo", 1, 0.8), f("cy", 1, 0.5), f("di", 1, 0.0)])
    table = relative_scores(target_scores(select_scored(fr))).set_index("researcher")
    assert table["relative_brier"].tolist() == pytest.approx([0 - 0.25, 0.04 - 0.25, 0.25 - 0.04, 1 - 0.04])


def test_coverage_is_share_of_resolved_questions_with_a_scored_target() -> None:
    fr = frames(
        [q(1, "yes"), q(2, "no"), q(3, "no"), q(4, None)],
        [f("ann", 1, 0.5), f("ann", 2, 0.5), f("ann", 2, 0.5, level="3x"), f("bo", 3, 0.5), f("cy", 4, 0.5)],
    )
    table = coverage(select_scored(fr))
    assert table.to_dict("list") == {
        "researcher": ["ann", "bo", "cy"],
        "n_questions": [2, 1, 0],
        "n_resolved": [3, 3, 3],
        "coverage": pytest.approx([2 / 3, 1 / 3, 0]),
    }


def test_breakdown_lists_targets_worst_first() -> None:
    fr = frames([q(1, "yes"), q(2, "no")], [f("ann", 1, 0.9), f("ann", 2, 0.7), f("bo", 1, 0.4)])
    table = target_breakdown(target_scores(select_scored(fr)))
    assert table[["researcher", "question_id", "outcome"]].values.tolist() == [
        ["ann", 2, "no"],
        ["bo", 1, "yes"],
        ["ann", 1, "yes"],
    ]
    assert table["brier"].tolist() == pytest.approx([0.49, 0.36, 0.01])


def test_sharpness_counts_every_bucket_including_empty_ones() -> None:
    fr = frames(
        [q(1, "yes"), q(2, "no"), q(3, "no")], [f("ann", 1, 0.95), f("ann", 2, 0.91), f("ann", 3, 0.02)]
    )
    table = sharpness(target_scores(select_scored(fr)))
    assert dict(zip(table["bucket"], table["n"], strict=True)) == {
        **{k / 10: 0 for k in range(11)},
        0.0: 1,
        0.9: 1,
        1.0: 1,
    }


def test_sharpness_of_all_forecasts_counts_updates() -> None:
    fr = frames([q(1, "yes")], [f("ann", 1, 0.1), f("ann", 1, 0.9, 1)])
    table = sharpness(select_scored(fr).forecasts, "probability")
    assert table.loc[table["n"] > 0, "bucket"].tolist() == [0.1, 0.9]


def test_calibration_over_time_separates_recent_targets() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)  # the last 12 months start 2025-06-01
    fr = frames(
        [q(1, "yes", resolved=pd.Timestamp("2025-11-01", tz="UTC")), q(2, "no", resolved=at(10))],
        [f("ann", 1, 0.8), f("ann", 2, 0.8)],
    )
    table = calibration_over_time(target_scores(select_scored(fr)), now)
    assert table[["period", "bucket", "n", "observed"]].values.tolist() == [
        ["last 12 months", 0.8, 1, 1.0],
        ["all time", 0.8, 2, 0.5],
    ]


def test_pooled_calibration_table_groups_all_researchers() -> None:
    fr = frames([q(1, "yes"), q(2, "no")], [f("ann", 1, 0.8), f("bo", 2, 0.8)])
    table = calibration_table(target_scores(select_scored(fr)), pooled=True)
    assert table.values.tolist() == [[ALL_RESEARCHERS, 0.8, 2, pytest.approx(0.8), 0.5]]


def test_researcher_scores_table_matches_report() -> None:
    fr = frames([q(1, "yes"), q(2, "no")], [f("ann", 1, 0.8), f("bo", 2, 0.6), f("bo", 1, 0.1)])
    table = researcher_scores(target_scores(select_scored(fr)))
    assert table["brier"].tolist() == [r["brier"] for r in score_report(fr)["researchers"]]


# ---- property: vectorized scoring agrees with a plain per-target loop -----------------


def reference_report(fr: Frames, include_reconstructed: bool) -> dict[str, Any]:
    """The report's definitions written out one forecast at a time."""
    questions = {row["question_id"]: row for row in fr.questions.to_dict("records")}
    targets: dict[tuple[str, int, str | None], list[dict[str, Any]]] = {}
    for row in fr.forecasts.to_dict("records"):
        question = questions.get(row["question_id"])
        if question is None or question["outcome"] not in ("yes", "no"):
            continue
        if not row["as_of"] < question["resolved_at"]:
            continue
        if row["reconstructed"] and not include_reconstructed:
            continue
        if row["level"] is not None and row["level"] != question["resolution_level"]:
            continue
        targets.setdefault((row["researcher"], row["question_id"], row["level"]), []).append(row)

    per_target = []
    for (researcher, qid, _level), rows in targets.items():
        rows.sort(key=lambda r: (r["as_of"], r["recorded_at"], r["forecast_id"]))
        outcome = 1 if questions[qid]["outcome"] == "yes" else 0
        resolved = questions[qid]["resolved_at"]
        final = rows[-1]["probability"]
        clipped = min(max(final, 0.001), 0.999)
        integral = 0
        for i, row in enumerate(rows):
            end = rows[i + 1]["as_of"] if i + 1 < len(rows) else resolved
            integral += (row["probability"] - outcome) ** 2 * (end - row["as_of"]).value
        per_target.append(
            {
                "researcher": researcher,
                "final": final,
                "outcome": outcome,
                "brier": (final - outcome) ** 2,
                "log": math.log(clipped) if outcome else math.log(1 - clipped),
                "squares": [(r["probability"] - outcome) ** 2 for r in rows],
                "timed": integral / (resolved - rows[0]["as_of"]).value,
            }
        )

    def summary(items: list[dict[str, Any]]) -> dict[str, Any]:
        squares = [s for t in items for s in t["squares"]]
        buckets: dict[int, list[dict[str, Any]]] = {}
        for t in items:  # probabilities are k/1000, so the bucket is exact integer arithmetic
            buckets.setdefault((round(t["final"] * 1000) + 50) // 100, []).append(t)
        return {
            "n_targets": len(items),
            "n_forecasts": len(squares),
            "brier": sum(t["brier"] for t in items) / len(items),
            "log_score": sum(t["log"] for t in items) / len(items),
            "brier_all": sum(squares) / len(squares),
            "brier_time_averaged": sum(t["timed"] for t in items) / len(items),
            "calibration": [
                {
                    "bucket": k / 10,
                    "n": len(group),
                    "mean_forecast": sum(t["final"] for t in group) / len(group),
                    "observed": sum(t["outcome"] for t in group) / len(group),
                }
                for k, group in sorted(buckets.items())
            ],
        }

    if not per_target:
        return {"researchers": [], "overall": None}
    handles = sorted({t["researcher"] for t in per_target})
    return {
        "researchers": [
            {"researcher": h, **summary([t for t in per_target if t["researcher"] == h])} for h in handles
        ],
        "overall": summary(per_target),
    }


def assert_close(actual: Any, expected: Any) -> None:
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            assert_close(actual[key], expected[key])
    elif isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_close(a, e)
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9)
    else:
        assert actual == expected


HOUR = pd.Timedelta(hours=1)
# Small ranges on purpose: many equal as_of and recorded_at, forecasts at or after
# resolution, several forecasts per target.
question_rows = st.builds(
    lambda outcome, resolved_hour, level: (outcome, T0 + resolved_hour * HOUR, level),
    st.sampled_from(["yes", "no", "annulled", None]),
    st.integers(1, 6),
    st.sampled_from([None, "3x", "10x"]),
)
forecast_rows = st.tuples(
    st.sampled_from(["ann", "bo"]),
    st.integers(1, 3),
    st.integers(0, 1000),  # probability in thousandths: includes 0, 1 and every bucket tie
    st.integers(0, 6),  # as_of hour
    st.integers(0, 1),  # recorded_at, hours after as_of
    st.sampled_from([None, None, "3x"]),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(question_rows, min_size=3, max_size=3),
    st.lists(forecast_rows, min_size=6, max_size=20),
    st.booleans(),
    st.permutations(range(20)),
    st.booleans(),
)
@pytest.mark.slow
def test_vectorized_report_agrees_with_per_target_loop(
    qrows: list[Any], frows: list[Any], include: bool, ids: list[int], contract_order: bool
) -> None:
    fr = frames(
        [
            q(i + 1, outcome, resolved=resolved, level=level)
            for i, (outcome, resolved, level) in enumerate(qrows)
        ],
        [
            f(
                who,
                qid,
                k / 1000,
                T0 + hour * HOUR,
                recorded=T0 + (hour + rec) * HOUR,
                level=level,
                fid=ids[i] + 1,
                reconstructed=rc,
            )
            for i, (who, qid, k, hour, rec, level, rc) in enumerate(frows)
        ],
    )
    if contract_order:  # as the data layer hands them over; otherwise rows come shuffled
        ordered = fr.forecasts.sort_values(["as_of", "recorded_at", "forecast_id"], ignore_index=True)
        fr = dataclasses.replace(fr, forecasts=ordered)
    assert_close(score_report(fr, include_reconstructed=include), reference_report(fr, include))


# ---- property: calibration buckets and Murphy's terms agree with a plain loop --------------

_targets = st.lists(
    st.tuples(
        st.sampled_from(["ann", "bo", "Cy", "émile"]),
        st.one_of(st.sampled_from([0.0, 0.05, 0.15, 0.5, 0.85, 0.95, 1.0]), st.floats(0.0, 1.0)),
        st.sampled_from([0.0, 1.0]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(_targets)
def test_calibration_table_and_murphy_terms_equal_a_plain_loop(rows: list[tuple[str, float, float]]) -> None:
    targets = pd.DataFrame(rows, columns=["researcher", "final", "outcome"]).assign(
        brier=lambda d: (d["final"] - d["outcome"]) ** 2
    )
    for pooled in (False, True):
        groups: dict[tuple[str, float], list[tuple[float, float]]] = {}
        for who, final, outcome in rows:
            bucket = math.floor(final * 10 + 0.5 + 1e-9) / 10
            groups.setdefault((ALL_RESEARCHERS if pooled else who, bucket), []).append((final, outcome))
        expected = [
            [who, bucket, len(g), sum(x for x, _ in g) / len(g), sum(o for _, o in g) / len(g)]
            for (who, bucket), g in sorted(groups.items())
        ]
        table = calibration_table(targets, pooled=pooled)
        assert table.values.tolist() == [
            [w, b, n, pytest.approx(f), pytest.approx(o)] for w, b, n, f, o in expected
        ]
    murphy = murphy_decomposition(targets).set_index("researcher")
    for who in [*sorted({r[0] for r in rows}), ALL_RESEARCHERS]:
        mine = [r for r in rows if who in (r[0], ALL_RESEARCHERS)]
        base = sum(o for _, _, o in mine) / len(mine)
        buckets: dict[float, list[tuple[float, float]]] = {}
        for _, final, outcome in mine:
            buckets.setdefault(math.floor(final * 10 + 0.5 + 1e-9) / 10, []).append((final, outcome))
        rel = sum(
            len(g) * (sum(f for f, _ in g) / len(g) - sum(o for _, o in g) / len(g)) ** 2
            for g in buckets.values()
        )
        res = sum(len(g) * (sum(o for _, o in g) / len(g) - base) ** 2 for g in buckets.values())
        assert murphy.loc[who, "n_targets"] == len(mine)
        assert murphy.loc[
            who, ["brier", "reliability", "resolution", "uncertainty"]
        ].tolist() == pytest.approx(
            [
                sum((f - o) ** 2 for _, f, o in mine) / len(mine),
                rel / len(mine),
                res / len(mine),
                base * (1 - base),
            ],
            abs=1e-12,
        )
