"""What a person sees on a first visit: the app's own tab, its navigation, nothing fetched
from elsewhere, and the home page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, save_screenshot, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The pages a person reaches from the navigation (their URL paths).
PAGES = ["", "log_forecast", "questions", "trajectories", "compare", "calibration", "researchers",
         "capability_levels", "evidence", "import_export", "writeup"]  # fmt: skip


@contextmanager
def fresh_server(db_url: str, directory: Path) -> Iterator[str]:
    """A new ``streamlit run app.py`` with the project's own settings (nothing overridden)."""
    with serve(directory, db_url, settings=()) as running:
        yield running.url


def test_deep_link_as_first_request_shows_the_app_with_its_navigation(
    page: Page, app: App, tmp_path: Path
) -> None:
    with fresh_server(app.db_url, tmp_path) as url:
        page.goto(url + "/questions?status=open")
        expect(page.get_by_role("heading", name="Questions", exact=True)).to_be_visible(timeout=30_000)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="Home")).to_be_visible()
        expect(nav.get_by_role("link", name="Log forecast")).to_be_visible()
        # Not Streamlit's page-folder navigation (file names, the helper module included).
        expect(nav.get_by_role("link", name="shared")).to_have_count(0)


def test_tab_has_the_app_title_and_icon_and_no_deploy_button(page: Page, app: App, tmp_path: Path) -> None:
    with fresh_server(app.db_url, tmp_path) as url:
        page.goto(url)
        expect(page.get_by_role("heading", name="Home")).to_be_visible(timeout=30_000)
        expect(page).to_have_title(re.compile(r"Credence"))
        icon = page.locator("link[rel='shortcut icon']").get_attribute("href") or ""
        assert icon.startswith("data:") or urlparse(icon).hostname in (None, "127.0.0.1"), icon
        expect(page.get_by_role("button", name="Deploy")).to_have_count(0)


def test_no_page_requests_anything_from_another_host(page: Page, app: App) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    for path in PAGES:
        page.goto(f"{app.url}/{path}")
        expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
    elsewhere = sorted(
        {u for u in requested if not u.startswith(("data:", "blob:")) and urlparse(u).hostname != "127.0.0.1"}
    )
    assert elsewhere == []


def test_home_page_lists_what_is_due(page: Page, app: App, tmp_path: Path) -> None:
    page.goto(f"{app.url}/?researcher=teal_heron")
    expect(page.get_by_role("heading", name="Home")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Due for review")).to_be_visible()
    expect(page.get_by_role("heading", name="Your standing estimates")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Reaffirm \d")).first).to_be_visible()
    expect(page.get_by_role("textbox", name="Note").first).to_be_visible()
    page.wait_for_timeout(1500)  # the tables draw onto their canvas after they appear
    save_screenshot(page, tmp_path, "home.png")
