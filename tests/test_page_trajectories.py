"""The Trajectories page in AppTest, on a real SQLite database holding the demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store import reads as queries
from models.store.db import open_engine
from tests.factories import chart_data, chart_spec, spec_views

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "trajectories.py")
SCHEMERS = "Frontier AIs are schemers (at the stated capability level)"  # conditional, most researchers
SWE_BENCH = "A frontier model solves over 50% of SWE-bench Verified by end of 2024"  # resolved YES
LEVEL_3X, LEVEL_FULL = "3x AI R&D labor", "full automation of AI R&D"


@pytest.fixture(autouse=True)
def _database(shared_demo_engine: sa.Engine) -> None:
    """Every test here reads the demo data (the shared database: see conftest)."""


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _forecasts(shared_demo_url: str, title: str) -> Any:
    f = queries.forecasts_frame(open_engine(shared_demo_url))
    return f[f["question"] == title]


def _researchers_drawn(at: AppTest) -> list[str]:
    return sorted(chart_data(at, 0)["estimates"]["researcher"].unique())


def test_page_opens_on_the_question_most_researchers_forecast(shared_demo_url: str) -> None:
    at = _app()
    assert at.selectbox(key="question").value == SCHEMERS
    assert at.query_params["question"] == SCHEMERS
    assert chart_spec(at, 0)["title"]["text"] == SCHEMERS
    first = at.multiselect(key="levels").value
    assert len(first) == 1  # one level at a time by default
    f = _forecasts(shared_demo_url, SCHEMERS)
    assert _researchers_drawn(at) == sorted(f.loc[f["level"] == first[0], "researcher"].unique())


def test_trajectories_show_one_level_at_a_time_by_default() -> None:
    at = _app(question=SCHEMERS)
    levels = at.multiselect(key="levels")
    assert levels.value == [levels.options[0]]
    styles = set(chart_data(at, 0)["estimates"]["line_style"].dropna())
    assert styles <= {levels.options[0], "reconstructed (written after the fact)"}


def test_trajectory_is_a_step_line_per_researcher_and_level() -> None:
    at = _app(question=SCHEMERS, levels=f"{LEVEL_3X},{LEVEL_FULL}")
    line = next(v for v in spec_views(chart_spec(at, 0)) if v["mark"]["type"] == "line")
    assert line["mark"]["interpolate"] == "step-after"
    assert line["encoding"]["strokeDash"]["field"] == "line_style"
    styles = set(chart_data(at, 0)["estimates"]["line_style"].dropna())
    assert (
        {LEVEL_3X, LEVEL_FULL} <= styles <= {LEVEL_3X, LEVEL_FULL, "reconstructed (written after the fact)"}
    )


def test_question_from_the_url_shows_its_resolution() -> None:
    at = _app(question=SWE_BENCH)
    assert at.selectbox(key="question").value == SWE_BENCH
    assert chart_data(at, 0)["resolution"]["label"].tolist() == ["resolved YES"]
    assert len(at.get("vega_lite_chart")) == 1  # unconditional: no capability view
    assert not [m for m in at.multiselect if m.key == "levels"]


def test_choosing_a_question_writes_it_to_the_url() -> None:
    at = _app()
    at.selectbox(key="question").set_value(SWE_BENCH).run()
    assert at.query_params["question"] == SWE_BENCH
    assert chart_spec(at, 0)["title"]["text"] == SWE_BENCH


def test_researchers_filter_narrows_the_chart_and_is_kept_in_the_url() -> None:
    at = _app(question=SCHEMERS)
    at.multiselect(key="levels").set_value(at.multiselect(key="levels").options).run()  # every level
    at.multiselect(key="researchers").set_value(["nightjar", "orrery"]).run()
    assert _researchers_drawn(at) == ["nightjar", "orrery"]
    assert at.query_params["researchers"] == "nightjar,orrery"
    assert sorted(at.dataframe[0].value["researcher"].unique()) == ["nightjar", "orrery"]


def test_researchers_from_the_url_are_selected() -> None:
    at = _app(question=SCHEMERS, researchers="ridgeline,teal_heron,nobody")
    assert at.multiselect(key="researchers").value == ["ridgeline", "teal_heron"]
    assert _researchers_drawn(at) == ["ridgeline", "teal_heron"]


def test_all_researchers_leave_the_url_short() -> None:
    at = _app(question=SCHEMERS, researchers="ridgeline")
    everyone = at.multiselect(key="researchers").options
    at.multiselect(key="researchers").set_value(everyone).run()
    assert "researchers" not in at.query_params


def test_levels_filter_is_kept_in_the_url() -> None:
    at = _app(question=SCHEMERS)
    at.multiselect(key="levels").set_value([LEVEL_FULL]).run()
    assert at.query_params["levels"] == LEVEL_FULL
    assert set(chart_data(at, 0)["estimates"]["line_style"]) <= {
        LEVEL_FULL,
        "reconstructed (written after the fact)",
    }
    assert set(at.dataframe[0].value["level"]) == {LEVEL_FULL}


def test_log_odds_axis_from_the_toggle_and_from_the_url() -> None:
    at = _app(question=SWE_BENCH)
    at.toggle(key="log_odds").set_value(True).run()
    assert at.query_params["log_odds"] == "1"
    y = next(v for v in spec_views(chart_spec(at, 0)) if v["mark"]["type"] == "line")["encoding"]["y"]
    assert y["title"] == "probability (log-odds scale)"
    assert _app(question=SWE_BENCH, log_odds="1").toggle(key="log_odds").value is True


def test_tooltips_show_probability_date_rationale_and_evidence() -> None:
    at = _app(question=SCHEMERS)
    spec = chart_spec(at, 0)
    point = next(v for v in spec_views(spec) if "shape" in v["encoding"])
    fields = {t["field"] for t in point["encoding"]["tooltip"]}
    assert {"probability", "date_label", "rationale", "evidence", "estimate"} <= fields
    cited = chart_data(at, 0)["estimates"].query("kind == 'point' and evidence != ''")
    assert cited["evidence"].str.contains(r"\((?:raised|lowered|no change)\)").any()


def test_evidence_items_are_events_that_highlight_citing_estimates_on_hover() -> None:
    at = _app(question=SCHEMERS)
    spec = chart_spec(at, 0)
    assert [p["name"] for p in spec["params"] if "select" in p] == ["evidence"]
    data = chart_data(at, 0)
    assert len(data["evidence_events"]) > 0
    assert set(data["evidence_rings"]["evidence_id"]) <= set(data["evidence_events"]["evidence_id"])
    assert at.dataframe[1].value["evidence"].tolist()  # the evidence table lists them too


def test_reconstructed_estimates_are_drawn_hollow_and_labelled() -> None:
    points = chart_data(_app(question=SCHEMERS), 0)["estimates"].query("kind == 'point'")
    reconstructed = points[points["reconstructed"].astype(bool)]
    assert len(reconstructed) > 0
    assert set(reconstructed["estimate"]) == {"reconstructed (written after the fact)"}


def test_capability_view_follows_the_date_slider_and_the_url() -> None:
    at = _app(question=SCHEMERS)
    days = at.select_slider(key="date").options
    assert at.select_slider(key="date").value == days[-1]
    assert "date" not in at.query_params  # the latest day is the default
    curve = chart_data(at, 1)["capability_curve"]
    assert chart_spec(at, 1)["layer"][0]["encoding"]["x"]["title"] == "capability level"
    assert sorted(curve["researcher"].unique()) == _researchers_drawn(at)

    early = days[5]
    at.select_slider(key="date").set_value(early).run()
    assert at.query_params["date"] == early
    made = chart_data(at, 1)["capability_curve"]["made_label"]
    assert max(made) <= early

    again = _app(question=SCHEMERS, date=early)
    assert again.select_slider(key="date").value == early


def test_updates_table_lists_every_forecast_of_the_selection(shared_demo_url: str) -> None:
    at = _app(question=SWE_BENCH)
    table = at.dataframe[0].value
    assert len(table) == len(_forecasts(shared_demo_url, SWE_BENCH))
    assert {"from_probability", "to_probability", "change_points", "rationale", "evidence"} <= set(
        table.columns
    )


def test_empty_database_says_how_to_start(empty_engine: sa.Engine) -> None:
    at = _app()
    assert "No forecasts yet" in at.info[0].value
