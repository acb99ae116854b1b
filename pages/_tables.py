"""Every table on every page, shown one way: ``show(df, column_config=..., column_order=...)``.

Instead of ``st.dataframe`` directly, so that all tables read alike:

* **headers in words**: a column without a label of its own is labelled from its name
  (``n_forecasts`` → "forecasts", ``as_of`` → "as of"; :data:`LABELS`, else ``_`` → space);
* **blanks** for missing values (``None``, ``NaN``, ``NaT`` show as an empty cell, not "None");
* **percentages alike**: a probability column (configured ``format="percent"`` over fractions, or
  named in ``percent=``) is shown in points with one decimal, ``79.2%`` (:data:`PERCENT_FORMAT`);
* **long text readable**: titles, rationales and notes get a large column by default;
* no index column.

Pure presentation: the page still passes the frame the domain computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

#: How every percentage in a table is written: one decimal, ``79.2%`` (values in points).
PERCENT_FORMAT = "%.1f%%"
#: The who-and-when columns of every version history (``models.store.history``).
VERSION_COLUMNS: dict[str, Any] = {
    "written_at": st.column_config.DatetimeColumn("written", format="YYYY-MM-DD HH:mm"),
    "written_by": "written by",
    "replaced_at": st.column_config.DatetimeColumn("replaced", format="YYYY-MM-DD HH:mm"),
    "replaced_by": "replaced by",
}
#: Column names whose words are not simply the name with spaces.
LABELS = {
    "n_forecasts": "forecasts",
    "n_researchers": "researchers",
    "n_compared": "compared",
    "n_updates": "updates",
    "question_id": "question id",
    "forecast_id": "forecast",
    "level": "capability level",
    "as_of": "as of",
    "recorded_at": "recorded",
    "resolved_at": "resolved at",
    "resolve_by": "resolve by",
}
#: Columns of long free text: given a large width so a title reads whole at 1400 px.
LONG_TEXT = ("question", "title", "rationale", "criteria", "note", "evidence", "summary", "resolution_note",
             "given", "members", "problem", "partition")  # fmt: skip


def label(column: str) -> str:
    """A column's header in words: :data:`LABELS`, else the name with ``_`` as spaces."""
    return LABELS.get(column, column.replace("_", " "))


def percent_column(title: str, **kwargs: Any) -> Any:
    """A percentage column in the one format of every table (values in points: 79.2 → ``79.2%``)."""
    return st.column_config.NumberColumn(title, format=PERCENT_FORMAT, **kwargs)


def _config_of(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"label": value}
    return dict(value)


def prepare(
    data: pd.DataFrame | pa.Table | Iterable[Mapping[str, Any]],
    column_config: Mapping[str, Any] | None = None,
    percent: Iterable[str] = (),
) -> tuple[pd.DataFrame | pa.Table, dict[str, Any]]:
    """``data`` and the column configuration :func:`show` draws them with (see the module docstring).

    An Arrow table stays one (a cached read kept as Arrow is sent without converting it again)."""
    if isinstance(data, pa.Table):
        table: pd.DataFrame | pa.Table = data
        names = [str(n) for n in data.column_names]
    else:
        table = data.copy() if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
        names = [str(c) for c in table.columns]
    given = dict(column_config or {})
    config: dict[str, Any] = {}
    to_points = {p for p in percent if p in names}
    for name in names:
        cfg = _config_of(given.get(name))
        type_config = dict(cfg.get("type_config") or {})
        if type_config.get("format") == "percent":
            to_points.add(name)
        if name in to_points:
            type_config = {**type_config, "type": "number", "format": PERCENT_FORMAT}
            cfg["type_config"] = type_config
        if not cfg.get("label") or "_" in str(cfg.get("label")):
            cfg["label"] = label(str(cfg.get("label") or name))
        if name in LONG_TEXT and not cfg.get("width") and type_config.get("type") in (None, "text"):
            cfg["width"] = "large"
        config[name] = cfg
    for name in sorted(to_points):
        if isinstance(table, pa.Table):
            i = table.schema.get_field_index(name)
            points = pc.multiply(pc.cast(table.column(i), pa.float64()), 100.0)
            table = table.set_column(i, name, points)
        else:
            table[name] = pd.to_numeric(table[name], errors="coerce") * 100.0
    return table, config


def show(
    data: pd.DataFrame | pa.Table | Iterable[Mapping[str, Any]],
    column_config: Mapping[str, Any] | None = None,
    column_order: Iterable[str] | None = None,
    percent: Iterable[str] = (),
    **kwargs: Any,
) -> Any:
    """``st.dataframe`` with the shared look (headers in words, blanks, ``79.2%``, wide text, no index)."""
    df, config = prepare(data, column_config, percent)
    kwargs.setdefault("hide_index", True)
    return st.dataframe(
        df,
        column_config=config,
        column_order=list(column_order) if column_order is not None else None,
        placeholder="",
        **kwargs,
    )
