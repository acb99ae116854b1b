"""A real Chromium (Debian's, through Playwright) against ``streamlit run app.py``.

The app runs once per test session on a free port, on a temporary SQLite database holding
the demo data.  Without /usr/bin/chromium these tests are skipped locally, with the reason;
under CI (``CI=true``) a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models.actions import load_demo
from models.store.db import open_engine
from tests.browser.team_stack import TEST_SETTINGS, free_port, start_app

CHROMIUM = "/usr/bin/chromium"


def pytest_configure(config: pytest.Config) -> None:
    # pytest 9 warns about pytest-playwright's base_url fixture; the warning's text spans
    # several lines, which the single-line pattern in pyproject.toml does not reach.
    config.addinivalue_line("filterwarnings", "ignore:(?s).*'base_url' fixture.*")


def _chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path is None:
        reason = (
            f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` to run the browser tests"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    return {
        **browser_type_launch_args,
        "executable_path": _chromium(),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }  # fmt: skip


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:  # type: ignore[type-arg]
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@dataclass(frozen=True)
class App:
    url: str
    db_url: str


@contextmanager
def serve(directory: Path, db_url: str, settings: tuple[str, ...] = TEST_SETTINGS) -> Iterator[App]:
    """``streamlit run app.py`` on a free port and the database at ``db_url``, until the block
    ends; ``settings=()`` runs it with the project's own settings, nothing overridden."""
    env = {"CREDENCE_DATABASE_URL": db_url}
    with start_app(directory, free_port(), env, settings=settings) as url:
        yield App(url=url, db_url=db_url)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app on a new database with the demo data, for the whole session."""
    _chromium()
    directory = tmp_path_factory.mktemp("browser")
    db_url = f"sqlite:///{directory / 'credence.db'}"
    eng = open_engine(db_url)
    load_demo(eng)
    eng.dispose()
    with serve(directory, db_url) as running:
        yield running


def save_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """Screenshot into ``tmp_path`` and, when ``CREDENCE_SCREENSHOTS=dir`` is set, into that dir
    (how the README's images are made: ``CREDENCE_SCREENSHOTS=docs/img make test``)."""
    path = tmp_path / name
    page.screenshot(path=path)
    target = os.environ.get("CREDENCE_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)
    return path


def settled(page: Page) -> None:
    """Wait until the app's script run has finished.  While it runs, the elements of the run
    before stay on the page, greyed out: a widget whose key changed is there twice."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def open_link(page: Page, app: App, link: str) -> None:
    """Follow a deep link into the app (even as a fresh server's first request, a deep link
    shows the app with its navigation: see pages/_shared.py and tests/browser/test_first_visit.py)."""
    page.goto(app.url + link)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is also slow: `make test-fast` leaves them to `make test`."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
