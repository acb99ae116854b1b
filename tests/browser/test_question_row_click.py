"""Opening a question by clicking its row in the Questions list (a real browser: AppTest
cannot click a table)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Glide data grid geometry in Streamlit 1.67: the header row and each body row are 35 px tall.
ROW_PX = 35


def test_clicking_a_question_row_opens_its_page(page: Page, app: App, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app.url}/questions?search=Neuralese")
    expect(page.get_by_role("heading", name="Questions", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("click a row to open its question", exact=False)).to_be_visible(timeout=30_000)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box is not None
    # The first body row's selection cell, at the left edge of the grid.
    page.mouse.click(box["x"] + 12, box["y"] + ROW_PX * 1.5)
    expect(page.get_by_role("heading", name="Current estimates")).to_be_visible(timeout=30_000)
    assert "question=Neuralese" in page.url
    save_screenshot(page, tmp_path, "questions_row_click.png")
