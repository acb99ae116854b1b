"""Configuration from the environment (``CREDENCE_*`` variables).

Kept apart from :mod:`models.store.db` so that commands given ``--db`` never import
pydantic-settings: every import counts for a command that runs in under a second.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from models.permissions import TeamPolicy


class Settings(BaseSettings):
    """``CREDENCE_DATABASE_URL``: where the data lives (default: SQLite in ``data/``)."""

    model_config = SettingsConfigDict(env_prefix="CREDENCE_")

    database_url: str = "sqlite:///data/credence.db"


class TeamSettings(BaseSettings):
    """Who may sign in, in team mode (see :mod:`models.permissions`).

    ``CREDENCE_ALLOWED_EMAILS``, ``CREDENCE_ALLOWED_DOMAINS``, ``CREDENCE_ADMINS``: lists of
    e-mails or domains, comma- or whitespace-separated (or a JSON list).
    """

    model_config = SettingsConfigDict(env_prefix="CREDENCE_")

    # Plain text here, split by permissions.parse_list: pydantic-settings would want JSON for a list.
    allowed_emails: str = ""
    allowed_domains: str = ""
    admins: str = ""


def team_policy() -> TeamPolicy:
    """The team policy from the environment, read when called (so tests and restarts see changes)."""
    s = TeamSettings()
    return TeamPolicy.from_values(s.allowed_emails, s.allowed_domains, s.admins)
