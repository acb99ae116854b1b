"""Update quality without resolution: belief movement against uncertainty reduction.

Augenblick & Rabin ("Belief Movement, Uncertainty Reduction, and Rational Updating", QJE 2021):
for a Bayesian, the expected sum of squared belief changes equals the expected reduction in
uncertainty ``π(1 − π)``, whether or not the question ever resolves.  Moving more than one's
uncertainty shrinks is noisy over-reaction; moving less is stickiness.

Conventions
-----------
* A *target* is ``(researcher, question_id, level)`` plus any condition columns the caller
  names; its estimates π₀ … π_T are its contemporaneous forecasts (``reconstructed`` ones left
  out) in forecast order ``(as_of, recorded_at, forecast_id)``, so at equal ``as_of`` the one
  recorded later comes later.  The frames hold current revisions only, without deleted rows.
* Probabilities are used as they are, in [0, 1]: no clipping, no log-odds.
* A question's resolution is not appended to the sequence: open, resolved and annulled
  questions count alike.  Targets with a single estimate (T = 0) carry no information and
  are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from models.frames import FORECAST_ORDER, Frames, in_forecast_order

TARGET = ["researcher", "question_id", "level"]

TARGET_COLUMNS = ["n_changes", "first_probability", "last_probability", "movement",
                  "uncertainty_reduction", "excess_movement", "sum_abs_change"]  # fmt: skip
RESEARCHER_COLUMNS = ["researcher", "n_targets", "movement", "uncertainty_reduction", "excess_movement",
                      "excess_se", "normalized_excess", "updates_per_target", "mean_abs_change"]  # fmt: skip


def target_movement(forecasts: pd.DataFrame, keys: Sequence[str] = TARGET) -> pd.DataFrame:
    """Movement ``m``, uncertainty reduction ``r`` and excess ``x`` of each target with T ≥ 1.

    For the contemporaneous estimates π₀ … π_T of a target (see the module conventions):

    * ``movement`` m = Σₜ (πₜ₊₁ − πₜ)²
    * ``uncertainty_reduction`` r = π₀(1 − π₀) − π_T(1 − π_T)
    * ``excess_movement`` x = m − r
    * ``n_changes`` = T, ``first_probability`` = π₀, ``last_probability`` = π_T,
      ``sum_abs_change`` = Σₜ |πₜ₊₁ − πₜ|.

    ``forecasts`` needs the ``keys`` columns, ``probability``, ``reconstructed`` and whichever of
    ``as_of, recorded_at, forecast_id`` it has.  One row per target, indexed by ``keys``
    (``None`` keys such as an unconditional level are kept), sorted by the keys.
    """
    keys = list(keys)
    d = forecasts
    if "reconstructed" in d.columns:
        d = d[~d["reconstructed"].astype(bool).to_numpy()]
    # Only the columns used, in forecast order: sorting carries every column along.
    d = d[[*keys, "probability", *(c for c in FORECAST_ORDER if c in d.columns)]]
    d = in_forecast_order(d)
    g = d.groupby(keys, dropna=False, sort=True)
    targets = g.size()  # indexed by the keys, in key order; ngroup() numbers them in that order
    codes = g.ngroup().to_numpy()
    # Each target's estimates together, still in forecast order within the target.
    rows = np.argsort(codes, kind="stable")
    code, p = codes[rows], d["probability"].to_numpy(dtype="float64")[rows]
    first = np.ones(len(code), dtype=bool)
    first[1:] = code[1:] != code[:-1]
    last = np.ones(len(code), dtype=bool)
    last[:-1] = first[1:]
    step = np.zeros(len(p))
    step[1:] = np.diff(p)
    step[first] = 0.0  # a target's first estimate is no change
    n = len(targets)
    out = pd.DataFrame(
        {
            "n_changes": (targets.to_numpy() - 1).astype("int64"),
            "first_probability": p[first],
            "last_probability": p[last],
            "movement": np.bincount(code, weights=step * step, minlength=n).astype("float64"),
            "sum_abs_change": np.bincount(code, weights=np.abs(step), minlength=n).astype("float64"),
        },
        index=targets.index,
    )
    out = out[out["n_changes"] >= 1]
    p0, pt = out["first_probability"], out["last_probability"]
    out["uncertainty_reduction"] = p0 * (1.0 - p0) - pt * (1.0 - pt)
    out["excess_movement"] = out["movement"] - out["uncertainty_reduction"]
    return out[TARGET_COLUMNS]


def researcher_update_quality(per_target: pd.DataFrame) -> pd.DataFrame:
    """Per researcher, over their targets with T ≥ 1 (``per_target`` is :func:`target_movement`).

    * ``n_targets`` = n; ``movement`` = Σ m; ``uncertainty_reduction`` = Σ r
    * ``excess_movement`` = mean x; ``excess_se`` = sd(x) / √n with n − 1 in the variance's
      denominator, NaN when n < 2
    * ``normalized_excess`` = Σm / Σr − 1, NaN when Σr ≤ 0 (no uncertainty resolved on
      balance, so the ratio means nothing)
    * ``updates_per_target`` = mean T; ``mean_abs_change`` = Σ |πₜ₊₁ − πₜ| / Σ T, the mean
      absolute change over all changes, in probability units.

    Researchers without targets have no row; rows are sorted by handle.
    """
    t = per_target.reset_index()
    g = t.groupby("researcher", sort=True)
    n = g.size().astype("int64")
    movement = g["movement"].sum()
    reduction = g["uncertainty_reduction"].sum()
    se = g["excess_movement"].std(ddof=1) / np.sqrt(n)
    out = pd.DataFrame(
        {
            "n_targets": n,
            "movement": movement,
            "uncertainty_reduction": reduction,
            "excess_movement": g["excess_movement"].mean(),
            "excess_se": se.where(n >= 2),
            "normalized_excess": (movement / reduction.where(reduction > 0)) - 1.0,
            "updates_per_target": g["n_changes"].mean(),
            "mean_abs_change": g["sum_abs_change"].sum() / g["n_changes"].sum(),
        }
    )
    out.index.name = "researcher"
    return out.reset_index()[RESEARCHER_COLUMNS]


def update_quality(forecasts: pd.DataFrame, keys: Sequence[str] = TARGET) -> pd.DataFrame:
    """:func:`researcher_update_quality` of :func:`target_movement` of ``forecasts``."""
    return researcher_update_quality(target_movement(forecasts, keys))


def reading(normalized_excess: float | None, n_targets: int) -> str:
    """A one-line reading of a researcher's ``normalized_excess`` (Σm / Σr − 1).

    ``Σm / Σr`` is said in words: about 1 is "as much as", 2 "about twice as much"; ``None``
    or NaN (no net uncertainty reduction) and a single target get their own sentences.
    """
    if normalized_excess is None or not np.isfinite(normalized_excess):
        return "their uncertainty did not shrink on balance, so movement cannot be weighed against it"
    ratio = normalized_excess + 1.0
    caveat = " (one target: too few to judge)" if n_targets < 2 else ""
    if 0.8 <= ratio <= 1.25:
        text = "moves about as much as their uncertainty shrinks, as a Bayesian would"
    elif ratio > 1.25:
        text = f"moves about {_times(ratio)} as much as their uncertainty shrinks (over-reacts)"
    elif ratio > 0:
        text = f"moves only {_times(ratio)} as much as their uncertainty shrinks (sticky)"
    else:
        text = "barely moves although their uncertainty shrank (sticky)"
    return text + caveat


def _times(ratio: float) -> str:
    named = {2.0: "twice", 3.0: "three times", 0.5: "half", 1.5: "one and a half times"}
    for value, word in named.items():
        if abs(ratio - value) <= 0.1 * value:
            return word
    return f"{ratio:.1f} times"


#: Condition columns of a forecast given another question's outcome, when the frames have them.
CONDITION = ["given_question_id", "given_outcome"]


def target_keys(forecasts: pd.DataFrame) -> list[str]:
    """``(researcher, question_id, level)`` plus the condition columns ``forecasts`` has."""
    return TARGET + [c for c in CONDITION if c in forecasts.columns]


def researchers_update_quality(
    frames: Frames,
    researchers: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
) -> pd.DataFrame:
    """:func:`update_quality` of the stored forecasts, per researcher (sorted by handle).

    ``researchers`` keeps those handles; ``tags`` keeps questions carrying any of those tags
    (``None``: no filter).  Targets include the forecast's condition when there is one.
    """
    # Direct forecasts and those given another question's outcome (Frames keeps them apart).
    f = pd.concat([frames.forecasts, frames.conditionals], ignore_index=True)
    if researchers is not None:
        f = f[f["researcher"].isin(list(researchers))]
    if tags is not None:
        wanted = set(tags)
        q = frames.questions
        tagged = q.loc[[bool(wanted.intersection(t or ())) for t in q["tags"]], "question_id"]
        f = f[f["question_id"].isin(tagged)]
    return update_quality(f, target_keys(f))


def update_quality_report(table: pd.DataFrame) -> dict[str, list[dict[str, object]]]:
    """The ``credence updates --json`` contract from :func:`researcher_update_quality`:
    ``{"researchers": [{"researcher", "n_targets", "movement", "uncertainty_reduction",
    "excess_movement", "excess_se", "normalized_excess", "updates_per_target",
    "mean_abs_change"}, ...]}`` sorted by handle, NaN as ``None``."""
    rows: list[dict[str, object]] = []
    for record in table.sort_values("researcher", kind="stable").to_dict("records"):
        row: dict[str, object] = {
            "researcher": str(record["researcher"]),
            "n_targets": int(record["n_targets"]),
        }
        for column in RESEARCHER_COLUMNS[2:]:
            value = float(record[column])
            row[column] = None if np.isnan(value) else value
        rows.append(row)
    return {"researchers": rows}


def format_update_quality(report: dict[str, list[dict[str, object]]]) -> str:
    """:func:`update_quality_report` as a plain-text table, each researcher followed by a reading."""
    if not report["researchers"]:
        return "no researcher has two contemporaneous estimates of one target yet"
    head = (
        f"{'researcher':<20} {'targets':>7} {'movement':>9} {'unc. red.':>9} {'excess ± se':>17} "
        f"{'Σm/Σr − 1':>9} {'upd/target':>10} {'mean |Δ|':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in report["researchers"]:
        se = r["excess_se"]
        excess = f"{r['excess_movement']:+.4f}" + (f" ± {se:.4f}" if isinstance(se, float) else " ± –")
        normalized = r["normalized_excess"]
        norm = f"{normalized:+.2f}" if isinstance(normalized, float) else "–"
        lines.append(
            f"{r['researcher']!s:<20} {r['n_targets']:>7} {r['movement']:>9.4f} {r['uncertainty_reduction']:>9.4f} "
            f"{excess:>17} {norm:>9} {r['updates_per_target']:>10.2f} {r['mean_abs_change']:>8.3f}"
        )
        n_targets = r["n_targets"]
        assert isinstance(n_targets, int)
        lines.append(
            f"  {r['researcher']} {reading(normalized if isinstance(normalized, float) else None, n_targets)}"
        )
    lines.append(
        "movement = Σ squared changes; unc. red. = π₀(1−π₀) − π_T(1−π_T). A Bayesian's excess is 0 on average;"
    )
    lines.append("few targets, or estimates far from 50%, make these figures noisy.")
    return "\n".join(lines)


def with_intervals(table: pd.DataFrame, z: float = 1.96) -> pd.DataFrame:
    """:func:`researcher_update_quality` with ``excess_low`` / ``excess_high`` = mean x ∓ z·se
    (a normal-approximation interval, 95 % for z = 1.96; NaN when se is) and ``reading``
    (:func:`reading` of each row)."""
    out = table.assign(
        excess_low=table["excess_movement"] - z * table["excess_se"],
        excess_high=table["excess_movement"] + z * table["excess_se"],
    )
    out["reading"] = [
        reading(None if pd.isna(v) else float(v), int(n))
        for v, n in zip(out["normalized_excess"], out["n_targets"], strict=True)
    ]
    return out
