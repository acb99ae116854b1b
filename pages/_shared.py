"""What every page shares: the engine, cached frames, the researcher remembered in the URL,
and who is acting (:func:`actor`: the signed-in member in team mode, see ``pages._team``).

Not a page itself (the leading underscore keeps it out of navigation and page tests).
Caching happens here and nowhere else: the engine is cached per database URL, and every
read a page makes is wrapped in :func:`per_version`, which keys it on (URL, data version) for
the page.  Every committed write moves the data version (``models.store.db.data_version``), so
a write in this browser, another tab or the CLI is seen on the next rerun, and a rerun with
no write in between recomputes nothing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import pandas as pd
import pyarrow as pa
import streamlit as st
from pydantic import ValidationError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from models import actions
from models.analysis.questions import question_tags
from models.errors import CredenceError, Problem
from models.forms import form_problems
from models.frames import Frames
from models.limits import md_plain
from models.permissions import Actor
from models.store import history
from models.store import reads as queries
from models.store.db import data_version, database_url, open_engine, writes_here

if TYPE_CHECKING:  # pages never talk to the database directly; the engine is only passed on
    import sqlalchemy as sa


#: How pages name "no capability level" (an unconditional forecast) in pickers.
UNCONDITIONAL = "unconditional"


def _run_through_app() -> None:
    """Rerun through ``app.py`` when Streamlit ran this page on its own.

    Until some session has run ``app.py``'s ``st.navigation``, a fresh server treats
    ``pages/`` as Streamlit's old page folder: a deep link opened as its very first request
    would run the page alone, without the app's navigation, title or layout.  Every page
    imports this module, so the first such run switches Streamlit to ``st.navigation`` and
    reruns (the URL and its query parameters stay); later runs are unaffected.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_run_through_app()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> sa.Engine:
    return open_engine(url)


def raw_engine() -> sa.Engine:
    """The database without the sign-in gate: for the gate itself and the share-link view only."""
    return _engine(database_url())


def engine() -> sa.Engine:
    """The configured database (``CREDENCE_DATABASE_URL``), migrated on first use.

    In team mode only for a signed-in member: anyone else gets the sign-in page instead, even on
    a page reached by its address before ``app.py``'s gate ran.
    """
    from pages import _team

    _team.require_member()
    return _engine(database_url())


def actor() -> Actor | str:
    """Who acts on this page, for the action layer: the signed-in member (team mode), or in
    laptop mode the researcher chosen on the page (kept in the URL; ``""`` when none is)."""
    from pages import _team

    member = _team.require_member()
    if member is not None:
        return member
    chosen = st.session_state.get("researcher") or st.query_params.get("researcher", "")
    return str(chosen or "")


#: The data version a cached read is computing for (see :func:`per_version`), per script thread.
_computing = threading.local()


def version() -> int:
    """The data version this rerun reads: inside a :func:`per_version` read, the one it is keyed on.

    Read once per script run (a page makes a dozen cached reads, each asking) and again after
    this process writes; a write by another process shows on the next rerun.
    """
    pinned: int | None = getattr(_computing, "version", None)
    if pinned is not None:
        return pinned
    run = _this_run()
    memo = getattr(_computing, "run_version", None)
    if run is not None and memo is not None and memo[0] is run and memo[1] == writes_here():
        return int(memo[2])
    current = data_version(engine())
    _computing.run_version = (run, writes_here(), current)
    return current


def _this_run() -> object | None:
    """An object that lives exactly as long as this script run: the run's element cursors,
    which Streamlit replaces when a run starts (None outside a run).  Kept by reference, so a
    later run's can never be mistaken for it."""
    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.cursors


P = ParamSpec("P")
R = TypeVar("R")


