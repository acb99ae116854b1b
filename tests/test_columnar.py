"""The column-by-column reader of forecasts files agrees with the row-by-row one.

Random files of good and bad cells (every column, spreadsheet-escaped text, dates out of
range or in the future, ids, odd spacing) are read both ways: either both refuse the
file with the same problems, in the same order, or both give the same forecasts.  No
database: parsing only.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.batch import forecast_frame
from models.errors import InputError
from models.files.columnar import parse_forecasts
from models.files.interchange import FORECASTS, parse_rows

CELLS = {
    "researcher": ["teal_heron", " bayes_lantern ", "", "x" * 81, "'=cmd", "r\u00e9"],
    "question": ["Q one", "'+Q", "", "Q, with comma", 'Q "quoted"'],
    "probability": ["0.5", "50%", "1.5", "abc", "", "0", "1", " 0.25 ", "0.1%", "-0.2"],
    "as_of": ["2024-01-01", "2024-01-01T10:00:00Z", "2024-02-30", "2024-03-01T10:00:00.5+00:00",
              "", "2024-01-01T10:00:00+02:00", "yesterday", "2999-01-01", " 2024-05-05 "],
    "capability": ["", "3x AI R&D", " ", "'-level"],
    "rationale": ["", "why", "'+1", "  spaced  "],
    "evidence": ["", "Paper A [raised]", "Paper B [sideways]", "A; B [lowered]"],
    "reconstructed": ["", "true", "false", "maybe", "TRUE"],
    "id": ["", "5", "x", "007", "12345678901234567890", "-3"],
    "recorded_at": ["", "2024-01-02", "bad", "2024-01-02T03:04:05Z", "2999-01-01"],
}  # fmt: skip

rows = st.lists(
    st.fixed_dictionaries({c: st.sampled_from(v) for c, v in CELLS.items()}), min_size=0, max_size=12
)
column_sets = st.sampled_from([tuple(CELLS), FORECASTS.required, (*FORECASTS.required, "evidence", "id")])


def _csv(columns: tuple[str, ...], data: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in data:
        writer.writerow([row[c] for c in columns])
    return out.getvalue().encode()


def _read(read, data: bytes) -> pd.DataFrame | list[str]:  # type: ignore[no-untyped-def]
    try:
        return read(data)
    except InputError as err:
        return err.problems


def _columnar(data: bytes) -> pd.DataFrame | None:
    table = parse_forecasts(data, FORECASTS.columns, FORECASTS.required)
    return None if table is None else table.frame


def _row_by_row(data: bytes) -> pd.DataFrame:
    return forecast_frame(parse_rows(data, "forecasts").forecasts)


@settings(max_examples=60, deadline=None)
@given(columns=column_sets, data=rows)
def test_columnar_reader_agrees_with_the_row_reader(columns, data):
    raw = _csv(columns, data)
    ours, theirs = _read(_columnar, raw), _read(_row_by_row, raw)
    if ours is None:
        return  # a shape the columnar reader leaves to the row reader
    if isinstance(theirs, list) or isinstance(ours, list):
        assert ours == theirs
        return
    assert isinstance(ours, pd.DataFrame)
    columns_compared = [c for c in ours.columns if c != "line"]
    pd.testing.assert_frame_equal(ours[columns_compared], theirs[columns_compared], check_dtype=False)
    assert ours["line"].tolist() == theirs["line"].tolist()


@pytest.mark.parametrize(
    "text",
    [
        "researcher,question,probability,as_of\na,Q,0.5,2024-01-01\n\nb,Q,0.5,2024-01-01\n",  # blank line
        'researcher,question,probability,as_of,rationale\na,Q,0.5,2024-01-01,"two\nlines"\n',  # line break in a cell
        "researcher,question,probability,as_of\na,Q,0.5\n",  # short row
        "researcher,question,probability,as_of\na,Q,0.5,2024-01-01,extra\n",  # long row
        "researcher,question,probability\na,Q,0.5\n",  # required column missing
    ],
)
def test_irregular_files_are_left_to_the_row_reader(text):
    assert _columnar(text.encode()) is None


def test_a_large_regular_file_is_read_by_columns():
    data = _csv(tuple(CELLS), [dict.fromkeys(CELLS, "") | {"researcher": "a", "question": "Q",
                "probability": "0.5", "as_of": f"2024-01-{1 + i % 28:02d}"} for i in range(3000)])  # fmt: skip
    frame = _columnar(data)
    assert frame is not None
    assert len(frame) == 3000
    assert frame["line"].tolist() == list(range(2, 3002))


def test_a_stray_carriage_return_in_the_header_is_refused_in_words() -> None:
    """Found by the fuzz test: the header's csv.Error reached the user as a traceback."""
    from models.errors import InputError
    from models.files import interchange

    with pytest.raises(InputError, match="missing required column"):
        interchange.parse(b"\r\x00", "forecasts")
