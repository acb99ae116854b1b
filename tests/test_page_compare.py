"""The Compare researchers page in AppTest, on a real SQLite database holding the demo data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.analysis.trajectory import choose_questions, tagged_questions
from models.store import reads as queries
from models.store.db import open_engine
from tests.factories import chart_data, chart_spec, spec_views

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "compare.py")
TABLES = ["statistics_table", "disagreement_table", "convergence_table", "impact_table"]


@pytest.fixture(autouse=True)
def _database(shared_demo_engine: sa.Engine) -> None:
    """Every test here reads the demo data (the shared database: see conftest)."""


@pytest.fixture(scope="module")
def questions(shared_demo_url: str) -> pd.DataFrame:
    return queries.questions_frame(open_engine(shared_demo_url))


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _panels(at: AppTest) -> list[str]:
    return chart_spec(at, 0)["facet"]["sort"]  # type: ignore[no-any-return]


def _titles(questions: pd.DataFrame, ids: list[int]) -> list[str]:
    return questions.set_index("question_id").loc[ids, "question"].tolist()


def test_default_view_compares_the_questions_most_researchers_forecast(
    shared_demo_url: str, questions
) -> None:
    at = _app()
    frames = queries.load_frames(open_engine(shared_demo_url))
    assert _panels(at) == _titles(questions, choose_questions(frames).question_ids)
    assert not {"tag", "questions", "researchers"} & set(at.query_params)


def test_every_table_is_drawn() -> None:
    at = _app()
    assert len(at.dataframe) == len(TABLES)
    stats = at.dataframe[0].value
    assert {"n_updates", "mean_abs_change_points", "largest_update_points", "share_with_reason"} <= set(
        stats.columns
    )
    assert {"spread_points", "median_probability"} <= set(at.dataframe[1].value.columns)
    assert {"trend", "change_points"} <= set(at.dataframe[2].value.columns)
    assert {"evidence", "sum_change_points"} <= set(at.dataframe[3].value.columns)


def test_tag_from_the_url_chooses_the_questions(shared_demo_url: str, questions) -> None:
    at = _app(tag="evals")
    frames = queries.load_frames(open_engine(shared_demo_url))
    assert at.selectbox(key="tag").value == "evals"
    assert sorted(_panels(at)) == sorted(_titles(questions, tagged_questions(frames, "evals")))


def test_choosing_a_tag_writes_it_to_the_url() -> None:
    at = _app()
    at.selectbox(key="tag").set_value("governance").run()
    assert at.query_params["tag"] == "governance"
    assert len(_panels(at)) == 10


def test_picked_questions_are_kept_in_the_url_by_id(questions) -> None:
    at = _app()
    at.multiselect(key="questions").set_value(["12", "3"]).run()
    assert at.query_params["questions"] == "12,3"
    assert _panels(at) == _titles(questions, [3, 12])
    assert _app(questions="3,12,999").multiselect(key="questions").value == ["3", "12"]


def test_researchers_filter_reaches_the_chart_and_every_table() -> None:
    at = _app(tag="evals")
    at.multiselect(key="researchers").set_value(["kestrel_q", "orrery"]).run()
    assert at.query_params["researchers"] == "kestrel_q,orrery"
    assert set(chart_data(at, 0)["estimates"]["researcher"]) == {"kestrel_q", "orrery"}
    assert at.dataframe[0].value["researcher"].tolist() == ["kestrel_q", "orrery"]
    assert at.dataframe[1].value["n_researchers"].max() <= 2
    assert set(at.dataframe[3].value["researcher"]) <= {"kestrel_q", "orrery"}


def test_researchers_from_the_url_are_selected() -> None:
    at = _app(tag="evals", researchers="nightjar,ridgeline")
    assert at.multiselect(key="researchers").value == ["nightjar", "ridgeline"]
    assert set(chart_data(at, 0)["estimates"]["researcher"]) == {"nightjar", "ridgeline"}


def test_group_lines_add_the_median_and_geometric_mean_of_odds() -> None:
    at = _app(tag="evals")
    assert not [v for v in spec_views(chart_spec(at, 0)) if "stroke" in v.get("encoding", {})]
    at.toggle(key="group").set_value(True).run()
    assert at.query_params["group"] == "1"
    group = next(v for v in spec_views(chart_spec(at, 0)) if "stroke" in v.get("encoding", {}))
    assert group["encoding"]["stroke"]["scale"]["domain"] == ["median", "geometric mean of odds"]
    statistics = set(chart_data(at, 0)["estimates"]["statistic"].dropna())
    assert statistics == {"median", "geometric mean of odds"}


def test_small_multiples_share_the_time_axis() -> None:
    spec = chart_spec(_app(tag="evals"), 0)
    assert spec["resolve"]["scale"] == {"x": "shared", "y": "shared"}


def test_log_odds_from_the_url_reaches_both_charts() -> None:
    at = _app(tag="evals", log_odds="1")
    assert at.toggle(key="log_odds").value is True
    for index in (0, 1):
        line = next(v for v in spec_views(chart_spec(at, index)) if v["mark"]["type"] == "line")
        assert line["encoding"]["y"]["title"] == "probability (log-odds scale)"


def test_date_sets_when_disagreement_is_measured() -> None:
    now = _app(tag="evals")
    assert "date" not in now.query_params
    then = _app(tag="evals", date="2024-06-30")
    assert then.date_input(key="date").value.isoformat() == "2024-06-30"
    assert any("2024-06-30" in h.value for h in then.subheader)
    assert then.dataframe[1].value["n_researchers"].sum() < now.dataframe[1].value["n_researchers"].sum()


def test_spread_over_time_follows_the_chosen_question(questions) -> None:
    at = _app(tag="evals")
    focus = at.dataframe[2].value["question"].iloc[0]  # the largest change comes first
    assert chart_spec(at, 1)["title"]["text"] == focus
    other = next(t for t in at.selectbox(key="question").options if t != focus)
    at.selectbox(key="question").set_value(other).run()
    assert at.query_params["question"] == other
    assert chart_spec(at, 1)["title"]["text"] == other
    assert chart_spec(_app(tag="evals", question=other), 1)["title"]["text"] == other


def test_conditional_questions_offer_a_levels_filter() -> None:
    at = _app(questions="1")
    assert "unconditional" not in at.multiselect(key="levels").options
    at.multiselect(key="levels").set_value(["3x AI R&D labor"]).run()
    assert at.query_params["levels"] == "3x AI R&D labor"
    assert set(at.dataframe[1].value["level"]) == {"3x AI R&D labor"}


def test_empty_database_says_how_to_start(empty_engine: sa.Engine) -> None:
    assert "No forecasts yet" in _app().info[0].value
