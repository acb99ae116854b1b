"""Every way a ``credence`` command can fail ends in one ``Error: …`` line and exit 1, never a traceback.

In-process through typer's CliRunner (an exception escaping a command would show up as
``result.exception``), and as a real process for what needs one: a user who is not root
(file modes do not bind root, and tests run as root in CI) and a read-only database or
directory.  Storage cases run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from models.store.db import open_engine
from models.store.reads import forecasts_frame
from tests.factories import cli, forecasts_csv, good_csv

ROOT = Path(__file__).resolve().parent.parent
CREDENCE = str(Path(sys.executable).parent / "credence")
EARLY = "0001-01-01T00:00:00+01:00"  # UTC falls before year 1
LATE = "9999-12-31T23:59:59-01:00"  # UTC falls after year 9999


def assert_one_error(result: Result, *wanted: str) -> str:
    """Exit 1, exactly one line starting ``Error:`` (containing each of ``wanted``), no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    out = result.stdout + result.stderr
    assert "Traceback" not in out
    errors = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, out
    for text in wanted:
        assert text in errors[0], errors[0]
    return errors[0]


def assert_process_error(proc: subprocess.CompletedProcess[str], *wanted: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    errors = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, out
    for text in wanted:
        assert text in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def stocked_url(db_url: str, tmp_path: Path) -> str:
    """``db_url`` holding the small forecasts file (researchers, questions, a level, evidence)."""
    path = tmp_path / "good.csv"
    path.write_bytes(good_csv())
    assert cli(db_url, "import", "forecasts", str(path)).exit_code == 0
    return db_url


def _names(url: str) -> tuple[str, str]:
    frame = forecasts_frame(open_engine(url))
    return str(frame["researcher"].iloc[0]), str(frame["question"].iloc[0])


# --- the database: not one, not supported, not there --------------------------------------------


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list: eggs, milk\n" * 200)
    assert_one_error(cli(f"sqlite:///{path}", "scores"), "cannot open the database")
    assert path.read_text().startswith("shopping list")  # nothing written into it


def test_an_empty_file_that_is_not_sqlite_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "binary.db"
    path.write_bytes(os.urandom(4096))
    assert_one_error(cli(f"sqlite:///{path}", "add", "a", "b", "5%"), "cannot open the database")


@pytest.mark.parametrize(
    "url",
    ["mysql://user@localhost/credence", "mysql+pymysql://u@h/db", "oracle://x", "nonsense", "://"],
)
def test_an_unsupported_database_url(url: str) -> None:
    assert_one_error(cli(url, "scores"), "cannot open the database")


def test_a_database_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'credence.db'}"
    assert_one_error(cli(url, "scores"), "cannot open the database")
    assert not (tmp_path / "no").exists()


def test_a_database_path_that_is_a_directory(tmp_path: Path) -> None:
    assert_one_error(cli(f"sqlite:///{tmp_path}", "scores"), "cannot open the database")


