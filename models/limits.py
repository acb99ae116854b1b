"""The limits every value meets at the boundary, and the guards that keep output safe.

One place for the rules that input schemas, file parsers, restore and readers share:

* **Times** lie in :data:`MIN_TIME` .. :data:`MAX_TIME` (1900-01-01 to 2200-12-31, UTC),
  well inside pandas' nanosecond range (1677-09-21 to 2262-04-11), so every stored time
  can be charted, scored and exported.  Readers still clip a time stored outside the
  range (written by hand or by an older Credence) to the nearest end instead of failing:
  :func:`to_utc_times`.
* **Text** has no NUL character (PostgreSQL cannot store one), no unpaired surrogate (not
  UTF-8), and a length limit per field; long free text (rationales, criteria, notes,
  summaries, descriptions) is at most :data:`LONG_TEXT_MAX` characters, which the CSV
  reader accepts (:data:`CSV_FIELD_MAX`), so everything accepted can be exported and
  imported again.
* **Numbers** are finite; ids fit the database's integer columns.
* **Links** are ``http`` or ``https`` only, at entry and again when Markdown is written.
* **Spreadsheet cells** written by the app never start like a formula: :func:`safe_cell`.
* **Uploads** through the Import page are at most :data:`UPLOAD_MAX_MB` megabytes.
* **User text on a page** is shown as text, never as live Markdown: :func:`md_plain`.

The check functions raise :class:`ValueError` whose text reads after the field name
(``as of 1600-01-01 is before 1900-01-01 …``); the schemas turn it into their message.
"""

from __future__ import annotations

import html.entities
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

#: The earliest and latest time Credence stores (inclusive), in UTC.
MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2200, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
TIME_RANGE = "1900-01-01 to 2200-12-31 (UTC)"

#: Long free text (rationale, criteria, note, summary, description), in characters.
LONG_TEXT_MAX = 100_000
#: The CSV reader's cell limit: a long text cell plus its formula escape, with room to spare.
CSV_FIELD_MAX = 4 * LONG_TEXT_MAX
#: Ids are stored in 32-bit integer columns on PostgreSQL.
ID_MAX = 2**31 - 1
#: Capability positions: any finite number of a sensible size.
POSITION_MAX = 1e12
#: The largest file the Import page accepts, in megabytes of 1024 × 1024 bytes (Streamlit's
#: unit).  ``.streamlit/config.toml`` holds the same number as ``server.maxUploadSize`` (a test
#: checks that they agree).  The CLI has no such limit: large files go through it.
UPLOAD_MAX_MB = 50
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024

#: Characters that make a spreadsheet treat a cell as a formula (``'`` too, so that a
#: round trip can remove exactly the quote it added).
FORMULA_START = ("=", "+", "-", "@", "'")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")
_LINK_SCHEMES = ("http", "https")


def check_time(dt: datetime) -> datetime:
    """``dt`` if it lies within :data:`MIN_TIME` .. :data:`MAX_TIME`, else ValueError."""
    if dt < MIN_TIME or dt > MAX_TIME:
        shown = dt.date().isoformat() if dt.year >= 1 else str(dt)
        raise ValueError(f"{shown} is outside the supported range {TIME_RANGE}")
    return dt


def to_utc(dt: datetime) -> datetime:
    """An aware ``dt`` in UTC; a time so near year 1 or 9999 that UTC falls outside Python's
    range is refused as out of range (``0001-01-01T00:00:00+01:00``) instead of overflowing."""
    try:
        return dt.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{dt.isoformat()} is outside the supported range {TIME_RANGE}") from None


