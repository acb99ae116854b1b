"""A write from a page that the database refuses shows an error box there, keeps what was typed,
and never a traceback.

The database is a SQLite file opened read-only through its URI (``?mode=ro``): file modes do
not bind root, who runs the tests in CI, but SQLite's read-only mode binds everyone.  Every
page still reads it; each form's write fails with the database's refusal in words, shown by
``pages._shared.submit`` (or the Log forecast page's own handlers) next to the form.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store.db import data_version, open_engine
from models.store.reads import forecasts_frame
from tests.factories import sqlite_template

ROOT = Path(__file__).resolve().parent.parent
READ_ONLY = "the database is read-only"


@pytest.fixture(scope="module")
def _demo_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, sa.Engine]]:
    path = tmp_path_factory.mktemp("read-only") / "demo.db"
    shutil.copyfile(sqlite_template("demo"), path)
    eng = open_engine(f"sqlite:///{path}")
    yield path, eng
    eng.dispose()


@pytest.fixture
def read_only(_demo_file: tuple[Path, sa.Engine], monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """The demo database, as the pages see it: read-only (the engine returned can read it).

    One file for the tests of this module: the pages cannot change it, so they share their
    cached reads of it; each test checks that its data version did not move.
    """
    path, eng = _demo_file
    monkeypatch.setenv("CREDENCE_DATABASE_URL", f"sqlite:///file:{path}?mode=ro&uri=true")
    before = data_version(eng)
    yield eng
    _unchanged(eng, before)


def _page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _refused(at: AppTest) -> str:
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(READ_ONLY in e for e in errors), errors
    return next(e for e in errors if READ_ONLY in e)


def _unchanged(eng: sa.Engine, before: int) -> None:
    assert data_version(eng) == before


def test_log_forecast_save_keeps_the_form(read_only: sa.Engine) -> None:
    before, n = data_version(read_only), len(forecasts_frame(read_only))
    handle = str(forecasts_frame(read_only)["researcher"].iloc[0])
    question = str(forecasts_frame(read_only)["question"].iloc[0])
    at = _page("log_forecast.py", researcher=handle, question=question)
    at.number_input(key="probability").set_value(12.5)
    at.text_area(key="rationale:0").set_value("typed before the refusal")
    at.button(key="save").click().run()
    _refused(at)
    assert at.number_input(key="probability").value == 12.5
    assert at.text_area(key="rationale:0").value == "typed before the refusal"
    assert len(forecasts_frame(read_only)) == n
    _unchanged(read_only, before)


def test_log_forecast_new_question_and_evidence_keep_what_was_typed(read_only: sa.Engine) -> None:
    at = _page("log_forecast.py")
    at.selectbox(key="question").set_value("New question…").run()
    at.text_input(key="new_question_title").set_value("Will the refusal show?")
    at.button(key="create_question").click().run()
    _refused(at)
    assert at.text_input(key="new_question_title").value == "Will the refusal show?"
    at.text_input(key="new_evidence_title").set_value("A paper")
    at.button(key="add_evidence").click().run()
    _refused(at)
    assert at.text_input(key="new_evidence_title").value == "A paper"


FORMS: dict[str, tuple[str, Callable[[AppTest], None], str, str]] = {
    # page: (what is typed, how it is submitted, the input that must keep its value, its key)
    "capability_levels.py": (
        "Level from a read-only test",
        lambda at: at.button(key="add_level").click(),
        "new_level_name",
        "text_input",
    ),
    "researchers.py": (
        "ro_heron",
        lambda at: at.button(key="add_researcher").click(),
        "new_handle",
        "text_input",
    ),
    "evidence.py": (
        "Evidence from a read-only test",
        lambda at: at.button(key="add_evidence").click(),
        "new_ev_title",
        "text_input",
    ),
    "partitions.py": (
        "Partition from a read-only test",
        lambda at: at.button(key="declare").click(),
        "partition_name",
        "text_input",
    ),
}


@pytest.mark.parametrize("page", list(FORMS))
def test_a_form_shows_the_refusal_and_keeps_its_input(read_only: sa.Engine, page: str) -> None:
    typed, submit, key, kind = FORMS[page]
    before = data_version(read_only)
    at = _page(page)
    getattr(at, kind)(key=key).set_value(typed)
    if page == "partitions.py":
        at.selectbox(key="partition_researcher").set_value(
            at.selectbox(key="partition_researcher").options[0]
        )
        at.multiselect(key="partition_members").set_value(at.multiselect(key="partition_members").options[:2])
    submit(at)
    at.run()
    _refused(at)
    assert getattr(at, kind)(key=key).value == typed
    _unchanged(read_only, before)


def test_resolving_a_question_shows_the_refusal(read_only: sa.Engine) -> None:
    question = str(forecasts_frame(read_only)["question"].iloc[0])
    at = _page("questions.py", question=question)
    at.radio(key="resolve_outcome").set_value("yes")
    at.text_area(key="resolve_note").set_value("kept after the refusal")
    at.button(key="resolve").click().run()
    _refused(at)
    assert at.text_area(key="resolve_note").value == "kept after the refusal"


def test_deleting_a_researcher_shows_the_refusal(read_only: sa.Engine) -> None:
    from models.store.reads import researchers_frame

    at = _page("researchers.py")
    at.selectbox(key="researcher_pick").set_value(int(researchers_frame(read_only)["id"].iloc[0])).run()
    at.button(key="delete_researcher").click().run()
    _refused(at)


def test_an_import_is_refused_in_words(read_only: sa.Engine) -> None:
    at = _page("import_export.py")
    csv = b"researcher,question,probability,as_of\nro_owl,Will the import be refused?,0.4,2025-01-02\n"
    at.file_uploader(key="upload").set_value(("ro.csv", csv, "text/csv")).run()
    _refused(at)


@pytest.mark.parametrize(
    "page", sorted(p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
)
def test_every_page_reads_a_read_only_database(read_only: sa.Engine, page: str) -> None:
    at = _page(page)
    assert not at.exception
