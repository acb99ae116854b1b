"""Every page runs on its own, without an exception, on an empty, a demo and a 100,000-forecast database.

Pages are found with a glob, so a page added later is covered without touching this file
(files starting with ``_`` are helpers, not pages).  The large database is built once per
test session from :mod:`models.files.synthetic` files through the real importer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import actions
from models.files.synthetic import write_synthetic
from models.store.db import current_revision, head_revision, open_engine
from tests.factories import copy_of

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
LARGE = 100_000


@pytest.fixture(scope="session")
def large_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of 100,000 synthetic forecasts (50 researchers, 2,000 questions, half resolved)."""
    directory = tmp_path_factory.mktemp("large")
    files = write_synthetic(directory, LARGE)
    url = f"sqlite:///{directory / 'large.db'}"
    eng = open_engine(url)
    for kind, path in (
        ("questions", files.questions),
        ("forecasts", files.forecasts),
        ("resolutions", files.resolutions),
    ):
        actions.import_file(eng, path.read_bytes(), kind)
    eng.dispose()
    return url


@pytest.fixture(params=["empty", "demo", pytest.param("large", marks=pytest.mark.slow)])
def database(request: pytest.FixtureRequest, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty, migrated database, the demo data (shared with the other tests that only read
    it) or the large one.  (A database that does not exist yet: see
    :func:`test_the_app_creates_a_database_that_does_not_exist_yet`.)"""
    if request.param == "demo":
        request.getfixturevalue("shared_demo_engine")  # names the shared file, checks it is left unchanged
        return request.getfixturevalue("shared_demo_url")  # type: ignore[no-any-return]
    url = copy_of(sqlite_url, "empty") if request.param == "empty" else request.getfixturevalue("large_url")
    monkeypatch.setenv("CREDENCE_DATABASE_URL", url)
    return url  # type: ignore[no-any-return]


def test_pages_are_found() -> None:
    assert "log_forecast.py" in [p.name for p in PAGES]


@pytest.mark.parametrize("page_file", PAGES, ids=[p.stem for p in PAGES])
def test_page_runs_on_its_own(page_file: Path, database: str) -> None:
    at = AppTest.from_file(str(page_file), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]


def test_app_runs_and_lands_on_home(database: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Home"


def test_the_app_creates_a_database_that_does_not_exist_yet(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDENCE_DATABASE_URL", sqlite_url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Home"
    engine = sa.create_engine(sqlite_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_every_page_file_is_in_the_apps_navigation() -> None:
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    (nav,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["NAVIGATION"]
    ]
    # shared_view.py is routed by a share link's ?share=, outside the navigation, on purpose.
    listed = {name for name, _title, _icon in ast.literal_eval(nav)} | {"shared_view.py"}
    on_disk = {p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_")}
    assert listed == on_disk
