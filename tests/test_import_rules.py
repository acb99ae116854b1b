"""Classes 4, 5 and 7 and the header-only file: what an import writes, refuses or updates.

* Non-finite numbers are refused at the schema (a capability position of inf or nan).
* Rows that attach to a soft-deleted question, researcher, capability level or evidence
  item are refused ("… is deleted; restore it first"), as the form and ``credence add`` do.
* Conflicts: a row describing a stored researcher, capability level, evidence item,
  question or resolution with different values updates it and keeps the earlier values as
  a revision; two rows of one file that describe the same thing differently are refused,
  naming both lines.  The same rule for every kind.
* A file with only a header writes nothing (the data version does not move).
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from models import actions
from models.errors import InputError
from models.files import interchange
from models.schemas import ForecastIn, LevelIn
from models.store.backup import backup
from models.store.db import data_version, write_session
from models.store.records import soft_delete
from tests.factories import cli, forecasts_csv, good_csv

# --- class 4: non-finite numbers ------------------------------------------------------------------


@pytest.mark.parametrize("position", ["inf", "-inf", "nan", "NaN", "Infinity", "1e400", "-1e400"])
def test_a_non_finite_capability_position_is_refused_at_the_schema(position):
    with pytest.raises(ValueError, match="position"):
        LevelIn.model_validate({"name": "3x", "position": position})
    with pytest.raises(ValueError, match="position"):
        LevelIn.model_validate({"name": "3x", "position": float(position)})


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e400"])
def test_non_finite_numbers_in_files_are_refused_and_backups_stay_valid_json(engine, value):
    with pytest.raises(InputError, match="line 2: position"):
        actions.import_file(engine, f"name,position\n3x,{value}\n".encode(), "levels")
    with pytest.raises(InputError, match="line 2: probability"):
        actions.import_file(engine, forecasts_csv(f"teal_heron,Q,{value},2024-01-01"), "forecasts")
    json.loads(backup(engine), parse_constant=lambda c: pytest.fail(f"backup holds {c}"))


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 10**30])
def test_ids_that_overflow_are_refused_with_a_message(engine, value):
    row = f"{value},teal_heron,Q,0.1,2024-01-01,,,,false,2024-02-01"
    data = (
        "id,researcher,question,probability,as_of,capability,rationale,evidence,reconstructed,recorded_at\n"
        + row
        + "\n"
    ).encode()
    with pytest.raises(InputError, match="line 2: id"):
        actions.import_file(engine, data, "forecasts")


def test_an_id_that_collides_with_another_questions_forecast_is_refused(engine):
    actions.import_file(engine, good_csv(), "forecasts")
    data = (
        b"id,researcher,question,probability,as_of,capability,rationale,evidence,reconstructed,recorded_at\n"
        b"1,pale_finch,Another question,0.5,2024-01-01,,,,false,2024-02-01\n"
    )
    with pytest.raises(InputError, match="line 2: id 1 is already stored with different values"):
        actions.import_file(engine, data, "forecasts")


# --- class 5: writes to deleted things ------------------------------------------------------------


def _delete(engine: sa.Engine, table: str, column: str, value: str) -> None:
    with engine.connect() as conn:
        row_id = conn.execute(sa.text(f"SELECT id FROM {table} WHERE {column} = :v"), {"v": value}).scalar()
    with write_session(engine) as s:
        soft_delete(s, table, row_id)


@pytest.mark.parametrize(
    ("table", "column", "value", "kind", "data", "message"),
    [
        ("question", "title", "Schemers at 3x", "forecasts",
         forecasts_csv("pale_finch,Schemers at 3x,0.2,2024-03-01"), "question 'Schemers at 3x' is deleted; restore it first"),
        ("researcher", "handle", "teal_heron", "forecasts",
         forecasts_csv("teal_heron,A new question,0.2,2024-03-01"), "researcher 'teal_heron' is deleted; restore it first"),
        ("capability_level", "name", "3x AI R&D", "forecasts",
         forecasts_csv("pale_finch,A new question,0.2,2024-03-01,3x AI R&D"), "capability level '3x AI R&D' is deleted; restore it first"),
        ("evidence", "title", "Neuralese result", "forecasts",
         forecasts_csv("pale_finch,A new question,0.2,2024-03-01,,,Neuralese result [raised]"), "evidence 'Neuralese result' is deleted; restore it first"),
        ("question", "title", "Schemers at 3x", "resolutions",
         b"question,outcome,resolved_at\nSchemers at 3x,yes,2025-01-01\n", "question 'Schemers at 3x' is deleted; restore it first"),
        ("question", "title", "Schemers at 3x", "questions",
         b"question,criteria\nSchemers at 3x,new criteria\n", "question 'Schemers at 3x' is deleted; restore it first"),
        ("researcher", "handle", "teal_heron", "researchers",
         b"handle,name\nteal_heron,Teal Heron\n", "researcher 'teal_heron' is deleted; restore it first"),
        ("capability_level", "name", "3x AI R&D", "levels",
         b"name,position\n3x AI R&D,7\n", "capability level '3x AI R&D' is deleted; restore it first"),
        ("evidence", "title", "Neuralese result", "evidence",
         b"title,url\nNeuralese result,https://example.org/n\n", "evidence 'Neuralese result' is deleted; restore it first"),
    ],
)  # fmt: skip
def test_imports_refuse_to_write_to_deleted_things(engine, table, column, value, kind, data, message):
    actions.import_file(engine, good_csv(), "forecasts")
    _delete(engine, table, column, value)
    before, version = backup(engine), data_version(engine)
    with pytest.raises(InputError, match=r"line 2: " + message.replace("(", r"\(").replace(")", r"\)")):
        actions.import_file(engine, data, kind)
    assert (backup(engine), data_version(engine)) == (before, version)


def test_the_fatebook_import_refuses_a_deleted_question_too(engine):
    from models.actions import import_fatebook

    actions.import_file(engine, good_csv(), "forecasts")
    _delete(engine, "question", "title", "Schemers at 3x")
    data = (
        b"Question title,Forecast (scale = 0-1),Forecast created at,Forecast created by,Question created at\n"
        b"Schemers at 3x,0.5,2024-06-01,pale_finch,2024-01-01\n"
    )
    with pytest.raises(InputError, match="is deleted; restore it first"):
        import_fatebook(engine, data)


# --- class 7: conflicting rows --------------------------------------------------------------------


def _revisions(engine: sa.Engine, entity: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT data FROM revision WHERE entity = :e ORDER BY id"), {"e": entity}
        ).scalars()
        return [json.loads(r) for r in rows]


@pytest.mark.parametrize(
    ("kind", "first", "second", "entity", "table", "check"),
    [
        ("researchers", b"handle,name\nteal_heron,Teal\n", b"handle,name\nteal_heron,Teal Heron\n",
         "researcher", "SELECT name FROM researcher", "Teal Heron"),
        ("levels", b"name,position,description\n3x,2,old\n", b"name,position,description\n3x,2,new words\n",
         "capability_level", "SELECT description FROM capability_level", "new words"),
        ("evidence", b"title,url\nPaper,https://example.org/a\n", b"title,url\nPaper,https://example.org/b\n",
         "evidence", "SELECT url FROM evidence", "https://example.org/b"),
        ("questions", b"question,criteria\nQ,old\n", b"question,criteria\nQ,new\n",
         "question", "SELECT criteria FROM question", "new"),
    ],
)  # fmt: skip
def test_a_stored_thing_described_differently_is_updated_keeping_a_revision(
    engine, kind, first, second, entity, table, check
):
    actions.import_file(engine, first, kind)
    summary = actions.import_file(engine, second, kind)
    assert sum(summary.updated.values()) == 1, summary.lines()
    with engine.connect() as conn:
        assert conn.execute(sa.text(table)).scalar() == check
    assert len(_revisions(engine, entity)) == 1
    again = actions.import_file(engine, second, kind)  # the same file again changes nothing
    assert sum(again.updated.values()) == 0 and len(_revisions(engine, entity)) == 1


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("researchers", b"handle,name\nteal_heron,Teal\npale_finch,Pale\nteal_heron,Teal Heron\n"),
        ("levels", b"name,position\n3x,2\nfull,3\n3x,5\n"),
        ("evidence", b"title,url\nPaper,https://example.org/a\nOther,\nPaper,https://example.org/b\n"),
        ("questions", b"question,criteria\nQ,old\nR,\nQ,new\n"),
        (
            "resolutions",
            b"question,outcome,resolved_at\nQ,yes,2025-01-01\nR,no,2025-01-01\nQ,no,2025-01-01\n",
        ),
    ],
)
def test_two_rows_of_one_file_that_disagree_are_refused_naming_both_lines(engine, kind, data):
    actions.import_file(engine, b"question\nQ\nR\n", "questions")
    before = backup(engine)
    with pytest.raises(InputError, match=r"line 4: .*line 2"):
        actions.import_file(engine, data, kind)
    assert backup(engine) == before


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("researchers", b"handle,name\nteal_heron,Teal\nteal_heron,Teal\n"),
        ("levels", b"name,position\n3x,2\n3x,2\n"),
        ("evidence", b"title,url\nPaper,https://example.org/a\nPaper,https://example.org/a\n"),
        ("questions", b"question,criteria\nQ,c\nQ,c\n"),
    ],
)
def test_identical_rows_of_one_file_are_one_row(engine, kind, data):
    summary = actions.import_file(engine, data, kind)
    assert sum(summary.created.values()) == 1


# --- header-only files ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(interchange.SPECS))
def test_a_header_only_file_writes_nothing_not_even_the_data_version(engine, kind):
    header = ",".join(interchange.SPECS[kind].required) + "\n"
    version = data_version(engine)
    summary = actions.import_file(engine, header.encode(), kind)
    assert summary.lines() == ["nothing to import"]
    assert data_version(engine) == version


# --- NUL characters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("forecasts", forecasts_csv("teal_heron,Q,0.1,2024-01-01,,why\x00not")),
        ("questions", b"question,criteria\nQ\x00,c\n"),
        ("researchers", b"handle,name\nteal\x00heron,T\n"),
        ("evidence", b"title,summary\nPaper,s\x00\n"),
    ],
)
def test_a_nul_character_is_refused_at_the_boundary_on_both_backends(engine, kind, data):
    with pytest.raises(InputError, match="line 2: .* must not contain a NUL character"):
        actions.import_file(engine, data, kind)


def test_cli_add_refuses_a_nul_character(db_url, tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(good_csv())
    cli(db_url, "import", "forecasts", str(path))
    result = cli(db_url, "add", "teal_heron", "Schemers at 3x", "5%", "-m", "a\x00b")
    assert result.exit_code == 1
    assert "NUL" in result.stderr


def test_forecast_schema_refuses_nul_in_every_text_field():
    base = {"researcher": "r", "question": "q", "probability": 0.1, "as_of": "2024-01-01"}
    for field in ("researcher", "question", "capability", "rationale", "evidence"):
        with pytest.raises(ValueError, match="NUL"):
            ForecastIn.model_validate({**base, field: "a\x00b"})
