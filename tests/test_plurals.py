"""Counts read as words: "1 researcher", "2 researchers", in every message that counts things."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.format import plural
from tests.factories import cli, forecasts_csv

#: "1 researchers" and the like: a count of one with a plural noun after it.
ONE_PLURAL = re.compile(
    r"(?<![\d.,])1 (researchers|forecasts|questions|estimates|resolutions|days|items|evidence items|"
    r"capability levels|likelihood ratios|partitions|targets|resolved targets|members|updates)\b"
)
#: "2 researcher": a count other than one with a singular noun.
MANY_SINGULAR = re.compile(
    r"(?<![\d.,])(0|[2-9]|\d{2,}) (researcher|forecast|question|estimate|resolution|day|item|evidence item|"
    r"capability level|likelihood ratio|partition)(?![\w-])"
)


def wrong_numbers(text: str) -> list[str]:
    return [m.group(0) for m in ONE_PLURAL.finditer(text)] + [
        m.group(0) for m in MANY_SINGULAR.finditer(text)
    ]


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [(0, "researcher", "0 researchers"), (1, "researcher", "1 researcher"), (2, "researcher", "2 researchers"),
     (1, "evidence item", "1 evidence item"), (12000, "forecast", "12,000 forecasts"),
     (2, "capability", "2 capabilities")],
)  # fmt: skip
def test_plural_puts_the_noun_in_the_number_of_its_count(n: int, noun: str, expected: str) -> None:
    many = "capabilities" if noun == "capability" else None
    assert plural(n, noun, many) == expected


def test_the_scanner_finds_wrong_numbers() -> None:
    assert wrong_numbers("created: 1 researchers, 2 forecast, 1 question, 3 days") == [
        "1 researchers",
        "2 forecast",
    ]


@pytest.mark.parametrize("rows", [1, 2])
def test_cli_import_export_and_due_messages_count_in_words(
    sqlite_url: str, tmp_path: Path, rows: int
) -> None:
    lines = [f"r{i},Question {i},0.{i + 1},2024-0{i + 1}-01,,,,false" for i in range(rows)]
    file = tmp_path / "f.csv"
    file.write_bytes(forecasts_csv(*lines))
    outputs = []
    for args in (
        ("import", "forecasts", str(file)),
        ("import", "forecasts", str(file)),  # again: already present
        ("export", "csv", str(tmp_path / "out.csv")),
        ("export", "questions", str(tmp_path / "q.csv")),
        ("due",),
    ):
        result = cli(sqlite_url, *args)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    text = "\n".join(outputs)
    assert not wrong_numbers(text), text
    noun = "researcher" if rows == 1 else "researchers"
    assert f"created: {rows} {noun}, {plural(rows, 'question')}, {plural(rows, 'forecast')}" in text
    assert f"wrote {plural(rows, 'forecast')} to" in text
    assert f"wrote {plural(rows, 'question')} to" in text
    assert f"{plural(rows, 'estimate')} due for review:" in text


@pytest.mark.parametrize("rows", [1, 2])
def test_the_import_pages_preview_and_summary_count_in_words(demo_engine: sa.Engine, rows: int) -> None:
    data = forecasts_csv(*[f"new_owl{i},Plural page check {i},0.4,2025-01-02,,,,false" for i in range(rows)])
    page = str(Path(__file__).resolve().parent.parent / "pages" / "import_export.py")
    at = AppTest.from_file(page, default_timeout=30).run()
    at.selectbox(key="kind").set_value("forecasts").run()
    at.file_uploader(key="upload").set_value(("f.csv", data, "text/csv")).run()
    (preview,) = [i.value for i in at.info]
    assert (
        f"created: {plural(rows, 'researcher')}, {plural(rows, 'question')}, {plural(rows, 'forecast')}"
        in preview
    )
    at.button(key="import").click().run()
    assert not at.exception
    (done,) = [s.value for s in at.success]
    assert not wrong_numbers(preview + done), preview + done


def test_chart_captions_and_report_headers_count_in_words() -> None:
    from datetime import UTC, datetime

    from models.writeup.filters import ReportFilter
    from models.writeup.report import header_line

    made = datetime(2026, 1, 1, tzinfo=UTC)
    assert "Covers 1 question (" in header_line(1, ReportFilter(), made)
    assert "Covers 2 questions (" in header_line(2, ReportFilter(), made)
