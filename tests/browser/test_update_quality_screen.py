"""A person opens the Update quality page in a real browser (README screenshot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, open_link, save_screenshot

#: Tall enough for the explanation, the interval chart and the per-researcher table.
VIEWPORT = {"width": 1280, "height": 1300}


@pytest.mark.browser
def test_update_quality_page_shows_intervals_and_expected_vs_actual(
    page: Page, app: App, tmp_path: Path
) -> None:
    page.set_viewport_size(VIEWPORT)
    open_link(page, app, "/update_quality")
    expect(page.get_by_role("heading", name="Update quality", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("whether or not the question ever resolves")).to_be_visible()
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart).to_contain_text("Excess movement")
    expect(chart).to_contain_text("kestrel_q")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_role("heading", name="Expected vs actual updates")).to_be_attached()
    page.wait_for_timeout(1_000)  # let the table's canvas and the chart fonts paint
    assert save_screenshot(page, tmp_path, "update_quality.png").stat().st_size > 10_000
