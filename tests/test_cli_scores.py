"""`credence scores`: the JSON contract and the readable table, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.actions import import_file, load_demo
from models.analysis.scoring import score_report
from models.cli import app
from models.store.db import open_engine
from models.store.reads import load_frames, questions_frame
from tests.factories import forecasts_csv

runner = CliRunner()


@pytest.fixture
def demo_url(db_url):
    load_demo(open_engine(db_url))
    return db_url


def test_scores_json_on_an_empty_database_is_the_empty_contract(db_url):
    result = runner.invoke(app, ["--db", db_url, "scores", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"researchers": [], "overall": None}


@pytest.mark.parametrize("include_reconstructed", [False, True])
def test_scores_json_equals_the_report_computed_from_every_forecast(demo_url, include_reconstructed):
    """The CLI reads only what scoring needs; the result is the same as scoring everything."""
    args = ["--db", demo_url, "scores", "--json"] + (
        ["--include-reconstructed"] if include_reconstructed else []
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = score_report(load_frames(open_engine(demo_url)), include_reconstructed=include_reconstructed)
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))


def test_scores_json_has_the_documented_keys(demo_url):
    report = json.loads(runner.invoke(app, ["--db", demo_url, "scores", "--json"]).stdout)
    keys = {
        "n_targets",
        "n_forecasts",
        "brier",
        "log_score",
        "brier_all",
        "brier_time_averaged",
        "calibration",
    }
    assert report["researchers"] and all(set(r) == keys | {"researcher"} for r in report["researchers"])
    assert set(report["overall"]) == keys
    assert set(report["overall"]["calibration"][0]) == {"bucket", "n", "mean_forecast", "observed"}


def test_reconstructed_estimates_are_left_out_unless_asked(demo_url):
    resolved = questions_frame(open_engine(demo_url)).query("outcome == 'yes'").iloc[0]
    before = resolved["resolved_at"] - pd.Timedelta(days=30)
    row = f'teal_heron,"{resolved["question"]}",0.9,{before.date()},,my view back then,,true'
    import_file(open_engine(demo_url), forecasts_csv(row), "forecasts")
    without = json.loads(runner.invoke(app, ["--db", demo_url, "scores", "--json"]).stdout)
    with_ = json.loads(
        runner.invoke(app, ["--db", demo_url, "scores", "--json", "--include-reconstructed"]).stdout
    )
    assert with_["overall"]["n_forecasts"] > without["overall"]["n_forecasts"]


def test_scores_without_json_prints_a_table_that_says_which_brier(demo_url):
    result = runner.invoke(app, ["--db", demo_url, "scores"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["researcher", "targets", "forecasts"]
    assert any(line.startswith("all researchers") for line in lines)
    assert "one-sided: 0 is best, 1 worst" in result.stdout
