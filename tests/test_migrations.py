"""Migrations: a database made by an older Credence is upgraded without losing a row."""

from __future__ import annotations

import sqlalchemy as sa

from models.store.db import create_engine, current_revision, head_revision, migrate, open_engine
from models.store.reads import forecasts_frame


def test_database_at_first_revision_with_data_upgrades_and_keeps_every_row(blank_db_url):
    eng = create_engine(blank_db_url)
    migrate(eng, "0001")
    assert current_revision(eng) == "0001"
    with eng.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO researcher (id, handle, name, created_at) VALUES (1, 'teal_heron', 'Teal', '2024-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO question (id, title, criteria, tags, created_at, revision, updated_at, updated_by, resolution_note) VALUES (1, 'Q', 'c', 'a;b', '2024-01-01 00:00:00', 1, '2024-01-01 00:00:00', '', '')"
            )
        )
        conn.execute(sa.text("INSERT INTO evidence (id, title, summary) VALUES (1, 'Paper', 's')"))
        for i in range(1, 51):
            conn.execute(
                sa.text(
                    "INSERT INTO forecast (id, researcher_id, question_id, probability, as_of, recorded_at, reconstructed, rationale, revision, updated_at, updated_by) "
                    "VALUES (:i, 1, 1, :p, '2024-01-01 00:00:00', '2024-02-01 00:00:00', false, 'r', 1, '2024-02-01 00:00:00', '')"
                ),
                {"i": i, "p": i / 100},
            )
        conn.execute(
            sa.text(
                "INSERT INTO forecast_evidence (forecast_id, evidence_id, direction, note) VALUES (1, 1, 'raised', '')"
            )
        )
    eng.dispose()

    upgraded = open_engine(blank_db_url)  # opening a database that is behind migrates it
    assert current_revision(upgraded) == head_revision()
    df = forecasts_frame(upgraded)
    assert len(df) == 50
    assert sorted(df["probability"]) == [i / 100 for i in range(1, 51)]
    with upgraded.connect() as conn:
        assert conn.execute(sa.text("SELECT kind FROM evidence")).scalar() == "other"
        assert conn.execute(sa.text("SELECT COUNT(*) FROM forecast_evidence")).scalar() == 1
    upgraded.dispose()


def test_opening_a_new_database_creates_it_at_the_newest_schema(blank_db_url):
    eng = open_engine(blank_db_url)
    assert current_revision(eng) == head_revision()


def test_models_and_migrations_agree(sqlite_url):
    """Autogenerate finds nothing to do: every table change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    eng = open_engine(sqlite_url)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_head_revision_from_file_names_is_alembics_head():
    from alembic.script import ScriptDirectory

    from models.store.db import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
