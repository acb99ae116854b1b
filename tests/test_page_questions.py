"""The Questions page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from models.store import reads as queries
from tests.factories import revisions

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "questions.py")
OPEN_QUESTION = "Frontier AIs are schemers (at the stated capability level)"


def _app(question: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    if question is not None:
        at.query_params["question"] = question
    at.run()
    assert not at.exception
    return at


def _question(engine: sa.Engine, title: str) -> pd.Series:
    qs = queries.questions_frame(engine)
    return qs[qs["question"] == title].iloc[0]


def _listed(at: AppTest) -> list[str]:
    return at.dataframe[0].value["question"].tolist()


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _history(at: AppTest) -> pd.DataFrame:
    return at.dataframe[2].value  # list, current estimates, history


def test_page_lists_every_question(shared_demo_engine):
    at = _app()
    assert len(_listed(at)) == len(queries.questions_frame(shared_demo_engine))
    assert at.selectbox(key="question_pick").value is None


def test_text_search_narrows_the_list(shared_demo_engine):
    qs = queries.questions_frame(shared_demo_engine)
    expected = [
        r.question for r in qs.itertuples() if "neuralese" in f"{r.question} {r.criteria} {r.tags}".lower()
    ]
    at = _app()
    at.text_input(key="q_search").set_value("Neuralese").run()
    assert not at.exception
    assert _listed(at) == expected and 0 < len(expected) < len(qs)
    at.text_input(key="q_search").set_value("no question says this").run()
    assert _listed(at) == []


def test_status_filter_shows_only_resolved_questions(shared_demo_engine):
    qs = queries.questions_frame(shared_demo_engine)
    at = _app()
    at.selectbox(key="q_status").set_value("resolved").run()
    expected = qs[qs["outcome"].isin(["yes", "no"])]["question"].tolist()
    assert sorted(_listed(at)) == sorted(expected) and expected


def test_tag_researcher_and_due_filters_combine(shared_demo_engine):
    at = _app()
    at.multiselect(key="q_tags_filter").set_value(["governance"]).run()
    at.selectbox(key="q_researcher").set_value("orrery").run()
    listing = at.dataframe[0].value
    assert len(listing) and all("governance" in tags for tags in listing["tags"])
    f = queries.forecasts_frame(shared_demo_engine)
    assert set(listing["question"]) <= set(f[f["researcher"] == "orrery"]["question"])
    at.checkbox(key="q_due").check().run()
    assert all(at.dataframe[0].value["due"])


def test_a_question_named_in_the_url_opens_its_page(shared_demo_engine):
    at = _app(OPEN_QUESTION)
    assert at.header[0].value == OPEN_QUESTION
    assert len(at.dataframe) == 4  # list, current estimates, history, earlier versions of the question
    assert at.query_params["question"] == OPEN_QUESTION


def test_resolving_a_question_writes_the_outcome(demo_engine):
    at = _app(OPEN_QUESTION)
    at.radio(key="resolve_outcome").set_value("no")
    at.text_input(key="resolve_at").set_value("2025-01-02")
    at.selectbox(key="resolve_capability").set_value("3x AI R&D labor")
    at.text_area(key="resolve_note").set_value("Audit found no scheming")
    at.button(key="resolve").click().run()
    assert not at.exception and not _errors(at)
    q = _question(demo_engine, OPEN_QUESTION)
    assert (q["outcome"], q["resolution_level"], q["resolution_note"]) == (
        "no",
        "3x AI R&D labor",
        "Audit found no scheming",
    )
    assert q["resolved_at"] == pd.Timestamp("2025-01-02", tz="UTC")
    assert any("Resolved as no" in s.value for s in at.success)


def test_a_resolution_in_the_future_is_refused_next_to_its_input(shared_demo_engine):
    at = _app(OPEN_QUESTION)
    at.radio(key="resolve_outcome").set_value("yes")
    at.text_input(key="resolve_at").set_value("2199-01-01")
    at.button(key="resolve").click().run()
    assert _errors(at) == ["resolved at 2199-01-01 is in the future"]
    assert at.text_input(key="resolve_at").value == "2199-01-01"  # what was typed stays
    assert _question(shared_demo_engine, OPEN_QUESTION)["outcome"] is None


def test_reopening_a_resolved_question_clears_its_outcome(demo_engine):
    qs = queries.questions_frame(demo_engine)
    title = qs[qs["outcome"] == "yes"]["question"].iloc[0]
    at = _app(title)
    at.text_input(key="reopen_note").set_value("resolved too early")
    at.button(key="reopen").click().run()
    assert not at.exception
    assert _question(demo_engine, title)["outcome"] is None


def test_editing_a_forecast_keeps_the_old_version_in_the_history(demo_engine):
    at = _app(OPEN_QUESTION)
    fid = int(_history(at)["forecast_id"].iloc[0])
    old = queries.forecasts_frame(demo_engine).set_index("forecast_id").loc[fid, "probability"]
    at.selectbox(key="forecast").set_value(fid).run()
    at.number_input(key="edit_probability").set_value(33.0)
    at.button(key="save_forecast").click().run()
    assert not at.exception and not _errors(at)
    assert queries.forecasts_frame(demo_engine).set_index("forecast_id").loc[fid, "probability"] == 0.33
    versions = _history(at)[lambda h: h["forecast_id"] == fid]
    assert versions["state"].tolist() == ["current", "earlier version"]
    assert versions["probability"].tolist() == [33.0, old * 100]  # shown in points: 33.0%
    with Session(demo_engine) as s:
        assert len(revisions(s, "forecast", fid)) == 1


def test_a_bad_forecast_edit_shows_the_problem_and_writes_nothing(shared_demo_engine):
    at = _app(OPEN_QUESTION)
    fid = int(_history(at)["forecast_id"].iloc[0])
    at.selectbox(key="forecast").set_value(fid).run()
    at.number_input(key="edit_probability").set_value(140.0)
    at.button(key="save_forecast").click().run()
    assert _errors(at) == ["probability 140% is above 100%"]
    assert at.number_input(key="edit_probability").value == 140.0
    with Session(shared_demo_engine) as s:
        assert revisions(s, "forecast", fid) == []


def test_deleting_a_forecast_marks_it_deleted_and_undo_restores_it(demo_engine):
    at = _app(OPEN_QUESTION)
    fid = int(_history(at)["forecast_id"].iloc[0])
    at.selectbox(key="forecast").set_value(fid).run()
    at.button(key="delete_forecast").click().run()
    assert not at.exception
    assert fid not in queries.forecasts_frame(demo_engine)["forecast_id"].tolist()
    history = _history(at)
    assert history[history["forecast_id"] == fid]["state"].tolist() == ["deleted"]
    assert any(s.value == f"Deleted forecast #{fid}." for s in at.success)
    at.button(key="undo_forecast").click().run()
    assert not at.exception
    assert fid in queries.forecasts_frame(demo_engine)["forecast_id"].tolist()
    assert any(s.value == f"Restored forecast #{fid}." for s in at.success)


def test_editing_the_question_keeps_it_open_and_lists_the_earlier_version(demo_engine):
    at = _app(OPEN_QUESTION)
    at.text_input(key="q_title").set_value("Frontier AIs are schemers")
    at.text_input(key="q_tags").set_value("alignment; scheming; core")
    at.button(key="save_question").click().run()
    assert not at.exception and not _errors(at)
    q = _question(demo_engine, "Frontier AIs are schemers")
    assert q["tags"] == ("alignment", "core", "scheming")
    assert at.header[0].value == "Frontier AIs are schemers"
    versions = at.dataframe[3].value
    assert versions["title"].tolist() == ["Frontier AIs are schemers", OPEN_QUESTION]


def test_renaming_a_question_to_a_taken_title_is_refused(shared_demo_engine):
    other = queries.questions_frame(shared_demo_engine)["question"].iloc[1]
    at = _app(OPEN_QUESTION)
    at.text_input(key="q_title").set_value(other)
    at.button(key="save_question").click().run()
    assert _errors(at) == [f"title {other!r} is already a question"]
    assert _question(shared_demo_engine, OPEN_QUESTION)["criteria"]


def test_linking_questions_shows_the_link(demo_engine):
    qs = queries.questions_frame(demo_engine)
    target = int(qs["question_id"].iloc[2])
    at = _app(OPEN_QUESTION)
    at.button(key="add_link").click().run()
    assert _errors(at)[0].startswith("target is required")
    at.selectbox(key="link_target").set_value(target)
    at.button(key="add_link").click().run()
    assert not at.exception and not _errors(at)
    links = queries.links_frame(demo_engine)
    assert links["target_question_id"].tolist() == [target]
    assert any("moved mostly because" in m.value for m in at.markdown)


def test_edit_form_uses_the_log_forms_inputs(demo_engine):
    at = _app(OPEN_QUESTION)
    fid = int(_history(at)["forecast_id"].iloc[0])
    at.selectbox(key="forecast").set_value(fid).run()
    assert at.number_input(key="edit_probability").value is not None
    assert at.date_input(key="edit_as_of").value is not None
    evidence = at.multiselect(key="edit_evidence")
    title = next(t for t in evidence.options if t not in evidence.value)
    evidence.select(title).run()
    at.radio(key=f"edit_direction:{title}").set_value("lowered").run()
    at.button(key="save_forecast").click().run()
    assert not at.exception and not _errors(at)
    links = queries.evidence_links_frame(demo_engine)
    mine = links[links["forecast_id"] == fid].set_index("evidence")
    assert mine.loc[title, "direction"] == "lowered"


def test_the_question_form_sets_and_clears_the_review_interval(demo_engine):
    at = _app(OPEN_QUESTION)
    assert at.text_input(key="q_review_every_days").value == ""
    at.text_input(key="q_review_every_days").set_value("0")
    at.button(key="save_question").click().run()
    assert _errors(at) == [
        "review every 0 is not a number of days: use a whole number of days from 1 to 3650, "
        "or leave it empty for the default"
    ]
    assert pd.isna(_question(demo_engine, OPEN_QUESTION)["review_every_days"])
    at.text_input(key="q_review_every_days").set_value("30 days")
    at.button(key="save_question").click().run()
    assert not at.exception and not _errors(at)
    assert _question(demo_engine, OPEN_QUESTION)["review_every_days"] == 30
    at = _app(OPEN_QUESTION)
    assert at.text_input(key="q_review_every_days").value == "30"
    at.text_input(key="q_review_every_days").set_value("")
    at.button(key="save_question").click().run()
    assert pd.isna(_question(demo_engine, OPEN_QUESTION)["review_every_days"])
