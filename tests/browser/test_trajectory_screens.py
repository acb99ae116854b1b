"""A person opens links to the Trajectories and Compare pages in a real browser and sees the
views they name; a change of option is written back to the address bar.

The screenshots go to ``tmp_path`` and, when ``CREDENCE_SCREENSHOTS=dir`` is set, to that
directory too (``docs/img/trajectories.png`` and ``docs/img/compare.png`` come from here).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, open_link, save_screenshot

SCHEMERS = "Frontier AIs are schemers (at the stated capability level)"
TRAJECTORY_LINK = "/trajectories?" + urlencode(
    {"question": SCHEMERS, "levels": "3x AI R&D labor,full automation of AI R&D"}
)
COMPARE_LINK = "/compare?" + urlencode({"tag": "evals", "group": "1"})
#: Tall enough for the filters, the charts and the start of the first table in one picture.
TRAJECTORY_VIEWPORT = {"width": 1280, "height": 1455}
COMPARE_VIEWPORT = {"width": 1280, "height": 1800}


def _open(page: Page, app: App, link: str, heading: str) -> None:
    open_link(page, app, link)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=30_000)


@pytest.mark.browser
def test_a_link_to_a_trajectory_shows_the_question_levels_and_capability_view(
    page: Page, app: App, tmp_path: Path
) -> None:
    page.set_viewport_size(TRAJECTORY_VIEWPORT)
    _open(page, app, TRAJECTORY_LINK, "Belief trajectories")
    expect(page.get_by_role("combobox", name="Question")).to_have_value(SCHEMERS)
    levels = page.get_by_test_id("stMultiSelect").nth(1)
    expect(levels).to_contain_text("3x AI R&D labor")
    expect(levels).to_contain_text("full automation of AI R&D")
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2, timeout=30_000)  # the trajectory and the capability view
    expect(charts.first).to_contain_text(SCHEMERS)
    expect(charts.first).to_contain_text("reconstructed (written after the fact)")
    expect(charts.nth(1)).to_contain_text("capability level")
    expect(page.get_by_test_id("stDataFrame").first).to_be_attached()
    page.wait_for_timeout(1_000)  # let the chart fonts paint
    shot = save_screenshot(page, tmp_path, "trajectories.png")
    assert shot.stat().st_size > 10_000

    page.get_by_text("Log-odds axis").click()
    expect(charts.first).to_contain_text("log-odds", timeout=30_000)
    expect(page).to_have_url(re.compile(r"log_odds=1"))


@pytest.mark.browser
def test_a_link_to_a_comparison_shows_the_tag_group_lines_and_tables(
    page: Page, app: App, tmp_path: Path
) -> None:
    page.set_viewport_size(COMPARE_VIEWPORT)
    _open(page, app, COMPARE_LINK, "Compare researchers")
    expect(page.get_by_role("combobox", name="Tag")).to_have_value("evals")
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2, timeout=30_000)  # the small multiples and the spread over time
    expect(charts.first).to_contain_text("Researchers compared")
    expect(charts.first).to_contain_text("geometric mean of odds")
    expect(page.get_by_test_id("stDataFrame")).to_have_count(4, timeout=30_000)
    expect(page.get_by_role("heading", name="How each researcher updates")).to_be_attached()
    page.wait_for_timeout(1_000)
    shot = save_screenshot(page, tmp_path, "compare.png")
    assert shot.stat().st_size > 10_000

    page.get_by_text("Log-odds axis").click()
    expect(charts.first).to_contain_text("log-odds", timeout=30_000)
    expect(page).to_have_url(re.compile(r"tag=evals.*log_odds=1|log_odds=1.*tag=evals"))
