"""A person follows a link to one question and sees its estimates and history (README screenshot)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, open_link, save_screenshot

QUESTION = "Scheming arises before full automation of AI R&D"


@pytest.mark.browser
def test_a_link_to_a_question_shows_its_estimates_and_history(page: Page, app: App, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 1400})
    open_link(page, app, f"/questions?question={quote(QUESTION)}")
    expect(page.get_by_role("heading", name=QUESTION)).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Current estimates")).to_be_visible()
    expect(page.get_by_role("heading", name="Forecast history")).to_be_visible()
    tables = page.get_by_test_id("stDataFrame")
    expect(tables.nth(2)).to_be_visible()  # the list, current estimates, history
    expect(tables.nth(1).locator("canvas").first).to_be_visible()
    page.wait_for_timeout(2000)  # the data grids draw onto their canvas after they appear
    assert save_screenshot(page, tmp_path, "question.png").stat().st_size > 10_000
