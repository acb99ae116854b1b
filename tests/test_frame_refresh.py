"""Frames brought up to date after a write equal frames read whole, on both backends.

A page process keeps the forecast rows it read and, after a write, rereads only the
questions the write touched (``models.store.reads.refresh_frames``).  Whatever users do
next, the frames they see must be exactly those a fresh read gives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from models import actions
from models.schemas import ForecastEdit, QuestionEdit, ResolutionIn
from models.store import changes, reads
from tests.factories import forecast_in

Write = Callable[[sa.Engine], object]


def _first_forecast(engine: sa.Engine) -> int:
    return int(reads.forecasts_frame(engine)["forecast_id"].iloc[0])


def _question(engine: sa.Engine, title: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT id FROM question WHERE title = :t"), {"t": title}).scalar_one()
        )


def _researcher(engine: sa.Engine, handle: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT id FROM researcher WHERE handle = :h"), {"h": handle}).scalar_one()
        )


WRITES: list[tuple[str, Write]] = [
    ("log a forecast", lambda e: actions.save_forecast(e, forecast_in(probability=0.31))),
    ("log a conditional forecast", lambda e: actions.save_forecast(
        e, forecast_in(probability=0.2, given="Eval published by 2025", given_outcome="yes"))),
    ("edit a forecast", lambda e: actions.edit_forecast(
        e, _first_forecast(e), ForecastEdit(probability=0.66, rationale="second thoughts"))),
    ("delete a forecast", lambda e: actions.delete(e, "forecast", _first_forecast(e))),
    ("retitle a question", lambda e: actions.edit_question(
        e, _question(e, "Schemers at 3x"), QuestionEdit(title="Schemers at 3x AI R&D"))),
    ("resolve a question", lambda e: actions.resolve_question(
        e, ResolutionIn(question="Eval published by 2025", outcome="yes",
                        resolved_at=datetime(2025, 1, 2, tzinfo=UTC)))),
    ("delete a question", lambda e: actions.delete(e, "question", _question(e, "Eval published by 2025"))),
    ("restore it", lambda e: actions.undo_delete(e, "question", _question(e, "Eval published by 2025"))),
    ("rename a researcher", lambda e: actions.rename_researcher(e, _researcher(e, "orrery"), "Orrery Two")),
    ("delete a researcher", lambda e: actions.delete(e, "researcher", _researcher(e, "orrery"))),
    ("import a file", lambda e: actions.import_file(
        e, b"researcher,question,probability,as_of\nteal_heron,Schemers at 3x AI R&D,0.09,2025-03-01\n",
        "forecasts")),
]  # fmt: skip


@pytest.fixture
def stocked(stocked: sa.Engine) -> sa.Engine:
    """The small forecasts file, and 30 more questions: a write touching one question of
    over thirty is patched in (over a tenth of them would be reread whole)."""
    actions.import_file(stocked, b"question\n" + b"".join(b"Other %d\n" % i for i in range(30)), "questions")
    return stocked


def _assert_same_frames(ours: reads.ForecastRows, engine: sa.Engine) -> None:
    whole = reads.current_rows(engine)  # no earlier rows: a whole read
    pd.testing.assert_frame_equal(ours.rows, whole.rows)
    frames, _ = reads.refresh_frames(engine, ours)
    expected = reads.load_frames(engine)
    for name in ("forecasts", "conditionals", "questions", "evidence_links", "evidence", "levels"):
        pd.testing.assert_frame_equal(getattr(frames, name), getattr(expected, name), obj=name)


def test_frames_patched_after_each_write_equal_a_whole_read(stocked: sa.Engine) -> None:
    rows = reads.current_rows(stocked)
    patched = []
    for what, write in WRITES:
        write(stocked)
        if changes.questions_to_redo(stocked, rows.version, rows.top_id) is not None:
            patched.append(what)
        rows = reads.current_rows(stocked, rows)
        try:
            _assert_same_frames(rows, stocked)
        except AssertionError as err:
            raise AssertionError(f"after '{what}': {err}") from None
    # The writes on one question took the patching path (not only whole rereads).
    assert {"log a forecast", "edit a forecast", "delete a question", "retitle a question"} <= set(patched)


def test_one_new_forecast_rereads_only_its_question(stocked: sa.Engine) -> None:
    rows = reads.current_rows(stocked)
    actions.save_forecast(stocked, forecast_in(probability=0.27))
    assert changes.questions_to_redo(stocked, rows.version, rows.top_id) == {
        _question(stocked, "Schemers at 3x")
    }


def test_unchanged_data_returns_the_rows_already_read(stocked: sa.Engine) -> None:
    rows = reads.current_rows(stocked)
    assert reads.current_rows(stocked, rows) is rows


@pytest.mark.parametrize("kind", ["researcher"])
def test_a_change_the_triggers_cannot_pin_to_questions_rereads_everything(
    stocked: sa.Engine, kind: str
) -> None:
    rows = reads.current_rows(stocked)
    actions.delete(stocked, kind, _researcher(stocked, "orrery"))
    assert changes.questions_to_redo(stocked, rows.version, rows.top_id) is None
    _assert_same_frames(reads.current_rows(stocked, rows), stocked)


def _rows(draw: st.DrawFn, ids: list[int], question_ids: list[int]) -> pd.DataFrame:
    """Forecast rows with the given ids, many sharing a day or a recorded-at time, some before 1970."""
    days = st.integers(-400, 400).map(lambda d: pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=d))
    n = len(ids)
    return pd.DataFrame(
        {
            "forecast_id": pd.Series(ids, dtype="int64"),
            "question_id": pd.Series(draw(st.lists(st.sampled_from(question_ids), min_size=n, max_size=n)), dtype="int64"),
            "probability": draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n)),
            "as_of": pd.Series(draw(st.lists(st.sampled_from([pd.Timestamp("1969-12-31", tz="UTC")]) | days, min_size=n, max_size=n)), dtype="datetime64[ns, UTC]"),
            "recorded_at": pd.Series(draw(st.lists(days, min_size=n, max_size=n)), dtype="datetime64[ns, UTC]"),
            "rationale": draw(st.lists(st.sampled_from(["", "priors", None]), min_size=n, max_size=n)),
        }
    )  # fmt: skip


@st.composite
def _patch(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, set[int]]:
    """Sorted rows, the questions a write touched, and those questions' rows read again
    (some kept ids, edited; some new ids)."""
    questions = list(range(1, draw(st.integers(1, 6)) + 1))
    ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=60))
    rows = _rows(draw, ids, questions).sort_values(
        list(reads.FORECAST_ORDER), kind="stable", ignore_index=True
    )
    redo = set(draw(st.lists(st.sampled_from(questions), max_size=3)))
    again = [i for i, q in zip(rows["forecast_id"], rows["question_id"], strict=True) if q in redo]
    fresh_ids = draw(st.lists(st.sampled_from(again), unique=True)) if again else []
    fresh_ids += draw(st.lists(st.integers(10_001, 20_000), unique=True, max_size=20))
    fresh = _rows(draw, fresh_ids, sorted(redo) or [1]) if redo else _rows(draw, [], [1])
    return rows, fresh.sort_values(list(reads.FORECAST_ORDER), kind="stable", ignore_index=True), redo


@settings(max_examples=100, deadline=None)
@given(_patch())
def test_patching_rows_in_place_equals_sorting_them_all_again(
    patch: tuple[pd.DataFrame, pd.DataFrame, set[int]],
):
    rows, fresh, redo = patch
    kept = rows[~rows["question_id"].isin(list(redo))]
    expected = pd.concat([kept, fresh], ignore_index=True).sort_values(
        list(reads.FORECAST_ORDER), kind="stable", ignore_index=True
    )
    pd.testing.assert_frame_equal(reads.patched_rows(rows, fresh, redo), expected)


def test_finding_new_forecasts_reads_only_the_rows_above_the_last_id(sqlite_engine: sa.Engine) -> None:
    """Not a scan of the question index, which grows with every forecast (33 ms at a million)."""
    with sqlite_engine.connect() as conn:
        plan = conn.execute(sa.text("EXPLAIN QUERY PLAN " + changes.ADDED_SQL), {"id": 0}).all()
    steps = " / ".join(str(row[-1]) for row in plan)
    assert "SEARCH forecast USING INTEGER PRIMARY KEY" in steps, steps


def test_a_copy_read_just_after_a_many_question_change_is_patched_on_the_next_write(
    stocked: sa.Engine,
) -> None:
    """Resolving every question at once is part of the copy read after it; the next forecast
    rereads only its own question, not everything the resolutions touched."""
    resolutions = "".join(f"Other {i},no,2025-01-02\n" for i in range(30))
    actions.import_file(stocked, f"question,outcome,resolved_at\n{resolutions}".encode(), "resolutions")
    rows = reads.current_rows(stocked)
    actions.save_forecast(stocked, forecast_in(probability=0.27))
    assert changes.questions_to_redo(stocked, rows.version, rows.top_id) == {
        _question(stocked, "Schemers at 3x")
    }
    _assert_same_frames(reads.current_rows(stocked, rows), stocked)


def test_a_copy_read_before_a_migration_sees_what_the_migration_changed(blank_db_url: str) -> None:
    """Upgrading to 0012 renumbers a researcher an import had renamed; that update marks every
    score stale, later than the copy, so the copy is rebuilt rather than trusted."""
    from models.store.db import create_engine, data_version, migrate

    eng = create_engine(blank_db_url)
    migrate(eng, "0011")
    with eng.begin() as conn:  # a researcher an import renamed, as a Credence at 0011 stored it
        conn.execute(
            sa.text(
                "INSERT INTO researcher (id, handle, name, created_at) VALUES (1, 'teal_heron', 'Teal Heron', '2024-01-02')"
            )
        )
        conn.execute(
            sa.text("INSERT INTO revision (entity, entity_id, number, data, changed_by, changed_at) "
                    "VALUES ('researcher', 1, 1, '{\"name\": \"Teal\"}', 'ana', '2024-01-02')")
        )  # fmt: skip
    version, top = data_version(eng), changes.max_forecast_id(eng)
    migrate(eng)
    assert data_version(eng) == version + 1
    assert changes.questions_to_redo(eng, version, top) is None
    eng.dispose()