def check_text(value: str, max_chars: int | None = None) -> str:
    """``value`` if it has no NUL, is valid UTF-8 text and has at most ``max_chars`` characters."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid text (it holds an unpaired surrogate character)") from None
    if max_chars is not None and len(value) > max_chars:
        raise ValueError(f"is too long: {len(value):,} characters, at most {max_chars:,}")
    return value


def check_finite(value: float) -> float:
    """``value`` if it is a finite number (not inf or nan)."""
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def check_url(url: str) -> str:
    """``url`` if it is an ``http`` or ``https`` address with a host (any casing of the scheme)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _LINK_SCHEMES or not parts.netloc:
        raise ValueError(f"{url[:80]!r} is not a web address: it must start with http:// or https://")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError(f"{url[:80]!r} must not contain spaces or control characters")
    return url


def is_web_link(url: str | None) -> bool:
    """Whether ``url`` may be written as a live link (``http``/``https``, in any casing).

    ``javascript:``, ``vbscript:``, ``data:`` and every other scheme, including ones hidden
    behind leading spaces or control characters, are not.
    """
    if not url:
        return False
    text = str(url)
    if any(ord(c) < 33 for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in _LINK_SCHEMES and bool(parts.netloc)


def has_web_scheme(url: str) -> bool:
    """Whether ``url`` (stripped) names the ``http`` or ``https`` scheme, in any casing, with a host.

    Looser than :func:`is_web_link` about spaces inside (a stored URL with a space is still
    a web address once percent-encoded); ``urlsplit`` drops tabs and newlines first, so
    ``java\nscript:`` is still ``javascript:`` and refused.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _LINK_SCHEMES and bool(parts.netloc)


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @ '`` gets a ``'`` in
    front, except plain numbers such as ``-5.0`` or ``-3%``; other values are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """``df`` with :func:`safe_cell` applied to its text columns (or ``columns``), for CSV output."""
    out = df.copy()
    for name in columns if columns is not None else out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name].dtype):
            out[name] = out[name].map(safe_cell, na_action="ignore")
    return out


def to_utc_times(values: Any, *, format: str | None = None) -> pd.Series:
    """Times (datetimes, ISO text or a datetime Series) as ``datetime64[ns, UTC]``.

    The fast path is one ``pd.to_datetime``.  Only when a value lies outside pandas'
    range (a row written outside Credence, or before the range rule) does it fall back to
    clipping each value to :data:`MIN_TIME` .. :data:`MAX_TIME`, and unreadable values
    become NaT, so a reader never fails on what is stored.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
    if len(series) <= _FEW and series.dtype == object and (few := _few_times(series)) is not None:
        return few
    try:
        return pd.to_datetime(series, utc=True, format=format).astype("datetime64[ns, UTC]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError, TypeError):
        pass
    clipped = [_clip(v) for v in series.astype("object").tolist()]
    return pd.Series(
        pd.to_datetime(pd.Series(clipped, dtype="object"), utc=True).astype("datetime64[ns, UTC]").array,
        index=series.index,
        name=series.name,
    )


#: Up to this many values, parsing each in Python is faster than pandas' vectorized parser,
#: whose fixed cost (about 0.3 ms a column) dominates the few rows of most reads.
_FEW = 200
#: The forms the databases hand back: SQLite's stored text, ISO 8601 with an offset.
_STORED_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?")
_NS_YEARS = range(1678, 2262)  # inside pandas' nanosecond range, where its parser clips nothing


def _few_times(series: pd.Series) -> pd.Series | None:
    """:func:`to_utc_times` of a few plain values (stored text, datetimes, None), or None for
    anything else, which the general path handles.  The same result, without pandas' fixed cost."""
    out = np.empty(len(series), dtype="datetime64[us]")
    for i, value in enumerate(series.tolist()):
        if value is None:
            out[i] = np.datetime64("NaT")
            continue
        if type(value) is str and _STORED_TIME.fullmatch(value):
            value = datetime.fromisoformat(value)
        elif type(value) is not datetime:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        if value.year not in _NS_YEARS:
            return None
        out[i] = value
    times = pd.DatetimeIndex(out.astype("datetime64[ns]"), tz="UTC")
    return pd.Series(times, index=series.index, name=series.name)


def _clip(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        return MIN_TIME if value.year < 2000 else MAX_TIME
    return min(max(value, MIN_TIME), MAX_TIME)


# --- user text on a page: shown as text, never as live Markdown ---------------------------------

#: Characters that start inline Markdown anywhere in a line (links and images, HTML): each is
#: backslash-escaped, which CommonMark renders as the character itself.  ``!`` needs no escape
#: once ``[`` has one.
_MD_INLINE = re.compile(r"[\\\[\]<>]")
#: Delimiters that act only in pairs (emphasis, code, strikethrough, Streamlit's ``$math$``):
#: escaped when the text holds two or more of one, so ``~1.6x`` and ``$5`` keep their source.
_MD_PAIRED = "*`~$"
#: ``_`` emphasises only at a word's edge and next to text: ``teal_heron`` and ``digits, _ and -``
#: stay as they are, ``_em_`` does not.
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_(?=\S)|(?<=\S)_(?![^\W_])")
#: What starts a block at the beginning of a line: heading, list item, quote, rule, setext line.
_MD_LINE_START = re.compile(
    r"^([ \t]*)(?:(#{1,6}|[-+*]|\d{1,9}[.)])(?=[ \t]|$)|([-=_*])(?=[-=_* \t]*$))", re.MULTILINE
)
#: Text Markdown turns into a link without brackets (``https://…``, ``www.…``) and Streamlit's
#: ``:emoji:`` / ``:material/icon:`` shortcodes.
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<=www)(\.)|(:)(?=[a-z][\w/+-]*:)")
#: A character reference (``&#106;``, ``&lt;``) that Markdown would turn into its character.
_MD_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|([A-Za-z][A-Za-z0-9]{1,31};))")


def _line_start(m: re.Match[str]) -> str:
    indent, marker, rule = m.groups()
    if marker is None:
        return f"{indent}\\{rule}"
    if marker[-1] in ".)":  # ``1.`` is escaped on its dot
        return f"{indent}{marker[:-1]}\\{marker[-1]}"
    return f"{indent}\\{marker}"


def _entity(m: re.Match[str]) -> str:
    named = m.group(1)
    return "\\&" if named is None or named in html.entities.html5 else "&"


def md_plain(value: Any) -> str:
    """``value`` as Markdown that shows exactly its text: nothing in it becomes a link, an image,
    HTML, emphasis, a heading or a list (for ``st.markdown``, ``st.caption``, ``st.error`` … and
    widget labels, which all read Markdown).  ``None`` gives ``""``.

    Only what could start Markdown where it stands is backslash-escaped, so ordinary text
    keeps its source (tests and logs read it as typed): ``Will AI R&D be automated by 2030?``,
    ``teal_heron``, ``P(A | B)`` and ``10:30:00`` are unchanged, ``![x](http://…)`` becomes
    ``!\\[x\\](http\\://…)``.  An e-mail address may still show as a ``mailto:`` link (it loads
    nothing).
    """
    if value is None:
        return ""
    text = str(value)
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(0), text)
    for char in _MD_PAIRED:
        if text.count(char) > 1:
            text = text.replace(char, "\\" + char)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    if "\n" in text:  # a table needs two lines
        text = text.replace("|", "\\|")
    text = _MD_LINE_START.sub(_line_start, text)
    text = _MD_ENTITY.sub(_entity, text)
    return _MD_AUTOLINK.sub(lambda m: "\\" + next(g for g in m.groups() if g), text)


def web_links(values: pd.Series) -> pd.Series:
    """``values`` with every URL that is not a live ``http(s)`` link (:func:`is_web_link`) made
    ``None``: for a table's link column, so a ``javascript:`` URL stored before entry refused it
    is never clickable."""
    return values.where(values.map(is_web_link, na_action="ignore").fillna(False).astype(bool), None)
