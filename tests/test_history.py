"""Earlier versions and deleted rows: what the frames leave out."""

from __future__ import annotations

import pandas as pd

from models.schemas import EvidenceIn, ForecastEdit, QuestionEdit, ResolutionIn
from models.store import curation as catalog
from models.store import history
from models.store.db import write_session
from models.store.records import (
    edit_forecast,
    edit_question,
    researcher_by_handle,
    resolve_question,
    soft_delete,
)


def test_question_history_keeps_deleted_forecasts_and_earlier_versions(stocked):
    # Question 1 "Schemers at 3x": forecasts 1, 2 (teal_heron) and 3 (orrery).
    with write_session(stocked) as s:
        edit_forecast(s, 1, ForecastEdit(probability="5%", evidence="New paper [lowered]"), by="orrery")
        soft_delete(s, "forecast", 2)
    h = history.question_history(stocked, 1)
    assert list(h.columns) == history.HISTORY_COLUMNS
    rows = list(zip(h["forecast_id"], h["version"], h["state"], h["probability"], strict=True))
    assert rows == [
        (3, 1, "current", 0.02),
        (1, 2, "current", 0.05),
        (1, 1, "earlier version", 0.04),
        (2, 1, "deleted", 0.03),
    ]
    current, old = h.iloc[1], h.iloc[2]
    assert (current["evidence"], current["evidence_refs"]) == ("New paper (lowered)", "New paper [lowered]")
    assert (old["evidence"], old["level"], old["replaced_by"]) == (
        "Alignment-faking eval (raised)",
        "3x AI R&D",
        "orrery",
    )
    assert old["written_at"] < old["replaced_at"] <= current["written_at"]
    assert pd.notna(h.iloc[3]["deleted_at"]) and pd.isna(current["deleted_at"])


def test_question_history_leaves_out_forecasts_of_deleted_researchers(stocked):
    with write_session(stocked) as s:
        soft_delete(s, "researcher", researcher_by_handle(s, "orrery").id)  # type: ignore[arg-type]
    assert history.question_history(stocked, 1)["forecast_id"].tolist() == [1, 2]


def test_question_history_of_a_question_without_forecasts_is_empty(stocked):
    assert history.question_history(stocked, 99).empty


def test_question_versions_lists_edits_and_resolutions_newest_first(stocked):
    with write_session(stocked) as s:
        edit_question(s, 2, QuestionEdit(criteria="Published paper", tags="evals"), by="orrery")
        resolve_question(
            s, ResolutionIn(question="Eval published by 2025", outcome="yes", resolved_at="2025-01-05")
        )
    v = history.question_versions(stocked, 2)
    assert v["version"].tolist() == [3, 2, 1]
    assert v["state"].tolist() == ["current", "earlier version", "earlier version"]
    assert v["outcome"].tolist() == ["yes", None, None]
    assert v["criteria"].tolist() == ["Published paper", "Published paper", ""]
    assert v["replaced_by"].tolist() == [None, "", "orrery"]


def test_deleted_rows_lists_what_can_be_restored(stocked):
    with write_session(stocked) as s:
        eid = catalog.create_evidence(s, EvidenceIn(title="Gone")).id
        soft_delete(s, "evidence", eid)
    assert history.deleted_rows(stocked, "evidence")["label"].tolist() == ["Gone"]
    assert history.deleted_rows(stocked, "researcher").empty
