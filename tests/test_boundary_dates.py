"""Class 1: one supported time range for every date at the boundary; readers survive bad rows.

Every path that takes a time (forecasts' as of, questions' resolve by, resolutions'
resolved at, evidence dates, Fatebook times, ``credence add``/``resolve``, restore)
refuses one outside 1900-01-01 .. 2200-12-31 UTC with a message; a time already stored
outside it (written by hand) is clipped by the readers instead of breaking scores,
exports and pages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import actions
from models.errors import CredenceError, InputError
from models.files.fatebook import parse_fatebook
from models.schemas import EvidenceIn, ForecastIn, QuestionIn, ResolutionIn
from models.store.backup import backup, restore
from models.store.db import data_version, open_engine
from tests.factories import cli, copy_of, empty_database, good_csv

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))

OUTSIDE = [
    "1600-01-01",
    "1899-12-31T23:59:59Z",
    "2201-01-01",
    "2999-01-01",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01",
    "9999-12-31",
]


@pytest.mark.parametrize("when", OUTSIDE)
@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (ForecastIn, {"researcher": "r", "question": "q", "probability": 0.1}, "as_of"),
        (QuestionIn, {"title": "q"}, "resolve_by"),
        (ResolutionIn, {"question": "q", "outcome": "yes"}, "resolved_at"),
        (EvidenceIn, {"title": "e"}, "date"),
        (
            ForecastIn,
            {"researcher": "r", "question": "q", "probability": 0.1, "as_of": "2024-01-01"},
            "recorded_at",
        ),
    ],
)
def test_every_input_time_outside_the_range_is_refused_with_a_message(model, fields, field, when):
    with pytest.raises(ValueError) as err:  # pydantic's ValidationError is a ValueError
        model.model_validate({**fields, field: when})
    text = str(InputError.from_validation_error(err.value))  # type: ignore[arg-type]
    assert "outside the supported range 1900-01-01 to 2200-12-31" in text or "in the future" in text


@pytest.mark.parametrize("when", ["1900-01-01", "2200-12-31T23:59:59Z"])
def test_the_ends_of_the_range_are_accepted(when):
    assert QuestionIn(title="q", resolve_by=when).resolve_by is not None


@pytest.mark.parametrize(
    ("kind", "header", "row"),
    [
        ("forecasts", "researcher,question,probability,as_of", "teal_heron,Q,0.1,1600-01-01"),
        ("questions", "question,resolve_by", "Q,2999-01-01"),
        ("resolutions", "question,outcome,resolved_at", "Q,yes,1600-01-01"),
        ("evidence", "title,date", "Paper,1600-01-01"),
        ("forecasts", "researcher,question,probability,as_of", "teal_heron,Q,0.1,0001-01-01T00:00:00+01:00"),
    ],
)
def test_every_csv_refuses_times_outside_the_range_and_writes_nothing(engine, kind, header, row):
    actions.import_file(engine, b"question\nQ\n", "questions")
    version = data_version(engine)
    with pytest.raises(InputError, match=r"line 2: .*outside the supported range"):
        actions.import_file(engine, f"{header}\n{row}\n".encode(), kind)
    assert data_version(engine) == version


@pytest.mark.parametrize("when", ["1600-01-01 00:00:00", "2999-01-01 00:00:00", "1600-01-01"])
def test_fatebook_times_outside_the_range_are_refused(when):
    data = (
        "Question title,Forecast (scale = 0-1),Forecast created at,Forecast created by,Question created at\n"
        f"Q,0.5,{when},teal_heron,2024-01-01\n"
    ).encode()
    with pytest.raises(InputError, match="outside the supported range"):
        parse_fatebook(data)


@pytest.mark.parametrize("when", ["1600-01-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_cli_add_and_resolve_refuse_times_outside_the_range(db_url, tmp_path, when):
    path = tmp_path / "f.csv"
    path.write_bytes(good_csv())
    assert cli(db_url, "import", "forecasts", str(path)).exit_code == 0
    added = cli(db_url, "add", "teal_heron", "Schemers at 3x", "5%", "--as-of", when)
    assert added.exit_code == 1
    assert added.stderr.startswith("Error: ") and "outside the supported range" in added.stderr
    resolved = cli(db_url, "resolve", "Schemers at 3x", "yes", "--when", when)
    assert resolved.exit_code == 1
    assert resolved.stderr.startswith("Error: ") and "outside the supported range" in resolved.stderr


def test_restore_refuses_a_time_outside_the_range(engine, tmp_path):
    actions.import_file(engine, good_csv(), "forecasts")
    doc = json.loads(backup(engine))
    doc["tables"]["forecast"][0]["as_of"] = "1600-01-01T00:00:00+00:00"
    other = open_engine(empty_database(tmp_path, "o.db"))
    with pytest.raises(
        CredenceError, match=r"table forecast, row 1 \(id 1\): as of .*outside the supported range"
    ):
        restore(other, json.dumps(doc))


# --- readers never crash on a stored out-of-range time --------------------------------------------


def _corrupt(engine: sa.Engine) -> None:
    """Times outside the range written directly with SQL, as an older Credence or a hand edit could."""
    actions.import_file(engine, good_csv(), "forecasts")
    actions.import_file(engine, b"question,resolve_by\nSchemers at 3x,2024-01-01\n", "questions")
    actions.import_file(
        engine, b"question,outcome,resolved_at\nSchemers at 3x,yes,2025-06-01\n", "resolutions"
    )
    actions.import_file(engine, b"title,date\nFresh paper,2024-05-01\n", "evidence")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE forecast SET as_of = :t WHERE id = 1"), {"t": "1600-01-01 00:00:00"})
        conn.execute(
            sa.text("UPDATE forecast SET recorded_at = :t WHERE id = 2"), {"t": "2999-01-01 00:00:00"}
        )
        conn.execute(sa.text("UPDATE question SET resolve_by = :t"), {"t": "2999-01-01 00:00:00"})
        conn.execute(
            sa.text("UPDATE question SET resolved_at = :t WHERE outcome IS NOT NULL"),
            {"t": "2999-01-02 00:00:00"},
        )
        conn.execute(sa.text("UPDATE evidence SET published = :t"), {"t": "1600-01-01 00:00:00"})
        conn.execute(sa.text("UPDATE researcher SET created_at = :t"), {"t": "1600-01-01 00:00:00"})


def test_scores_and_exports_survive_out_of_range_times_stored_directly(db_url, tmp_path):
    engine = open_engine(db_url)
    _corrupt(engine)
    for args in (
        ["scores"],
        ["scores", "--json"],
        ["export", "csv", str(tmp_path / "f.csv")],
        ["export", "markdown", str(tmp_path / "r.md"), "--calibration"],
        ["export", "chart", str(tmp_path / "c.svg"), "--kind", "trajectory", "--question", "Schemers at 3x"],
        ["export", "chart", str(tmp_path / "c2.svg"), "--kind", "calibration"],
        ["backup", str(tmp_path / "b.json")],
    ):
        result = cli(db_url, *args)
        # Either it works, or it says why in one line (a chart with nothing to draw); never a crash.
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code == 0 or result.stderr.startswith("Error: "), (args, result.output)
    for args in (["scores"], ["export", "csv", "-"], ["backup", str(tmp_path / "b2.json")]):
        assert cli(db_url, *args).exit_code == 0, args


@pytest.mark.parametrize("page_file", PAGES, ids=[p.stem for p in PAGES])
def test_every_page_survives_out_of_range_times_stored_directly(sqlite_url, monkeypatch, page_file):
    monkeypatch.setenv("CREDENCE_DATABASE_URL", copy_of(sqlite_url, "out-of-range", _corrupt))
    at = AppTest.from_file(str(page_file), default_timeout=60)
    at.query_params["question"] = "Schemers at 3x"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
