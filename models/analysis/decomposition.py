"""Linked beliefs: decompositions, implied estimates, consistency and attribution of a change.

A *decomposition* of a question A is A together with a partition it is conditioned on:

* a binary question B is the partition {B = yes, B = no}, with ``P(B = no) = 1 − P(B)``;
* a declared partition {B₁ … B_k} is a set of questions the researcher holds mutually
  exclusive and exhaustive; conditionals are given on each member being yes.

Its *factors* are the partition's probabilities (``P(B)``, or each ``P(Bᵢ)``) and the
conditionals ``P(A | Bᵢ)``; they are ordinary forecasts of one researcher at one capability
level (``None``: unconditional), the conditionals carrying ``given_question_id`` and
``given_outcome``.  All functions here are pure: plain values and DataFrames in, plain values
and DataFrames out.

Conventions
-----------
* **Standing value** of a factor at date ``t``: the researcher's latest estimate with
  ``as_of`` ≤ the end of ``t``'s day (UTC); at equal ``as_of`` the one recorded later wins
  (then the larger ``forecast_id``).  Reconstructed estimates count (they state what was
  believed then); every output says which inputs were reconstructed.
* **Implied estimate**: ``P(A) = Σᵢ P(Bᵢ) · P(A | Bᵢ)``.  A factor with no standing value
  makes it unavailable, with a message naming the factor, never a silent zero.  A declared
  partition whose probabilities sum outside [0.999, 1.001] is an error at that date and is
  never renormalised.
* **Consistency**: ``|direct − implied| > threshold`` (percentage points, default 5) is
  inconsistent; exactly at the threshold is consistent; no direct estimate gives ``None``.
* Probabilities are fractions; "points" are ``100 ×`` a difference of probabilities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from models.errors import CredenceError
from models.frames import Frames, in_forecast_order

#: Default consistency threshold, in percentage points.
DEFAULT_THRESHOLD_POINTS = 5.0
#: A declared partition may sum to 1 ± this before it is an error.
PARTITION_TOLERANCE = 0.001
#: What makes an estimate one factor: whose, of what, at which level, given what.
FACTOR_KEY = ["researcher", "question_id", "level", "given_question_id", "given_outcome"]
MINUS = "\u2212"

YES = "yes"
NO = "no"


class DecompositionError(CredenceError):
    """An implied estimate that cannot be computed (missing factor, bad partition, no such decomposition)."""


# --- what a decomposition is ------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One input of a decomposition: an estimate of ``question_id`` given a condition (or none)."""

    name: str
    question_id: int
    given_question_id: int | None = None
    given_outcome: str | None = None
    #: "partition" for P(B)/P(Bᵢ), "conditional" for P(A | Bᵢ).
    role: str = "partition"


@dataclass(frozen=True)
class Decomposition:
    """Question A decomposed over a binary question or a declared partition.

    ``members`` are ``(question_id, title)`` pairs: one (B) for a binary decomposition, the
    declared members otherwise.  ``name`` is B's title or the partition's name.
    """

    question_id: int
    question: str
    name: str
    members: tuple[tuple[int, str], ...]
    binary: bool = True

    @property
    def partition_factors(self) -> list[Factor]:
        return [Factor(f"P({title})", qid) for qid, title in self.members]

    @property
    def conditional_factors(self) -> list[Factor]:
        """``P(A | B = yes), P(A | B = no)`` for a binary B; ``P(A | Bᵢ = yes)`` for a partition."""
        if self.binary:
            qid, title = self.members[0]
            return [
                Factor(f"P({self.question} | {title} = {o})", self.question_id, qid, o, "conditional")
                for o in (YES, NO)
            ]
        return [
            Factor(f"P({self.question} | {title} = yes)", self.question_id, qid, YES, "conditional")
            for qid, title in self.members
        ]

    @property
    def factors(self) -> list[Factor]:
        return [*self.partition_factors, *self.conditional_factors]

    @property
    def partition_label(self) -> str:
        """The name of the partition as one player: ``P(B)`` or ``P(<partition name>)``."""
        return f"P({self.name})"

    @property
    def label(self) -> str:
        """``"A over B"``, as a person picks a decomposition from a list."""
        return f"{self.question} over {self.name}"

    def member_probabilities(self, values: np.ndarray) -> np.ndarray:
        """Member probabilities ``pᵢ`` from the partition factors' values (last axis).

        Binary: ``(P(B), 1 − P(B))``; declared: the values themselves.
        """
        values = np.asarray(values, dtype="float64")
        if self.binary:
            return np.concatenate([values, 1.0 - values], axis=-1)
        return values


