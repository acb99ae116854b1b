"""What every page shares: the engine, cached frames, the researcher remembered in the URL.

Not a page itself (the leading underscore keeps it out of navigation and page tests).
Caching: the engine is cached per database URL (``st.cache_resource``); frames are cached
per (URL, data version) with ``st.cache_data``, and every committed write moves the data
version (``models.db.data_version``), so a write in this browser, another tab or the CLI
is seen on the next rerun without recomputing anything otherwise.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from models import queries
from models.db import data_version, database_url, open_engine
from models.frames import Frames


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> sa.Engine:
    return open_engine(url)


def engine() -> sa.Engine:
    """The configured database (``CREDENCE_DATABASE_URL``), migrated on first use."""
    return _engine(database_url())


def version() -> int:
    return data_version(engine())


@st.cache_data(show_spinner="Loading forecasts…", max_entries=4)
def _frames(url: str, _version: int) -> Frames:
    return queries.load_frames(_engine(url))


def frames() -> Frames:
    """Every current row as domain frames, recomputed only after a write."""
    return _frames(database_url(), version())


@st.cache_data(show_spinner=False, max_entries=4)
def _researchers(url: str, _version: int) -> pd.DataFrame:
    return queries.researchers_frame(_engine(url))


def researchers() -> pd.DataFrame:
    return _researchers(database_url(), version())


def remembered(key: str, options: list[str], default: str | None = None) -> int | None:
    """Index of the option named in the URL's ``?key=`` (or ``default``), for a selectbox ``index``."""
    wanted = st.query_params.get(key, default)
    return options.index(wanted) if wanted in options else None


def remember(key: str, value: str | None) -> None:
    """Keep ``value`` in the URL (``?key=value``) so a bookmarked link reopens this view."""
    if value:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]


def researcher_picker(label: str = "Researcher", key: str = "researcher") -> str | None:
    """The researcher who is logging, remembered for the session and kept in the URL."""
    handles = researchers()["handle"].tolist()
    choice = st.selectbox(
        label, handles, index=remembered("researcher", handles), key=key, placeholder="Pick a researcher"
    )
    remember("researcher", choice)
    return choice
