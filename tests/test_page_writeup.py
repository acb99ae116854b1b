"""The Write-up export page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import actions

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "writeup.py")
RSP = "A frontier lab publishes a responsible scaling policy by end of 2023"
TABLE_DOWNLOADS = [
    "Update history (CSV)",
    "Update history (Markdown)",
    "Estimates (CSV)",
    "Estimates (Markdown)",
]


@pytest.fixture
def page(shared_demo_engine: sa.Engine) -> Iterator[AppTest]:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    yield at


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.get("download_button")]


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["tab"] = label
    return at.run()


@pytest.mark.parametrize(
    ("tab", "downloads"),
    [
        ("Markdown report", ["Download report (Markdown)"]),
        ("Tables", TABLE_DOWNLOADS),
        ("Charts", ["Chart (PNG)", "Chart (SVG)"]),
    ],
)
def test_each_tab_offers_its_downloads(page: AppTest, tab: str, downloads: list[str]) -> None:
    assert not open_tab(page, tab).exception
    assert labels(page) == downloads


def test_only_the_open_tab_is_computed_and_the_url_keeps_it(shared_demo_engine: sa.Engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["tab"] = "Tables"
    at.run()
    assert not at.exception
    assert labels(at) == TABLE_DOWNLOADS
    assert [s.value for s in at.subheader] == ["Update history", "Standing estimates"]
    assert not at.get("vega_lite_chart") and not at.get("arrow_vega_lite_chart")


def test_everything_is_too_much_to_preview(page: AppTest) -> None:
    (info,) = [i.value for i in page.info]
    assert info.startswith("The selection covers 40 questions, too many to preview here")


def test_a_tag_previews_the_report_with_its_filters(page: AppTest) -> None:
    page.multiselect(key="tags").set_value(["lab-policy"]).run()
    assert not page.exception
    report = [m.value for m in page.markdown if m.value.startswith("# Credence report")]
    assert len(report) == 1
    assert "(tags: lab-policy; researchers: all; dates: all)" in report[0]
    assert f"## {RSP}" in report[0]
    (source,) = page.code
    assert source.value == report[0]
    assert "Filters: tags: lab-policy; researchers: all; dates: all" in [
        c.value.split(" — ")[0] for c in page.caption
    ]


def test_until_before_since_is_shown_under_the_dates_and_kept(page: AppTest) -> None:
    page.date_input(key="since").set_value(date(2025, 1, 1)).run()
    page.date_input(key="until").set_value(date(2024, 1, 1)).run()
    assert not page.exception
    assert [e.value for e in page.error] == ["until 2024-01-01 is before since (2025-01-01)"]
    assert page.date_input(key="until").value == date(2024, 1, 1)
    assert labels(page) == []


def test_zip_holds_the_report_and_its_charts(page: AppTest) -> None:
    page.multiselect(key="questions").set_value([RSP]).run()
    page.button(key="prepare_zip").click().run()
    assert not page.exception
    assert "Download report with charts (.zip)" in labels(page)
    data = page.session_state["report_zip"][1]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == ["credence-report.md", "credence-report_files/q12-trajectory.png"]
        text = z.read("credence-report.md").decode("utf-8")
    assert f"![Trajectory: {RSP}](credence-report_files/q12-trajectory.png)" in text


@pytest.mark.parametrize("kind", ["trajectory", "capability", "comparison", "calibration"])
def test_each_chart_kind_draws_with_downloads(page: AppTest, kind: str) -> None:
    page.multiselect(key="tags").set_value(["scheming"]).run()
    open_tab(page, "Charts").selectbox(key="chart_kind").set_value(kind).run()
    assert not page.exception
    assert not page.error
    assert page.get("vega_lite_chart") or page.get("arrow_vega_lite_chart")
    assert labels(page)[-2:] == ["Chart (PNG)", "Chart (SVG)"]


def test_a_chart_that_cannot_be_drawn_says_why(page: AppTest) -> None:
    page.multiselect(key="questions").set_value([RSP]).run()
    open_tab(page, "Charts").selectbox(key="chart_kind").set_value("capability").run()
    assert not page.exception
    assert [e.value for e in page.error] == [
        f'nothing to draw: "{RSP}" has no conditional forecasts by the selected researchers'
    ]


def test_a_write_elsewhere_shows_on_the_next_run(demo_engine: sa.Engine) -> None:
    eng = demo_engine
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.multiselect(key="questions").set_value([RSP]).run()
    assert "new_owl" not in at.code[0].value
    csv = f"researcher,question,probability,as_of,rationale\nnew_owl,{RSP},0.9,2023-08-01,late entry\n"
    actions.import_file(eng, csv.encode(), "forecasts")
    at.run()
    assert not at.exception
    assert "| 2023-08-01 | new_owl | — → 90% | — | — | late entry |  |" in at.code[0].value
