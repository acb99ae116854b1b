"""Formatting and parsing of the values people read and type: percentages, times, log-odds.

Shared by every layer; pure functions with no database and no UI.

Conventions: probabilities are fractions in [0, 1]; percentages exist only here, at the
edges.  Times are timezone-aware UTC.  Log-odds are natural, ``logit(p) = ln(p / (1 − p))``,
with ``p`` clipped to [0.001, 0.999] first so that 0 % and 100 % give ±6.907.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
from pydantic_core import PydanticCustomError

from models.limits import check_time, to_utc


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("credence", message)


def plural(n: int, one: str, many: str | None = None) -> str:
    """``"1 researcher"``, ``"2 researchers"``, ``"0 researchers"``: a count with its noun in the
    right number, the one helper every message uses.  ``many`` for irregular plurals
    (``plural(2, "evidence item")`` is regular; ``plural(2, "capability", "capabilities")``)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def split_percent(text: str) -> tuple[Decimal | None, bool]:
    """``"37%"`` → ``(Decimal("37"), True)``, ``"0.37"`` → ``(Decimal("0.37"), False)``.

    The one reader of typed numbers and percentages: exact decimal arithmetic, so ``0.1%``
    divides to the same float as ``0.001``.  The number is None when the text is not a
    finite number; the flag says whether it ended in ``%``.
    """
    text = text.strip()
    percent = text.endswith("%")
    try:
        number = Decimal(text[:-1].strip() if percent else text)
    except InvalidOperation:
        return None, percent
    return (number if number.is_finite() else None), percent


def format_percent(p: float) -> str:
    """A probability as a percentage, alike everywhere: one decimal from 1 % up, a trailing
    ``.0`` dropped (``0.7917`` → ``"79.2%"``, ``0.37`` → ``"37%"``, ``1.4`` → ``"140%"``), and two
    significant digits below 1 % (and in the distance to 100 % above 99 %) so estimates near
    certainty keep their size (``0.0015`` → ``"0.15%"``, ``0.9999`` → ``"99.99%"``, ``0`` → ``"0%"``)."""
    points = p * 100
    if 99 < points < 100:  # the same near certainty: 99.99 % is not 100 %
        decimals = max(1, 1 - math.floor(math.log10(100 - points)))
        return f"{points:.{decimals}f}".rstrip("0").rstrip(".") + "%"
    if abs(points) >= 1 or points == 0:
        return f"{points:.1f}".removesuffix(".0") + "%"
    return f"{points:.2g}%"


def parse_time(value: Any) -> datetime:
    """A timezone-aware UTC datetime from a ``datetime``, a ``date`` or ISO 8601 text.

    A date means 00:00 UTC that day; a date-time without an offset is read as UTC.  The time
    must lie in Credence's supported range, 1900-01-01 to 2200-12-31 UTC
    (:data:`models.limits.MIN_TIME` .. ``MAX_TIME``), so that everything stored can be
    charted, scored and exported; one whose UTC would leave Python's own range
    (``0001-01-01T00:00:00+01:00``) is refused the same way.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(0), tzinfo=UTC)
    else:
        text = str(value).strip()
        if not text:
            raise _fail("is required")
        try:
            dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise _fail(
                f"{text!r} is not a date: write 2025-03-04, or a time like 2025-03-04T10:00:00Z"
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return check_time(to_utc(dt))
    except ValueError as err:
        raise _fail(str(err)) from None


def format_time(dt: datetime) -> str:
    """ISO 8601 in UTC: ``2025-03-04`` at midnight, else ``2025-03-04T10:00:00Z`` (microseconds if any)."""
    dt = dt.astimezone(UTC)
    if dt.time() == time(0):
        return dt.date().isoformat()
    return dt.replace(tzinfo=None).isoformat() + "Z"


#: Probabilities are clipped to [PROB_CLIP, 1 − PROB_CLIP] before taking log-odds.
PROB_CLIP = 0.001


def logit(probability: Any) -> np.ndarray:
    """Natural log-odds ``ln(p / (1 − p))`` with ``p`` clipped to [0.001, 0.999] (NaN stays NaN)."""
    p = np.clip(np.asarray(probability, dtype="float64"), PROB_CLIP, 1.0 - PROB_CLIP)
    return np.log(p / (1.0 - p))


def expit(log_odds: Any) -> np.ndarray:
    """Inverse of :func:`logit`: ``1 / (1 + e^−x)``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(log_odds, dtype="float64")))


def utc(when: datetime | pd.Timestamp | str | None) -> pd.Timestamp:
    """``when`` as a UTC timestamp (naive read as UTC); ``None`` is the current time."""
    return pd.Timestamp.now(tz="UTC") if when is None else pd.Timestamp(pd.to_datetime(when, utc=True))


def day_end(day: date | datetime | pd.Timestamp | str) -> pd.Timestamp:
    """The last instant (UTC) of ``day``'s date, so that every estimate made that day counts."""
    start = utc(day).normalize()
    return start + pd.Timedelta(days=1) - pd.Timedelta(1, unit="ns")


MINUS = "\u2212"


def _signed(x: float, unit: str) -> str:
    """``-5.0`` → ``"−5 points"``; one decimal from 1 up, two significant digits below."""
    text = f"{abs(x):.1f}".removesuffix(".0") if abs(x) >= 1 else f"{abs(x):.2g}"
    return f"{MINUS if x < 0 else '+'}{text}{unit}"


def describe_change(prev_p: float, new_p: float) -> str:
    """``0.12, 0.07`` → ``"12% → 7%, −5 points, −0.6 in log-odds"``.

    Points are ``100 · (new − prev)``; log-odds change is ``logit(new) − logit(prev)``
    (natural log, probabilities clipped to [0.001, 0.999], one decimal).  An unchanged
    probability reads ``"12% → 12%, no change"``.
    """
    head = f"{format_percent(prev_p)} \u2192 {format_percent(new_p)}"
    points = (new_p - prev_p) * 100
    if abs(points) < 1e-9:
        return f"{head}, no change"
    log_odds = float(logit(new_p) - logit(prev_p))
    lo = f"{abs(log_odds):.1f}" if abs(log_odds) >= 0.05 else f"{abs(log_odds):.2g}"
    return f"{head}, {_signed(points, ' points')}, {MINUS if log_odds < 0 else '+'}{lo} in log-odds"
