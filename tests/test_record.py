"""The update rule (a forecast's "from" is what was on record when it was written) and the
hindsight gap (reconstructions against the records that stood then), by hand-computed cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.analysis.record import (
    from_on_record,
    hindsight_gaps,
    hindsight_sentences,
    hindsight_summary,
    next_on_record,
)
from tests.factories import fc, frames_of

#: Two contemporaneous records: 40 % written on 2024-01-01, "Unchanged." 40 % on 2025-01-01.
A = fc(1, 0.40, "2024-01-01", recorded_at="2024-01-01")
B = fc(2, 0.40, "2025-01-01", recorded_at="2025-01-01", rationale="Unchanged.")


def recon(
    forecast_id: int, probability: float, as_of: str, recorded_at: str = "2026-11-01", **kw: Any
) -> dict[str, Any]:
    return fc(forecast_id, probability, as_of, recorded_at=recorded_at, reconstructed=True, **kw)


def froms(rows: list[dict[str, Any]]) -> dict[int, float | None]:
    """forecast id -> from probability (None when nothing was on record before it)."""
    d = from_on_record(frames_of(rows).forecasts)
    return {
        int(i): (None if np.isnan(p) else round(float(p), 6))
        for i, p in zip(d["forecast_id"], d["from_probability"], strict=True)
    }


def test_records_written_in_date_order_update_from_the_previous_one() -> None:
    assert froms([A, B]) == {1: None, 2: 0.40}


def test_reconstruction_between_records_written_later_leaves_the_later_update_unchanged() -> None:
    # "my view as of 2024-06 was 2 %", written in 2026: B still reads 40 % -> 40 %, unchanged.
    assert froms([A, B, recon(3, 0.02, "2024-06-01")]) == {1: None, 3: 0.40, 2: 0.40}


def test_reconstruction_between_records_written_before_the_later_record_is_its_from() -> None:
    # Written in 2024-09, before B was: B's author had 2 % on record, so B is 2 % -> 40 %.
    assert froms([A, B, recon(3, 0.02, "2024-06-01", recorded_at="2024-09-01")]) == {
        1: None,
        3: 0.40,
        2: 0.02,
    }


def test_reconstruction_before_the_first_record_does_not_give_it_a_from() -> None:
    assert froms([A, B, recon(3, 0.02, "2023-06-01")]) == {3: None, 1: None, 2: 0.40}


def test_reconstruction_after_the_last_record_updates_from_it() -> None:
    assert froms([A, B, recon(3, 0.10, "2025-06-01")]) == {1: None, 2: 0.40, 3: 0.40}


def test_several_later_reconstructions_between_records_are_all_skipped() -> None:
    rows = [A, B, recon(3, 0.10, "2024-03-01"), recon(4, 0.20, "2024-06-01")]
    assert froms(rows) == {1: None, 3: 0.40, 4: 0.10, 2: 0.40}


def test_update_rule_keeps_targets_apart() -> None:
    rows = [A, B, fc(3, 0.9, "2024-06-01", recorded_at="2026-11-01", researcher="bob")]
    assert froms(rows) == {1: None, 3: None, 2: 0.40}


def test_update_rule_on_no_forecasts_is_empty() -> None:
    assert from_on_record(frames_of([A]).forecasts.iloc[:0]).empty


# --- hindsight gap -------------------------------------------------------------------------------


def gaps(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return hindsight_gaps(frames_of(rows).forecasts)


def test_hindsight_gap_of_a_reconstruction_between_records() -> None:
    # "reconstructed 2 % for 2024-06-01; on record then: 40 %": 100 · (0.02 − 0.40) = −38.
    g = gaps([A, B, recon(3, 0.02, "2024-06-01")])
    assert g[
        ["forecast_id", "reconstructed_probability", "on_record_forecast_id", "on_record_probability"]
    ].values.tolist() == [[3, 0.02, 1, 0.40]]
    assert g["gap_points"].tolist() == pytest.approx([-38.0])
    assert g["on_record_as_of"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")


def test_hindsight_gap_after_the_last_record_compares_with_it() -> None:
    g = gaps([A, B, recon(3, 0.55, "2025-06-01")])
    assert (g["on_record_forecast_id"].tolist(), g["gap_points"].tolist()) == ([2], pytest.approx([15.0]))


def test_reconstruction_before_any_record_has_no_hindsight_gap() -> None:
    assert gaps([A, B, recon(3, 0.02, "2023-06-01")]).empty


def test_reconstruction_on_a_record_date_compares_with_that_record() -> None:
    g = gaps([A, B, recon(3, 0.30, "2025-01-01")])
    assert (g["on_record_forecast_id"].tolist(), g["gap_points"].tolist()) == ([2], pytest.approx([-10.0]))


def test_hindsight_gap_compares_with_records_only_not_other_reconstructions() -> None:
    g = gaps([A, recon(3, 0.10, "2024-03-01"), recon(4, 0.20, "2024-06-01")])
    assert g.set_index("forecast_id")["on_record_forecast_id"].to_dict() == {3: 1, 4: 1}
    assert g["gap_points"].tolist() == pytest.approx([-30.0, -20.0])


def test_hindsight_gap_stays_within_the_target() -> None:
    # bob's record is not alice's; alice's unconditional record is not her 3x one.
    rows = [
        fc(1, 0.5, "2024-01-01", researcher="bob"),
        fc(2, 0.5, "2024-01-01", level="3x"),
        recon(3, 0.1, "2024-06-01"),
    ]
    assert gaps(rows).empty


def test_hindsight_summary_per_researcher() -> None:
    rows = [
        A, B, recon(3, 0.02, "2024-06-01"), recon(4, 0.50, "2025-06-01"),  # alice: −38 and +10
        fc(5, 0.7, "2024-01-01", researcher="bob"), recon(6, 0.6, "2024-02-01", researcher="bob"),  # bob: −10
    ]  # fmt: skip
    s = hindsight_summary(gaps(rows)).set_index("researcher")
    assert s["n_compared"].to_dict() == {"alice": 2, "bob": 1}
    assert s["mean_gap_points"].to_dict() == pytest.approx({"alice": -14.0, "bob": -10.0})
    assert s["mean_abs_gap_points"].to_dict() == pytest.approx({"alice": 24.0, "bob": 10.0})


# --- trajectory steps ----------------------------------------------------------------------------


def steps(rows: list[dict[str, Any]]) -> dict[int, int | None]:
    """forecast id -> forecast id its trajectory step leads to (None: held until the end)."""
    d = frames_of(rows).forecasts.sort_values(["as_of", "recorded_at", "forecast_id"]).reset_index(drop=True)
    ids = d["forecast_id"].to_numpy()
    return {int(ids[i]): (None if j < 0 else int(ids[j])) for i, j in enumerate(next_on_record(d))}


def test_record_line_skips_a_reconstruction_written_later() -> None:
    # A's step runs to B; the reconstruction's own short step leads to B too.
    assert steps([A, B, recon(3, 0.02, "2024-06-01")]) == {1: 2, 3: 2, 2: None}


def test_record_line_passes_through_a_reconstruction_written_before_the_next_record() -> None:
    assert steps([A, B, recon(3, 0.02, "2024-06-01", recorded_at="2024-09-01")]) == {1: 3, 3: 2, 2: None}


def test_reconstruction_before_the_first_record_steps_to_it() -> None:
    assert steps([A, B, recon(3, 0.02, "2023-06-01")]) == {3: 1, 1: 2, 2: None}


def test_reconstruction_after_the_last_record_continues_its_line() -> None:
    assert steps([A, B, recon(3, 0.10, "2025-06-01")]) == {1: 2, 2: 3, 3: None}


def test_hindsight_in_words() -> None:
    rows = [
        A,
        B,
        recon(3, 0.02, "2024-06-01"),
        fc(4, 0.6, "2024-01-01", level="3x"),
        recon(5, 0.65, "2024-02-01", level="3x"),
    ]
    assert hindsight_sentences(gaps(rows)) == [
        "alice: reconstructed 2% for 2024-06-01; on record then: 40% (\u221238 points)",
        "alice (3x): reconstructed 65% for 2024-02-01; on record then: 60% (+5 points)",
    ]
