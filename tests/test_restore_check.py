"""Class 6: restore validates every row; a tampered or truncated backup is refused whole.

The refusal names the table and row, the database is left exactly as it was, and the
CLI prints one ``Error: …`` message, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from models import actions
from models.errors import CredenceError
from models.schemas import ForecastEdit
from models.store.backup import backup, restore
from models.store.db import data_version, open_engine, write_session
from models.store.records import edit_forecast, soft_delete
from tests.factories import cli, copy_of, empty_database, good_csv


def _fill(engine: sa.Engine) -> None:
    actions.import_file(engine, good_csv(), "forecasts")
    actions.import_file(
        engine, b"question,outcome,resolved_at\nSchemers at 3x,yes,2025-06-01\n", "resolutions"
    )
    with write_session(engine) as s:
        edit_forecast(s, 1, ForecastEdit(probability=0.05), by="teal_heron")
        soft_delete(s, "forecast", 2)


def _filled(engine: sa.Engine) -> dict[str, Any]:
    _fill(engine)
    return json.loads(backup(engine))


@pytest.fixture
def filled(db_url: str, tmp_path: Path) -> Iterator[tuple[sa.Engine, dict[str, Any]]]:
    """A database holding :func:`_fill`'s rows (on SQLite a copy of one filled once per test
    process: the forty tampered backups below need the same rows), and its backup."""
    if db_url.startswith("sqlite"):
        engine = open_engine(copy_of(f"sqlite:///{tmp_path / 'filled.db'}", "restore-check", _fill))
    else:
        engine = open_engine(db_url)
        _fill(engine)
    yield engine, json.loads(backup(engine))
    engine.dispose()


def _set(table: str, row: int, column: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["tables"][table][row][column] = value

    return change


def _drop(table: str, row: int, column: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        del doc["tables"][table][row][column]

    return change


def _dup(table: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["tables"][table].append(dict(doc["tables"][table][0]))

    return change


TAMPERED = {
    "probability 7.5": (
        _set("forecast", 0, "probability", 7.5),
        r"table forecast, row 1 \(id 1\): probability",
    ),
    "probability as text": (
        _set("forecast", 0, "probability", "high"),
        r"table forecast, row 1 \(id 1\): probability",
    ),
    "negative probability": (
        _set("forecast", 1, "probability", -0.1),
        r"table forecast, row 2 \(id 2\): probability",
    ),
    "outcome maybe": (_set("question", 0, "outcome", "maybe"), r"table question, row 1 \(id 1\): outcome"),
    "date 1600": (
        _set("forecast", 0, "as_of", "1600-01-01T00:00:00+00:00"),
        r"table forecast, row 1 \(id 1\): as of",
    ),
    "date 9999 with offset": (
        _set("question", 0, "created_at", "9999-12-31T23:00:00-05:00"),
        r"table question, row 1 \(id 1\): created at",
    ),
    "date not a date": (
        _set("forecast", 0, "recorded_at", "yesterday"),
        r"table forecast, row 1 \(id 1\): recorded at",
    ),
    "missing column": (
        _drop("forecast", 0, "probability"),
        r"table forecast, row 1 \(id 1\): missing column 'probability'",
    ),
    "unknown column": (
        _set("researcher", 0, "password", "x"),
        r"table researcher, row 1 \(id 1\): unknown column 'password'",
    ),
    "duplicate id": (_dup("researcher"), r"table researcher, row 3 \(id 1\): .*must be unique"),
    "dangling foreign key": (
        _set("forecast", 0, "researcher_id", 99),
        r"table forecast, row 1 \(id 1\): researcher id 99 names no row of table researcher",
    ),
    "id overflows": (_set("forecast", 0, "id", 2**40), r"table forecast, row 1 .*: id .* is out of range"),
    "id as float": (_set("researcher", 0, "id", 1.5), r"table researcher, row 1: id must be a whole number"),
    "null in a required column": (
        _set("question", 0, "title", None),
        r"table question, row 1 \(id 1\): title must not be empty",
    ),
    "NUL in text": (
        _set("forecast", 0, "rationale", "a\x00b"),
        r"table forecast, row 1 \(id 1\): rationale must not contain a NUL",
    ),
    "non-finite position": (
        _set("capability_level", 0, "position", float("inf")),
        r"table capability_level, row 1 \(id 1\): position must be a finite number",
    ),
    "nan probability": (
        _set("forecast", 0, "probability", float("nan")),
        r"table forecast, row 1 \(id 1\): probability",
    ),
    "bool as int": (
        _set("forecast", 0, "reconstructed", 3),
        r"table forecast, row 1 \(id 1\): reconstructed must be true or false",
    ),
    "bad direction": (
        _set("forecast_evidence", 0, "direction", "sideways"),
        r"table forecast_evidence, row 1: direction",
    ),
    "javascript url": (
        _set("evidence", 0, "url", "javascript:alert(1)"),
        r"table evidence, row 1 \(id 1\): url",
    ),
    "revision not json": (
        _set("revision", 0, "data", "{not json"),
        r"table revision, row 1 \(id 1\): data is not valid JSON",
    ),
    "row not an object": (
        lambda d: d["tables"]["forecast"].__setitem__(0, [1, 2]),
        r"table forecast, row 1: is not an object",
    ),
    "table not a list": (
        lambda d: d["tables"].__setitem__("forecast", {"a": 1}),
        r"table forecast: is not a list of rows",
    ),
    "unknown table": (
        lambda d: d["tables"].__setitem__("users", []),
        r"table 'users' is not a Credence table",
    ),
    "tables missing": (lambda d: d.pop("tables"), r'the backup has no "tables" object'),
}


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_backup_is_refused_whole_naming_table_and_row(filled, tmp_path, name):
    change, message = TAMPERED[name]
    engine, doc = filled
    change(doc)
    text = json.dumps(doc)  # NaN and Infinity are written as JSON allows Python to
    before, version = backup(engine), data_version(engine)
    with pytest.raises(CredenceError, match=message):
        restore(engine, text, replace=True)
    assert (backup(engine), data_version(engine)) == (before, version)
    empty = open_engine(empty_database(tmp_path, "empty.db"))
    with pytest.raises(CredenceError, match=message):
        restore(empty, text)
    assert json.loads(backup(empty))["tables"]["forecast"] == []


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_backup_is_refused_by_the_cli_without_a_traceback(db_url, tmp_path, cut):
    engine = open_engine(db_url)
    text = json.dumps(_filled(engine))
    path = tmp_path / "cut.json"
    path.write_text(text[: int(len(text) * cut)], encoding="utf-8")
    result = cli(db_url, "restore", str(path), "--replace")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe not utf-8",
        b"[]",
        b'{"format": "credence-backup"}',
        b'{"format": "credence-backup", "schema": 3}',
        b"null",
    ],
)
def test_a_backup_that_is_not_one_is_refused_by_the_cli_with_one_line(db_url, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = cli(db_url, "restore", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_untampered_backup_still_restores_into_the_other_backend(filled, tmp_path):
    doc = filled[1]
    other = open_engine(empty_database(tmp_path, "other.db"))
    restore(other, json.dumps(doc))
    assert json.loads(backup(other))["tables"] == doc["tables"]


def test_restore_into_postgresql_of_a_sqlite_backup_keeps_every_row(pg_url, tmp_path):
    source = open_engine(empty_database(tmp_path, "s.db"))
    doc = _filled(source)
    target = open_engine(pg_url)
    restore(target, json.dumps(doc))
    assert json.loads(backup(target))["tables"] == doc["tables"]


def test_cli_restore_of_a_directory_is_a_message(db_url, tmp_path: Path):
    result = cli(db_url, "restore", str(tmp_path))
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
