"""The Import / export page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store import reads as queries

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "import_export.py")

GOOD = (
    b"researcher,question,probability,as_of,rationale\n"
    b"new_owl,Will the page import work?,0.4,2025-01-02,first\n"
    b"new_owl,Will the page import work?,45%,2025-02-03,second\n"
)
BAD = (
    b"researcher,question,probability,as_of\n"
    b"new_owl,Will the page import work?,0.4,2025-01-02\n"
    b"new_owl,Will the page import work?,140%,2025-02-03\n"
    b"new_owl,,0.5,2025-02-04\n"
)


def _upload(kind: str, name: str, data: bytes) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    at.selectbox(key="kind").set_value(kind).run()
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    assert not at.exception
    return at


def test_upload_previews_then_import_writes_the_rows(demo_engine: sa.Engine) -> None:
    before = len(queries.forecasts_frame(demo_engine))
    at = _upload("forecasts", "mine.csv", GOOD)
    (preview,) = [i.value for i in at.info]
    assert "Preview of mine.csv (nothing written yet)" in preview
    assert "created: 1 researcher, 1 question, 2 forecasts" in preview
    assert len(queries.forecasts_frame(demo_engine)) == before

    at.button(key="import").click().run()
    assert not at.exception
    (done,) = [s.value for s in at.success]
    assert "Imported mine.csv:" in done and "2 forecasts" in done
    df = queries.forecasts_frame(demo_engine)
    mine = df[df["researcher"] == "new_owl"]
    assert mine["probability"].tolist() == [0.4, 0.45]
    assert not at.button  # no second Import for the same file


def test_importing_the_same_file_again_says_everything_is_present_and_offers_no_import(
    demo_engine: sa.Engine,
) -> None:
    at = _upload("forecasts", "mine.csv", GOOD)
    at.button(key="import").click().run()
    again = _upload("forecasts", "mine-again.csv", GOOD)
    (said,) = [s.value for s in again.success]
    assert said.startswith("Everything in mine-again.csv is already present: there is nothing to import.")
    assert "already present: 2 forecasts" in said
    assert not [b for b in again.button if b.key == "import"]
    assert len(queries.forecasts_frame(demo_engine).query("researcher == 'new_owl'")) == 2


def test_bad_file_lists_its_problems_by_line_and_writes_nothing(shared_demo_engine: sa.Engine) -> None:
    before = len(queries.forecasts_frame(shared_demo_engine))
    at = _upload("forecasts", "bad.csv", BAD)
    (error,) = [e.value for e in at.error]
    assert "nothing was written" in error
    assert "- line 3: probability 140% is above 100%" in error
    assert "- line 4: question must not be empty" in error
    assert not at.button
    assert len(queries.forecasts_frame(shared_demo_engine)) == before


def test_a_file_with_a_wrong_header_is_refused(shared_demo_engine: sa.Engine) -> None:
    at = _upload("questions", "q.csv", b"title,criteria\nA question?,x\n")
    (error,) = [e.value for e in at.error]
    assert "line 1: missing required column 'question'" in error


def test_questions_file_imports_questions(demo_engine: sa.Engine) -> None:
    at = _upload("questions", "q.csv", b"question,tags\nA brand new question?,x;y\n")
    at.button(key="import").click().run()
    q = queries.questions_frame(demo_engine).set_index("question")
    assert q.loc["A brand new question?", "tags"] == ("x", "y")


def test_downloads_are_offered(shared_demo_engine: sa.Engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download forecasts (CSV)", "Download backup (JSON)"]


def test_fatebook_export_previews_and_imports(demo_engine: sa.Engine) -> None:
    from tests.test_fatebook import good_export

    at = _upload("fatebook", "fatebook.csv", good_export())
    (preview,) = [i.value for i in at.info]
    assert "created: 3 researchers, 5 questions, 8 forecasts, 4 resolutions" in preview
    # The preview says which of Fatebook's names became which handles.
    assert "handles made from Fatebook names: 'Ada Quill' → ada-quill" in preview
    at.button(key="import").click().run()
    assert not at.exception
    assert "ada-quill" in set(queries.forecasts_frame(demo_engine)["researcher"])


def test_fatebook_spreadsheet_layout_asks_for_the_researcher(shared_demo_engine: sa.Engine) -> None:
    from tests.test_fatebook import SHEET

    at = _upload("fatebook", "sheet.csv", SHEET)
    assert [e.value for e in at.error]  # refused until a researcher is named
    at.text_input(key="fatebook_researcher").set_value("dove_tail").run()
    assert not at.exception
    (preview,) = [i.value for i in at.info]
    assert "3 forecasts" in preview


def test_the_page_says_how_many_rows_were_read_and_checked(demo_engine: sa.Engine) -> None:
    at = _upload("forecasts", "mine.csv", GOOD)
    assert "Read and checked 2 rows of the file." in [c.value for c in at.caption]
    at.button(key="import").click().run()
    assert "Read and checked 2 rows of the file." in [c.value for c in at.caption]
    one = _upload("forecasts", "one.csv", GOOD.rsplit(b"\n", 2)[0] + b"\n")
    assert "Read and checked 1 row of the file." in [c.value for c in one.caption]