def per_version(
    *, max_entries: int = 8, shared: bool = False, spinner: str | bool = False, public: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache a page's read of the data, keyed on (database URL, data version) and its arguments.

    The one way pages cache: the wrapped function reads what it needs itself (``frames()``,
    ``engine()``, other cached reads) and takes only hashable arguments (strings, numbers,
    tuples, pydantic models).  Inside it, :func:`version` is the version it is cached under,
    so nested reads agree even when another process writes meanwhile.  ``shared=True`` hands
    every rerun the same object (``st.cache_resource``: no copy, for large read-only frames and
    chart specs, and for classes defined in a page, which cannot be pickled); otherwise each call
    gets its own copy (``st.cache_data``).  Only the share-link
    view passes ``public=True``: its reads skip the sign-in gate (they use :func:`raw_engine`).
    """

    def decorate(read: Callable[P, R]) -> Callable[P, R]:
        def keyed(url: str, at_version: int, *args: P.args, **kwargs: P.kwargs) -> R:
            outer = getattr(_computing, "version", None)
            _computing.version = at_version
            try:
                return read(*args, **kwargs)
            finally:
                _computing.version = outer

        # Streamlit names a cache by the function's module and qualified name.
        keyed.__module__, keyed.__qualname__, keyed.__name__ = (
            read.__module__,
            read.__qualname__,
            read.__name__,
        )
        cache = st.cache_resource if shared else st.cache_data
        cached = cache(show_spinner=spinner, max_entries=max_entries)(keyed)

        @functools.wraps(read)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            at = data_version(raw_engine()) if public else version()
            return cached(database_url(), at, *args, **kwargs)

        return call

    return decorate


def this_hour() -> pd.Timestamp:
    """Now, to the hour (UTC): what a read that depends on the clock is keyed on, so that reruns
    within the hour find it cached ("days since" and "the last 30 days" move by the hour)."""
    return pd.Timestamp.now(tz="UTC").floor("h")


def arrow(df: pd.DataFrame) -> pa.Table:
    """``df`` as an Arrow table, for a cached read whose table ``st.dataframe`` draws: Streamlit
    converts a DataFrame to Arrow on every rerun (half a second for 100,000 rows), an Arrow table
    it only sends."""
    return pa.Table.from_pandas(df, preserve_index=False)


class _LastRows:
    """The forecast rows this server process read last from one database, to patch after a write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: queries.ForecastRows | None = None


@st.cache_resource(show_spinner=False)
def _last_rows(url: str) -> _LastRows:
    return _LastRows()


@per_version(shared=True, max_entries=2, spinner="Loading forecasts…")
def frames() -> Frames:
    """Every current row as domain frames, recomputed only after a write.

    After a write only the forecasts of the questions it touched are read again
    (``models.store.reads.refresh_frames``); the rest come from the rows read last.
    Shared between reruns and sessions (no copy: 0.1 s per call with 100,000 forecasts):
    treat them as read-only (domain functions return new frames; they never assign into
    their inputs).
    """
    last = _last_rows(database_url())
    with last.lock:
        loaded, last.rows = queries.refresh_frames(engine(), last.rows)
    return loaded


@per_version(max_entries=4)
def researchers() -> pd.DataFrame:
    """Current researchers (id, handle, name, created_at, email); no forecast counts."""
    return queries.researchers_frame(engine(), counts=False)


@per_version(max_entries=2)
def researchers_with_counts() -> pd.DataFrame:
    """:func:`researchers` with each one's number of forecasts (``forecasts``)."""
    return queries.researchers_frame(engine())


@per_version(max_entries=4)
def tags() -> list[str]:
    """Every question tag, sorted (the tag filters)."""
    return question_tags(frames())


@per_version(max_entries=4)
def ratios() -> pd.DataFrame:
    """Every researcher's pre-registered likelihood ratios (Log forecast, Update quality)."""
    return queries.ratios_frame(engine())


@per_version(max_entries=4)
def deleted_rows(kind: str) -> pd.DataFrame:
    """The soft-deleted rows of ``kind`` (``"researcher"``, ``"capability_level"``), for their Undo lists."""
    return history.deleted_rows(engine(), kind)


@per_version(max_entries=8)
def curated_versions(kind: str, row_id: int) -> pd.DataFrame:
    """Every version of a curated row and who wrote each (:func:`models.store.history.curated_versions`)."""
    return history.curated_versions(engine(), kind, row_id)


def version_history(
    kind: str, live: dict[int, str], noun: str, key: str, hidden: tuple[str, ...] = ()
) -> None:
    """An "Earlier versions" expander: pick one of ``live`` (id → name) or a deleted row of
    ``kind`` and see each of its versions (every edit, delete and restore) and who wrote it,
    without the ``hidden`` columns."""
    from pages import _tables as tables

    deleted = deleted_rows(kind)
    names = dict(live)
    names.update(zip(deleted["id"].astype(int), deleted["label"] + " (deleted)", strict=True))
    if not names:
        return
    with st.expander("Earlier versions"):
        pick = st.selectbox(
            noun.capitalize(), list(names), format_func=names.get, index=None, key=f"{key}_history_pick",
            placeholder=f"Pick a {noun} to see its versions",
        )  # fmt: skip
        if pick is not None:
            versions = curated_versions(kind, int(pick)).drop(columns=list(hidden))
            tables.show(
                versions, hide_index=True, column_config=tables.VERSION_COLUMNS, key=f"{key}_versions"
            )


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
    """The researcher who is logging, remembered for the session and kept in the URL.

    In team mode there is no choice: the signed-in member's researcher, shown as text.
    """
    from pages import _team

    member = _team.require_member()
    if member is not None:
        st.session_state[key] = member.handle
        st.text(f"{label}: {member.handle}")
        return member.handle
    handles = researchers()["handle"].tolist()
    choice = st.selectbox(
        label, handles, index=remembered("researcher", handles), key=key, placeholder="Pick a researcher"
    )
    remember("researcher", choice)
    return choice


def author_picker() -> None:
    """Laptop mode, in the sidebar of every page but Log forecast: who is writing, recorded as the
    author of every change made on the page (the same choice as Log forecast's researcher)."""
    handles = researchers()["handle"].tolist()
    if not handles:
        return
    with st.sidebar:
        choice = st.selectbox(
            "Writing as",
            handles,
            index=remembered("researcher", handles),
            key="researcher",
            placeholder="Pick a researcher",
            help="Recorded as the author of every change you make here.",
        )
    remember("researcher", choice)


# --- forms: problems under their inputs, deletes that can be undone ---------------------------


def submit(form: str, action: Callable[[], str | None]) -> None:
    """Run ``action`` (one write) as a button's ``on_click``, so before the page is drawn.

    A refusal (``ValidationError`` or ``CredenceError``: nothing was written) is kept as
    ``{field: message}`` for :func:`problem`; on success ``action``'s message is kept for
    :func:`other_problems`, which shows it once.
    """
    try:
        message = action()
    except (ValidationError, CredenceError) as err:
        st.session_state[f"_problems:{form}"] = form_problems(err)
        return
    st.session_state[f"_problems:{form}"] = {}
    if message:
        st.session_state[f"_done:{form}"] = message


def problem(form: str, field: str) -> None:
    """The problem the last submit of ``form`` found with ``field``; call right below its input."""
    msg = st.session_state.get(f"_problems:{form}", {}).get(field)
    if msg:
        st.error(md_plain(str(Problem(msg, field))))


def other_problems(form: str, shown: tuple[str, ...]) -> None:
    """The problems of ``form`` not shown under an input (``shown``), then its success message."""
    for field, msg in st.session_state.get(f"_problems:{form}", {}).items():
        if field not in shown:
            st.error(md_plain(str(Problem(msg, field))))
    done = st.session_state.pop(f"_done:{form}", None)
    if done:
        st.success(md_plain(done))


def forget_problems(form: str) -> None:
    st.session_state.pop(f"_problems:{form}", None)


def _delete(kind: str, row_id: int, what: str) -> None:
    try:
        actions.delete(engine(), kind, row_id, by=actor())
    except CredenceError as err:  # refused (team mode): nothing was written
        st.session_state[f"_refused:{kind}"] = str(err)
        return
    st.session_state[f"_deleted:{kind}"] = (row_id, what)
    st.session_state.pop(f"_restored:{kind}", None)


def restore_row(kind: str, row_id: int, what: str) -> None:
    """Undo the soft delete of a row (a button's ``on_click``)."""
    try:
        actions.undo_delete(engine(), kind, row_id, by=actor())
    except CredenceError as err:
        st.session_state[f"_refused:{kind}"] = str(err)
        return
    st.session_state.pop(f"_deleted:{kind}", None)
    st.session_state[f"_restored:{kind}"] = what


def deleted_list(kind: str, plural: str, after_restore: Callable[[], None] | None = None) -> None:
    """The soft-deleted rows of ``kind`` in an expander ("Deleted <plural> (n)"), each with Restore."""
    deleted = deleted_rows(kind)
    if deleted.empty:
        return

    def restore(row_id: int, label: str) -> None:
        restore_row(kind, row_id, label)
        if after_restore is not None:
            after_restore()

    with st.expander(f"Deleted {plural} ({len(deleted)})"):
        for item in deleted.itertuples():
            left, right = st.columns([5, 1])
            left.text(f"{item.label} — deleted {item.deleted_at:%Y-%m-%d %H:%M} UTC")
            right.button(
                "Restore", key=f"restore_{kind}_{item.id}", on_click=restore, args=(int(item.id), item.label)
            )


def delete_button(label: str, kind: str, row_id: int, what: str, key: str) -> None:
    """A button that soft-deletes a row of ``kind`` (see ``models.store.records.DELETABLE``)."""
    st.button(md_plain(label), key=key, on_click=_delete, args=(kind, row_id, what))


def undo_notice(kind: str) -> None:
    """After a delete of ``kind``: "Deleted …" and an ``Undo`` button (key ``undo_<kind>``)."""
    refused = st.session_state.pop(f"_refused:{kind}", None)
    if refused:
        st.error(md_plain(refused))
    restored = st.session_state.pop(f"_restored:{kind}", None)
    if restored:
        st.success(md_plain(f"Restored {restored}."))
    pending = st.session_state.get(f"_deleted:{kind}")
    if pending:
        st.success(md_plain(f"Deleted {pending[1]}."))
        st.button("Undo", key=f"undo_{kind}", on_click=restore_row, args=(kind, *pending))


# --- lists in the URL (comma-separated) ---------------------------------------------------------


def _escape(item: str) -> str:
    return item.replace("%", "%25").replace(",", "%2C")


def _unescape(item: str) -> str:
    return item.replace("%2C", ",").replace("%25", "%")


def remembered_list(key: str, options: list[str]) -> list[str]:
    """The options named in the URL's ``?key=a,b`` (a comma inside a name is written ``%2C``),
    in the URL's order; unknown names are dropped, and ``[]`` when there is none."""
    wanted = [_unescape(item) for item in st.query_params.get(key, "").split(",") if item]
    return [item for item in dict.fromkeys(wanted) if item in options]


def remember_list(key: str, values: list[str], everything: list[str] | None = None) -> None:
    """Keep ``values`` in the URL as ``?key=a,b``; an empty list, or one holding all of
    ``everything`` (the default view), removes the parameter."""
    if everything is not None and set(values) >= set(everything):
        values = []
    remember(key, ",".join(_escape(v) for v in values))


#: How a piece of evidence moved an estimate, as the forms offer it.
DIRECTIONS = ["raised", "lowered", "no change"]


def direction_widget(direction_key: str, title: str) -> str:
    """The key of the radio of an :func:`evidence_picker` saying how ``title`` moved the estimate."""
    return f"{direction_key}:{title}"


def picked_evidence(key: str, direction_key: str) -> list[tuple[str, str | None]]:
    """What an :func:`evidence_picker` holds: each chosen title with its direction (None: none picked)."""
    state = st.session_state
    return [(title, state.get(direction_widget(direction_key, title))) for title in state.get(key) or []]


def evidence_picker(options: list[str], key: str, direction_key: str) -> list[str]:
    """The "Evidence" multiselect, and for each chosen item how it moved the estimate (a radio
    keyed :func:`direction_widget`)."""
    chosen: list[str] = st.multiselect(
        "Evidence", options, key=key, placeholder="Evidence behind this estimate"
    )
    for title in chosen:
        st.radio(
            f"How did “{md_plain(title)}” move this estimate?",
            DIRECTIONS,
            index=None,
            horizontal=True,
            key=direction_widget(direction_key, title),
        )
    return chosen


def researchers_picker(everyone: list[str]) -> list[str]:
    """The "Researchers" multiselect, kept in the URL (``?researchers=``; everyone when absent)."""
    chosen: list[str] = st.multiselect(
        "Researchers",
        everyone,
        default=remembered_list("researchers", everyone) or everyone,
        key="researchers",
    )
    remember_list("researchers", chosen, everyone)
    return chosen


def level_picker(choices: list[str | None], one_by_default: bool = False) -> list[str | None] | None:
    """A "Capability levels" multiselect kept in the URL (``?levels=``), shown only when some
    forecast is conditional; None then, else the chosen levels (None = unconditional).

    Without levels in the URL every level is chosen, or with ``one_by_default`` only the first
    (unconditional when there is any): one readable set of lines rather than all at once.
    """
    if not any(level is not None for level in choices):
        return None
    options = [UNCONDITIONAL if level is None else level for level in choices]
    shown = st.multiselect(
        "Capability levels",
        options,
        default=remembered_list("levels", options) or (options[:1] if one_by_default else options),
        key="levels",
        help="Conditional forecasts: P(question | the world reaches this capability level).",
    )
    remember_list("levels", shown, None if one_by_default else options)
    return [None if level == UNCONDITIONAL else level for level in shown]
