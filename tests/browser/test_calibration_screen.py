"""A person opens a link to the Calibration page in a real browser and sees the view it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, save_screenshot

BRIER_NOTE = "Brier here is one-sided: 0 is best, 1 is worst (Fatebook shows the two-sided 0–2 form)."
LINK = "/calibration?researchers=teal_heron,kestrel_q"
#: Tall enough for the filters, the reliability diagram and the score table in one picture.
VIEWPORT = {"width": 1280, "height": 1480}


@pytest.mark.browser
def test_a_link_to_the_calibration_page_shows_the_named_researchers(
    page: Page, app: App, tmp_path: Path
) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(app.url + LINK)
    expect(page.get_by_role("heading", name="Calibration", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stAlertContentInfo").first).to_contain_text(BRIER_NOTE)
    chosen = page.get_by_test_id("stMultiSelect").first
    expect(chosen).to_contain_text("teal_heron")
    expect(chosen).to_contain_text("kestrel_q")
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(1, timeout=30_000)  # the reliability tab; the others run when opened
    expect(charts.first).to_contain_text("Calibration")
    expect(charts.first).to_contain_text("kestrel_q")
    expect(charts.first).to_contain_text("teal_heron")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    page.wait_for_timeout(1_000)  # let the table's canvas and the chart fonts paint
    shot = save_screenshot(page, tmp_path, "calibration.png")
    assert shot.stat().st_size > 10_000

    page.get_by_role("tab", name="Over time").click()
    expect(charts).to_have_count(2)  # the last 12 months and all time
    expect(charts.last).to_contain_text("Calibration, all time")
    expect(page).to_have_url(re.compile(r"chart=Over(\+|%20)time"))

    page.get_by_text("Include reconstructed estimates").click()
    expect(page.get_by_text("written with hindsight, so their scores flatter")).to_be_visible()
    expect(page).to_have_url(re.compile(r"researchers=teal_heron(,|%2C)kestrel_q.*reconstructed=yes"))


@pytest.mark.browser
def test_a_person_downloads_every_target_of_a_breakdown_too_long_to_show(
    page: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Over a thousand resolved targets: the page shows the thousand that hurt most, and the
    download button writes all of them (deferred to the click) as CSV."""
    from models.store.db import open_engine
    from tests.browser.conftest import _chromium, serve, settled
    from tests.factories import resolved_targets

    _chromium()
    directory = tmp_path_factory.mktemp("many_targets")
    db_url = f"sqlite:///{directory / 'credence.db'}"
    eng = open_engine(db_url)
    n = 1005
    resolved_targets(eng, n)
    eng.dispose()

    with serve(directory, db_url) as app:
        page.goto(app.url + "/calibration")
        expect(page.get_by_text(f"The 1,000 targets that hurt most, of {n:,}.")).to_be_visible(timeout=30_000)
        # The button of a run still going is replaced when it ends, and its file with it.
        settled(page)
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name=f"Download all {n:,} as CSV").click()
        saved = download.value
        assert saved.suggested_filename == "calibration-breakdown.csv"
        lines = Path(saved.path()).read_text().splitlines()
    assert lines[0] == "researcher,question_id,question,level,final,outcome,brier,log_score"
    assert len(lines) == n + 1
