"""Which questions' forecasts changed since a data version: what lets a copy be patched, not reread.

A write touches the forecasts of one question or a few.  A copy of forecast-derived data
(the per-target scores of :mod:`models.store.scores`, the page frames of
:func:`models.store.reads.refresh_frames`) can therefore be brought up to date by redoing
only those questions:

* new forecasts have ids above the largest id the copy has seen (ids only grow, and
  writers take turns: see :func:`models.store.db.write_session`);
* edits, soft deletes and restores of forecasts, and any change to a question, are
  recorded by database triggers (migration ``0005``) in the ``score_change`` table with the
  data version of their transaction, which every write (a migration too) moves before it
  changes anything: a copy read at version V has seen everything recorded at V, and what
  changed since is recorded later;
* anything else (a hard delete, a change to a researcher, rows imported with ids of their
  own) records question 0, :data:`EVERYTHING`.

A copy is rebuilt whole when the triggers are missing (a migration that rebuilds a table
drops them), when :data:`EVERYTHING` was recorded, or when more than :data:`DELTA_LIMIT` of
the questions changed: :func:`questions_to_redo` says which.
"""

from __future__ import annotations

import sqlalchemy as sa

#: Recompute everything when more than this share of questions changed.
DELTA_LIMIT = 0.1
#: The ``score_change`` row that means "recompute everything".
EVERYTHING = 0
#: The triggers that record changes; without all of them no copy is patched.
TRIGGERS = (
    "score_change_forecast_update",
    "score_change_forecast_delete",
    "score_change_question_update",
    "score_change_question_delete",
    "score_change_researcher_update",
    "score_change_researcher_delete",
)


def triggers_present(engine: sa.Engine) -> bool:
    """Whether every change-recording trigger exists (a table rebuilt by a migration loses them)."""
    names = ", ".join(f"'{t}'" for t in TRIGGERS)
    if engine.dialect.name == "sqlite":
        sql = f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})"
    else:
        sql = (
            "SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
            f" AND NOT t.tgisinternal AND t.tgname IN ({names})"
        )
    with engine.connect() as conn:
        found = conn.execute(sa.text(sql)).scalar()
    return found == len(TRIGGERS)


#: The questions of forecasts added since the largest id was ``:id``.  ``question_id + 0``:
#: with the bare column SQLite answers DISTINCT by scanning the whole question index (33 ms
#: at a million forecasts) instead of reading the few rows above ``:id`` by primary key.
ADDED_SQL = "SELECT DISTINCT question_id + 0 FROM forecast WHERE id > :id"


def changed_questions(engine: sa.Engine, since_version: int, above_id: int) -> set[int]:
    """Questions whose scored forecasts may differ from a copy read at ``since_version``."""
    with engine.connect() as conn:
        recorded = conn.execute(
            sa.text("SELECT question_id FROM score_change WHERE version > :v"), {"v": since_version}
        ).scalars()
        added = conn.execute(sa.text(ADDED_SQL), {"id": above_id}).scalars()
        return {int(q) for q in recorded} | {int(q) for q in added}


def max_forecast_id(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM forecast")).scalar() or 0)


def n_questions(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM question")).scalar() or 0)


def questions_to_redo(engine: sa.Engine, since_version: int, above_id: int) -> set[int] | None:
    """The questions whose forecasts may differ from a copy read at ``since_version`` when the
    largest forecast id was ``above_id``; None when the copy must be rebuilt whole."""
    if not triggers_present(engine):
        return None
    changed = changed_questions(engine, since_version, above_id)
    if EVERYTHING in changed or len(changed) > DELTA_LIMIT * max(n_questions(engine), 1):
        return None
    return changed