# --- standing values --------------------------------------------------------------------------


def day_end(day: date | datetime | pd.Timestamp | str) -> pd.Timestamp:
    """The last instant (UTC) of ``day``'s date, so that every estimate made that day counts."""
    start = pd.Timestamp(pd.to_datetime(day, utc=True)).normalize()
    return start + pd.Timedelta(days=1) - pd.Timedelta(1, unit="ns")


def _day(day: date | datetime | pd.Timestamp | str) -> date:
    return pd.Timestamp(pd.to_datetime(day, utc=True)).date()


def _given_mask(df: pd.DataFrame, given_question_id: int | None, given_outcome: str | None) -> np.ndarray:
    given = df["given_question_id"]
    if given_question_id is None:
        return given.isna().to_numpy()
    return ((given == given_question_id).fillna(False) & (df["given_outcome"] == given_outcome)).to_numpy(
        bool
    )


def _level_mask(df: pd.DataFrame, level: str | None) -> np.ndarray:
    return (df["level"].isna() if level is None else df["level"] == level).to_numpy(bool)


def standing_table(forecasts: pd.DataFrame, day: date | datetime | pd.Timestamp | str) -> pd.DataFrame:
    """The standing estimate of every factor key (``FACTOR_KEY``) at the end of ``day`` (UTC).

    One row per (researcher, question, level, condition): the forecast with the largest
    ``(as_of, recorded_at, forecast_id)`` among those with ``as_of`` ≤ the end of ``day``.
    """
    t = day_end(day)
    f = forecasts[forecasts["as_of"] <= t]
    return in_forecast_order(f).drop_duplicates(FACTOR_KEY, keep="last").reset_index(drop=True)


@dataclass(frozen=True)
class FactorValue:
    factor: str
    value: float | None
    reconstructed: bool
    as_of: pd.Timestamp | None = None


@dataclass(frozen=True)
class Snapshot:
    """A decomposition evaluated for one researcher on one date."""

    day: date
    factors: tuple[FactorValue, ...]
    implied: float | None
    direct: float | None
    direct_reconstructed: bool
    consistent: bool | None
    #: Why ``implied`` is None (a missing factor or a partition not adding up), else None.
    problem: str | None = None
    member_probabilities: tuple[float, ...] = field(default=())
    conditionals: tuple[float, ...] = field(default=())

    @property
    def reconstructed_inputs(self) -> list[str]:
        """Names of the factors whose standing estimate was reconstructed."""
        return [f.factor for f in self.factors if f.reconstructed]

    def as_dict(self) -> dict[str, Any]:
        """The ``from``/``to`` object of ``credence explain --json``."""
        return {
            "date": self.day.isoformat(),
            "implied": self.implied,
            "direct": self.direct,
            "consistent": self.consistent,
            "factors": [
                {"factor": f.factor, "value": f.value, "reconstructed": f.reconstructed} for f in self.factors
            ],
        }


def format_points_percent(p: float) -> str:
    """``1.1`` → ``"110%"``, ``0.9985`` → ``"99.85%"``: a partition's sum as a person reads it."""
    return f"{p * 100:.2f}".rstrip("0").rstrip(".") + "%"


def partition_problem(names: Sequence[str], total: float, day: date) -> str:
    """``"P(a) + P(b) + P(c) = 110% on 2025-06-01; a partition must add up to 100%"``."""
    return f"{' + '.join(names)} = {format_points_percent(total)} on {day.isoformat()}; a partition must add up to 100%"


def missing_problem(researcher: str, factor: str, day: date) -> str:
    """The message for a factor without a standing value on ``day``."""
    return f"{researcher} has no estimate of {factor} on or before {day.isoformat()}, so the implied estimate is unavailable"


def partition_sum_ok(total: np.ndarray | float) -> np.ndarray:
    """Whether a declared partition's probabilities sum within [1 − 0.001, 1 + 0.001]."""
    return np.abs(np.asarray(total, dtype="float64") - 1.0) <= PARTITION_TOLERANCE + 1e-12


