"""Linked beliefs in storage and on the command line: conditions, partitions, ``credence explain``.

Every test runs on both backends (``db_url``: SQLite, then PostgreSQL).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import actions
from models.store.db import open_engine
from models.store.reads import load_frames
from tests.factories import cli

A = "Scheming arises before full automation"
B = "Neuralese before full automation"
HEADER = (
    "researcher,question,probability,as_of,capability,rationale,evidence,reconstructed,given,given_outcome"
)
ROWS = (
    f"ada,{B},0.40,2024-06-01,,,,true,,",
    f"ada,{A},0.20,2024-06-01,,,,true,{B},yes",
    f"ada,{A},0.00,2024-06-01,,,,false,{B},no",
    f"ada,{A},0.08,2024-06-01,,,,false,,",
    f"ada,{B},0.25,2026-03-01,,,,false,,",
    f"ada,{A},0.16,2026-03-01,,,,false,{B},",
    f"ada,{A},0.15,2026-03-01,,,,false,,",
)


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def linked(db_url: str, tmp_path: Path) -> str:
    """``db_url`` holding ada's decomposition of A over B (2024-06-01 and 2026-03-01)."""
    result = cli(db_url, "import", "forecasts", str(write(tmp_path, "f.csv", HEADER, *ROWS)))
    assert result.exit_code == 0, result.output
    return db_url


def test_conditional_forecasts_are_kept_apart_from_direct_ones(linked):
    frames = load_frames(open_engine(linked))
    assert len(frames.forecasts) == 4 and frames.forecasts["given"].isna().all()
    assert frames.conditionals[["given", "given_outcome"]].values.tolist() == [
        [B, "yes"],
        [B, "no"],
        [B, "yes"],
    ]


def test_given_and_given_outcome_survive_export_import_export(linked, tmp_path):
    first = tmp_path / "first.csv"
    assert cli(linked, "export", "csv", str(first)).exit_code == 0
    text = first.read_text()
    assert text.splitlines()[0].endswith(",given,given_outcome")
    assert f",{B},no\n" in text
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli(empty, "import", "forecasts", str(first))
    assert result.exit_code == 0, result.output
    second = tmp_path / "second.csv"
    assert cli(empty, "export", "csv", str(second)).exit_code == 0
    assert second.read_text() == text


def test_same_file_twice_is_already_present_condition_included(linked, tmp_path):
    result = cli(linked, "import", "forecasts", str(write(tmp_path, "f.csv", HEADER, *ROWS)))
    assert result.stdout.splitlines()[-1] == "already present: 7 forecasts"


def test_given_question_created_by_the_same_file(db_url, tmp_path):
    path = write(tmp_path, "f.csv", HEADER, f"ada,{A},0.2,2024-06-01,,,,,{B},no")
    result = cli(db_url, "import", "forecasts", str(path))
    assert result.exit_code == 0, result.output
    assert "2 questions" in result.stdout


def test_condition_on_the_question_itself_is_refused(db_url, tmp_path):
    path = write(
        tmp_path, "f.csv", HEADER, f"ada,{A},0.2,2024-06-01,,,,,{A},yes", f"ada,{A},0.2,2024-06-01,,,,,,maybe"
    )
    result = cli(db_url, "import", "forecasts", str(path))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].endswith(
        "f.csv: line 2: given is the forecast's own question; a condition must be on another question"
    )
    assert lines[1] == "line 3: given outcome 'maybe' is not an outcome of the condition: use yes or no"


def test_add_given_stores_a_conditional_forecast(linked):
    result = cli(
        linked, "add", "ada", A, "12%", "--as-of", "2026-04-01", "--given", B, "--given-outcome", "no"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Saved ada's forecast on \u201c{A}\u201d (given \u201c{B}\u201d = no): 0% \u2192 12%"
    )
    frames = load_frames(open_engine(linked))
    assert frames.conditionals["given_outcome"].tolist()[-1] == "no"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--given", "Nope"), "Error: given 'Nope' does not exist\n"),
        (
            ("--given", A),
            "Error: given is the forecast's own question; a condition must be on another question\n",
        ),
        (("--given-outcome", "no"), "Error: given outcome needs a question it is given on (given)\n"),
    ],
)
def test_add_given_refusals(linked, args, message):
    result = cli(linked, "add", "ada", A, "12%", "--as-of", "2026-04-01", *args)
    assert result.exit_code == 1
    assert result.stderr == message


