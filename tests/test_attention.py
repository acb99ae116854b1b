"""The home page's lists: standing estimates, due for review, due for resolution, colleagues."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from models.analysis.attention import (
    colleague_updates,
    due_for_resolution,
    due_for_review,
    standing_estimates,
)
from models.frames import QUESTIONS, conform
from tests.factories import fc, frames_of

NOW = "2025-01-01"


def questions(*rows: dict[str, Any]) -> pd.DataFrame:
    q = conform(pd.DataFrame(list(rows)), QUESTIONS)
    q["review_every_days"] = [r.get("review_every_days") for r in rows]
    return q


def question(question_id: int, **kw: Any) -> dict[str, Any]:
    return {"question_id": question_id, "question": f"Q{question_id}", "outcome": None, **kw}


def due(rows: list[dict[str, Any]], qs: pd.DataFrame, **kw: Any) -> pd.DataFrame:
    return due_for_review(frames_of(rows).forecasts, qs, now=NOW, **kw)


def test_estimate_exactly_the_default_interval_old_is_not_yet_due() -> None:
    # 2024-10-03 -> 2025-01-01 is 90 days.
    assert due([fc(1, 0.3, "2024-10-03")], questions(question(1))).empty


def test_estimate_one_day_past_the_default_interval_is_due() -> None:
    got = due([fc(1, 0.3, "2024-10-02")], questions(question(1)))
    assert got[["question_id", "days_since", "interval_days", "days_overdue"]].values.tolist() == [
        [1, 91.0, 90.0, 1.0]
    ]


def test_question_review_interval_replaces_the_default() -> None:
    got = due([fc(1, 0.3, "2024-12-17", question_id=2)], questions(question(2, review_every_days=14)))
    assert got[["days_since", "interval_days"]].values.tolist() == [[15.0, 14.0]]


def test_reaffirming_an_estimate_takes_it_off_the_review_list() -> None:
    rows = [fc(1, 0.3, "2024-01-01"), fc(2, 0.3, "2024-12-01")]
    assert due(rows, questions(question(1))).empty


def test_reconstruction_dated_in_the_past_is_not_a_revisit() -> None:
    rows = [fc(1, 0.3, "2024-06-01"), fc(2, 0.1, "2024-03-01", recorded_at="2024-12-31", reconstructed=True)]
    got = due(rows, questions(question(1)))
    assert got[["forecast_id", "probability"]].values.tolist() == [[1, 0.3]]


def test_resolved_questions_are_never_due_for_review() -> None:
    assert due([fc(1, 0.3, "2020-01-01")], questions(question(1, outcome="yes"))).empty


def test_review_list_is_per_level_and_researcher_most_overdue_first() -> None:
    rows = [
        fc(1, 0.3, "2024-09-01"),
        fc(2, 0.6, "2024-06-01", level="3x"),
        fc(3, 0.5, "2024-05-01", researcher="bob"),
    ]
    got = due(rows, questions(question(1)))
    assert got[["researcher", "level"]].values.tolist() == [["bob", None], ["alice", "3x"], ["alice", None]]
    assert due(rows, questions(question(1)), researcher="alice")["researcher"].unique().tolist() == ["alice"]


def test_questions_due_for_resolution_are_open_and_past_their_date() -> None:
    qs = questions(
        question(1, resolve_by="2024-12-01"),
        question(2, resolve_by="2025-02-01"),
        question(3, resolve_by="2024-01-01", outcome="no"),
        question(4, resolve_by=NOW),
        question(5),
    )
    got = due_for_resolution(qs, now=NOW)
    assert got[["question_id", "days_overdue"]].values.tolist() == [[1, 31.0], [4, 0.0]]


def test_standing_estimates_show_the_last_change_by_the_update_rule() -> None:
    rows = [
        fc(1, 0.40, "2024-01-01", recorded_at="2024-01-01"),
        fc(2, 0.45, "2024-11-01", recorded_at="2024-11-01"),
        fc(3, 0.02, "2024-06-01", recorded_at="2024-12-01", reconstructed=True),
        fc(4, 0.7, "2024-05-01", level="3x", level_position=3.0),
        fc(5, 0.9, "2024-05-01", researcher="bob"),
    ]
    got = standing_estimates(frames_of(rows).forecasts, "alice")
    assert got[["forecast_id", "level", "probability"]].values.tolist() == [[2, None, 0.45], [4, "3x", 0.7]]
    assert got["change_points"].iloc[0] == pytest.approx(5.0)  # from 40 %, not from the 2 % reconstruction
    assert pd.isna(got["change_points"].iloc[1])


def test_colleague_updates_are_recent_and_on_shared_questions() -> None:
    rows = [
        fc(1, 0.3, "2024-06-01"),
        fc(2, 0.3, "2024-11-01", researcher="bob", recorded_at="2024-11-01"),
        fc(3, 0.5, "2024-12-20", researcher="bob", recorded_at="2024-12-20"),
        fc(4, 0.9, "2024-12-21", researcher="bob", question_id=2, recorded_at="2024-12-21"),
        fc(5, 0.1, "2024-10-01", researcher="carol", recorded_at="2024-10-01"),
    ]
    got = colleague_updates(frames_of(rows).forecasts, "alice", now=NOW)
    assert got[["forecast_id", "from_probability", "probability"]].values.tolist() == [[3, 0.3, 0.5]]
    assert got["change_points"].tolist() == pytest.approx([20.0])


# --- per-question review intervals, hand-computed (NOW = 2025-01-01) ---------------------------


@pytest.mark.parametrize(
    ("as_of", "every", "expected"),
    [
        ("2024-12-02", 30, []),  # 30 days ago: exactly the interval, not yet due
        ("2024-12-01", 30, [[31.0, 30.0, 1.0]]),  # 31 days ago: one day overdue
        ("2024-09-23", 180, []),  # 100 days: due by the default, not by its own 180 days
        ("2024-06-01", 180, [[214.0, 180.0, 34.0]]),  # 214 days: 34 past 180
        ("2024-12-25", 1, [[7.0, 1.0, 6.0]]),
        ("2024-09-23", None, [[100.0, 90.0, 10.0]]),  # no interval of its own: the default
    ],
)
def test_question_review_interval_decides_when_an_estimate_is_due(
    as_of: str, every: int | None, expected: list[list[float]]
) -> None:
    got = due([fc(1, 0.3, as_of)], questions(question(1, review_every_days=every)))
    assert got[["days_since", "interval_days", "days_overdue"]].values.tolist() == expected


def test_each_question_uses_its_own_interval_in_one_list() -> None:
    rows = [
        fc(1, 0.3, "2024-11-01", question_id=1),  # 61 days, every 30 -> 31 overdue
        fc(2, 0.3, "2024-11-01", question_id=2),  # 61 days, default 90 -> not due
        fc(3, 0.3, "2024-09-01", question_id=3),  # 122 days, every 120 -> 2 overdue
    ]
    qs = questions(question(1, review_every_days=30), question(2), question(3, review_every_days=120))
    got = due(rows, qs)
    assert got[["question_id", "days_overdue"]].values.tolist() == [[1, 31.0], [3, 2.0]]


def test_questions_frame_from_the_database_carries_the_review_interval(engine) -> None:  # type: ignore[no-untyped-def]
    from models import actions
    from models.forms import question_input
    from models.store.reads import questions_frame

    actions.add_question(engine, question_input("Every month", review_every_days="30"))
    actions.add_question(engine, question_input("Default"))
    q = questions_frame(engine).set_index("question")["review_every_days"]
    assert q["Every month"] == 30 and pd.isna(q["Default"])
