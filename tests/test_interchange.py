"""Importing and exporting interchange CSV files, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import actions
from models.errors import InputError
from models.files import interchange
from models.store.backup import backup
from models.store.reads import forecasts_frame, questions_frame
from tests.factories import GOOD_ROWS, HEADER, empty_database, forecasts_csv, good_csv


def import_forecasts(engine: sa.Engine, data: bytes):  # type: ignore[no-untyped-def]
    return actions.import_file(engine, data, "forecasts")


def test_import_creates_missing_researchers_questions_levels_and_evidence(engine):
    summary = import_forecasts(engine, good_csv())
    assert summary.created == {
        "researchers": 2, "questions": 2, "capability levels": 1, "evidence items": 2, "forecasts": 4,
    }  # fmt: skip
    df = forecasts_frame(engine)
    assert sorted(df["researcher"].unique()) == ["orrery", "teal_heron"]
    assert df.loc[df["level"].notna(), "level"].unique().tolist() == ["3x AI R&D"]


def test_percent_and_fraction_give_the_same_probability(engine):
    import_forecasts(engine, forecasts_csv("a,Q,0.1%,2024-01-01", "a,R,0.001,2024-01-01"))
    assert forecasts_frame(engine)["probability"].tolist() == [0.001, 0.001]


def test_importing_the_same_file_twice_adds_nothing(engine):
    import_forecasts(engine, good_csv())
    before = backup(engine)
    summary = import_forecasts(engine, good_csv())
    assert summary.created["forecasts"] == 0
    assert summary.present["forecasts"] == 4
    assert summary.lines() == ["already present: 4 forecasts"]
    assert backup(engine) == before


def test_a_row_repeated_within_one_file_is_imported_once(engine):
    summary = import_forecasts(engine, forecasts_csv(GOOD_ROWS[0], GOOD_ROWS[0]))
    assert (summary.created["forecasts"], summary.present["forecasts"]) == (1, 1)


def test_a_different_row_at_the_same_as_of_is_a_new_forecast_and_the_later_row_stands(engine):
    import_forecasts(engine, forecasts_csv("a,Q,0.2,2024-01-01", "a,Q,0.3,2024-01-01"))
    df = forecasts_frame(engine)
    assert len(df) == 2
    assert df.iloc[-1]["probability"] == 0.3  # ordered (as_of, recorded_at, id): the later row last


def test_bom_and_crlf_are_accepted(engine):
    data = b"\xef\xbb\xbf" + good_csv().replace(b"\n", b"\r\n")
    assert import_forecasts(engine, data).created["forecasts"] == 4


def test_quoted_newlines_and_commas_in_rationale_survive(engine):
    import_forecasts(engine, forecasts_csv('a,Q,0.5,2024-01-01,,"line one,\nline two",,'))
    assert forecasts_frame(engine)["rationale"].tolist() == ["line one,\nline two"]


def after_good_row(row: str) -> bytes:
    """A file whose bad row (line 3) follows a good one, so a partial write would show."""
    return forecasts_csv("zz_new,New question,0.5,2024-01-01", row)


BAD_FILES = [
    pytest.param(after_good_row("a,Q,140%,2024-01-01"), "line 3: probability 140% is above 100%", id="over-100-percent"),
    pytest.param(after_good_row("a,Q,1.4,2024-01-01"), "line 3: probability 1.4 is ambiguous: write 1.4% or 0.014", id="fraction-over-1"),
    pytest.param(after_good_row("a,Q,35,2024-01-01"), "line 3: probability 35 is ambiguous: write 35% or 0.35", id="bare-35"),
    pytest.param(after_good_row("a,Q,-5%,2024-01-01"), "line 3: probability -5% is below 0%", id="negative"),
    pytest.param(after_good_row("a,Q,likely,2024-01-01"), "line 3: probability 'likely' is not a probability: write a fraction like 0.37 or a percentage like 37%", id="word"),
    pytest.param(after_good_row("a,Q,,2024-01-01"), "line 3: probability is required", id="empty-probability"),
    pytest.param(after_good_row("a,,0.5,2024-01-01"), "line 3: question must not be empty", id="empty-question"),
    pytest.param(after_good_row(",Q,0.5,2024-01-01"), "line 3: researcher must not be empty", id="empty-researcher"),
    pytest.param(after_good_row("a,Q,0.5,2199-01-01"), "line 3: as of 2199-01-01 is in the future", id="future-as-of"),
    pytest.param(after_good_row("a,Q,0.5,03/04/2025"), "line 3: as of '03/04/2025' is not a date: write 2025-03-04, or a time like 2025-03-04T10:00:00Z", id="bad-date"),
    pytest.param(after_good_row("a,Q,0.5,2024-01-01,,,,maybe"), "line 3: reconstructed 'maybe' is not true or false", id="bad-flag"),
    pytest.param(after_good_row("a,Q,0.5,2024-01-01,,,Paper [sideways],"), "line 3: evidence 'sideways' is not a direction: use one of raised, lowered, no change", id="bad-direction"),
    pytest.param(after_good_row("a,Q,0.5,2024-01-01,,,,,extra"), "line 3: has 9 fields but the header has 8", id="too-many-fields"),
    pytest.param(forecasts_csv("a,Q,0.5", header="researcher,question,probability"), "line 1: missing required column 'as_of'", id="missing-column"),
    pytest.param(forecasts_csv("a,Q,0.5,2024-01-01,x", header="researcher,question,probability,as_of,colour"), "line 1: unknown column 'colour' (expected researcher, question, probability, as_of, capability, rationale, evidence, reconstructed, id, recorded_at, given, given_outcome)", id="unknown-column"),
    pytest.param(after_good_row("a,Q\xff,0.5,2024-01-01").replace(b"\xc3\xbf", b"\xff"), "line 3: byte 0xff is not UTF-8; save the file as UTF-8", id="not-utf8"),
    pytest.param(b"", "line 1: the file is empty; it needs a header row", id="empty-file"),
    pytest.param(after_good_row('a,"Q,0.5,2024-01-01'), "line 3: a quoted cell is not closed", id="unclosed-quote"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_file_is_refused_with_line_and_field(data, message):
    """The parser alone words every refusal (no database needed to show it)."""
    with pytest.raises(InputError) as err:
        interchange.parse(data, "forecasts")
    assert any(message in p for p in err.value.problems), err.value.problems


@pytest.mark.parametrize("bad", ["over-100-percent", "unclosed-quote", "not-utf8"])
def test_a_refused_file_writes_nothing(engine, bad):
    (data,) = [p.values[0] for p in BAD_FILES if p.id == bad]
    import_forecasts(engine, good_csv())
    before = backup(engine)
    with pytest.raises(InputError):
        import_forecasts(engine, data)
    assert backup(engine) == before


def test_every_bad_row_is_reported_not_just_the_first(engine):
    with pytest.raises(InputError) as err:
        import_forecasts(
            engine, forecasts_csv("a,Q,140%,2024-01-01", "a,Q,0.5,2024-01-01", "a,Q,0.5,2199-01-01")
        )
    assert err.value.problems == [
        "line 2: probability 140% is above 100%",
        "line 4: as of 2199-01-01 is in the future",
    ]


def test_line_numbers_count_physical_lines_of_quoted_newlines(engine):
    with pytest.raises(InputError) as err:
        import_forecasts(engine, forecasts_csv('a,Q,0.5,2024-01-01,,"two\nlines",,', "a,Q,140%,2024-01-01"))
    assert err.value.problems == ["line 4: probability 140% is above 100%"]


def test_export_then_import_into_empty_database_then_export_is_identical(engine, tmp_path):
    import_forecasts(engine, good_csv())
    import_forecasts(
        engine,
        forecasts_csv(
            'a,Q,0.123456789,2024-01-01T10:11:12.5+02:00,,"=cmd()",\'quoted [no change];Other,true'
        ),
    )
    first = actions.forecasts_csv(engine)
    from models.store.db import open_engine

    other = open_engine(empty_database(tmp_path, "other.db"))
    actions.import_file(other, first.encode(), "forecasts")
    assert actions.forecasts_csv(other) == first


def test_export_neutralizes_formula_cells_and_import_restores_them(engine):
    import_forecasts(
        engine,
        forecasts_csv(
            "a,Q,0.5,2024-01-01,,=1+1,,", "a,Q,0.6,2024-01-02,,'=kept,,", "a,Q,0.7,2024-01-03,,-dash,,"
        ),
    )
    text = actions.forecasts_csv(engine)
    assert ",'=1+1," in text and ",''=kept," not in text and ",'-dash," in text
    assert forecasts_frame(engine)["rationale"].tolist() == ["=1+1", "=kept", "-dash"]


def test_import_of_export_keeps_ids_and_recorded_at(engine, tmp_path):
    import_forecasts(engine, good_csv())
    text = actions.forecasts_csv(engine)
    from models.store.db import open_engine

    other = open_engine(empty_database(tmp_path, "other.db"))
    actions.import_file(other, text.encode(), "forecasts")
    a, b = forecasts_frame(engine), forecasts_frame(other)
    assert a["forecast_id"].tolist() == b["forecast_id"].tolist()
    assert a["recorded_at"].tolist() == b["recorded_at"].tolist()


def test_an_exported_id_stored_with_other_values_is_refused(engine):
    import_forecasts(engine, good_csv())
    text = actions.forecasts_csv(engine).replace(",0.04,", ",0.05,")
    before = backup(engine)
    with pytest.raises(InputError) as err:
        import_forecasts(engine, text.encode())
    assert err.value.problems == [
        "line 2: id 1 is already stored with different values; edit that forecast instead"
    ]
    assert backup(engine) == before


def test_question_file_describes_questions_and_a_change_keeps_a_revision(engine):
    import_forecasts(engine, good_csv())
    q = b"question,criteria,tags,resolve_by\nSchemers at 3x,Resolves by expert survey,scheming;alignment,2030-01-01\n"
    summary = actions.import_file(engine, q, "questions")
    assert summary.updated["questions"] == 1
    row = questions_frame(engine).set_index("question").loc["Schemers at 3x"]
    assert row["criteria"] == "Resolves by expert survey"
    assert row["tags"] == ("alignment", "scheming")
    assert str(row["resolve_by"].date()) == "2030-01-01"  # a deadline may be in the future
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM revision WHERE entity = 'question'")).scalar() == 1
    assert actions.import_file(engine, q, "questions").present["questions"] == 1


def test_resolution_file_resolves_existing_questions(engine):
    import_forecasts(engine, good_csv())
    r = b"question,outcome,resolved_at,capability,note\nEval published by 2025,yes,2025-01-05,,published\n"
    assert actions.import_file(engine, r, "resolutions").created["resolutions"] == 1
    q = questions_frame(engine).set_index("question").loc["Eval published by 2025"]
    assert (q["outcome"], q["resolution_note"]) == ("yes", "published")
    assert actions.import_file(engine, r, "resolutions").present["resolutions"] == 1


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Nope,yes,2025-01-05,,", "line 2: question 'Nope' does not exist"),
        (
            "Eval published by 2025,maybe,2025-01-05,,",
            "line 2: outcome 'maybe' is not an outcome: use one of yes, no, annulled",
        ),
        ("Eval published by 2025,yes,2199-01-05,,", "line 2: resolved at 2199-01-05 is in the future"),
    ],
)
def test_bad_resolution_is_refused_and_nothing_is_written(engine, row, message):
    import_forecasts(engine, good_csv())
    before = backup(engine)
    with pytest.raises(InputError) as err:
        actions.import_file(
            engine, f"question,outcome,resolved_at,capability,note\n{row}\n".encode(), "resolutions"
        )
    assert err.value.problems == [message]
    assert backup(engine) == before


def test_header_is_case_and_space_insensitive_and_optional_columns_may_be_absent(engine):
    data = b"Researcher, Question ,PROBABILITY,as_of\na,Q,0.5,2024-01-01\n"
    assert import_forecasts(engine, data).created["forecasts"] == 1


def test_header_constant_matches_documented_columns():
    assert HEADER.split(",") == list(interchange.FORECASTS.columns[:8])


def test_dry_run_previews_what_would_be_created_and_writes_nothing(engine):
    before = backup(engine)
    summary = actions.import_file(engine, good_csv(), "forecasts", dry_run=True)
    assert summary.created["forecasts"] == 4 and summary.created["researchers"] == 2
    assert backup(engine) == before
