"""The Capability levels page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store import reads as queries

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "capability_levels.py")


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    return at


def _scale(engine: sa.Engine) -> list[str]:
    return queries.levels_frame(engine)["level"].tolist()


def _ids(engine: sa.Engine) -> list[int]:
    return [int(i) for i in queries.levels_frame(engine)["level_id"]]


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_page_shows_the_scale_in_order(shared_demo_engine):
    at = _app()
    ids = _ids(shared_demo_engine)
    assert [at.number_input(key=f"position_{i}").value for i in ids] == [1.0, 2.0, 3.0, 4.0, 5.0][: len(ids)]


def test_the_up_arrow_moves_a_level_one_place_lower(demo_engine):
    before = _scale(demo_engine)
    ids = _ids(demo_engine)
    at = _app()
    at.button(key=f"level_up_{ids[1]}").click().run()
    assert not at.exception
    assert _scale(demo_engine) == [before[1], before[0], *before[2:]]
    assert at.number_input(key=f"position_{ids[1]}").value == 1.0  # the inputs show the new order


def test_typed_positions_reorder_the_scale(demo_engine):
    before = _scale(demo_engine)
    ids = _ids(demo_engine)
    at = _app()
    at.number_input(key=f"position_{ids[0]}").set_value(10.0)
    at.button(key="save_positions").click().run()
    assert not at.exception and not _errors(at)
    assert _scale(demo_engine) == [*before[1:], before[0]]


def test_tied_positions_are_refused_and_nothing_moves(shared_demo_engine):
    before = _scale(shared_demo_engine)
    ids = _ids(shared_demo_engine)
    at = _app()
    at.number_input(key=f"position_{ids[0]}").set_value(2.0)
    at.button(key="save_positions").click().run()
    assert _errors(at) == [f"position 2 is given to both {before[0]!r} and {before[1]!r}"]
    assert _scale(shared_demo_engine) == before
    assert at.number_input(key=f"position_{ids[0]}").value == 2.0


def test_adding_a_level_puts_it_on_top(demo_engine):
    at = _app()
    at.text_input(key="new_level_name").set_value("superintelligence")
    at.button(key="add_level").click().run()
    assert not at.exception and not _errors(at)
    assert _scale(demo_engine)[-1] == "superintelligence"


def test_adding_a_level_without_a_name_is_refused(shared_demo_engine):
    before = _scale(shared_demo_engine)
    at = _app()
    at.text_area(key="new_level_description").set_value("kept")
    at.button(key="add_level").click().run()
    assert _errors(at) == ["name must not be empty"]
    assert at.text_area(key="new_level_description").value == "kept"
    assert _scale(shared_demo_engine) == before


def test_deleting_a_level_and_undo(demo_engine):
    before = _scale(demo_engine)
    lid = _ids(demo_engine)[0]
    at = _app()
    at.button(key=f"delete_level_{lid}").click().run()
    assert not at.exception
    assert _scale(demo_engine) == before[1:]
    at.button(key="undo_capability_level").click().run()
    assert not at.exception
    assert _scale(demo_engine) == before
