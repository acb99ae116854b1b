"""The Evidence and Capability levels pages show an item's earlier versions and who wrote each."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from models import actions
from models.schemas import EvidenceIn, LevelIn

PAGES = Path(__file__).resolve().parent.parent / "pages"
PAPER = "Sleeper agents persist through safety training"


def _versions_table(at: AppTest) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if "written_by" in d.value.columns]
    assert len(tables) == 1
    return tables[0]


def test_evidence_page_lists_earlier_versions_with_their_authors(empty_engine):
    eid = actions.create_evidence(empty_engine, EvidenceIn(title=PAPER, summary="first"), by="ana")
    actions.edit_evidence(empty_engine, eid, EvidenceIn(title=PAPER, summary="second"), by="ben")

    at = AppTest.from_file(str(PAGES / "evidence.py"), default_timeout=30)
    at.query_params["evidence"] = PAPER
    at.run()
    assert not at.exception
    versions = _versions_table(at)
    assert versions[["version", "summary", "written_by"]].values.tolist() == [
        [2, "second", "ben"],
        [1, "first", "ana"],
    ]
    assert versions["replaced_by"].iloc[1] == "ben"


def test_capability_levels_page_lists_a_levels_versions_with_their_authors(empty_engine):
    actions.create_level(empty_engine, LevelIn(name="2x AI R&D labor"), by="ana")
    actions.create_level(empty_engine, LevelIn(name="3x AI R&D labor"), by="ana")
    at = AppTest.from_file(str(PAGES / "capability_levels.py"), default_timeout=30)
    at.run()
    assert not at.exception
    at.button(key="level_down_1").click().run()  # ben is not named: laptop mode, nobody remembered
    at.selectbox(key="level_history_pick").set_value(1).run()
    assert not at.exception
    versions = _versions_table(at)
    assert versions[["version", "position", "written_by"]].values.tolist() == [[2, 2.0, ""], [1, 1.0, "ana"]]
    assert versions["state"].tolist() == ["current", "earlier version"]


def test_question_page_shows_who_wrote_and_replaced_each_forecast_and_question_version(demo_engine):
    question = "Frontier AIs are schemers (at the stated capability level)"
    at = AppTest.from_file(str(PAGES / "questions.py"), default_timeout=30)
    at.query_params["question"] = question
    at.query_params["researcher"] = "teal_heron"  # laptop mode: the researcher chosen, kept in the URL
    at.run()
    assert not at.exception
    history = at.dataframe[2].value
    fid = int(history["forecast_id"].iloc[0])
    at.selectbox(key="forecast").set_value(fid).run()
    at.number_input(key="edit_probability").set_value(33.0)
    at.button(key="save_forecast").click().run()
    at.text_area(key="q_criteria").set_value("Resolves on the 2027 audit.")
    at.button(key="save_question").click().run()
    assert not at.exception

    versions = at.dataframe[2].value[lambda h: h["forecast_id"] == fid]
    assert versions["state"].tolist() == ["current", "earlier version"]
    assert versions["written_by"].iloc[0] == "teal_heron"
    assert versions["replaced_by"].iloc[1] == "teal_heron"
    earlier = _versions_table_with(at, "title")
    assert earlier["written_by"].iloc[0] == "teal_heron" and earlier["replaced_by"].iloc[1] == "teal_heron"


def _versions_table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if {column, "written_by"} <= set(d.value.columns))


def test_researchers_page_lists_a_researchers_versions_with_their_authors(empty_engine):
    from models.schemas import ResearcherIn

    actions.create_researcher(empty_engine, ResearcherIn(handle="teal_heron", name="Teal"), by="ana")
    actions.rename_researcher(empty_engine, 1, "Teal Heron", by="ben")
    at = AppTest.from_file(str(PAGES / "researchers.py"), default_timeout=30)
    at.run()
    at.selectbox(key="researcher_history_pick").set_value(1).run()
    assert not at.exception
    versions = _versions_table(at)
    assert versions[["version", "name", "written_by"]].values.tolist() == [
        [2, "Teal Heron", "ben"],
        [1, "Teal", "ana"],
    ]
    assert versions["replaced_by"].iloc[1] == "ben"
    assert "email" not in versions.columns  # laptop mode: nobody signs in


def test_question_page_keeps_a_removed_link_with_who_added_and_removed_it(empty_engine):
    from models.schemas import QuestionIn

    source = actions.add_question(empty_engine, QuestionIn(title="Mythos-level AIs are schemers"), by="ana")
    target = actions.add_question(
        empty_engine, QuestionIn(title="Neuralese before full automation"), by="ana"
    )
    actions.link_questions(empty_engine, source, target, by="ana")
    actions.delete(empty_engine, "question_link", 1, by="ben")
    at = AppTest.from_file(str(PAGES / "questions.py"), default_timeout=30)
    at.query_params["question"] = "Neuralese before full automation"
    at.run()
    assert not at.exception
    links = _versions_table_with(at, "target")
    assert links[["version", "source", "target", "deleted", "written_by"]].values.tolist() == [
        [2, "Mythos-level AIs are schemers", "Neuralese before full automation", True, "ben"],
        [1, "Mythos-level AIs are schemers", "Neuralese before full automation", False, "ana"],
    ]
