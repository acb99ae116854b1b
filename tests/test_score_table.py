"""One score table: the Calibration page, ``credence scores`` and the Markdown report agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.analysis.score_table import COLUMNS, POOLED, score_table
from models.analysis.scoring import score_report, select_scored
from models.store.db import open_engine
from models.store.reads import load_frames, scoring_frames
from models.writeup.filters import make_filter
from models.writeup.report import calibration_summary
from tests.factories import cli, demo_database, empty_database


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("score_table"))


def test_score_table_has_every_researcher_then_the_pooled_row(demo_url: str) -> None:
    engine = open_engine(demo_url)
    table = score_table(select_scored(scoring_frames(engine)))
    report = score_report(scoring_frames(engine))
    assert list(table.columns) == [name for name, _, _ in COLUMNS]
    assert table["researcher"].tolist() == [r["researcher"] for r in report["researchers"]] + [POOLED]
    assert table["brier"].iloc[-1] == pytest.approx(report["overall"]["brier"])


def test_cli_table_and_report_name_the_pooled_row_alike(demo_url: str, tmp_path: Path) -> None:
    printed = cli(demo_url, "scores")
    assert printed.exit_code == 0
    assert any(line.startswith(POOLED) for line in printed.stdout.splitlines())
    summary = calibration_summary(load_frames(open_engine(demo_url)), make_filter())
    assert summary["researcher"].iloc[-1] == POOLED


def test_an_empty_selection_gives_an_empty_table_with_the_columns(tmp_path: Path) -> None:
    engine = open_engine(empty_database(tmp_path, "empty.db"))
    table = score_table(select_scored(scoring_frames(engine)))
    assert table.empty and list(table.columns) == [name for name, _, _ in COLUMNS]
