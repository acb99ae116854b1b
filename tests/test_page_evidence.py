"""The Evidence page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store import reads as queries

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "evidence.py")


def _app(evidence: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    if evidence:
        at.query_params["evidence"] = evidence
    at.run()
    assert not at.exception
    return at


def _library(engine: sa.Engine) -> pd.DataFrame:
    return queries.evidence_frame(engine)


def _most_cited(engine: sa.Engine) -> tuple[int, str]:
    links = queries.evidence_links_frame(engine)
    eid = int(links["evidence_id"].value_counts().index[0])
    ev = _library(engine).set_index("evidence_id")
    return eid, ev.loc[eid, "evidence"]


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_page_lists_the_library_with_usage(shared_demo_engine):
    at = _app()
    shown = at.dataframe[0].value
    assert len(shown) == len(_library(shared_demo_engine))
    links = queries.evidence_links_frame(shared_demo_engine)
    eid, title = _most_cited(shared_demo_engine)
    assert shown.set_index("evidence").loc[title, "n_citing"] == (links["evidence_id"] == eid).sum()


def test_an_item_shows_which_forecasts_it_moved(shared_demo_engine):
    eid, title = _most_cited(shared_demo_engine)
    at = _app(title)
    assert at.header[0].value == title
    by_researcher, each = at.dataframe[1].value, at.dataframe[2].value
    links = queries.evidence_links_frame(shared_demo_engine)
    assert sorted(each["forecast_id"]) == sorted(links[links["evidence_id"] == eid]["forecast_id"])
    assert {"change_points", "change_log_odds", "direction", "researcher", "question"} <= set(each.columns)
    assert by_researcher["n_citing"].sum() == len(each)


def test_adding_evidence(demo_engine):
    at = _app()
    at.text_input(key="new_ev_title").set_value("Interpretability audit finds deception features")
    at.selectbox(key="new_ev_kind").set_value("result")
    at.text_input(key="new_ev_url").set_value("https://example.org/audit")
    at.text_input(key="new_ev_date").set_value("2026-02-01")
    at.text_area(key="new_ev_summary").set_value("Probes found them.")
    at.button(key="add_evidence").click().run()
    assert not at.exception and not _errors(at)
    row = _library(demo_engine).set_index("evidence").loc["Interpretability audit finds deception features"]
    assert (row["kind"], row["url"], row["summary"]) == (
        "result",
        "https://example.org/audit",
        "Probes found them.",
    )
    assert row["published"] == pd.Timestamp("2026-02-01", tz="UTC")
    assert at.header[0].value == "Interpretability audit finds deception features"  # opened


def test_bad_evidence_input_is_refused_and_nothing_is_written(shared_demo_engine):
    before = len(_library(shared_demo_engine))
    at = _app()
    at.text_input(key="new_ev_date").set_value("last spring")
    at.button(key="add_evidence").click().run()
    assert _errors(at) == [
        "title must not be empty",
        "date 'last spring' is not a date: write 2025-03-04, or a time like 2025-03-04T10:00:00Z",
    ]
    assert at.text_input(key="new_ev_date").value == "last spring"
    assert len(_library(shared_demo_engine)) == before


def test_editing_an_item_keeps_it_selected(demo_engine):
    eid, title = _most_cited(demo_engine)
    at = _app(title)
    at.text_input(key="ev_title").set_value(title + " (revised)")
    at.selectbox(key="ev_kind").set_value("paper")
    at.button(key="save_evidence").click().run()
    assert not at.exception and not _errors(at)
    row = _library(demo_engine).set_index("evidence_id").loc[eid]
    assert (row["evidence"], row["kind"]) == (title + " (revised)", "paper")
    assert at.header[0].value == title + " (revised)"


def test_deleting_an_item_and_undo(demo_engine):
    eid, title = _most_cited(demo_engine)
    at = _app(title)
    at.button(key="delete_evidence").click().run()
    assert not at.exception
    assert eid not in _library(demo_engine)["evidence_id"].tolist()
    assert eid not in queries.evidence_links_frame(demo_engine)["evidence_id"].tolist()
    at.button(key="undo_evidence").click().run()
    assert not at.exception
    assert eid in _library(demo_engine)["evidence_id"].tolist()
