"""Configuration from the environment (``CREDENCE_*`` variables).

Kept apart from :mod:`models.store.db` so that commands given ``--db`` never import
pydantic-settings: every import counts for a command that runs in under a second.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """``CREDENCE_DATABASE_URL``: where the data lives (default: SQLite in ``data/``)."""

    model_config = SettingsConfigDict(env_prefix="CREDENCE_")

    database_url: str = "sqlite:///data/credence.db"
