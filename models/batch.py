"""A parsed file on its way into the database: validated inputs, and what writing them did.

Parsers in :mod:`models.files` build an :class:`ImportBatch`; :func:`models.store.bulk.apply_batch`
writes it in one transaction and returns an :class:`ImportSummary`.  Plain values only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

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


def _number(plural: str, n: int) -> str:
    """``"researchers"`` for many, ``"researcher"`` for one (the kinds are regular plurals)."""
    return plural.removesuffix("s") if n == 1 else plural


@dataclass
class ImportSummary:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """Human-readable lines, e.g. ``created: 3 researchers, 12 forecasts``."""
        out = []
        for label, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("already present", self.present),
        ):
            parts = [f"{n} {_number(what, n)}" for what, n in counts.items() if n]
            if parts:
                out.append(f"{label}: " + ", ".join(parts))
        return out or ["nothing to import"]

    def changes_anything(self) -> bool:
        """Whether importing would create or update anything (not only find it present)."""
        return any(self.created.values()) or any(self.updated.values())
