"""The Researchers page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store import history
from models.store import reads as queries

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "researchers.py")


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    return at


def _names(engine: sa.Engine) -> dict[str, str]:
    df = queries.researchers_frame(engine)
    return dict(zip(df["handle"], df["name"], strict=True))


def _id(engine: sa.Engine, handle: str) -> int:
    df = queries.researchers_frame(engine)
    return int(df[df["handle"] == handle]["id"].iloc[0])


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_page_lists_researchers_with_forecast_counts(shared_demo_engine):
    at = _app()
    shown = at.dataframe[0].value.set_index("handle")["forecasts"]
    f = queries.forecasts_frame(shared_demo_engine)
    assert shown.to_dict() == f.groupby("researcher").size().to_dict()


def test_adding_a_researcher(demo_engine):
    at = _app()
    at.text_input(key="new_handle").set_value("marsh_wren")
    at.text_input(key="new_name").set_value("Marsh Wren")
    at.button(key="add_researcher").click().run()
    assert not at.exception and not _errors(at)
    assert _names(demo_engine)["marsh_wren"] == "Marsh Wren"
    assert "marsh_wren" in at.dataframe[0].value["handle"].tolist()
    assert at.text_input(key="new_handle").value == ""


def test_an_empty_handle_is_refused_and_nothing_is_written(shared_demo_engine):
    before = _names(shared_demo_engine)
    at = _app()
    at.text_input(key="new_name").set_value("Nobody")
    at.button(key="add_researcher").click().run()
    assert _errors(at) == ["handle must not be empty"]
    assert at.text_input(key="new_name").value == "Nobody"
    assert _names(shared_demo_engine) == before


def test_a_handle_in_use_is_refused(shared_demo_engine):
    at = _app()
    at.text_input(key="new_handle").set_value("orrery")
    at.button(key="add_researcher").click().run()
    assert _errors(at) == ["handle 'orrery' is already used by another researcher"]


def test_renaming_changes_the_display_name(demo_engine):
    at = _app()
    at.selectbox(key="researcher_pick").set_value(_id(demo_engine, "orrery")).run()
    at.text_input(key="rename_name").set_value("The Orrery")
    at.button(key="rename").click().run()
    assert not at.exception and not _errors(at)
    assert _names(demo_engine)["orrery"] == "The Orrery"


def test_deleting_a_researcher_and_undo(demo_engine):
    rid = _id(demo_engine, "nightjar")
    at = _app()
    at.selectbox(key="researcher_pick").set_value(rid).run()
    at.button(key="delete_researcher").click().run()
    assert not at.exception
    assert "nightjar" not in _names(demo_engine)
    assert "nightjar" not in queries.forecasts_frame(demo_engine)["researcher"].tolist()
    assert any(s.value == "Deleted nightjar." for s in at.success)
    at.button(key="undo_researcher").click().run()
    assert not at.exception
    assert "nightjar" in _names(demo_engine)


def test_a_deleted_researcher_can_be_restored_later(demo_engine):
    rid = _id(demo_engine, "nightjar")
    at = _app()
    at.selectbox(key="researcher_pick").set_value(rid).run()
    at.button(key="delete_researcher").click().run()
    at = _app()  # a new session: no Undo, but the deleted list
    assert history.deleted_rows(demo_engine, "researcher")["label"].tolist() == ["nightjar"]
    at.button(key=f"restore_researcher_{rid}").click().run()
    assert not at.exception
    assert "nightjar" in _names(demo_engine)