def is_consistent(
    direct: float | None, implied: float | None, threshold_points: float = DEFAULT_THRESHOLD_POINTS
) -> bool | None:
    """``|direct − implied| · 100 ≤ threshold_points``; ``None`` when either is missing.

    The difference is rounded to 9 decimals of a point first, so that ``0.10`` against
    ``0.05`` is exactly 5 points (consistent at the default threshold).
    """
    if direct is None or implied is None:
        return None
    return bool(round(abs(direct - implied) * 100, 9) <= threshold_points)


def evaluate(
    forecasts: pd.DataFrame,
    decomposition: Decomposition,
    researcher: str,
    day: date | datetime | pd.Timestamp | str,
    level: str | None = None,
    threshold_points: float = DEFAULT_THRESHOLD_POINTS,
    standing: pd.DataFrame | None = None,
) -> Snapshot:
    """``decomposition`` for ``researcher`` at ``level`` at the end of ``day``.

    ``forecasts`` needs ``FACTOR_KEY`` plus ``probability, as_of, recorded_at, forecast_id,
    reconstructed``.  ``standing`` (from :func:`standing_table` for the same day) saves the
    lookup when many decompositions are evaluated on one date.

    The implied estimate is ``Σᵢ pᵢ · aᵢ`` (``pᵢ`` member probabilities, ``aᵢ`` conditionals);
    it is ``None`` with ``problem`` set when a factor has no standing value (the first missing
    factor is named) or when a declared partition does not add up to 100% ± 0.1 point.
    ``direct`` is the standing unconditional-on-questions estimate of A at the same level.
    """
    the_day = _day(day)
    table = standing if standing is not None else standing_table(forecasts, the_day)
    mine = table[(table["researcher"] == researcher).to_numpy(bool) & _level_mask(table, level)]

    def lookup(qid: int, given: int | None, outcome: str | None) -> pd.Series | None:
        rows = mine[(mine["question_id"] == qid).to_numpy(bool) & _given_mask(mine, given, outcome)]
        return None if rows.empty else rows.iloc[-1]

    values: list[FactorValue] = []
    for f in decomposition.factors:
        row = lookup(f.question_id, f.given_question_id, f.given_outcome)
        values.append(
            FactorValue(
                f.name,
                None if row is None else float(row["probability"]),
                False if row is None else bool(row["reconstructed"]),
                None if row is None else pd.Timestamp(row["as_of"]),
            )
        )
    direct_row = lookup(decomposition.question_id, None, None)
    direct = None if direct_row is None else float(direct_row["probability"])
    direct_reconstructed = False if direct_row is None else bool(direct_row["reconstructed"])

    n_part = len(decomposition.partition_factors)
    problem = next((missing_problem(researcher, v.factor, the_day) for v in values if v.value is None), None)
    implied: float | None = None
    p: tuple[float, ...] = ()
    a: tuple[float, ...] = ()
    if problem is None:
        part = np.array([v.value for v in values[:n_part]], dtype="float64")
        cond = np.array([v.value for v in values[n_part:]], dtype="float64")
        if not decomposition.binary and not partition_sum_ok(part.sum()):
            problem = partition_problem([v.factor for v in values[:n_part]], float(part.sum()), the_day)
        else:
            members = decomposition.member_probabilities(part)
            implied = float(np.dot(members, cond))
            p, a = tuple(members.tolist()), tuple(cond.tolist())
    return Snapshot(
        day=the_day,
        factors=tuple(values),
        implied=implied,
        direct=direct,
        direct_reconstructed=direct_reconstructed,
        consistent=is_consistent(direct, implied, threshold_points),
        problem=problem,
        member_probabilities=p,
        conditionals=a,
    )


# --- attribution ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """How a change of the implied estimate between two snapshots splits among the factors."""

    before: Snapshot
    after: Snapshot
    #: ``(player, change)``: the partition first, then each conditional, in factor order.
    parts: tuple[tuple[str, float], ...]

    @property
    def change(self) -> float:
        """The sum of the parts, in order (equal to ``implied(t₁) − implied(t₀)`` up to rounding)."""
        return sum(change for _, change in self.parts)

    def parts_dicts(self) -> list[dict[str, Any]]:
        return [{"factor": name, "change": change} for name, change in self.parts]


