"""A real Chromium (Debian's, through Playwright) against ``streamlit run app.py``.

The app runs once per test session on a free port, on a temporary SQLite database holding
the demo data.  Without /usr/bin/chromium these tests are skipped locally, with the reason;
under CI (``CI=true``) a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models.actions import load_demo
from models.store.db import open_engine

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
STARTUP_S = 60


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class App:
    url: str
    db_url: str


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def serve(directory: Path, db_url: str) -> Iterator[App]:
    """``streamlit run app.py`` on a free port and the database at ``db_url``, until the block ends."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(directory / "streamlit.log", "w")  # noqa: SIM115 (closed after the server stops)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--client.toolbarMode", "minimal"],
        cwd=ROOT,
        env={**os.environ, "CREDENCE_DATABASE_URL": db_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_S
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{(directory / 'streamlit.log').read_text()}")
            time.sleep(0.2)
        yield App(url=url, db_url=db_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
