"""The Questions page keeps its filters in the URL, so a bookmarked link reopens the view."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "questions.py")


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def test_questions_filters_are_written_to_the_url(shared_demo_engine: sa.Engine) -> None:
    at = _app()
    at.text_input(key="q_search").input("scheming").run()
    at.selectbox(key="q_status").set_value("open").run()
    at.selectbox(key="q_researcher").set_value("orrery").run()
    at.checkbox(key="q_due").check().run()
    tag = at.multiselect(key="q_tags_filter").options[0]
    at.multiselect(key="q_tags_filter").select(tag).run()
    params = {k: at.query_params[k] for k in ("search", "status", "by", "due", "tags")}
    assert params == {"search": "scheming", "status": "open", "by": "orrery", "due": "1", "tags": tag}


def test_questions_filters_are_read_from_the_url(shared_demo_engine: sa.Engine) -> None:
    at = _app(search="scheming", status="open", by="orrery", due="1", tags="alignment")
    assert at.text_input(key="q_search").value == "scheming"
    assert at.selectbox(key="q_status").value == "open"
    assert at.selectbox(key="q_researcher").value == "orrery"
    assert at.checkbox(key="q_due").value is True
    assert at.multiselect(key="q_tags_filter").value == ["alignment"]


def test_clearing_the_filters_removes_them_from_the_url(shared_demo_engine: sa.Engine) -> None:
    at = _app(search="scheming", status="open")
    at.text_input(key="q_search").input("").run()
    at.selectbox(key="q_status").set_value("any").run()
    assert "search" not in at.query_params and "status" not in at.query_params


WRITEUP = str(Path(__file__).resolve().parent.parent / "pages" / "writeup.py")


def test_writeup_filters_round_trip_through_the_url(shared_demo_engine: sa.Engine) -> None:
    at = AppTest.from_file(WRITEUP, default_timeout=60).run()
    assert not at.exception
    at.multiselect(key="researchers").select("orrery").run()
    tag = at.multiselect(key="tags").options[0]
    at.multiselect(key="tags").select(tag).run()
    at.date_input(key="since").set_value("2025-01-01").run()
    assert (at.query_params["researchers"], at.query_params["tags"], at.query_params["since"]) == (
        "orrery",
        tag,
        "2025-01-01",
    )
    again = AppTest.from_file(WRITEUP, default_timeout=60)
    for key in ("researchers", "tags", "since"):
        again.query_params[key] = at.query_params[key]
    again.run()
    assert not again.exception
    assert again.multiselect(key="researchers").value == ["orrery"]
    assert again.multiselect(key="tags").value == [tag]
    assert str(again.date_input(key="since").value) == "2025-01-01"