def shapley_parts(p0: Any, a0: Any, p1: Any, a1: Any) -> tuple[np.ndarray, np.ndarray]:
    """Shapley attribution of ``Σᵢ pᵢaᵢ`` changing from ``(p0, a0)`` to ``(p1, a1)``.

    Players: the partition as a whole (all ``pᵢ``) and each conditional ``aᵢ``.  With Δ the
    change and a bar the mean of the two dates:

    * partition part = ``Σᵢ Δpᵢ · āᵢ``
    * part of conditional i = ``Δaᵢ · p̄ᵢ``

    Each term ``pᵢaᵢ`` has two players, and averaging over both orderings gives each of them
    half of the cross term; so these are the Shapley values, and they add up exactly
    (algebraically; in floating point to rounding) to ``Σ p1·a1 − Σ p0·a0``, because
    ``p1a1 − p0a0 = (p1 − p0)(a0 + a1)/2 + (a1 − a0)(p0 + p1)/2``.

    Works on the last axis, so many pairs of dates at once: returns ``(partition_part,
    conditional_parts)`` with shapes ``(...)`` and ``(..., k)``.
    """
    p0, a0, p1, a1 = (np.asarray(x, dtype="float64") for x in (p0, a0, p1, a1))
    partition = ((p1 - p0) * (a0 + a1) / 2.0).sum(axis=-1)
    conditionals = (a1 - a0) * (p0 + p1) / 2.0
    return partition, conditionals


def attribute(decomposition: Decomposition, before: Snapshot, after: Snapshot) -> Attribution:
    """The Shapley split (:func:`shapley_parts`) of ``after.implied − before.implied``.

    Raises :class:`DecompositionError` with the snapshot's problem when either implied
    estimate is unavailable.  Parts are named ``P(B)`` (or ``P(<partition>)``) and then
    each conditional's factor name.
    """
    for snap in (before, after):
        if snap.implied is None:
            raise DecompositionError(snap.problem or f"no implied estimate on {snap.day.isoformat()}")
    partition, conditionals = shapley_parts(
        before.member_probabilities, before.conditionals, after.member_probabilities, after.conditionals
    )
    names = [f.name for f in decomposition.conditional_factors]
    parts = [(decomposition.partition_label, float(partition))]
    parts += [(name, float(c)) for name, c in zip(names, conditionals, strict=True)]
    return Attribution(before, after, tuple(parts))


def _signed_points(x: float) -> str:
    return f"{MINUS if x < 0 else '+'}{abs(x) * 100:.1f} points"


def explain_sentence(question: str, attribution: Attribution) -> str:
    """``"P(A) fell from 8.0% to 4.0% between 2024-06-01 and 2026-03-01: −3.1 points from
    P(B), −0.9 points from P(A | B = yes)"``.

    Percentages and points have one decimal; parts are listed largest first, those that round
    to 0.0 points left out.
    """
    b, a = attribution.before, attribution.after
    assert b.implied is not None and a.implied is not None
    change = attribution.change
    verb = "rose" if change > 5e-13 else "fell" if change < -5e-13 else "stayed"
    span = f"between {b.day.isoformat()} and {a.day.isoformat()}"
    if verb == "stayed":
        head = f"P({question}) stayed at {a.implied * 100:.1f}% {span}"
    else:
        head = f"P({question}) {verb} from {b.implied * 100:.1f}% to {a.implied * 100:.1f}% {span}"
    shown = [
        (n, c) for n, c in sorted(attribution.parts, key=lambda x: -abs(x[1])) if round(abs(c) * 100, 1) > 0
    ]
    if not shown:
        return head
    return head + ": " + ", ".join(f"{_signed_points(c)} from {n}" for n, c in shown)


# --- trajectories -----------------------------------------------------------------------------


def _factor_rows(forecasts: pd.DataFrame, researcher: str, level: str | None) -> pd.DataFrame:
    keep = (forecasts["researcher"] == researcher).to_numpy(bool) & _level_mask(forecasts, level)
    f = forecasts[keep]
    return in_forecast_order(f)


