"""The fresh copy ``credence scores`` reads (models/store/scores.py) equals the pandas pipeline.

Random databases (ties in ``as_of``, conditional forecasts, reconstructed and deleted rows,
open, annulled and resolved questions) are scored by the pipeline on freshly read frames
(``select_scored`` → ``target_scores``) and through the copy, after random writes of every
kind (add, edit, soft delete, restore, resolve), on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.analysis.scoring import score_report, select_scored, target_scores
from models.store.db import write_session
from models.store.reads import scoring_frames
from models.store.scores import score_targets

BASE = datetime(2024, 1, 1, tzinfo=UTC)
forecast_rows = st.lists(
    st.tuples(
        st.integers(0, 2),  # researcher
        st.integers(0, 3),  # question
        st.sampled_from([None, None, 0, 1]),  # level
        st.sampled_from([0.0, 0.001, 0.25, 0.5, 0.7, 0.999, 1.0]),
        st.integers(0, 40),  # as_of, days after BASE (ties are likely)
        st.integers(0, 2),  # recorded_at, days after BASE + 100
        st.booleans(),  # reconstructed
        st.booleans(),  # deleted
    ),
    max_size=30,
)
question_states = st.lists(
    st.tuples(
        st.sampled_from(["yes", "no", "annulled", None]), st.integers(1, 45), st.sampled_from([None, 0, 1])
    ),
    min_size=4,
    max_size=4,
)


def _clear(engine: sa.Engine) -> None:
    with write_session(engine) as s:
        for table in (
            "forecast_evidence",
            "forecast",
            "question",
            "capability_level",
            "researcher",
            "frame_cache",
        ):
            s.execute(sa.text(f"DELETE FROM {table}"))


def _fill(engine: sa.Engine, questions: list[tuple[str | None, int, int | None]], rows: list[tuple]) -> None:
    now = BASE + timedelta(days=400)
    with write_session(engine) as s:
        for i in range(3):
            s.execute(sa.text("INSERT INTO researcher (id, handle, name, created_at) VALUES (:i, :h, '', :t)"),
                      {"i": i + 1, "h": f"r{2 - i}", "t": now})  # fmt: skip
        for i in range(2):
            s.execute(sa.text("INSERT INTO capability_level (id, name, description, position) VALUES (:i, :n, '', :p)"),
                      {"i": i + 1, "n": f"level {i}", "p": float(i)})  # fmt: skip
        for i, (outcome, day, level) in enumerate(questions):
            s.execute(
                sa.text(
                    "INSERT INTO question (id, title, criteria, tags, created_at, outcome, resolved_at,"
                    " resolution_level_id, resolution_note, revision, updated_at, updated_by)"
                    " VALUES (:i, :t, '', '', :c, :o, :r, :l, '', 1, :c, '')"
                ),
                {"i": i + 1, "t": f"q{i}", "c": BASE, "o": outcome,
                 "r": BASE + timedelta(days=day) if outcome else None,
                 "l": None if level is None or not outcome else level + 1},
            )  # fmt: skip
        for n, (r, q, level, p, day, rec, recon, deleted) in enumerate(rows):
            s.execute(
                sa.text(
                    "INSERT INTO forecast (id, researcher_id, question_id, level_id, probability, as_of, recorded_at,"
                    " reconstructed, rationale, revision, updated_at, updated_by, deleted_at)"
                    " VALUES (:i, :r, :q, :l, :p, :a, :rec, :recon, '', 1, :rec, '', :d)"
                ),
                {"i": n + 1, "r": r + 1, "q": q + 1, "l": None if level is None else level + 1, "p": p,
                 "a": BASE + timedelta(days=day, hours=n % 3), "rec": BASE + timedelta(days=100 + rec),
                 "recon": recon, "d": now if deleted else None},
            )  # fmt: skip
    if engine.dialect.name == "postgresql":
        with write_session(engine) as s:
            s.execute(sa.text("SELECT setval(pg_get_serial_sequence('forecast', 'id'), 1000)"))


def _pandas(engine: sa.Engine, include_reconstructed: bool) -> pd.DataFrame:
    frames = scoring_frames(engine, include_reconstructed=include_reconstructed)
    targets = target_scores(select_scored(frames, include_reconstructed=include_reconstructed))
    return targets.sort_values(["researcher", "question_id"], kind="stable").reset_index(drop=True)


def _same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    key = ["researcher", "question_id", "level"]
    ours = ours.assign(level=ours["level"].fillna("")).sort_values(key).reset_index(drop=True)
    theirs = theirs.assign(level=theirs["level"].fillna("")).sort_values(key).reset_index(drop=True)
    columns = [c for c in ours.columns if c != "target"]
    pd.testing.assert_frame_equal(ours[columns], theirs[columns], check_dtype=False)


edits = st.lists(
    st.tuples(
        st.sampled_from(["add", "edit", "delete", "restore", "resolve"]),
        st.integers(0, 40),
        st.sampled_from([0.1, 0.6, 0.95]),
    ),  # fmt: skip
    min_size=1,
    max_size=4,
)


@pytest.mark.slow  # a property test of a minute or more: make test runs it, make test-fast does not
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(questions=question_states, rows=forecast_rows, changes=edits)
def test_scores_after_writes_equal_the_pandas_pipeline(engine, questions, rows, changes):
    _clear(engine)
    _fill(engine, questions, rows)
    _same(score_targets(engine), _pandas(engine, False))  # stores the copy
    for kind, n, p in changes:
        with write_session(engine) as s:
            if kind == "add":
                s.execute(
                    sa.text(
                        "INSERT INTO forecast (researcher_id, question_id, probability, as_of, recorded_at,"
                        " reconstructed, rationale, revision, updated_at, updated_by)"
                        " VALUES (:r, :q, :p, :a, :a, false, '', 1, :a, '')"
                    ),
                    {"r": n % 3 + 1, "q": n % 4 + 1, "p": p, "a": BASE + timedelta(days=n)},
                )
            elif kind == "edit":
                s.execute(sa.text("UPDATE forecast SET probability = :p WHERE id = :i"), {"p": p, "i": n + 1})
            elif kind == "delete":
                s.execute(
                    sa.text("UPDATE forecast SET deleted_at = :t WHERE id = :i"), {"t": BASE, "i": n + 1}
                )
            elif kind == "restore":
                s.execute(sa.text("UPDATE forecast SET deleted_at = NULL WHERE id = :i"), {"i": n + 1})
            else:
                s.execute(
                    sa.text("UPDATE question SET outcome = 'yes', resolved_at = :t WHERE id = :i"),
                    {"t": BASE + timedelta(days=n + 1), "i": n % 4 + 1},
                )
        _same(score_targets(engine), _pandas(engine, False))


def test_scores_json_is_the_same_from_the_fresh_copy(engine):
    """``credence scores --json``'s report from the fresh copy equals the pandas pipeline's."""
    from models.analysis.scoring import report_of_targets

    rows = [(r, q, lv, p, d, 0, False, False) for r in range(3) for q in range(4) for lv in (None, 0)
            for p, d in ((0.25, 3), (0.7, 9), (0.999, 20))]  # fmt: skip
    _fill(engine, [("yes", 30, 0), ("no", 25, None), ("annulled", 30, None), (None, 1, None)], rows)
    expected = score_report(scoring_frames(engine))
    assert expected["overall"] is not None
    assert report_of_targets(score_targets(engine)) == expected
    assert report_of_targets(score_targets(engine)) == expected  # from the copy


def test_every_change_recording_trigger_exists_at_head(engine):
    """A migration that rebuilds forecast, question or researcher must recreate the triggers."""
    from models.store.changes import triggers_present

    assert triggers_present(engine)


def test_scores_are_fresh_after_a_researcher_is_deleted(engine):
    """A change the triggers cannot pin to questions recomputes everything."""
    rows = [(r, q, None, 0.3 + 0.1 * r, 3 + q, 0, False, False) for r in range(3) for q in range(4)]
    _fill(engine, [("yes", 30, None), ("no", 25, None), ("yes", 30, None), (None, 1, None)], rows)
    score_targets(engine)
    with write_session(engine) as s:
        s.execute(sa.text("UPDATE researcher SET deleted_at = :t WHERE id = 1"), {"t": BASE})
    _same(score_targets(engine), _pandas(engine, False))
