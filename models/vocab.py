"""The words Credence's data is made of: outcomes, evidence directions and kinds.

Plain enums shared by every layer (store, analysis, files, pages); nothing here imports
the database.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    yes = "yes"
    no = "no"
    annulled = "annulled"


class Direction(StrEnum):
    """How an evidence item moved a forecast."""

    raised = "raised"
    lowered = "lowered"
    no_change = "no_change"


class EvidenceKind(StrEnum):
    paper = "paper"
    result = "result"
    observation = "observation"
    other = "other"


class EvidenceStatus(StrEnum):
    """Whether an evidence item is a possible observation or has been seen."""

    anticipated = "anticipated"
    observed = "observed"
