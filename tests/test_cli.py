"""The credence CLI: exit codes, what it prints, and what lands in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.cli import app
from models.store.db import open_engine
from models.store.reads import forecasts_frame, questions_frame
from tests.factories import cli, forecasts_csv, good_csv

runner = CliRunner()


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "forecasts.csv"
    path.write_bytes(good_csv())
    return path


def test_import_forecasts_reports_what_it_created(db_url, good_file):
    result = cli(db_url, "import", "forecasts", str(good_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "created: 2 researchers, 1 capability level, 2 evidence items, 2 questions, 4 forecasts"
    ]
    assert len(forecasts_frame(open_engine(db_url))) == 4


def test_import_twice_says_already_present(db_url, good_file):
    cli(db_url, "import", "forecasts", str(good_file))
    result = cli(db_url, "import", "forecasts", str(good_file))
    assert result.stdout.splitlines() == ["already present: 4 forecasts"]


def test_bad_file_exits_nonzero_with_line_message_and_no_traceback(db_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(forecasts_csv("a,Q,0.5,2024-01-01", "a,Q,140%,2024-01-01"))
    result = cli(db_url, "import", "forecasts", str(bad))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {bad}: line 3: probability 140% is above 100%\nNothing was written.\n"
    assert "Traceback" not in result.output
    assert len(forecasts_frame(open_engine(db_url))) == 0


def test_missing_file_is_a_message(sqlite_url):
    result = cli(sqlite_url, "import", "forecasts", "/nonexistent.csv")
    assert result.exit_code == 1
    assert result.stderr == "Error: /nonexistent.csv: no such file\n"


def test_unopenable_database_is_a_message(tmp_path):
    result = runner.invoke(app, ["--db", "nonsense://x", "migrate"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot open the database")


def test_questions_and_resolutions_commands(sqlite_url, good_file, tmp_path):
    cli(sqlite_url, "import", "forecasts", str(good_file))
    q = tmp_path / "q.csv"
    q.write_text(
        "question,criteria,tags,resolve_by\nEval published by 2025,Any lab publishes,evals,2025-12-31\n"
    )
    r = tmp_path / "r.csv"
    r.write_text("question,outcome,resolved_at,capability,note\nEval published by 2025,no,2025-12-31,,\n")
    assert cli(sqlite_url, "import", "questions", str(q)).stdout == "updated: 1 question\n"
    assert cli(sqlite_url, "import", "resolutions", str(r)).stdout == "created: 1 resolution\n"
    assert (
        questions_frame(open_engine(sqlite_url))
        .set_index("question")
        .loc["Eval published by 2025", "outcome"]
        == "no"
    )


def test_export_csv_writes_the_file_and_says_where(db_url, good_file, tmp_path):
    cli(db_url, "import", "forecasts", str(good_file))
    out = tmp_path / "out.csv"
    result = cli(db_url, "export", "csv", str(out))
    assert result.stdout == f"wrote 4 forecasts to {out}\n"
    assert (
        out.read_text().splitlines()[0]
        == "id,researcher,question,probability,as_of,capability,rationale,evidence,reconstructed,recorded_at,given,given_outcome"
    )


def test_backup_then_restore_into_empty_database(db_url, good_file, tmp_path):
    cli(db_url, "import", "forecasts", str(good_file))
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert cli(db_url, "backup", str(first)).exit_code == 0
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert cli(empty, "restore", str(first)).exit_code == 0
    cli(empty, "backup", str(second))
    assert first.read_bytes() == second.read_bytes()
    refused = cli(empty, "restore", str(first))
    assert refused.exit_code == 1 and "pass --replace" in refused.stderr
    assert cli(empty, "restore", "--replace", str(first)).exit_code == 0


def test_demo_loads_once_and_if_empty_skips_a_database_with_data(sqlite_url):
    first = cli(sqlite_url, "demo", "--if-empty")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("created: ")
    assert cli(sqlite_url, "demo", "--if-empty").stdout == "the database already has data; demo not loaded\n"
    assert "already present" in cli(sqlite_url, "demo").stdout


@pytest.mark.slow
def test_installed_entry_point_uses_the_environment_database(tmp_path, good_file):
    exe = Path(sys.executable).with_name("credence")
    env = {**os.environ, "CREDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"}
    done = subprocess.run(
        [str(exe), "import", "forecasts", str(good_file)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env.db").exists()
    listing = subprocess.run(
        [str(exe), "export", "csv", "-"], env=env, capture_output=True, text=True, check=True
    )
    assert len(listing.stdout.splitlines()) == 5
    assert json.dumps(listing.stdout)  # plain text, no progress bar noise when not a terminal


@pytest.mark.slow
def test_installed_entry_point_exits_1_with_the_message_on_bad_input(tmp_path):
    exe = Path(sys.executable).with_name("credence")
    bad = tmp_path / "bad.csv"
    bad.write_text("researcher,question,probability,as_of\nteal_heron,Q,140%,2024-01-01\n")
    done = subprocess.run(
        [str(exe), "--db", f"sqlite:///{tmp_path / 'x.db'}", "import", "forecasts", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "line 2" in done.stderr and "140%" in done.stderr and "Traceback" not in done.stderr
