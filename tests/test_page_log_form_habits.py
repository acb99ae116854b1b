"""The Log forecast form for a researcher logging several estimates in a row (issue 14)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.schemas import parse_odds
from models.store.reads import forecasts_frame

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "log_forecast.py")
RESEARCHER = "teal_heron"
QUESTION = "Scheming arises before full automation of AI R&D"
EVIDENCE = "Continuous-thought model fails to scale"  # published 2025-11-05


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.selectbox(key="researcher").set_value(RESEARCHER).run()
    at.selectbox(key="question").set_value(QUESTION).run()
    at.number_input(key="probability").set_value(31.0).run()
    assert not at.exception
    return at


def test_saving_clears_evidence_and_rationale_but_keeps_researcher_question_and_level(
    demo_engine: sa.Engine,
) -> None:
    at = _app()
    at.selectbox(key="capability").set_value(at.selectbox(key="capability").options[1]).run()
    level = at.selectbox(key="capability").value
    at.text_area(key="rationale:0").input("A new eval result.").run()
    at.multiselect(key="evidence:0").select(EVIDENCE).run()
    at.radio(key=f"direction:0:{EVIDENCE}").set_value("lowered").run()
    at.button(key="save").click().run()
    assert not at.exception and not at.error
    # A save starts a new, empty form for the reasons (see pages/log_forecast.py).
    assert at.text_area(key="rationale:1").value == ""
    assert at.multiselect(key="evidence:1").value == []
    assert [t.label for t in at.text_area] == ["Rationale"]
    assert (at.selectbox(key="researcher").value, at.selectbox(key="question").value) == (
        RESEARCHER,
        QUESTION,
    )
    assert at.selectbox(key="capability").value == level
    saved = forecasts_frame(demo_engine).sort_values("forecast_id").iloc[-1]
    assert saved["rationale"] == "A new eval result."


def test_confirmation_is_at_the_top_and_in_a_toast(demo_engine: sa.Engine) -> None:
    at = _app()
    at.button(key="save").click().run()
    main = list(at.main)
    first_success = next(i for i, el in enumerate(main) if el.type == "success")
    first_input = next(i for i, el in enumerate(main) if el.type == "selectbox")
    assert first_success < first_input
    assert any("Saved teal_heron's forecast" in t.value for t in at.toast)


def test_confirmation_says_reconstructed(demo_engine: sa.Engine) -> None:
    at = _app()
    at.date_input(key="as_of").set_value(date(2024, 3, 1)).run()
    at.checkbox(key="reconstructed").check().run()
    at.button(key="save").click().run()
    assert "Saved teal_heron's reconstructed forecast" in at.success[0].value


def test_evidence_published_after_the_as_of_date_gets_a_warning(shared_demo_engine: sa.Engine) -> None:
    at = _app()
    at.date_input(key="as_of").set_value(date(2025, 1, 1)).run()
    at.multiselect(key="evidence:0").select(EVIDENCE).run()
    assert [w.value for w in at.warning] == [
        f"“{EVIDENCE}” was published on 2025-11-05, after this estimate's as of date (2025-01-01). "
        "Check both dates before saving."
    ]
    at.date_input(key="as_of").set_value(date(2025, 12, 1)).run()
    assert not at.warning


@pytest.mark.parametrize(("odds", "instead"), [("1:0", "100%"), ("0:1", "0%"), ("5:0", "100%")])
def test_odds_of_certainty_are_refused(odds: str, instead: str) -> None:
    with pytest.raises(ValueError, match=f"{odds} means certainty: to mean it, enter {instead} instead"):
        parse_odds(odds)


def test_odds_of_certainty_are_refused_on_the_form(shared_demo_engine: sa.Engine) -> None:
    before = len(forecasts_frame(shared_demo_engine))
    at = _app()
    at.toggle(key="use_odds").set_value(True).run()
    at.text_input(key="odds").input("1:0").run()
    at.button(key="save").click().run()
    assert [e.value for e in at.error] == ["odds 1:0 means certainty: to mean it, enter 100% instead"]
    assert len(forecasts_frame(shared_demo_engine)) == before
