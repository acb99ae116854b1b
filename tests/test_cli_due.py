"""`credence due`: the review list for a cron job or a shell prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import cli, copy_of, forecasts_csv

#: One estimate long ago (due), one today-ish (not due), by two researchers.
ROWS = (
    "teal_heron,Schemers at 3x,0.04,2024-06-15,,,,false",
    "orrery,Schemers at 3x,0.02,2024-06-01,3x AI R&D,,,false",
)


def _stocked(sqlite_url: str, tmp_path: Path) -> str:
    file = tmp_path / "f.csv"
    file.write_bytes(forecasts_csv(*ROWS))
    copy_of(sqlite_url, "empty")  # a migrated file: creating one is not what these tests are about
    assert cli(sqlite_url, "import", "forecasts", str(file)).exit_code == 0
    return sqlite_url


def test_due_lists_estimates_not_revisited_within_the_interval(sqlite_url: str, tmp_path: Path) -> None:
    url = _stocked(sqlite_url, tmp_path)
    result = cli(url, "due")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "2 estimates due for review:"
    assert lines[2].startswith("teal_heron · Schemers at 3x: 4% as of 2024-06-15, ")
    assert lines[1].startswith("orrery · Schemers at 3x (3x AI R&D): 2% as of 2024-06-01, ")
    assert lines[1].endswith("(review every 90 days)")


def test_due_for_one_researcher(sqlite_url: str, tmp_path: Path) -> None:
    url = _stocked(sqlite_url, tmp_path)
    result = cli(url, "due", "--researcher", "orrery")
    assert result.stdout.splitlines()[0] == "1 estimate due for review:"
    assert all(line.startswith("orrery") for line in result.stdout.splitlines()[1:])


def test_due_count_prints_only_the_number(sqlite_url: str, tmp_path: Path) -> None:
    assert cli(_stocked(sqlite_url, tmp_path), "due", "--count").stdout == "2\n"


def test_reaffirmed_estimate_is_no_longer_due(sqlite_url: str, tmp_path: Path) -> None:
    url = _stocked(sqlite_url, tmp_path)
    assert cli(url, "add", "teal_heron", "Schemers at 3x", "4%").exit_code == 0
    assert cli(url, "due", "--researcher", "teal_heron").stdout == "Nothing is due for review.\n"


def test_due_for_an_unknown_researcher_is_an_error(sqlite_url: str, tmp_path: Path) -> None:
    result = cli(_stocked(sqlite_url, tmp_path), "due", "--researcher", "nobody")
    assert result.exit_code == 1
    assert result.stderr == "Error: researcher nobody has no forecasts\n"


def test_due_uses_the_questions_own_review_interval(sqlite_url: str, tmp_path: Path) -> None:
    url = _stocked(sqlite_url, tmp_path)
    # Ten years: neither estimate (from mid-2024) is due any more.
    result = cli(url, "question", "review-every", "Schemers at 3x", "3650")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Estimates of “Schemers at 3x” are now due for review every 3650 days.\n"
    assert cli(url, "due").stdout == "Nothing is due for review.\n"
    assert cli(url, "question", "review-every", "Schemers at 3x", "default").exit_code == 0
    assert cli(url, "due", "--count").stdout == "2\n"


def test_question_add_with_a_review_interval_is_listed_with_it(sqlite_url: str, tmp_path: Path) -> None:
    result = cli(sqlite_url, "question", "add", "Monthly check", "--review-every", "30")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Added “Monthly check” (review every 30 days).\n"
    file = tmp_path / "f.csv"
    file.write_bytes(forecasts_csv("teal_heron,Monthly check,0.1,2024-01-01,,,,false"))
    assert cli(sqlite_url, "import", "forecasts", str(file)).exit_code == 0
    assert cli(sqlite_url, "due").stdout.splitlines()[1].endswith("(review every 30 days)")


@pytest.mark.parametrize("days", ["0", "-3", "2.5", "soon", "4000"])
def test_a_review_interval_that_is_not_a_whole_number_of_days_is_refused(sqlite_url: str, days: str) -> None:
    result = cli(sqlite_url, "question", "add", "Q", "--review-every", days)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: review every ")
    assert "is not a number of days: use a whole number of days from 1 to 3650" in result.stderr