def test_explain_json_contract(linked):
    result = cli(linked, "explain", A, "--researcher", "ada", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == ["question", "researcher", "given", "level", "from", "to", "change", "parts"]
    assert (out["question"], out["researcher"], out["given"], out["level"]) == (A, "ada", B, None)
    assert out["from"]["date"] == "2024-06-01" and out["to"]["date"] == "2026-03-01"
    assert out["from"]["implied"] == pytest.approx(0.08) and out["to"]["implied"] == pytest.approx(0.04)
    assert (out["from"]["direct"], out["from"]["consistent"]) == (0.08, True)
    assert (out["to"]["direct"], out["to"]["consistent"]) == (0.15, False)
    assert out["from"]["factors"] == [
        {"factor": f"P({B})", "value": 0.4, "reconstructed": True},
        {"factor": f"P({A} | {B} = yes)", "value": 0.2, "reconstructed": True},
        {"factor": f"P({A} | {B} = no)", "value": 0.0, "reconstructed": False},
    ]
    assert [p["factor"] for p in out["parts"]] == [f"P({B})", f"P({A} | {B} = yes)", f"P({A} | {B} = no)"]
    assert [p["change"] for p in out["parts"]] == pytest.approx([-0.027, -0.013, 0.0], abs=1e-12)
    assert out["change"] == sum(p["change"] for p in out["parts"])


def test_explain_threshold_and_dates(linked):
    out = json.loads(
        cli(
            linked, "explain", A, "--researcher", "ada", "--threshold", "12", "--from", "2025-01-01", "--json"
        ).stdout
    )
    assert out["from"]["date"] == "2025-01-01" and out["to"]["consistent"] is True


def test_explain_without_json_prints_the_sentence_and_a_table(linked):
    result = cli(linked, "explain", A, "--researcher", "ada")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"P({A}) fell from 8.0% to 4.0% between 2024-06-01 and 2026-03-01: "
        f"\u22122.7 points from P({B}), \u22121.3 points from P({A} | {B} = yes)"
    )
    assert "INCONSISTENT" in lines[3]
    assert any(line.startswith(f"P({B})") and line.endswith("2024-06-01") for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Nope", "--researcher", "ada"), "Error: no question titled 'Nope'\n"),
        ((A, "--researcher", "ada", "--from", "2024-01-01"),
         f"Error: ada has no estimate of P({B}) on or before 2024-01-01, so the implied estimate is unavailable\n"),
        ((A, "--researcher", "ada", "--from", "someday"),
         "Error: --from 'someday' is not a date: write 2025-03-04, or a time like 2025-03-04T10:00:00Z\n"),
    ],
)  # fmt: skip
def test_explain_errors_exit_1_without_traceback(linked, args, message):
    result = cli(linked, "explain", *args, "--json")
    assert result.exit_code == 1
    assert result.stderr == message


THREE = ("via neuralese", "via chain of thought", "not at all")


@pytest.fixture
def partitioned(db_url: str, tmp_path: Path) -> str:
    rows = [f"ada,{m},{p},2025-06-01,,,,,," for m, p in zip(THREE, ("0.5", "0.4", "0.2"), strict=True)]
    rows += [
        f"ada,Harm,{a},2025-06-01,,,,,{m},yes" for m, a in zip(THREE, ("0.1", "0.4", "0.0"), strict=True)
    ]
    assert cli(db_url, "import", "forecasts", str(write(tmp_path, "f.csv", HEADER, *rows))).exit_code == 0
    members = [f"route,{m},ada" for m in THREE]
    result = cli(
        db_url,
        "import",
        "partitions",
        str(write(tmp_path, "p.csv", "partition,question,researcher", *members)),
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "created: 1 partition\n"
    return db_url


def test_partition_not_adding_up_is_an_error(partitioned):
    result = cli(partitioned, "explain", "Harm", "--researcher", "ada", "--given", "route", "--json")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: P(via neuralese) + P(via chain of thought) + P(not at all) = 110% on 2025-06-01; "
        "a partition must add up to 100%\n"
    )


def test_partitions_are_in_the_backup_and_restored(partitioned, tmp_path):
    backup = tmp_path / "backup.json"
    assert cli(partitioned, "backup", str(backup)).exit_code == 0
    tables = json.loads(backup.read_text())["tables"]
    assert [r["name"] for r in tables["question_partition"]] == ["route"]
    assert len(tables["partition_member"]) == 3
    empty = f"sqlite:///{tmp_path / 'restored.db'}"
    assert cli(empty, "restore", str(backup)).exit_code == 0
    assert load_frames(open_engine(empty)).partitions["question"].tolist() == list(THREE)


def test_partition_declared_again_with_other_members_keeps_a_revision(partitioned, tmp_path):
    path = write(tmp_path, "p2.csv", "partition,question", "route,via neuralese", "route,not at all")
    assert cli(partitioned, "import", "partitions", str(path)).stdout == "updated: 1 partition\n"
    frames = load_frames(open_engine(partitioned))
    assert frames.partitions["question"].tolist() == ["via neuralese", "not at all"]
    assert frames.partitions["researcher"].tolist() == ["ada", "ada"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ("route,via neuralese,ada",),
            "line 2: partition 'route' has one member; a partition needs at least two",
        ),
        (("r,a,ada", "r,b,ada", "r,a,ada"), "line 4: question 'a' is already a member of partition 'r'"),
        (("new,a", "new,b"), "partition 'new' needs the researcher who declares it"),
    ],
)
def test_bad_partitions_are_refused_whole(db_url, tmp_path, lines, message):
    result = cli(
        db_url, "import", "partitions", str(write(tmp_path, "p.csv", "partition,question,researcher", *lines))
    )
    assert result.exit_code == 1
    assert message in result.stderr
    assert load_frames(open_engine(db_url)).partitions.empty


def test_demo_data_has_a_drifting_researcher(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    eng = open_engine(url)
    actions.load_demo(eng)
    out = json.loads(
        cli(url, "explain", "Scheming arises before full automation of AI R&D", "--researcher", "nightjar",
            "--to", "2025-10-01", "--json").stdout
    )  # fmt: skip
    assert out["to"]["consistent"] is False
