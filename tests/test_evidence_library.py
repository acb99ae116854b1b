"""The evidence library: which forecasts each item moved, and by how much."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from models.analysis import evidence as evidence_library
from models.frames import EVIDENCE, Frames, conform
from tests.factories import fc, frames_of

FORECASTS_ = [
    fc(1, 0.10, "2024-01-01"),  # alice on Q1
    fc(2, 0.20, "2024-06-01"),
    fc(3, 0.30, "2024-03-01", researcher="bob"),
    fc(4, 0.50, "2024-05-01", researcher="bob", question_id=2, question="Q2"),
    fc(5, 0.90, "2024-02-01", researcher="carol", question_id=3, question="Q3"),
]
EVIDENCE_ = [
    {"evidence_id": 7, "evidence": "Audit", "url": None, "published": "2024-05-01", "summary": ""},
    {"evidence_id": 8, "evidence": "Unused", "url": None, "published": None, "summary": ""},
]
LINKS_ = [
    {"forecast_id": 2, "evidence_id": 7, "evidence": "Audit", "direction": "raised", "note": ""},
    {"forecast_id": 3, "evidence_id": 7, "evidence": "Audit", "direction": None, "note": ""},
]


def library_frames(forecasts: list[dict[str, Any]] = FORECASTS_) -> Frames:
    """FORECASTS_ citing the Audit twice; the Unused item cited by nothing."""
    evidence = conform(pd.DataFrame(EVIDENCE_), EVIDENCE)
    evidence["kind"] = "paper"
    links = tuple(LINKS_) if forecasts else ()
    return frames_of(forecasts, links=links, evidence=evidence if forecasts else evidence.iloc[:0])


def test_evidence_usage_shows_how_much_each_citing_forecast_moved():
    out = evidence_library.evidence_usage(library_frames())
    assert out["forecast_id"].tolist() == [3, 2]  # by as_of
    assert out["direction"].tolist() == [None, "raised"]
    assert out["change_points"].iloc[1] == pytest.approx(10.0)  # alice 10% → 20%
    assert math.isnan(out["change_points"].iloc[0])  # bob's first forecast
    assert out["researcher"].tolist() == ["bob", "alice"]


def test_evidence_usage_of_one_item_and_of_an_uncited_item():
    frames = library_frames()
    assert len(evidence_library.evidence_usage(frames, [7])) == 2
    assert evidence_library.evidence_usage(frames, [8]).empty


def test_evidence_library_sums_usage_over_researchers():
    out = evidence_library.evidence_library(library_frames()).set_index("evidence")
    assert out.loc["Audit", ["n_citing", "n_researchers", "n_raised", "n_unstated"]].tolist() == [2, 2, 1, 1]
    assert out.loc["Audit", "sum_change_points"] == pytest.approx(10.0)
    assert out.loc["Unused", ["n_citing", "sum_change_points"]].tolist() == [0, 0.0]
    assert out.loc["Audit", "kind"] == "paper"


def test_evidence_library_of_an_empty_database_is_empty():
    assert evidence_library.evidence_library(library_frames([])).empty
