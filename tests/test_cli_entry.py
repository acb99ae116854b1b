"""`credence add` and `credence resolve`: one forecast or resolution from the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from models.store.backup import backup
from tests.factories import cli


def _exported(db_url: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(cli(db_url, "export", "csv", "-").stdout)))


def test_add_logs_a_forecast_and_says_how_it_moved_the_last_estimate(db_url, stocked):
    result = cli(db_url, "add", "teal_heron", "Schemers at 3x", "7%", "--at", "3x AI R&D", "-m", "new eval")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Saved teal_heron's forecast on “Schemers at 3x” (3x AI R&D): 3% → 7%, +4 points"
    )
    row = _exported(db_url)[-1]
    assert (row["researcher"], row["probability"], row["capability"], row["rationale"]) == (
        "teal_heron",
        "0.07",
        "3x AI R&D",
        "new eval",
    )


def test_add_reads_odds_a_date_evidence_and_the_reconstructed_flag(db_url, stocked):
    result = cli(
        db_url, "add", "orrery", "Eval published by 2025", "1:3", "--as-of", "2024-03-01",
        "--evidence", "Audit [raised]", "--evidence", "Talk", "--reconstructed",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = _exported(db_url)[-1]
    assert (row["probability"], row["as_of"], row["evidence"], row["reconstructed"]) == (
        "0.25",
        "2024-03-01",
        "Audit [raised];Talk",
        "true",
    )


def test_add_refuses_bad_input_naming_each_field_and_writes_nothing(db_url, stocked):
    before = backup(stocked)
    result = cli(db_url, "add", "teal_heron", "Schemers at 3x", "140%", "--as-of", "2199-01-01")
    assert result.exit_code == 1
    assert "probability 140% is above 100%" in result.stderr
    assert "as of 2199-01-01 is in the future" in result.stderr
    assert "Traceback" not in result.output
    assert backup(stocked) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "Schemers at 3x", "5%"], "researcher 'nobody' does not exist"),
        (["teal_heron", "No such question", "5%"], "question 'No such question' does not exist"),
        (["teal_heron", "Schemers at 3x", "5%", "--at", "99x"], "capability '99x' does not exist"),
        (["teal_heron", "Schemers at 3x", "1:x"], "probability '1:x' is not odds"),
    ],
)
def test_add_refuses_what_does_not_exist_and_writes_nothing(db_url, stocked, args, message):
    before = backup(stocked)
    result = cli(db_url, "add", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert backup(stocked) == before


def test_resolve_records_the_outcome_and_scores_follow(db_url, stocked):
    result = cli(
        db_url, "resolve", "Eval published by 2025", "yes", "--when", "2025-01-01", "-m", "published"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "Resolved “Eval published by 2025” as yes on 2025-01-01.\n"
    scores = json.loads(cli(db_url, "scores", "--json").stdout)
    assert [(r["researcher"], r["brier"]) for r in scores["researchers"]] == [("orrery", pytest.approx(0.09))]


def test_resolve_names_the_level_reached(db_url, stocked):
    result = cli(db_url, "resolve", "Schemers at 3x", "no", "--when", "2025-06-01", "--at", "3x AI R&D")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("at capability level 3x AI R&D.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Schemers at 3x", "maybe"], "outcome"),
        (["Schemers at 3x", "yes", "--when", "2199-01-01"], "resolved at 2199-01-01 is in the future"),
        (["No such question", "yes"], "question 'No such question' does not exist"),
    ],
)
def test_resolve_refuses_bad_input_and_writes_nothing(db_url, stocked, args, message):
    before = backup(stocked)
    result = cli(db_url, "resolve", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert backup(stocked) == before
