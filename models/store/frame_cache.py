"""A columnar copy of a large query result, kept in the database until the data changes.

Reading half a million rows through the DB-API builds millions of Python objects: about
2 s for the scorable forecasts of a million-forecast database.  The same columns stored
as numpy arrays in one BLOB load in tens of milliseconds.  :func:`cached_frame` keeps such
a copy in the ``frame_cache`` table and uses it while it is certainly current:

* **Data.**  An entry records the ``data_version`` it was read at.  Every write
  transaction bumps ``data_version`` in the same commit as its rows
  (:func:`models.store.db.write_session`), so an entry whose version equals the current one
  was read from exactly the data there is now.  The check and the read of the entry are
  one statement.  An entry is stored only when the version was the same before and after
  the result was read, so a write that lands during the read is never cached.
* **Code.**  An entry records a fingerprint of the query text, the schema revision and
  this module's format; a different query or schema never reads it.

The copy is derived data: not backed up, and rebuilt on demand.  Storing it is best
effort: when the database is read-only, or another process holds the write lock, the
result is returned uncached and nothing else changes.  Only numeric, boolean and UTC
datetime columns can be cached (text columns would need pickling, which a shared
database must never be trusted with).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from models.store.db import data_version, derived_write, head_revision

#: Bump when the payload layout changes; old entries then stop matching.
FORMAT = "npz-1"


def fingerprint(query_key: str) -> str:
    """What an entry must have been produced by: this format, the schema and the query."""
    return hashlib.sha256(f"{FORMAT}\n{head_revision()}\n{query_key}".encode()).hexdigest()


_META = "__meta__"


def encode(df: pd.DataFrame, meta: int | None = None) -> bytes:
    """``df``'s columns as an uncompressed ``.npz`` (UTC datetimes stored as naive UTC).

    The index is not kept: :func:`decode` gives a RangeIndex.
    """
    arrays: dict[str, np.ndarray] = {}
    for name, col in df.items():
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            arrays[str(name)] = col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
        elif col.dtype.kind in "biuf":
            arrays[str(name)] = col.to_numpy()
        else:
            raise TypeError(
                f"column {name!r} ({col.dtype}) cannot be cached: numbers, booleans, UTC times only"
            )
    if meta is not None:
        arrays[_META] = np.array([meta], dtype="int64")
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def decode(payload: bytes) -> pd.DataFrame:
    """The frame :func:`encode` stored; datetime columns come back as ``datetime64[ns, UTC]``."""
    return _decode(payload)[0]


def _decode(payload: bytes) -> tuple[pd.DataFrame, int | None]:
    with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
        columns = {name: npz[name] for name in npz.files}
    meta = columns.pop(_META, None)
    return pd.DataFrame(
        {
            name: pd.to_datetime(values, utc=True) if values.dtype.kind == "M" else values
            for name, values in columns.items()
        },
        copy=False,
    ), (None if meta is None else int(meta[0]))


_LOOKUP = sa.text(
    """SELECT c.payload FROM frame_cache c JOIN data_version d ON d.id = 1
       WHERE c.name = :name AND c.fingerprint = :fingerprint AND c.data_version = d.version"""
)


def lookup(engine: sa.Engine, name: str, query_key: str) -> pd.DataFrame | None:
    """The cached frame ``name`` if it is current for this data and query, else None."""
    with engine.connect() as conn:
        payload = conn.execute(_LOOKUP, {"name": name, "fingerprint": fingerprint(query_key)}).scalar()
    return None if payload is None else decode(payload)


@dataclass(frozen=True)
class Entry:
    """A stored frame, the data version it was read at, and the number stored beside it."""

    frame: pd.DataFrame
    version: int
    meta: int | None


_LOOKUP_ANY = sa.text(
    "SELECT payload, data_version FROM frame_cache WHERE name = :name AND fingerprint = :fingerprint"
)


def lookup_any(engine: sa.Engine, name: str, query_key: str) -> Entry | None:
    """The cached frame ``name`` for this query, current or not (the caller brings it up to date)."""
    with engine.connect() as conn:
        row = conn.execute(_LOOKUP_ANY, {"name": name, "fingerprint": fingerprint(query_key)}).first()
    if row is None:
        return None
    frame, meta = _decode(row[0])
    return Entry(frame, int(row[1]), meta)


_STORE = (
    sa.text("DELETE FROM frame_cache WHERE name = :name"),
    sa.text(
        """INSERT INTO frame_cache (name, data_version, fingerprint, payload)
           VALUES (:name, :data_version, :fingerprint, :payload)"""
    ).bindparams(sa.bindparam("payload", type_=sa.LargeBinary)),
)


def store(
    engine: sa.Engine, name: str, query_key: str, version: int, df: pd.DataFrame, meta: int | None = None
) -> bool:
    """Keep ``df`` (and the number ``meta``) as ``name``, read at data version ``version``;
    False if it could not be stored."""
    row = {
        "name": name,
        "data_version": version,
        "fingerprint": fingerprint(query_key),
        "payload": encode(df, meta),
    }
    delete, insert = _STORE
    try:
        with derived_write(engine) as conn:
            conn.execute(delete, row)
            conn.execute(insert, row)
    except sa.exc.DBAPIError:
        return False  # read-only database, lock held, or another process stored it first
    return True


def cached_frame(
    engine: sa.Engine, name: str, query_key: str, read: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """``read()``, or its copy from the cache when the data and ``query_key`` are unchanged.

    ``query_key`` must change whenever what ``read`` returns for the same data would
    change (pass the query text and its parameters).
    """
    hit = lookup(engine, name, query_key)
    if hit is not None:
        return hit
    before = data_version(engine)
    df = read()
    if data_version(engine) == before:
        store(engine, name, query_key, before, df)
    return df
