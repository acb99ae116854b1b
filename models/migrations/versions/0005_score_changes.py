"""score changes: which questions' scores a write touched, recorded by triggers

``credence scores`` keeps per-target scores as a columnar copy and, after a write,
recomputes only the questions that changed (models/store/scores.py).  Triggers record
those questions with the data version of the writing transaction, whatever path wrote:
an edit, soft delete or restore of a forecast, and any change to a question.  A
hard delete or a change to a researcher records question 0, "recompute everything".

Inserts are not recorded: new forecasts are found by their ids, which only grow (writers
take turns: see models/store/db.py), so a bulk import pays nothing; the importer records
the questions of rows it writes with ids from a file.  SQLite triggers are per row,
PostgreSQL triggers per statement, over transition tables.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSION = "(SELECT version FROM data_version WHERE id = 1)"


def _sqlite_mark(question: str) -> str:
    return f"INSERT OR REPLACE INTO score_change (question_id, version) VALUES ({question}, {_VERSION});"


SQLITE_TRIGGERS = {
    "score_change_forecast_update": "AFTER UPDATE ON forecast "
    f"BEGIN {_sqlite_mark('OLD.question_id')} {_sqlite_mark('NEW.question_id')} END",
    "score_change_forecast_delete": f"AFTER DELETE ON forecast BEGIN {_sqlite_mark('0')} END",
    "score_change_question_update": f"AFTER UPDATE ON question BEGIN {_sqlite_mark('NEW.id')} END",
    "score_change_question_delete": f"AFTER DELETE ON question BEGIN {_sqlite_mark('0')} END",
    "score_change_researcher_update": f"AFTER UPDATE ON researcher BEGIN {_sqlite_mark('0')} END",
    "score_change_researcher_delete": f"AFTER DELETE ON researcher BEGIN {_sqlite_mark('0')} END",
}


def _pg_function(name: str, select: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO score_change (question_id, version)
    SELECT DISTINCT q, {_VERSION} FROM ({select}) AS changed(q)
    ON CONFLICT (question_id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$"""


#: (trigger name, table, event, transition tables, rows that changed)
PG_TRIGGERS = (
    ("score_change_forecast_update", "forecast", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "SELECT question_id FROM old_rows UNION SELECT question_id FROM new_rows"),
    ("score_change_forecast_delete", "forecast", "DELETE", "", "SELECT 0"),
    ("score_change_question_update", "question", "UPDATE", "NEW TABLE AS new_rows", "SELECT id FROM new_rows"),
    ("score_change_question_delete", "question", "DELETE", "", "SELECT 0"),
    ("score_change_researcher_update", "researcher", "UPDATE", "", "SELECT 0"),
    ("score_change_researcher_delete", "researcher", "DELETE", "", "SELECT 0"),
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "score_change",
        sa.Column("question_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("question_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, table, event, referencing, select in PG_TRIGGERS:
            op.execute(_pg_function(name, select))
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"{'REFERENCING ' + referencing if referencing else ''} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, *_ in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("score_change")
