"""A parsed file on its way into the database: validated inputs, and what writing them did.

Parsers in :mod:`models.files` build an :class:`ImportBatch`; :func:`models.store.bulk.apply_batch`
writes it in one transaction and returns an :class:`ImportSummary`.  Plain values only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.errors import InputError, Problem
from models.format import plural
from models.schemas import (
    EvidenceIn,
    ForecastIn,
    LevelIn,
    PartitionMemberIn,
    QuestionIn,
    RatioIn,
    ResearcherIn,
    ResolutionIn,
)

#: ``progress(stage, done, total)``, called as work advances.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportBatch:
    researchers: list[ResearcherIn] = field(default_factory=list)
    levels: list[LevelIn] = field(default_factory=list)
    evidence: list[EvidenceIn] = field(default_factory=list)
    questions: list[QuestionIn] = field(default_factory=list)
    forecasts: list[ForecastIn] = field(default_factory=list)
    resolutions: list[ResolutionIn] = field(default_factory=list)
    ratios: list[RatioIn] = field(default_factory=list)
    #: Members of declared partitions, in file order (the order members are kept in).
    partitions: list[PartitionMemberIn] = field(default_factory=list)
    #: The forecasts as columns (:data:`FORECAST_COLUMNS`), instead of ``forecasts``: what
    #: :mod:`models.files.columnar` reads a large file into.
    forecast_table: pd.DataFrame | None = None
    #: How many rows of the file were read and checked to make this batch (0: not from a file).
    rows: int = 0
    #: What the reader changed on the way in, told to the person importing (the preview says
    #: it), e.g. ``handles made from Fatebook names: 'Ada Lovelace' → ada-lovelace``.
    notes: list[str] = field(default_factory=list)

    def forecast_rows(self) -> pd.DataFrame:
        """The forecasts as one frame (:data:`FORECAST_COLUMNS`), whichever form they came in."""
        if self.forecast_table is None:
            self.forecast_table = forecast_frame(self.forecasts)
        return self.forecast_table


#: A forecasts frame: one row per validated forecast, one column per ``ForecastIn`` field
#: (``line``: the file line; ``evidence``: a list of ``EvidenceRef`` per row; ``id``: Int64,
#: NA when absent; ``as_of``, ``recorded_at``: UTC, NaT when absent).
FORECAST_COLUMNS = tuple(ForecastIn.model_fields)
#: The columns of a forecasts file: every field of a forecast but the line it came from.  The
#: one declaration the CSV formats, the columnar reader and the export derive theirs from.
FORECAST_FILE_COLUMNS = FORECAST_COLUMNS[1:]


def forecast_frame(forecasts: list[ForecastIn]) -> pd.DataFrame:
    """``forecasts`` as a forecasts frame (:data:`FORECAST_COLUMNS`).

    Raises :class:`InputError` for an ``id`` beyond 64 bits (no database stores it).
    """
    too_large = [
        Problem(f"{f.id} is too large", "id", f.line)
        for f in forecasts
        if f.id is not None and not -(2**63) <= f.id < 2**63
    ]
    if too_large:
        raise InputError(too_large)
    return pd.DataFrame(
        {
            "line": pd.array([f.line for f in forecasts], dtype="Int64"),
            "researcher": pd.Series([f.researcher for f in forecasts], dtype="object"),
            "question": pd.Series([f.question for f in forecasts], dtype="object"),
            "probability": np.array([f.probability for f in forecasts], dtype="float64"),
            "as_of": _times([f.as_of for f in forecasts]),
            "capability": pd.Series([f.capability for f in forecasts], dtype="object"),
            "rationale": pd.Series([f.rationale for f in forecasts], dtype="object"),
            "evidence": pd.Series([list(f.evidence) for f in forecasts], dtype="object"),
            "reconstructed": np.array([f.reconstructed for f in forecasts], dtype="bool"),
            "id": pd.array([f.id for f in forecasts], dtype="Int64"),
            "recorded_at": _times([f.recorded_at for f in forecasts]),
            "given": pd.Series([f.given for f in forecasts], dtype="object"),
            "given_outcome": pd.Series(
                [f.given_outcome if f.given else None for f in forecasts], dtype="object"
            ),
        }
    )


def _times(values: list[object]) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype="object"), utc=True), dtype="datetime64[ns, UTC]")


def evidence_titles(frame: pd.DataFrame) -> list[str]:
    """Every evidence title a forecasts frame cites, in order of first mention."""
    titles: dict[str, None] = {}
    column = frame["evidence"].to_numpy(dtype="object")
    for refs in column[np.fromiter(map(bool, column), dtype="bool", count=len(column))]:
        for ref in refs:
            titles.setdefault(ref.title, None)
    return list(titles)


def _singular(kind: str) -> str:
    """``"researchers"`` → ``"researcher"``: the kinds counted are regular plurals."""
    return kind.removesuffix("s")


@dataclass
class ImportSummary:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    #: How many rows of the file were read and checked.
    rows: int = 0
    #: The batch's notes (:attr:`ImportBatch.notes`), after the counts.
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines, e.g. ``created: 3 researchers, 12 forecasts``, then the notes."""
        out = []
        for label, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("already present", self.present),
        ):
            parts = [plural(n, _singular(what)) for what, n in counts.items() if n]
            if parts:
                out.append(f"{label}: " + ", ".join(parts))
        return (out or ["nothing to import"]) + self.notes

    def changes_anything(self) -> bool:
        """Whether importing would create or update anything (not only find it present)."""
        return any(self.created.values()) or any(self.updated.values())
