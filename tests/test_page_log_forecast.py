"""The Log forecast page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store import reads as queries

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "log_forecast.py")


def _forecasts(engine: sa.Engine) -> pd.DataFrame:
    return queries.forecasts_frame(engine)


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    return at


def _target(engine: sa.Engine) -> tuple[str, str]:
    """A researcher and a question they have forecast unconditionally (so a change can be shown)."""
    df = _forecasts(engine)
    row = df[df["level"].isna()].iloc[-1]
    return row["researcher"], row["question"]


def _fill(at: AppTest, researcher: str, question: str | None, percent: float | None = 7.0) -> AppTest:
    at.selectbox(key="researcher").set_value(researcher).run()
    if question is not None:
        at.selectbox(key="question").set_value(question).run()
    if percent is not None:
        at.number_input(key="probability").set_value(percent).run()
    return at


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_saving_a_valid_forecast_writes_it(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    before = len(_forecasts(demo_engine))
    at = _fill(_app(), researcher, question, 7.5)
    at.text_area(key="rationale:0").input("New eval results").run()
    at.button(key="save").click().run()
    assert not at.exception
    assert not _errors(at)
    df = _forecasts(demo_engine)
    assert len(df) == before + 1
    new = df.sort_values("forecast_id").iloc[-1]
    assert (new["researcher"], new["question"], new["probability"]) == (researcher, question, 0.075)
    assert new["rationale"] == "New eval results"
    assert new["as_of"].date() == pd.Timestamp.now(tz="UTC").date()
    assert not new["reconstructed"]


def test_success_message_shows_the_change_from_the_previous_estimate(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    df = _forecasts(demo_engine)
    previous = df[(df["researcher"] == researcher) & (df["question"] == question) & df["level"].isna()].iloc[
        -1
    ]
    at = _fill(_app(), researcher, question, 7.0)
    at.button(key="save").click().run()
    (message,) = [s.value for s in at.success]
    assert f"{previous['probability'] * 100:.4g}% \u2192 7%" in message
    assert "points" in message and "in log-odds" in message
    assert f"previous estimate as of {previous['as_of'].date().isoformat()}" in message


def test_first_forecast_on_a_target_says_so(demo_engine: sa.Engine) -> None:
    at = _app()
    level = at.selectbox(key="capability").options[-1]
    researcher = at.selectbox(key="researcher").options[0]
    question = at.selectbox(key="question").options[1]
    _fill(at, researcher, question, 20.0)
    at.selectbox(key="capability").set_value(level).run()
    df = _forecasts(demo_engine)
    assert df[(df["researcher"] == researcher) & (df["question"] == question) & (df["level"] == level)].empty
    at.button(key="save").click().run()
    (message,) = [s.value for s in at.success]
    assert "first forecast on this question at this level" in message
    assert _forecasts(demo_engine).sort_values("forecast_id").iloc[-1]["level"] == level


@pytest.mark.parametrize(
    ("setup", "field", "message"),
    [
        (
            lambda at: at.number_input(key="probability").set_value(140.0),
            "Probability (%)",
            "probability 140% is above 100%",
        ),
        (None, "Question", "question must not be empty"),
        (
            lambda at: at.date_input(key="as_of").set_value(date.today() + timedelta(days=3)),
            "As of",
            f"as of {(date.today() + timedelta(days=3)).isoformat()} is in the future",
        ),
    ],
    ids=["probability-140", "empty-question", "future-date"],
)
def test_bad_input_shows_an_error_under_the_field_and_writes_nothing(
    demo_engine: sa.Engine, setup, field: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    researcher, question = _target(demo_engine)
    before = len(_forecasts(demo_engine))
    # No question picked (None), or one picked and a bad value set.
    at = _fill(_app(), researcher, question if setup else None, 12.0)
    if setup:
        setup(at)
        at.run()
    at.text_area(key="rationale:0").input("kept as typed").run()
    at.button(key="save").click().run()
    assert not at.exception
    assert _errors(at) == [message]
    assert len(_forecasts(demo_engine)) == before
    # The error sits right under its widget, and the form keeps what was typed.
    labels = [getattr(node, "label", None) or getattr(node, "value", None) for node in at.main]
    assert labels[labels.index(message) - 1] == field
    assert at.text_area(key="rationale:0").value == "kept as typed"


def test_an_error_goes_away_once_the_field_is_corrected(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    at = _fill(_app(), researcher, question, 140.0)
    at.button(key="save").click().run()
    assert _errors(at) == ["probability 140% is above 100%"]
    at.number_input(key="probability").set_value(14.0).run()
    assert not _errors(at)


def test_double_click_on_save_creates_one_forecast(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    before = len(_forecasts(demo_engine))
    at = _fill(_app(), researcher, question, 33.0)
    at.button(key="save").click().run()
    assert at.button(key="save").disabled
    # A second click sent before the page redrew reaches the server as another trigger.
    at.button(key="save")._value = True
    at.run()
    assert not at.exception
    assert len(_forecasts(demo_engine)) == before + 1
    assert len(at.success) == 1


def test_changing_the_form_after_saving_allows_another_forecast(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    before = len(_forecasts(demo_engine))
    at = _fill(_app(), researcher, question, 33.0)
    at.button(key="save").click().run()
    at.number_input(key="probability").set_value(35.0).run()
    assert not at.button(key="save").disabled
    at.button(key="save").click().run()
    assert len(_forecasts(demo_engine)) == before + 2


def test_odds_are_read_as_a_probability(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    at = _fill(_app(), researcher, question, None)
    at.toggle(key="use_odds").set_value(True).run()
    at.text_input(key="odds").input("1:20").run()
    assert "= 4.8%" in [c.value for c in at.caption]
    at.button(key="save").click().run()
    assert not _errors(at)
    new = _forecasts(demo_engine).sort_values("forecast_id").iloc[-1]
    assert new["probability"] == pytest.approx(1 / 21)


def test_bad_odds_show_an_error_and_write_nothing(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    before = len(_forecasts(demo_engine))
    at = _fill(_app(), researcher, question, None)
    at.toggle(key="use_odds").set_value(True).run()
    at.text_input(key="odds").input("one in twenty").run()
    at.button(key="save").click().run()
    assert _errors(at) == ["odds 'one in twenty' is not odds: write them as for:against, like 1:20"]
    assert len(_forecasts(demo_engine)) == before


def test_creating_a_question_inline_selects_it(demo_engine: sa.Engine) -> None:
    researcher, _ = _target(demo_engine)
    at = _app()
    at.selectbox(key="researcher").set_value(researcher).run()
    at.selectbox(key="question").set_value("New question…").run()
    at.text_input(key="new_question_title").input("Will a lab publish a safety case by 2027?").run()
    at.text_area(key="new_question_criteria").input("Yes if a frontier lab publishes one.").run()
    at.text_input(key="new_question_tags").input("policy, labs").run()
    at.date_input(key="new_question_resolve_by").set_value(date(2027, 1, 1)).run()
    at.button(key="create_question").click().run()
    assert not at.exception
    assert at.selectbox(key="question").value == "Will a lab publish a safety case by 2027?"
    assert "Created the question “Will a lab publish a safety case by 2027?”." in [
        s.value for s in at.success
    ]
    q = (
        queries.questions_frame(demo_engine)
        .set_index("question")
        .loc["Will a lab publish a safety case by 2027?"]
    )
    assert q["criteria"] == "Yes if a frontier lab publishes one."
    assert q["tags"] == ("labs", "policy")
    assert q["resolve_by"] == pd.Timestamp("2027-01-01", tz="UTC")
    at.number_input(key="probability").set_value(25.0).run()
    at.button(key="save").click().run()
    new = _forecasts(demo_engine).sort_values("forecast_id").iloc[-1]
    assert (new["question"], new["probability"]) == ("Will a lab publish a safety case by 2027?", 0.25)


def test_a_new_question_without_title_shows_an_error(demo_engine: sa.Engine) -> None:
    before = len(queries.questions_frame(demo_engine))
    at = _app()
    at.selectbox(key="question").set_value("New question…").run()
    at.button(key="create_question").click().run()
    assert _errors(at) == ["title must not be empty"]
    assert len(queries.questions_frame(demo_engine)) == before


def test_an_old_date_suggests_a_reconstructed_estimate(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    at = _fill(_app(), researcher, question, 40.0)
    assert not at.info
    at.date_input(key="as_of").set_value(date(2024, 3, 1)).run()
    assert "Reconstructed estimate" in at.info[0].value
    at.checkbox(key="reconstructed").check().run()
    assert not at.info
    at.button(key="save").click().run()
    new = _forecasts(demo_engine).sort_values("forecast_id").iloc[-1]
    assert new["reconstructed"]
    assert new["as_of"] == pd.Timestamp("2024-03-01", tz="UTC")


def test_evidence_with_directions_is_linked(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    at = _fill(_app(), researcher, question, 40.0)
    first = at.multiselect(key="evidence:0").options[0]
    at.multiselect(key="evidence:0").select(first).run()
    at.radio(key=f"direction:0:{first}").set_value("lowered").run()
    at.text_input(key="new_evidence_title").input("A brand-new eval").run()
    at.text_input(key="new_evidence_url").input("https://example.org/eval").run()
    at.radio(key="new_evidence_direction").set_value("no change").run()
    at.button(key="add_evidence").click().run()
    assert not at.exception
    assert at.multiselect(key="evidence:0").value == [first, "A brand-new eval"]
    assert at.radio(key="direction:0:A brand-new eval").value == "no change"
    at.button(key="save").click().run()
    assert not _errors(at)
    fid = _forecasts(demo_engine)["forecast_id"].max()
    links = queries.evidence_links_frame(demo_engine)
    mine = links[links["forecast_id"] == fid].sort_values("evidence")
    assert sorted(zip(mine["evidence"], mine["direction"], mine["url"], strict=True)) == sorted(
        [(first, "lowered", mine.set_index("evidence").loc[first, "url"]),
         ("A brand-new eval", "no_change", "https://example.org/eval")]
    )  # fmt: skip


def test_researcher_and_question_are_remembered_in_the_url(demo_engine: sa.Engine) -> None:
    researcher, question = _target(demo_engine)
    at = _fill(_app(), researcher, question, None)
    assert at.query_params["researcher"] == researcher
    assert at.query_params["question"] == question
    reopened = AppTest.from_file(PAGE, default_timeout=30)
    reopened.query_params["researcher"] = researcher
    reopened.query_params["question"] = question
    reopened.run()
    assert reopened.selectbox(key="researcher").value == researcher
    assert reopened.selectbox(key="question").value == question
