"""A person logs a forecast in a real browser, and the CLI's export then contains it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, save_screenshot, settled

RESEARCHER = "teal_heron"
EVIDENCE = "Chain-of-thought faithfulness measurements"
RATIONALE = "Browser test: the new eval suite came in lower than expected."
#: A second click that arrives while the first one is still saving (Playwright's dblclick
#: is coalesced by the browser into one rerun, so it would not exercise the race).
DOUBLE_CLICK_GAP_MS = 80
#: How long after the confirmation a rerun sent by the second click may still arrive (before the
#: fix it arrived within this in half the runs, refilling the form and hiding the confirmation).
ECHO_MS = 1500


def _credence() -> str:
    return str(Path(sys.executable).with_name("credence"))


def _pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox labelled ``label`` by typing part of it."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(option[:30])
    page.get_by_role("option", name=option).first.click()


@pytest.mark.browser
def test_forecast_logged_in_the_browser_is_in_the_export(page: Page, app: App, tmp_path: Path) -> None:
    page.goto(app.url + "/log_forecast")
    expect(page.get_by_role("heading", name="Log forecast")).to_be_visible(timeout=30_000)

    _pick(page, "Researcher", RESEARCHER)
    question = (
        "A blind auditing game recovers a planted hidden objective using interpretability alone by mid-2025"
    )
    _pick(page, "Question", question)
    page.get_by_label("Probability (%)").fill("7.5")
    page.get_by_label("Probability (%)").press("Enter")
    as_of = page.get_by_role("group", name="As of")
    day = as_of.get_by_role("spinbutton", name="day, As of")
    day.click()
    day.press_sequentially("01")
    # Each attempt its own rationale: a rerun (make test reruns a failed browser test once) shares
    # the app's database, and must count only the forecasts it saved itself.
    rationale = f"{RATIONALE} ({uuid.uuid4().hex[:8]})"
    page.get_by_label("Rationale").fill(rationale)
    _pick(page, "Evidence", EVIDENCE)
    page.keyboard.press("Escape")
    moved = page.get_by_role("radiogroup", name=f"How did \u201c{EVIDENCE}\u201d move this estimate?")
    moved.get_by_text("lowered").click()
    expect(moved.get_by_role("radio", name="lowered")).to_be_checked()
    save = page.get_by_role("button", name="Save forecast")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(DOUBLE_CLICK_GAP_MS)
    page.mouse.click(x, y)

    success = page.get_by_test_id("stAlertContentSuccess")
    expect(success).to_contain_text(f"Saved {RESEARCHER}'s forecast", timeout=30_000)
    expect(success).to_contain_text("\u2192 7.5%")
    # Tall enough to show the whole form with its success message in one picture.
    page.set_viewport_size({"width": 1280, "height": 1280})
    page.get_by_role("heading", name="Log forecast").scroll_into_view_if_needed()
    # The second click's own rerun can start after the first has finished: give it time to.
    page.wait_for_timeout(ECHO_MS)
    settled(page)
    expect(success).to_be_in_viewport()
    # The second click was sent with the form as it stood before the save: it must neither
    # refill the reasons just saved nor take the confirmation away.
    expect(page.get_by_label("Rationale")).to_have_value("")
    expect(save).to_be_disabled()
    expect(success).to_contain_text(f"Saved {RESEARCHER}'s forecast")
    save_screenshot(page, tmp_path, "log_forecast.png")

    done = subprocess.run(
        [_credence(), "--db", app.db_url, "export", "csv", "-"], capture_output=True, text=True, check=True
    )
    rows = [r for r in csv.DictReader(io.StringIO(done.stdout)) if r["rationale"] == rationale]
    assert rows, "the forecast saved in the browser is in the export"
    row = rows[0]
    assert (row["researcher"], row["question"], float(row["probability"])) == (RESEARCHER, question, 0.075)
    assert row["evidence"] == f"{EVIDENCE} [lowered]"
    expected_day = date.today().replace(day=1).isoformat()
    assert row["as_of"].startswith(expected_day)
    assert len(rows) == 1, "a double click on Save forecast stores one forecast"


@pytest.mark.browser
def test_a_double_click_at_any_speed_stores_one_forecast(page: Page, app: App) -> None:
    """Two clicks on Save at gaps around a save's own duration: each pair stores exactly one forecast."""
    page.goto(app.url + "/log_forecast")
    expect(page.get_by_role("heading", name="Log forecast")).to_be_visible(timeout=30_000)
    _pick(page, "Researcher", RESEARCHER)
    question = "A frontier lab announces pausing a training run for safety reasons by end of 2025"
    _pick(page, "Question", question)
    gaps = (0, 30, 80, 150, 300)
    for n, gap in enumerate(gaps):
        percent = f"{11 + n}"
        page.get_by_label("Probability (%)").fill(percent)
        page.get_by_label("Probability (%)").press("Enter")
        page.get_by_label("Rationale").fill(f"Double click, {gap} ms apart.")
        page.get_by_label("Rationale").press("Control+Enter")
        save = page.get_by_role("button", name="Save forecast")
        expect(save).to_be_enabled()
        save.scroll_into_view_if_needed()
        box = save.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.click(x, y)
        if gap:
            page.wait_for_timeout(gap)
        page.mouse.click(x, y)
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
            f"\u2192 {percent}%", timeout=30_000
        )
        settled(page)
        # The second click's run may still replace the first's widgets: wait until one field is left.
        expect(page.get_by_label("Rationale")).to_have_count(1)
        expect(page.get_by_label("Rationale")).to_have_value("")

    done = subprocess.run(
        [_credence(), "--db", app.db_url, "export", "csv", "-"], capture_output=True, text=True, check=True
    )
    saved = [
        r["rationale"]
        for r in csv.DictReader(io.StringIO(done.stdout))
        if r["rationale"].startswith("Double")
    ]
    assert sorted(saved) == sorted(f"Double click, {gap} ms apart." for gap in gaps)