def _ns(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns").asi8


def implied_trajectory(
    forecasts: pd.DataFrame, decomposition: Decomposition, researcher: str, level: str | None = None
) -> pd.DataFrame:
    """The implied estimate of A as a step function: one row per instant a factor changes.

    Columns ``as_of`` (the instant), ``implied`` (NaN when unavailable), ``reconstructed``
    (some standing input was reconstructed), ``problem`` (why unavailable, else None) and
    ``segment_end`` (the next row's ``as_of``, NaT for the last).  The value at each instant is
    :func:`evaluate`'s, computed for all instants at once: one ``searchsorted`` per factor
    over that factor's forecasts in ``(as_of, recorded_at, forecast_id)`` order.
    """
    f = _factor_rows(forecasts, researcher, level)
    factors = decomposition.factors
    masks = [
        (f["question_id"] == x.question_id).to_numpy(bool)
        & _given_mask(f, x.given_question_id, x.given_outcome)
        for x in factors
    ]
    empty = pd.DataFrame(
        {
            "as_of": pd.Series(dtype="datetime64[ns, UTC]"),
            "implied": pd.Series(dtype="float64"),
            "reconstructed": pd.Series(dtype="bool"),
            "problem": pd.Series(dtype="object"),
            "segment_end": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )
    used = np.logical_or.reduce(masks) if masks else np.zeros(len(f), bool)
    if not used.any():
        return empty
    times = np.unique(_ns(f.loc[used, "as_of"]))
    n, k = len(times), len(factors)
    values = np.full((n, k), np.nan)
    recon = np.zeros((n, k), dtype=bool)
    for j, m in enumerate(masks):
        rows = f[m]
        if rows.empty:
            continue
        hit = np.searchsorted(_ns(rows["as_of"]), times, side="right") - 1
        ok = hit >= 0
        values[ok, j] = rows["probability"].to_numpy("float64")[hit[ok]]
        recon[ok, j] = rows["reconstructed"].to_numpy(bool)[hit[ok]]
    n_part = len(decomposition.partition_factors)
    part, cond = values[:, :n_part], values[:, n_part:]
    members = decomposition.member_probabilities(part)
    implied = (members * cond).sum(axis=1)  # NaN wherever a factor is missing
    sums = part.sum(axis=1)
    bad = ~np.isnan(sums) & ~partition_sum_ok(sums) if not decomposition.binary else np.zeros(n, bool)
    implied[bad] = np.nan
    stamps = pd.DatetimeIndex(times.view("datetime64[ns]")).tz_localize("UTC")
    problems: list[str | None] = [None] * n
    names = [x.name for x in factors]
    for i in np.flatnonzero(np.isnan(values).any(axis=1) | bad):
        day = stamps[i].date()
        missing = np.flatnonzero(np.isnan(values[i]))
        problems[i] = (
            missing_problem(researcher, names[missing[0]], day)
            if len(missing)
            else partition_problem(names[:n_part], float(sums[i]), day)
        )
    out = pd.DataFrame(
        {
            "as_of": stamps,
            "implied": implied,
            "reconstructed": recon.any(axis=1),
            "problem": pd.Series(problems, dtype="object"),
        }
    )
    out["segment_end"] = out["as_of"].shift(-1)
    return out


def factor_dates(
    forecasts: pd.DataFrame, decomposition: Decomposition, researcher: str, level: str | None = None
) -> tuple[date, date] | None:
    """Default dates of a "why it moved" view: the first day the implied estimate is available
    and the researcher's latest ``as_of`` day on the factors; ``None`` when never available."""
    traj = implied_trajectory(forecasts, decomposition, researcher, level)
    ok = traj[traj["implied"].notna()]
    if ok.empty:
        return None
    return ok["as_of"].iloc[0].date(), traj["as_of"].iloc[-1].date()


# --- finding decompositions -------------------------------------------------------------------


def decompositions_of(
    forecasts: pd.DataFrame,
    questions: pd.DataFrame,
    partitions: pd.DataFrame,
    researcher: str,
    question_id: int | None = None,
    level: str | None = None,
) -> list[Decomposition]:
    """The decompositions ``researcher`` has at ``level`` (of ``question_id`` when given).

    One exists over a binary B as soon as they have an estimate of B and of A given B
    (yes or no); over a declared partition (rows ``partition, question_id, question``) as
    soon as they have an estimate of some member and of A given some member = yes.  Sorted by
    A's title, then binary before declared, then name.
    """
    f = _factor_rows(forecasts, researcher, level)
    if question_id is not None:
        f = f[(f["question_id"] == question_id).to_numpy() | f["given_question_id"].isna().to_numpy()]
    titles = dict(zip(questions["question_id"], questions["question"], strict=False))
    direct = set(f.loc[f["given_question_id"].isna(), "question_id"].tolist())
    cond = f[f["given_question_id"].notna()][["question_id", "given_question_id", "given_outcome"]]
    if question_id is not None:
        cond = cond[cond["question_id"] == question_id]
    out: list[Decomposition] = []
    pairs = cond.drop_duplicates(["question_id", "given_question_id"])
    for a, b in zip(
        pairs["question_id"].tolist(), pairs["given_question_id"].astype(int).tolist(), strict=True
    ):
        if b in direct:
            out.append(
                Decomposition(
                    int(a), titles.get(a, str(a)), titles.get(b, str(b)), ((b, titles.get(b, str(b))),)
                )
            )
    yes_given = cond[cond["given_outcome"] == YES]
    for name, members in partitions.groupby("partition", sort=True):
        ids = members["question_id"].astype(int).tolist()
        if not set(ids) & direct:
            continue
        for a in sorted(set(yes_given.loc[yes_given["given_question_id"].isin(ids), "question_id"].tolist())):
            pairs_ = tuple(zip(ids, members["question"].tolist(), strict=True))
            out.append(Decomposition(int(a), titles.get(a, str(a)), str(name), pairs_, binary=False))
    return sorted(out, key=lambda d: (d.question, not d.binary, d.name))


def pick_decomposition(
    candidates: Sequence[Decomposition], given: str | None, question: str
) -> Decomposition:
    """The decomposition whose B title or partition name is ``given``; the only one when
    ``given`` is None.  Raises :class:`DecompositionError` naming the choices otherwise."""
    if given is not None:
        found = [d for d in candidates if d.name == given]
        if found:
            return found[0]
        if not candidates:
            raise DecompositionError(f"no decomposition of {question!r} over {given!r}")
    if not candidates:
        raise DecompositionError(
            f"no decomposition of {question!r}: no estimates of it given another question"
        )
    if given is None and len(candidates) == 1:
        return candidates[0]
    choices = ", ".join(repr(d.name) for d in candidates)
    what = (
        f"no decomposition of {question!r} over {given!r}"
        if given
        else f"{question!r} has several decompositions"
    )
    return_msg = f"{what}; choose one with --given: {choices}"
    raise DecompositionError(return_msg)


def inconsistencies(
    forecasts: pd.DataFrame,
    questions: pd.DataFrame,
    partitions: pd.DataFrame,
    day: date | datetime | pd.Timestamp | str,
    threshold_points: float = DEFAULT_THRESHOLD_POINTS,
    only_inconsistent: bool = True,
) -> pd.DataFrame:
    """Every decomposition of every researcher and level evaluated at the end of ``day``.

    Columns ``researcher, level, question, given, implied, direct, difference_points,
    consistent, reconstructed_inputs, problem``; with ``only_inconsistent`` only rows whose
    direct estimate is more than ``threshold_points`` from the implied one, largest first.
    The standing values are looked up once for the date (:func:`standing_table`).
    """
    table = standing_table(forecasts, day)
    rows: list[dict[str, Any]] = []
    conditional = table[table["given_question_id"].notna()]
    for (researcher, level), _ in conditional.groupby(["researcher", "level"], dropna=False, sort=True):
        lvl = None if level is None or (isinstance(level, float) and np.isnan(level)) else str(level)
        for d in decompositions_of(table, questions, partitions, str(researcher), level=lvl):
            s = evaluate(table, d, str(researcher), day, lvl, threshold_points, standing=table)
            diff = None if s.implied is None or s.direct is None else (s.direct - s.implied) * 100
            rows.append(
                {
                    "researcher": researcher, "level": lvl, "question": d.question, "given": d.name,
                    "implied": s.implied, "direct": s.direct, "difference_points": diff,
                    "consistent": s.consistent,
                    "reconstructed_inputs": ", ".join(s.reconstructed_inputs + (["direct"] if s.direct_reconstructed else [])),
                    "problem": s.problem,
                }
            )  # fmt: skip
    columns = [
        "researcher", "level", "question", "given", "implied", "direct", "difference_points",
        "consistent", "reconstructed_inputs", "problem",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    if only_inconsistent:
        out = out[out["consistent"].eq(False)]
        out = out.reindex(out["difference_points"].abs().sort_values(ascending=False).index)
    return out.reset_index(drop=True)


def questions_in(decompositions: Iterable[Decomposition]) -> set[int]:
    """Every question id a set of decompositions reads (A and the members)."""
    ids: set[int] = set()
    for d in decompositions:
        ids.add(d.question_id)
        ids.update(q for q, _ in d.members)
    return ids


def linked_forecasts(frames: Frames) -> pd.DataFrame:
    """Every forecast, direct and conditional on another question, in forecast order: the input
    of the functions here (``Frames`` keeps the two apart for everything else)."""
    both = pd.concat([frames.forecasts, frames.conditionals], ignore_index=True)
    return in_forecast_order(both, ignore_index=True)


# --- one question explained -------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Why a researcher's implied estimate of a question moved between two dates."""

    question: str
    researcher: str
    decomposition: Decomposition
    level: str | None
    attribution: Attribution

    @property
    def sentence(self) -> str:
        return explain_sentence(self.question, self.attribution)

    def as_dict(self) -> dict[str, Any]:
        """The ``credence explain --json`` object (keys exactly as documented in the README)."""
        return {
            "question": self.question,
            "researcher": self.researcher,
            "given": self.decomposition.name,
            "level": self.level,
            "from": self.attribution.before.as_dict(),
            "to": self.attribution.after.as_dict(),
            "change": self.attribution.change,
            "parts": self.attribution.parts_dicts(),
        }

    def parts_table(self) -> pd.DataFrame:
        """One row per factor (``factor, from, to, reconstructed, part_points``), then for a
        declared partition one row for the partition as a whole, which is its player.

        ``reconstructed`` lists the dates on which that input was reconstructed.
        """
        b, a = self.attribution.before, self.attribution.after
        parts = dict(self.attribution.parts)
        rows: list[dict[str, Any]] = []
        for fb, fa in zip(b.factors, a.factors, strict=True):
            marked = [s.day.isoformat() for s, f in ((b, fb), (a, fa)) if f.reconstructed]
            rows.append(
                {"factor": fb.factor, "from": fb.value, "to": fa.value,
                 "reconstructed": ", ".join(marked), "part_points": _points(parts.get(fb.factor))}
            )  # fmt: skip
        label = self.decomposition.partition_label
        if not self.decomposition.binary:
            rows.append(
                {
                    "factor": label,
                    "from": 1.0,
                    "to": 1.0,
                    "reconstructed": "",
                    "part_points": _points(parts[label]),
                }
            )
        return pd.DataFrame(rows, columns=["factor", "from", "to", "reconstructed", "part_points"])


def _points(change: float | None) -> float | None:
    return None if change is None else change * 100


def explain(
    forecasts: pd.DataFrame,
    questions: pd.DataFrame,
    partitions: pd.DataFrame,
    question: str,
    researcher: str,
    given: str | None = None,
    start: date | datetime | pd.Timestamp | str | None = None,
    end: date | datetime | pd.Timestamp | str | None = None,
    level: str | None = None,
    threshold_points: float = DEFAULT_THRESHOLD_POINTS,
) -> Explanation:
    """Explain the change of ``researcher``'s implied estimate of ``question`` from ``start`` to ``end``.

    ``forecasts`` holds every forecast, conditional or not (FORECASTS columns).  ``given`` is
    the condition's question title or a partition's name (needed only when there are several
    decompositions).  Dates default to the first day the implied estimate is available and the
    researcher's latest day on the factors (:func:`factor_dates`).  Raises
    :class:`DecompositionError` for an unknown question or researcher, no such decomposition,
    a factor missing on either date or a partition not adding up.
    """
    ids = questions.loc[questions["question"] == question, "question_id"]
    if ids.empty:
        raise DecompositionError(f"no question titled {question!r}")
    if not (forecasts["researcher"] == researcher).any():
        raise DecompositionError(f"{researcher!r} has no forecasts")
    qid = int(ids.iloc[0])
    found = decompositions_of(forecasts, questions, partitions, researcher, qid, level)
    d = pick_decomposition(found, given, question)
    if start is None or end is None:
        dates = factor_dates(forecasts, d, researcher, level)
        if dates is None:
            traj = implied_trajectory(forecasts, d, researcher, level)
            last = traj["problem"].dropna()
            raise DecompositionError(last.iloc[-1] if len(last) else f"no implied estimate of {question!r}")
        start = dates[0] if start is None else start
        end = dates[1] if end is None else end
    before = evaluate(forecasts, d, researcher, start, level, threshold_points)
    after = evaluate(forecasts, d, researcher, end, level, threshold_points)
    return Explanation(question, researcher, d, level, attribute(d, before, after))


def format_explanation(e: Explanation, threshold_points: float = DEFAULT_THRESHOLD_POINTS) -> str:
    """The sentence, a line per date comparing the direct estimate, and the table of factors."""
    lines = [e.sentence, ""]
    for snap in (e.attribution.before, e.attribution.after):
        implied = f"implied {snap.implied * 100:.1f}%" if snap.implied is not None else "implied unavailable"
        if snap.direct is None:
            lines.append(f"{snap.day.isoformat()}: {implied}; no direct estimate")
            continue
        gap = abs(snap.direct - (snap.implied or 0)) * 100
        verdict = (
            "consistent" if snap.consistent else f"INCONSISTENT (more than {threshold_points:g} points apart)"
        )
        recon = " (reconstructed)" if snap.direct_reconstructed else ""
        lines.append(
            f"{snap.day.isoformat()}: {implied}, direct {snap.direct * 100:.1f}%{recon}: {gap:.1f} points apart, {verdict}"
        )
    lines.append("")
    table = e.parts_table()
    width = max(len(f) for f in table["factor"])
    d0, d1 = e.attribution.before.day.isoformat(), e.attribution.after.day.isoformat()
    lines.append(f"{'factor':<{width}}  {d0:>10}  {d1:>10}  {'part':>8}  reconstructed")
    for factor, v0, v1, recon, part_points in table.itertuples(index=False, name=None):
        part = "" if part_points is None or pd.isna(part_points) else f"{part_points:+.2f}"
        lines.append(f"{factor:<{width}}  {_pct(v0):>10}  {_pct(v1):>10}  {part:>8}  {recon}")
    lines.append(f"{'total':<{width}}  {'':>10}  {'':>10}  {e.attribution.change * 100:+8.2f}")
    lines.append("Parts are in percentage points (Shapley values; they add up to the change).")
    return "\n".join(lines)


def _pct(p: float | None) -> str:
    return "" if p is None else f"{p * 100:.1f}%"


# --- for views --------------------------------------------------------------------------------


def direct_estimates(
    forecasts: pd.DataFrame, question_id: int, researcher: str, level: str | None = None
) -> pd.DataFrame:
    """``researcher``'s direct estimates of ``question_id`` at ``level`` (no condition on another
    question), in forecast order: ``as_of, probability, reconstructed``."""
    f = _factor_rows(forecasts, researcher, level)
    f = f[(f["question_id"] == question_id).to_numpy(bool) & f["given_question_id"].isna().to_numpy()]
    return f[["as_of", "probability", "reconstructed"]].reset_index(drop=True)


LINE_COLUMNS = [
    "researcher",
    "given",
    "kind",
    "series",
    "as_of",
    "segment_end",
    "probability",
    "reconstructed",
]


def implied_lines(
    forecasts: pd.DataFrame,
    questions: pd.DataFrame,
    partitions: pd.DataFrame,
    question_id: int,
    researchers: Iterable[str],
    end: pd.Timestamp,
    level: str | None = None,
) -> pd.DataFrame:
    """Step lines of ``question_id``: for each researcher with a decomposition of it, the implied
    estimate per decomposition (``kind`` "implied", ``series`` "<researcher> · implied over
    <given>") and their direct estimates (``kind`` "direct").

    Columns :data:`LINE_COLUMNS`; a step ends at the next one of its series, the last at ``end``;
    instants where the implied estimate is unavailable are left out.  Empty when nobody
    decomposed the question.
    """
    parts = []
    # Every decomposition of A rests on an estimate of A given something: only researchers with
    # one can have any (checked first, so the others cost no pass over every forecast).
    conditional = forecasts["given_question_id"].notna() & (forecasts["question_id"] == question_id)
    decomposers = set(forecasts.loc[conditional, "researcher"])
    for researcher in (r for r in researchers if r in decomposers):
        found = decompositions_of(forecasts, questions, partitions, researcher, question_id, level)
        for d in found:
            t = implied_trajectory(forecasts, d, researcher, level).rename(columns={"implied": "probability"})
            t = t[t["probability"].notna()]
            parts.append(t.assign(researcher=researcher, given=d.name, kind="implied",
                                  series=f"{researcher} · implied over {d.name}"))  # fmt: skip
        if found:
            direct = direct_estimates(forecasts, question_id, researcher, level)
            parts.append(direct.assign(researcher=researcher, given=None, kind="direct", series=researcher))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in LINE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["segment_end"] = out.groupby("series", sort=False)["as_of"].shift(-1).fillna(end)
    return out[LINE_COLUMNS].reset_index(drop=True)


def researchers_with_decompositions(forecasts: pd.DataFrame) -> list[str]:
    """Handles of everyone who has a forecast given another question, sorted."""
    return sorted(set(forecasts.loc[forecasts["given_question_id"].notna(), "researcher"]))
