"""Which questions, researchers and dates a write-up (or an exported table) covers.

* Question set: the questions named by title, plus every question carrying one of the tags;
  with neither, every question.  A question named by title always gets a section; one
  reached through a tag (or through "every question") only when the selected researchers
  dated a forecast on it inside the date range.
* Date range: ``since`` and ``until`` are whole UTC days, both included:
  ``since 00:00 ≤ as_of < (until + 1 day) 00:00``.  It selects the rows of the update history;
  an update's *from* is the previous estimate of the same target even when that estimate is
  older than ``since``.  Standing estimates are the last forecast of each target dated
  before the end of ``until`` (default: all forecasts).
* Changes are those of :func:`models.analysis.updates.updates`: percentage points ``100 · (to − from)``
  and natural log-odds (probabilities clipped to [0.001, 0.999]).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from models.analysis.trajectory import TARGET, select_forecasts
from models.analysis.updates import updates
from models.errors import InputError
from models.format import parse_time
from models.frames import Frames


def _names(value: Any) -> tuple[str, ...]:
    """A tuple of stripped, non-blank, de-duplicated names from a string or a list."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(s for s in (str(v).strip() for v in items) if s))


def _day(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_time(value).date()


Names = Annotated[tuple[str, ...], BeforeValidator(_names)]
Day = Annotated[date | None, BeforeValidator(_day)]


class ReportFilter(BaseModel):
    """Which questions, researchers and dates a report (or an exported table) covers.

    Empty ``questions`` and ``tags`` mean every question; empty ``researchers`` means
    everyone; ``since``/``until`` are whole days, both included (``None``: open-ended).
    """

    model_config = ConfigDict(frozen=True)

    questions: Names = ()
    tags: Names = ()
    researchers: Names = ()
    since: Day = None
    until: Day = None

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: date | None, info: ValidationInfo) -> date | None:
        since = info.data.get("since")
        if until is not None and since is not None and until < since:
            raise PydanticCustomError("credence", f"{until} is before since ({since})")
        return until

    def start(self) -> pd.Timestamp | None:
        return None if self.since is None else pd.Timestamp(self.since, tz="UTC")

    def end(self) -> pd.Timestamp | None:
        """The first instant after the range (midnight after ``until``)."""
        return None if self.until is None else pd.Timestamp(self.until + timedelta(days=1), tz="UTC")

    def describe(self) -> str:
        """``questions: A, B; tags: x; researchers: all; dates: 2024-01-01 to 2024-12-31``."""
        parts = []
        if self.questions:
            parts.append("questions: " + ", ".join(self.questions))
        if self.tags:
            parts.append("tags: " + ", ".join(self.tags))
        if not self.questions and not self.tags:
            parts.append("questions: all")
        parts.append("researchers: " + (", ".join(self.researchers) if self.researchers else "all"))
        if self.since or self.until:
            parts.append(f"dates: {self.since or 'start'} to {self.until or 'now'}")
        else:
            parts.append("dates: all")
        return "; ".join(parts)


def make_filter(**values: Any) -> ReportFilter:
    """:class:`ReportFilter` from raw values; refused input raises :class:`InputError`
    with one ``field message`` problem per mistake (``until 2024-01-01 is before since ...``)."""
    try:
        return ReportFilter(**values)
    except ValidationError as err:
        raise InputError.from_validation_error(err) from None


# --- selection ----------------------------------------------------------------------------------


def choices(frames: Frames) -> dict[str, list[str]]:
    """What a filter can name: ``questions`` (titles, by id), ``tags`` and ``researchers``
    (handles with at least one forecast), both sorted."""
    q = frames.questions.drop_duplicates("question_id").sort_values("question_id", kind="stable")
    return {
        "questions": q["question"].tolist(),
        "tags": sorted({t for tags in q["tags"] for t in (tags or ())}),
        "researchers": sorted(set(frames.forecasts["researcher"])),
    }


def report_questions(frames: Frames, filt: ReportFilter) -> pd.DataFrame:
    """The QUESTIONS rows the report has a section for, in question id order.

    Raises :class:`InputError` for a title, tag or researcher that matches nothing.
    """
    q = frames.questions.drop_duplicates("question_id").sort_values("question_id", kind="stable")
    problems = [
        f'questions no question is titled "{t}"' for t in filt.questions if t not in set(q["question"])
    ]
    known_tags = {t for tags in q["tags"] for t in (tags or ())}
    problems += [f'tags no question is tagged "{t}"' for t in filt.tags if t not in known_tags]
    handles = set(frames.forecasts["researcher"])
    problems += [f'researchers "{h}" has no forecasts' for h in filt.researchers if h not in handles]
    if problems:
        raise InputError(problems)
    named = q["question"].isin(filt.questions)
    tagged = q["tags"].map(lambda tags: bool(set(tags or ()) & set(filt.tags))).astype(bool)
    chosen = named | tagged if (filt.questions or filt.tags) else pd.Series(True, index=q.index)
    dated = in_range(filtered_forecasts(frames, filt, q["question_id"]), filt)
    active = q["question_id"].isin(dated["question_id"])
    return q[named | (chosen & active)].reset_index(drop=True)


def filtered_forecasts(
    frames: Frames, filt: ReportFilter, question_ids: Sequence[int] | pd.Series
) -> pd.DataFrame:
    return select_forecasts(frames, list(question_ids), filt.researchers or None)


def in_range(df: pd.DataFrame, filt: ReportFilter, column: str = "as_of") -> pd.DataFrame:
    start, end = filt.start(), filt.end()
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df[column] >= start
    if end is not None:
        keep &= df[column] < end
    return df[keep]


def history(frames: Frames, filt: ReportFilter, question_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The update history of the report's questions: one row per forecast dated in the range.

    Columns of :func:`models.analysis.updates.updates` (``from_probability`` NaN for a target's first
    forecast) plus ``evidence_links``: a tuple of ``(title, url or None, direction or None)``
    per forecast, in the order of :func:`models.analysis.trajectory.evidence_for`.
    """
    ids = (
        report_questions(frames, filt)["question_id"].tolist() if question_ids is None else list(question_ids)
    )
    u = in_range(updates(frames, ids, filt.researchers or None), filt).reset_index(drop=True)
    links = frames.evidence_links
    links = links[links["forecast_id"].isin(u["forecast_id"])].sort_values("forecast_id", kind="stable")
    items = pd.Series(
        list(zip(links["evidence"], links["url"], links["direction"], strict=True)),
        index=links["forecast_id"].to_numpy(),
        dtype="object",
    )
    grouped = items.groupby(level=0, sort=False).agg(tuple)
    # Looked up at once: a table of each linked forecast's tuple, then () for the rest.
    table = np.empty(len(grouped) + 1, dtype="object")
    for i, cited in enumerate(grouped.to_numpy()):
        table[i] = cited
    table[-1] = ()
    u["evidence_links"] = table[pd.Index(grouped.index).get_indexer(u["forecast_id"])]
    return u


def standing_estimates(
    frames: Frames, filt: ReportFilter, question_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """Each target's last forecast dated before the end of ``until`` (default: all).

    FORECASTS columns, sorted by question, level position (unconditional first), researcher.
    """
    ids = (
        report_questions(frames, filt)["question_id"].tolist() if question_ids is None else list(question_ids)
    )
    f = filtered_forecasts(frames, filt, ids)
    end = filt.end()
    if end is not None:
        f = f[f["as_of"] < end]
    standing = f.drop_duplicates(TARGET, keep="last")
    return standing.sort_values(
        ["question_id", "level_position", "researcher"], na_position="first", kind="stable"
    ).reset_index(drop=True)
