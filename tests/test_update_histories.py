"""A reconstruction entered later never rewrites the updates around it: the update table, the
trajectory, the Markdown report and the question's current estimates agree (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.analysis.questions import current_estimates
from models.analysis.trajectory import trajectory
from models.analysis.updates import updates
from models.store.db import open_engine
from models.store.reads import load_frames
from tests.factories import cli, copy_of, good_csv

QUESTION = "Eval published by 2025"  # orrery's: 70 % as of 2024-01-10 in good_csv


@pytest.fixture
def recorded(sqlite_url: str, tmp_path: Path) -> str:
    """orrery: 70 % (2024-01), "Unchanged." 70 % (2025-01), then a reconstruction: "2 % in 2024-06"."""
    file = tmp_path / "good.csv"
    file.write_bytes(good_csv())
    copy_of(sqlite_url, "empty")  # a migrated file: the commands below are the subject, not creating one
    assert cli(sqlite_url, "import", "forecasts", str(file)).exit_code == 0
    assert (
        cli(
            sqlite_url, "add", "orrery", QUESTION, "70%", "--as-of", "2025-01-01", "-m", "Unchanged."
        ).exit_code
        == 0
    )
    added = cli(sqlite_url, "add", "orrery", QUESTION, "2%", "--as-of", "2024-06-01", "--reconstructed")
    assert added.exit_code == 0, added.output
    return sqlite_url


def _question_id(url: str) -> int:
    engine = open_engine(url)
    frames = load_frames(engine)
    engine.dispose()
    q = frames.questions
    return int(q.loc[q["question"] == QUESTION, "question_id"].iloc[0])


def test_update_table_keeps_the_unchanged_record_unchanged(recorded: str) -> None:
    engine = open_engine(recorded)
    u = updates(load_frames(engine), [_question_id(recorded)]).sort_values("as_of")
    engine.dispose()
    assert u["from_probability"].round(4).fillna(-1).tolist() == [-1, 0.70, 0.70]  # 2024-01, 2024-06, 2025-01
    assert u["change_points"].round(4).fillna(0).tolist() == [0, -68.0, 0.0]
    assert u["reconstructed"].tolist() == [False, True, False]


def test_trajectory_line_of_the_records_runs_past_the_reconstruction(recorded: str) -> None:
    engine = open_engine(recorded)
    t = trajectory(load_frames(engine), _question_id(recorded)).sort_values("as_of")
    engine.dispose()
    first, recon, last = (t.iloc[i] for i in range(3))
    assert first["segment_to"] == last["forecast_id"]
    assert recon["segment_to"] == last["forecast_id"]


def test_current_estimate_shows_no_change_from_the_record(recorded: str) -> None:
    engine = open_engine(recorded)
    est = current_estimates(load_frames(engine), _question_id(recorded))
    engine.dispose()
    row = est[est["researcher"] == "orrery"].iloc[0]
    assert (row["previous_probability"], row["change_points"]) == (pytest.approx(0.70), pytest.approx(0.0))


def test_markdown_report_shows_the_record_as_unchanged(recorded: str, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    assert cli(recorded, "export", "markdown", str(out), "--question", QUESTION).exit_code == 0
    rows = [line for line in out.read_text().splitlines() if "Unchanged." in line]
    assert len(rows) == 1
    assert "70% → 70%" in rows[0]


def test_markdown_report_shows_the_hindsight_gap(recorded: str, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    assert cli(recorded, "export", "markdown", str(out), "--question", QUESTION).exit_code == 0
    text = out.read_text()
    assert "**Hindsight**" in text
    assert "- orrery: reconstructed 2% for 2024-06-01; on record then: 70% (\u221268 points)" in text
