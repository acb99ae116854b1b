"""A person opens a link to the Why it moved page in a real browser and sees why teal_heron's
P(scheming before full automation) fell: the sentence, both charts and the factors.

The screenshot goes to ``tmp_path`` and, when ``CREDENCE_SCREENSHOTS=dir`` is set, to that
directory too (``docs/img/why_it_moved.png`` comes from here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, open_link, save_screenshot

VIEWPORT = {"width": 1280, "height": 1700}


@pytest.mark.browser
def test_why_it_moved_shows_the_sentence_charts_and_factors(page: Page, app: App, tmp_path: Path) -> None:
    page.set_viewport_size(VIEWPORT)
    open_link(page, app, "/why_it_moved?researcher=teal_heron")
    expect(page.get_by_role("heading", name="Why it moved", exact=True).first).to_be_visible(timeout=30_000)
    expect(
        page.get_by_text("fell from 33.8% to 27.6% between 2024-06-01 and 2026-01-15", exact=False)
    ).to_be_visible(timeout=30_000)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2, timeout=30_000)
    expect(charts.nth(1)).to_contain_text("Why P(Scheming arises before full automation of AI R&D) moved")
    expect(page.get_by_test_id("stDataFrame").first).to_be_attached()
    page.wait_for_timeout(1_000)  # let the chart fonts paint
    shot = save_screenshot(page, tmp_path, "why_it_moved.png")
    assert shot.stat().st_size > 10_000