# --- writing to a directory ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("export", "csv"),
        ("export", "ratios"),
        ("export", "evidence"),
        ("export", "markdown"),
        ("backup",),
    ],
)
def test_export_or_backup_to_a_directory(sqlite_url: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    target = tmp_path / "out"
    target.mkdir()
    assert_one_error(cli(sqlite_url, *args, str(target)), str(target))


def test_export_into_a_missing_directory(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.csv"
    assert_one_error(cli(sqlite_url, "export", "csv", str(target)), str(target))


def test_restore_from_a_directory(sqlite_url: str, tmp_path: Path) -> None:
    assert_one_error(cli(sqlite_url, "restore", str(tmp_path)), "is a directory")


# --- dates near the ends of Python's range, with offsets ------------------------------------------


@pytest.mark.parametrize("when", [EARLY, LATE, "0001-01-01", "9999-12-31", "1600-01-01", "2999-01-01"])
def test_add_with_a_date_out_of_range(stocked_url: str, when: str) -> None:
    researcher, question = _names(stocked_url)
    before = len(forecasts_frame(open_engine(stocked_url)))
    assert_one_error(cli(stocked_url, "add", researcher, question, "5%", "--as-of", when), "as of")
    assert len(forecasts_frame(open_engine(stocked_url))) == before


@pytest.mark.parametrize("when", [EARLY, LATE, "0001-01-01", "9999-12-31"])
def test_resolve_with_a_date_out_of_range(stocked_url: str, when: str) -> None:
    _, question = _names(stocked_url)
    assert_one_error(cli(stocked_url, "resolve", question, "yes", "--when", when), "resolved at")


@pytest.mark.parametrize("when", [EARLY, LATE, "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_import_with_a_date_out_of_range(db_url: str, tmp_path: Path, when: str) -> None:
    path = tmp_path / "dates.csv"
    path.write_bytes(forecasts_csv(f"owl,Will it hold?,0.5,{when}"))
    assert_one_error(cli(db_url, "import", "forecasts", str(path)), "line 2", "as of")
    assert forecasts_frame(open_engine(db_url)).empty


@pytest.mark.parametrize("when", [EARLY, LATE])
def test_question_and_evidence_dates_out_of_range(db_url: str, tmp_path: Path, when: str) -> None:
    questions = tmp_path / "questions.csv"
    questions.write_text(f"question,resolve_by\nWill it hold?,{when}\n")
    assert_one_error(cli(db_url, "import", "questions", str(questions)), "line 2", "resolve by")
    evidence = tmp_path / "evidence.csv"
    evidence.write_text(f"title,date\nA paper,{when}\n")
    assert_one_error(cli(db_url, "import", "evidence", str(evidence)), "line 2", "date")


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_explain_dates_out_of_range(stocked_url: str, option: str) -> None:
    researcher, question = _names(stocked_url)
    result = cli(stocked_url, "explain", question, "--researcher", researcher, option, EARLY)
    assert_one_error(result)


# --- ids that overflow or collide ------------------------------------------------------------------


@pytest.mark.parametrize("big", ["99999999999999999999", "2147483648", "-1", "0", "1e30", "nan"])
def test_an_id_that_overflows(db_url: str, tmp_path: Path, big: str) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(f"id,researcher,question,probability,as_of\n{big},owl,Will it hold?,0.5,2024-01-01\n")
    assert_one_error(cli(db_url, "import", "forecasts", str(path)), "line 2", "id")
    assert forecasts_frame(open_engine(db_url)).empty


def test_ids_that_collide_within_a_file(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "id,researcher,question,probability,as_of\n"
        "7,owl,Will it hold?,0.5,2024-01-01\n"
        "7,owl,Will it hold?,0.6,2024-02-01\n"
    )
    assert_one_error(cli(db_url, "import", "forecasts", str(path)), "line 3")
    assert forecasts_frame(open_engine(db_url)).empty


def test_an_id_that_collides_with_a_stored_forecast(stocked_url: str, tmp_path: Path) -> None:
    stored = forecasts_frame(open_engine(stocked_url))
    taken = int(stored["forecast_id"].iloc[0])
    path = tmp_path / "ids.csv"
    path.write_text(f"id,researcher,question,probability,as_of\n{taken},owl,Something else?,0.5,2024-01-01\n")
    assert_one_error(cli(stocked_url, "import", "forecasts", str(path)), "line 2")
    assert len(forecasts_frame(open_engine(stocked_url))) == len(stored)


# --- NUL characters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["researcher", "question", "rationale", "evidence", "capability"])
def test_nul_in_an_imported_file(db_url: str, tmp_path: Path, field: str) -> None:
    values = {"researcher": "owl", "question": "Will it hold?", "rationale": "why", "evidence": "E",
              "capability": "L"}  # fmt: skip
    values[field] = values[field][:1] + "\x00" + values[field][1:]
    path = tmp_path / "nul.csv"
    path.write_text(
        ",".join(values) + ",probability,as_of\n" + ",".join(values.values()) + ",0.5,2024-01-01\n"
    )
    assert_one_error(cli(db_url, "import", "forecasts", str(path)), "NUL")
    assert forecasts_frame(open_engine(db_url)).empty


@pytest.mark.parametrize("where", ["rationale", "researcher", "question", "note"])
def test_nul_in_a_command_argument(stocked_url: str, where: str) -> None:
    researcher, question = _names(stocked_url)
    if where == "note":
        result = cli(stocked_url, "resolve", question, "yes", "--note", "a\x00b")
    else:
        args = {"researcher": researcher, "question": question, "rationale": "why"}
        args[where] = args[where] + "\x00"
        result = cli(stocked_url, "add", args["researcher"], args["question"], "5%", "-m", args["rationale"])
    assert_one_error(result, "NUL")


# --- a read-only database or directory (a real process, as a user root's modes bind) -------------------


def _ro_url(path: Path) -> str:
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_read_only_sqlite_uri_reads_and_refuses_writes(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_bytes(good_csv())
    assert cli(sqlite_url, "import", "forecasts", str(path)).exit_code == 0
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    url = _ro_url(db)
    scores = cli(url, "scores")
    assert scores.exit_code == 0, scores.output
    exported = cli(url, "export", "csv", str(tmp_path / "out.csv"))
    assert exported.exit_code == 0, exported.output
    researcher, question = _names(sqlite_url)
    assert_one_error(cli(url, "add", researcher, question, "5%"), "read-only")
    assert_one_error(cli(url, "import", "forecasts", str(path)), "read-only")
    assert_one_error(cli(url, "resolve", question, "yes"), "read-only")


@pytest.fixture
def nobody_dir() -> Iterator[Path]:
    """A directory a non-root user can reach, holding a filled SQLite database."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is needed to run a command as a user that is not root")
    if os.geteuid() != 0:
        pytest.skip("only root can run a command as another user; file modes already bind this user")
    base = Path(tempfile.mkdtemp(prefix="credence-ro-", dir="/tmp"))
    base.chmod(0o755)
    db = base / "credence.db"
    eng = open_engine(f"sqlite:///{db}")
    from models import actions

    actions.import_file(eng, good_csv(), "forecasts")
    eng.dispose()
    for p in base.iterdir():
        p.chmod(0o644)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(cwd), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CREDENCE, *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False,
    )  # fmt: skip


# Slow (four `credence` processes each, 3 to 6 s): make test runs them, make test-fast relies on
# the in-process read-only test above for the same messages.
@pytest.mark.slow
@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_read_only_file_or_directory_reads_and_refuses_writes(nobody_dir: Path, read_only: str) -> None:
    db = nobody_dir / "credence.db"
    out = Path(tempfile.mkdtemp(prefix="credence-out-", dir="/tmp"))
    out.chmod(0o777)
    if read_only == "directory":
        (nobody_dir / "credence.db").chmod(0o666)
        nobody_dir.chmod(0o555)
    try:
        url = f"sqlite:///{db}"
        scores = _as_nobody("--db", url, "scores", cwd=out)
        assert scores.returncode == 0, scores.stderr
        exported = _as_nobody("--db", url, "export", "csv", str(out / "out.csv"), cwd=out)
        assert exported.returncode == 0, exported.stderr
        researcher, question = _names(url)
        assert_process_error(_as_nobody("--db", url, "add", researcher, question, "5%", cwd=out))
        assert_process_error(_as_nobody("--db", url, "resolve", question, "yes", cwd=out))
    finally:
        nobody_dir.chmod(0o755)
        shutil.rmtree(out, ignore_errors=True)
