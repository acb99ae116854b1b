"""Importing Fatebook files (its forecast export and its spreadsheet layout), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from models import actions
from models.errors import InputError
from models.files import fatebook
from models.store.backup import backup
from models.store.db import open_engine
from models.store.reads import forecasts_frame, questions_frame, researchers_frame
from tests.factories import cli

#: Fatebook's export header: its own score columns and sharing columns sit among the ones we read.
HEADER = (
    "Question title,Multiple choice option,Forecast created by,Forecast (scale = 0-1),Forecast created at,"
    "Question created by,Question created at,Question resolve by,Resolution,Resolved at,"
    "Your Brier score for this question,Your relative Brier score for this question,Question notes,"
    "Question shared with,Question shared publicly,Question comments,Question tags"
)

EVAL = "Will a lab publish a scheming eval, by mid-2025?"
NOTES = '"Resolves YES if any frontier lab\npublishes one, with ""results""."'
EVAL_TAIL = f'"Ada Quill",2025-01-01 08:00:0,2025-06-30 00:00:0,"YES",2025-05-01 12:00:30,0.1225,-0.02,{NOTES},"Bo Lindqvist",true,,"evals; scheming"'
LAB_TAIL = '"Ada Quill",2025-01-03 10:00:0,2025-04-01 00:00:0,"{res}",2025-04-01 9:0:0,0.3,,"",,false,,"labs"'

#: Written as Fatebook writes it: strings quoted, times and numbers bare, seconds unpadded.
EXPORT_ROWS = (
    f'"{EVAL}",,"Ada Quill",0.3,2025-01-02 09:05:7,{EVAL_TAIL}',  # lines 2-3 (notes span two lines)
    f'"{EVAL}",,"Bo Lindqvist",0.55,2025-02-10 7:3:9,{EVAL_TAIL}',  # lines 4-5
    f'"{EVAL}",,"Ada Quill",0.6,2025-03-01 10:00:00,{EVAL_TAIL}',  # lines 6-7
    '"Which lab ships first?","Lab A","Ada Quill",0.5,2025-01-04 12:30:0,'
    + LAB_TAIL.format(res="NO"),  # line 8
    '"Which lab ships first?","Lab B","Ada Quill",0.4,2025-01-04 12:30:0,'
    + LAB_TAIL.format(res="YES"),  # line 9
    '"Which lab ships first?","Lab B","Cy Okafor",0.7,2025-01-05 8:15:45,'
    + LAB_TAIL.format(res="YES"),  # line 10
    '"Benchmark saturated, or not?",,"Cy Okafor",0.2,2025-02-01 00:00:0,"Cy Okafor",2025-01-20 00:00:0,2025-04-01 00:00:0,"AMBIGUOUS",2025-04-15 16:45:5,,,"",,false,,""',  # line 11
    '"Open question",,"Bo Lindqvist",0.1,2025-02-02 13:14:15,"Bo Lindqvist",2025-02-02 13:00:0,2027-01-01 00:00:0,,,,,"",,false,,"policy"',  # line 12
)


NOTE_PAIRS = "'Ada Quill' → ada-quill, 'Bo Lindqvist' → bo-lindqvist, 'Cy Okafor' → cy-okafor"
#: What an import of :func:`good_export` says about the handles it made from Fatebook's names.
NAMES = f"handles made from Fatebook names: {NOTE_PAIRS}"


def export_csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def good_export() -> bytes:
    return export_csv(*EXPORT_ROWS)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- the export layout ---------------------------------------------------------------------------


def test_export_creates_researchers_questions_forecasts_and_resolutions(engine):
    summary = actions.import_fatebook(engine, good_export())
    assert summary.created == {"researchers": 3, "questions": 5, "forecasts": 8, "resolutions": 4}
    assert summary.updated == {}
    assert sorted(researchers_frame(engine)["handle"]) == ["ada-quill", "bo-lindqvist", "cy-okafor"]


def test_researcher_handle_is_made_from_the_name_which_stays_the_display_name(engine):
    actions.import_fatebook(engine, good_export())
    people = researchers_frame(engine).set_index("handle")
    assert people.loc["ada-quill", "name"] == "Ada Quill"


def test_multiple_choice_options_become_binary_questions_resolved_by_their_own_row(engine):
    actions.import_fatebook(engine, good_export())
    q = questions_frame(engine).set_index("question")
    assert q.loc["Which lab ships first? — Lab A", "outcome"] == "no"
    assert q.loc["Which lab ships first? — Lab B", "outcome"] == "yes"
    assert q.loc["Which lab ships first? — Lab B", "resolved_at"] == utc("2025-04-01 09:00:00")
    assert "Which lab ships first?" not in q.index


def test_resolutions_yes_and_ambiguous_become_yes_and_annulled_with_their_times(engine):
    actions.import_fatebook(engine, good_export())
    q = questions_frame(engine).set_index("question")
    assert (q.loc[EVAL, "outcome"], q.loc[EVAL, "resolved_at"]) == ("yes", utc("2025-05-01 12:00:30"))
    assert (
        q.loc["Benchmark saturated, or not?", "outcome"],
        q.loc["Benchmark saturated, or not?", "resolved_at"],
    ) == (
        "annulled",
        utc("2025-04-15 16:45:05"),
    )
    assert q.loc["Open question", "outcome"] is None


def test_notes_with_quotes_and_newlines_become_criteria_and_tags_are_split(engine):
    actions.import_fatebook(engine, good_export())
    q = questions_frame(engine).set_index("question")
    assert q.loc[EVAL, "criteria"] == 'Resolves YES if any frontier lab\npublishes one, with "results".'
    assert q.loc[EVAL, "tags"] == ("evals", "scheming")
    assert q.loc[EVAL, "resolve_by"] == utc("2025-06-30")
    assert q.loc["Open question", "resolve_by"] == utc("2027-01-01")  # a deadline may be in the future


def test_forecasts_keep_probabilities_and_unpadded_times_read_as_utc(engine):
    actions.import_fatebook(engine, good_export())
    df = forecasts_frame(engine)
    ada = df[(df["researcher"] == "ada-quill") & (df["question"] == EVAL)]
    assert ada["probability"].tolist() == [0.3, 0.6]
    assert ada["as_of"].tolist() == [utc("2025-01-02 09:05:07"), utc("2025-03-01 10:00:00")]
    bo = df[df["researcher"] == "bo-lindqvist"].set_index("question")
    assert bo.loc[EVAL, "as_of"] == utc("2025-02-10 07:03:09")
    assert bo.loc["Open question", "probability"] == 0.1


def test_importing_the_same_export_twice_adds_nothing(engine):
    actions.import_fatebook(engine, good_export())
    before = backup(engine)
    summary = actions.import_fatebook(engine, good_export())
    assert summary.created == {} or not any(summary.created.values())
    assert summary.present["forecasts"] == 8
    assert summary.lines() == [
        "already present: 3 researchers, 5 questions, 8 forecasts, 4 resolutions",
        NAMES,
    ]
    assert backup(engine) == before


def test_a_newer_export_adds_only_the_new_forecasts(engine):
    actions.import_fatebook(engine, export_csv(*EXPORT_ROWS[:3]))
    summary = actions.import_fatebook(engine, good_export())
    assert (summary.created["forecasts"], summary.present["forecasts"]) == (5, 3)


def test_a_title_asked_twice_keeps_the_title_for_the_earliest_and_dates_the_later(engine):
    row = '"Gym this week?",,"Ada Quill",{p},{at},"Ada Quill",{asked},{by},"{res}",{by},,,"",,false,,""'
    data = export_csv(
        row.format(
            p=0.8, at="2025-03-12 9:0:0", asked="2025-03-11 08:00:0", by="2025-03-16 00:00:0", res="NO"
        ),
        row.format(
            p=0.6, at="2025-03-05 9:0:0", asked="2025-03-04 08:00:0", by="2025-03-09 00:00:0", res="YES"
        ),
    )
    actions.import_fatebook(engine, data)
    q = questions_frame(engine).set_index("question")
    assert q.loc["Gym this week?", "outcome"] == "yes"
    assert q.loc["Gym this week? (asked 2025-03-11)", "outcome"] == "no"


def test_score_and_unknown_columns_are_ignored_and_header_case_does_not_matter(engine):
    data = b"QUESTION TITLE,forecast created by,Forecast (scale = 0-1),Forecast created at,Some new column\nQ,Ada Quill,0.25,2025-01-01 1:2:3,x\n"
    assert actions.import_fatebook(engine, data).created["forecasts"] == 1


def test_dry_run_previews_and_writes_nothing(engine):
    before = backup(engine)
    summary = actions.import_fatebook(engine, good_export(), dry_run=True)
    assert summary.created["forecasts"] == 8
    assert backup(engine) == before


# --- refusals ------------------------------------------------------------------------------------


def after_good_row(row: str) -> bytes:
    """A file whose bad row (line 3) follows a good one, so a partial write would show."""
    return export_csv('"New",,"Ada Quill",0.5,2025-01-01 00:00:0,,,,,,,,,,,,', row)


def row(
    forecast: str = "0.5",
    at: str = "2025-01-01 10:00:0",
    res: str = "",
    resolved: str = "",
    by: str = "Bo Lindqvist",
) -> str:
    return f'"Q",,"{by}",{forecast},{at},,2025-01-01 00:00:0,,"{res}",{resolved},,,,,,,'


BAD_FILES = [
    pytest.param(after_good_row(row(forecast="1.4")), "line 3: Forecast (scale = 0-1) 1.4 is above 1 (this column is on a 0-1 scale)", id="forecast-over-1"),
    pytest.param(after_good_row(row(forecast="-0.1")), "line 3: Forecast (scale = 0-1) -0.1 is below 0", id="negative"),
    pytest.param(after_good_row(row(forecast="70%")), "line 3: Forecast (scale = 0-1) '70%' is not a number from 0 to 1", id="percent-in-export"),
    pytest.param(after_good_row(row(forecast="")), "line 3: Forecast (scale = 0-1) is required", id="empty-forecast"),
    pytest.param(after_good_row(row(at="2025-13-45 10:00:0")), "line 3: Forecast created at '2025-13-45 10:00:0' is not a date: write 2025-03-04 or 2025-03-04 09:05:07", id="bad-date"),
    pytest.param(after_good_row(row(at="03/04/2025")), "line 3: Forecast created at '03/04/2025' is not a date: write 2025-03-04 or 2025-03-04 09:05:07", id="us-date"),
    pytest.param(after_good_row(row(at="")), "line 3: Forecast created at is required", id="no-forecast-time"),
    pytest.param(after_good_row(row(at="2199-01-01 00:00:0")), "line 3: Forecast created at 2199-01-01 is in the future", id="future"),
    pytest.param(after_good_row(row(by="")), "line 3: Forecast created by must not be empty", id="no-researcher"),
    pytest.param(after_good_row(row(res="MAYBE", resolved="2025-02-01 00:00:0")), "line 3: Resolution 'MAYBE' is not a resolution: use YES, NO or AMBIGUOUS", id="bad-resolution"),
    pytest.param(after_good_row(row(res="YES")), "line 3: Resolved at is empty but Resolution is YES: give the time it resolved", id="resolved-at-missing"),
    pytest.param(after_good_row(row(res="YES", resolved="2199-01-01 00:00:0")), "line 3: Resolved at 2199-01-01 is in the future", id="future-resolution"),
    pytest.param(export_csv(row(res="YES", resolved="2025-02-01 00:00:0"), row(res="NO", resolved="2025-02-01 00:00:0")), "line 3: Resolution differs from line 2 for the same question 'Q'", id="rows-disagree"),
    pytest.param(after_good_row(row() + ",extra"), "line 3: has 18 fields but the header has 17", id="too-many-fields"),
    pytest.param(b"Question title,Forecast created by\nQ,Ada\n", "line 1: missing required column 'forecast (scale = 0-1)'", id="missing-column"),
    pytest.param(b"researcher,question,probability,as_of\na,Q,0.5,2024-01-01\n", "line 1: not a Fatebook file: expected its forecast export", id="not-fatebook"),
    pytest.param(b"", "line 1: the file is empty; it needs a header row", id="empty-file"),
    pytest.param(after_good_row('"Q\xff",,"A",0.5,2025-01-01 0:0:0').replace(b"\xc3\xbf", b"\xff"), "line 3: byte 0xff is not UTF-8; save the file as UTF-8", id="not-utf8"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_file_is_refused_with_line_and_column(data, message):
    """The parser alone words every refusal (no database needed to show it)."""
    with pytest.raises(InputError) as err:
        fatebook.parse_fatebook(data)
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


@pytest.mark.parametrize("bad", ["forecast-over-1", "rows-disagree", "not-utf8"])
def test_a_refused_file_writes_nothing(engine, bad):
    (data,) = [p.values[0] for p in BAD_FILES if p.id == bad]
    actions.import_fatebook(engine, good_export())
    before = backup(engine)
    with pytest.raises(InputError):
        actions.import_fatebook(engine, data)
    assert backup(engine) == before


def test_every_bad_row_is_reported_with_physical_line_numbers(engine):
    data = export_csv(*EXPORT_ROWS, row(forecast="1.4"), row(at="2025-02-30 1:2:3"))
    with pytest.raises(InputError) as err:
        actions.import_fatebook(engine, data)
    assert err.value.problems == [
        "line 13: Forecast (scale = 0-1) 1.4 is above 1 (this column is on a 0-1 scale)",
        "line 14: Forecast created at '2025-02-30 1:2:3' is not a date: write 2025-03-04 or 2025-03-04 09:05:07",
    ]
    assert len(forecasts_frame(engine)) == 0


# --- the spreadsheet layout ----------------------------------------------------------------------

SHEET = (
    b"questionTitle,forecast,qCreatedAt,resolution,resolvedAt,resolveBy,fCreatedAt,tags,notes\n"
    b'"Ship by June, 2024?",70,2024-01-05,yes,2024-06-01 12:0:0,2024-06-01,2024-01-06 9:5:3,"ai, evals",Some notes\n'
    b'"Ship by June, 2024?",45%,2024-01-05,yes,2024-06-01 12:0:0,2024-06-01,,"ai, evals",\n'
    b"Open one,0.5,2024-02-01,,,,2024-02-02,,\n"
)


def test_spreadsheet_layout_reads_percent_forecasts_for_the_named_researcher(engine):
    summary = actions.import_fatebook(engine, SHEET, researcher="dove_tail")
    assert summary.created == {"researchers": 1, "questions": 2, "forecasts": 3, "resolutions": 1}
    df = forecasts_frame(engine)
    assert df["researcher"].unique().tolist() == ["dove_tail"]
    assert df["probability"].tolist() == [0.45, 0.7, 0.005]  # "0.5" is 0.5%, as in Fatebook
    # An empty fCreatedAt dates the forecast by its question, as Fatebook does.
    assert df["as_of"].tolist() == [utc("2024-01-05"), utc("2024-01-06 09:05:03"), utc("2024-02-02")]
    q = questions_frame(engine).set_index("question")
    assert q.loc["Ship by June, 2024?", "tags"] == ("ai", "evals")
    assert (q.loc["Ship by June, 2024?", "outcome"], q.loc["Ship by June, 2024?", "criteria"]) == (
        "yes",
        "Some notes",
    )


def test_spreadsheet_layout_needs_a_researcher(engine):
    assert fatebook.layout(SHEET) == fatebook.SPREADSHEET
    with pytest.raises(InputError) as err:
        fatebook.parse_fatebook(SHEET)
    assert err.value.problems == [fatebook.NO_RESEARCHER]


def test_spreadsheet_percent_over_100_is_refused(engine):
    data = b"questionTitle,forecast,qCreatedAt\nQ,140,2024-01-01\nR,abc,2024-01-01\n"
    with pytest.raises(InputError) as err:
        actions.import_fatebook(engine, data, researcher="dove_tail")
    assert err.value.problems == [
        "line 2: forecast 140% is above 100%",
        "line 3: forecast 'abc' is not a percentage: write 70 for 70%",
    ]


def test_export_ignores_the_researcher_argument(engine):
    actions.import_fatebook(engine, good_export(), researcher="dove_tail")
    assert "dove_tail" not in set(forecasts_frame(engine)["researcher"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04 09:05:7", datetime(2025, 3, 4, 9, 5, 7, tzinfo=UTC)),
        ("2025-3-4 9:5:07", datetime(2025, 3, 4, 9, 5, 7, tzinfo=UTC)),
        ("2025-03-04", datetime(2025, 3, 4, tzinfo=UTC)),
        ("2025-03-04T09:05:07+02:00", datetime(2025, 3, 4, 7, 5, 7, tzinfo=UTC)),
        ("2025-03-04 09:05:07.25", datetime(2025, 3, 4, 9, 5, 7, 250000, tzinfo=UTC)),
    ],
)
def test_fatebook_times_are_read_as_utc(text, expected):
    assert fatebook.parse_fatebook_time(text) == expected


# --- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    path = tmp_path / "fatebook.csv"
    path.write_bytes(good_export())
    return path


def test_cli_import_fatebook_reports_created_then_already_present(sqlite_url, export_file):
    first = cli(sqlite_url, "import", "fatebook", str(export_file))
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "created: 3 researchers, 5 questions, 8 forecasts, 4 resolutions",
        NAMES,
    ]
    second = cli(sqlite_url, "import", "fatebook", str(export_file))
    assert second.stdout.splitlines() == [
        "already present: 3 researchers, 5 questions, 8 forecasts, 4 resolutions",
        NAMES,
    ]


def test_cli_bad_file_exits_1_with_line_message_and_writes_nothing(sqlite_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(after_good_row(row(forecast="1.4")))
    result = cli(sqlite_url, "import", "fatebook", str(bad))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {bad}: line 3: Forecast (scale = 0-1) 1.4 is above 1 (this column is on a 0-1 scale)\n"
        "Nothing was written.\n"
    )
    assert len(forecasts_frame(open_engine(sqlite_url))) == 0


def test_cli_spreadsheet_layout_without_researcher_is_a_clear_error(sqlite_url, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(SHEET)
    result = cli(sqlite_url, "import", "fatebook", str(sheet))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {sheet}: Fatebook's spreadsheet layout does not say whose forecasts these are: "
        "name the researcher with --researcher HANDLE\n"
    )
    ok = cli(sqlite_url, "import", "fatebook", str(sheet), "--researcher", "dove_tail")
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[0] == "created: 1 researcher, 2 questions, 3 forecasts, 1 resolution"


def test_cli_missing_file_is_a_message(sqlite_url):
    result = cli(sqlite_url, "import", "fatebook", "/nonexistent.csv")
    assert (result.exit_code, result.stderr) == (1, "Error: /nonexistent.csv: no such file\n")
