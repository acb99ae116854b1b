"""A forecast in under a minute: a new user lands on the app and logs one estimate in a few steps.

The test counts what the person does (clicks and keys pressed) from landing on Home to the
confirmation, and asserts on those steps, not on the time, which depends on the machine; the
time is printed for the record (run with ``-s`` to see it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App

RESEARCHER = "teal_heron"
QUESTION = (
    "A blind auditing game recovers a planted hidden objective using interpretability alone by mid-2025"
)
#: The most a person should need: clicks, and keys pressed (characters typed plus Enter).
MAX_CLICKS = 7
MAX_KEYS = 20


@dataclass
class Steps:
    """What the person did, counted as they do it."""

    page: Page
    clicks: list[str] = field(default_factory=list)
    keys: int = 0

    def click(self, what: str, locator) -> None:  # type: ignore[no-untyped-def]
        locator.click()
        self.clicks.append(what)

    def type(self, locator, text: str) -> None:  # type: ignore[no-untyped-def]
        locator.press_sequentially(text)
        self.keys += len(text)

    def press(self, locator, key: str) -> None:  # type: ignore[no-untyped-def]
        locator.press(key)
        self.keys += 1

    def pick(self, label: str, typed: str, option: str) -> None:
        """Open the select box, type a few letters of the option, click it."""
        box = self.page.get_by_role("combobox", name=label)
        self.click(label, box)
        self.type(box, typed)
        self.click(option[:20], self.page.get_by_role("option", name=option).first)


@pytest.mark.browser
def test_a_new_user_logs_a_forecast_from_landing_in_a_few_steps(page: Page, app: App) -> None:
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Home")).to_be_visible(timeout=30_000)
    steps = Steps(page)
    started = time.monotonic()

    steps.click("Log a forecast", page.get_by_role("link", name="Log a forecast").first)
    expect(page.get_by_role("heading", name="Log forecast")).to_be_visible(timeout=30_000)
    steps.pick("Researcher", "teal", RESEARCHER)
    steps.pick("Question", "blind audit", QUESTION)
    probability = page.get_by_label("Probability (%)")
    steps.click("Probability", probability)
    steps.type(probability, "12")
    steps.press(probability, "Enter")
    steps.click("Save forecast", page.get_by_role("button", name="Save forecast"))
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        f"Saved {RESEARCHER}'s forecast", timeout=30_000
    )
    seconds = time.monotonic() - started

    print(
        f"\nforecast in under a minute: {len(steps.clicks)} clicks ({', '.join(steps.clicks)}), "
        f"{steps.keys} keys, {seconds:.1f} s from landing to confirmation (browser automation, this machine)"
    )
    assert len(steps.clicks) <= MAX_CLICKS, steps.clicks
    assert steps.keys <= MAX_KEYS
