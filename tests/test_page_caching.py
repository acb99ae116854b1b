"""Pages cache in one place (``pages._shared.per_version``): a rerun with no write in between
reads nothing from the database and recomputes nothing; a write anywhere is seen on the next run.

Every public function of the storage readers, the domain packages and the chart builders is
wrapped in a recorder (the functions still run: this counts calls, it replaces nothing), then
each page is run twice on the demo database.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import models.analysis
import models.charts
import models.writeup
from models import actions, forms
from models.store import history, reads
from models.store.db import open_engine

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
#: Pages that show something other than the shared data (a share link needs its token).
NOT_DATA_PAGES = {"shared_view"}
#: They build the request from what the page's widgets hold, or word one value; they read no data.
INPUT_BUILDERS = {
    "models.writeup.filters.make_filter",
    "models.charts.export.make_request",
    "models.analysis.attention.plural",
    "models.analysis.decomposition.explain_sentence",
}


def _modules() -> list[ModuleType]:
    found: list[ModuleType] = [reads, history]
    for package in (models.analysis, models.charts, models.writeup):
        for info in pkgutil.iter_modules(package.__path__):
            found.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return found


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the readers, domain functions and chart builders called since the fixture started."""
    seen: list[str] = []

    def recorder(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            seen.append(name)
            return fn(*args, **kwargs)

        return recorded

    for module in _modules():
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            monkeypatch.setattr(module, name, recorder(f"{module.__name__}.{name}", fn))
    yield seen


@pytest.fixture
def demo_db(sqlite_url: str, demo_engine: object) -> str:
    """The URL of a database holding the demo data (``demo_engine``: CREDENCE_DATABASE_URL names it)."""
    return sqlite_url


@pytest.mark.parametrize("page_file", PAGES, ids=[p.stem for p in PAGES])
def test_a_rerun_without_a_write_reads_and_recomputes_nothing(
    page_file: Path, demo_db: str, calls: list[str]
) -> None:
    if page_file.stem in NOT_DATA_PAGES:
        pytest.skip("shows a share link's data only (tests/test_sharing.py)")
    at = AppTest.from_file(str(page_file), default_timeout=60)
    at.query_params["researcher"] = "kestrel_q"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    calls.clear()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    recomputed = sorted(set(calls) - INPUT_BUILDERS)
    assert recomputed == [], f"{page_file.stem} recomputed on a rerun with no write: {recomputed}"


def test_a_write_from_another_process_is_seen_on_the_next_run(demo_db: str, calls: list[str]) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "questions.py"), default_timeout=60).run()
    assert "models.store.reads.refresh_frames" in calls
    before = len(at.dataframe[0].value)
    eng = open_engine(demo_db)
    actions.add_question(eng, forms.question_input("A question added elsewhere"), by="kestrel_q")
    eng.dispose()
    at.run()
    assert len(at.dataframe[0].value) == before + 1
    assert "A question added elsewhere" in at.dataframe[0].value["question"].tolist()


@pytest.mark.parametrize("page_file", [ROOT / "pages" / "calibration.py", ROOT / "pages" / "writeup.py"])
def test_a_rerun_asks_the_database_for_its_data_version_once(page_file: Path, demo_db: str) -> None:
    """A page makes a dozen cached reads; the data version they are keyed on is read once a run."""
    import sqlalchemy as sa

    from pages import _shared

    asked: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM data_version" in statement:
            asked.append(statement)

    at = AppTest.from_file(str(page_file), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    eng = _shared._engine(demo_db)  # the engine the pages use (one per URL and process)
    sa.event.listen(eng, "before_cursor_execute", count)
    try:
        at.run()
        assert not at.exception
        assert len(asked) == 1
    finally:
        sa.event.remove(eng, "before_cursor_execute", count)


def test_a_write_made_during_a_run_is_read_by_the_rest_of_that_run(demo_db: str) -> None:
    """The version read once a run is read again after this process writes (a page that saves in
    its body and then draws the tables must show the new row)."""
    from pages import _shared

    script = """
import streamlit as st
from models import actions, forms
from pages import _shared
before = _shared.version()
actions.add_question(_shared.engine(), forms.question_input("Asked during the run"), by="kestrel_q")
st.text(f"{before} {_shared.version()}")
"""
    at = AppTest.from_string(script, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    before, after = (int(n) for n in at.text[0].value.split())
    assert after == before + 1 == _shared.data_version(_shared._engine(demo_db))
