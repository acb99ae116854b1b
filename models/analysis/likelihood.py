"""Likelihood ratios written down before the evidence arrives, and what became of them.

A researcher records, for a target (question, optional capability level) and an evidence item,
the likelihood ratio ``LR = P(E | yes) / P(E | no)`` they expect.  When the evidence is observed
and a forecast cites it, the update their own ratios implied is compared with the one they made.

Conventions
-----------
* Odds are ``p / (1 − p)``; log-odds are natural, ``ln odds``.  Bayes' rule in odds form:
  posterior odds = prior odds × Π LRᵢ over independent items, so the expected change in
  log-odds is ``Σ ln LRᵢ`` whatever the prior.
* Decibans: ``10 · log₁₀ LR`` (×10 is +10 dB, ×1/3 is −4.8 dB).
* A ratio is *pre-registered* when it was recorded (``recorded_at``, set by the system)
  strictly before the evidence's observed time; recorded at or after it, *post hoc*; while the
  evidence is anticipated (not observed), *pending*.
* Actual changes use the project's log-odds convention: probabilities clipped to
  [0.001, 0.999] first, so 0 % and 100 % stay finite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from models.analysis.updates import updates
from models.frames import Frames

#: Probabilities are clipped to [PROB_CLIP, 1 − PROB_CLIP] before taking log-odds (as in trajectories).
PROB_CLIP = 0.001
PRE_REGISTERED, POST_HOC, PENDING = "pre-registered", "post hoc", "pending"

_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:nan|inf|infinity)"
_RATIO = re.compile(
    rf"^\s*(?P<op>[×xX*÷/:]?)\s*(?P<a>{_NUMBER})\s*(?:(?P<sep>[/:])\s*(?P<b>{_NUMBER}))?\s*$", re.I
)


def parse_likelihood_ratio(text: str | float | int) -> float:
    """The likelihood ratio written as ``text``: a ratio or a change in odds.

    Accepted: a number (``3``, ``0.25``, ``1e-2``), a fraction (``1/3``), a change in odds
    (``×3``, ``x3``, ``*3`` multiply; ``÷4`` and ``/4`` divide, i.e. LR = 1/4).  The result
    must be finite and greater than 0; anything else raises ``ValueError`` with a message that
    says why and reads after the field's name ("ratio must be greater than 0: …").  A number passed in (not text) is checked the same way.
    """
    if isinstance(text, bool):
        raise ValueError("must be a number such as 3, 1/3, 0.25, ×3 or ÷4, not true/false")
    if isinstance(text, int | float):
        return check_likelihood_ratio(float(text))
    match = _RATIO.match(str(text))
    if not match:
        raise ValueError(
            f"{str(text).strip()!r} is not a likelihood ratio: write a number such as 3, 1/3, 0.25, ×3 or ÷4"
        )
    op, a, sep, b = match.group("op"), _number(match.group("a")), match.group("sep"), match.group("b")
    if op and sep:
        raise ValueError(
            f"{str(text).strip()!r} mixes two forms: write a change in odds (×3, ÷4) or a ratio (1/3), not both"
        )
    value = a
    if b is not None:
        denominator = _number(b)
        if denominator == 0:
            raise ValueError("cannot divide by zero")
        value = a / denominator
    elif op in ("÷", "/", ":"):
        if a == 0:
            raise ValueError("cannot divide by zero")
        value = 1.0 / a
    return check_likelihood_ratio(value)


def check_likelihood_ratio(value: float) -> float:
    """``value`` if it is a finite number greater than 0, else ``ValueError`` saying why."""
    if math.isnan(value):
        raise ValueError("must be a number, not NaN")
    if math.isinf(value):
        raise ValueError("must be finite: no evidence makes an outcome certain")
    if value <= 0:
        raise ValueError("must be greater than 0: it is P(evidence | yes) / P(evidence | no)")
    return value


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def decibans(ratio: Any) -> Any:
    """``10 · log₁₀ LR``: the weight of evidence in decibans (vectorized over arrays)."""
    return 10.0 * np.log10(ratio)


def format_ratio(ratio: float) -> str:
    """A ratio as a change in odds: ``×3``, ``×1/3`` (below 1, as one over its inverse), ``×1``."""
    if ratio >= 1:
        return f"×{_short(ratio)}"
    return f"×1/{_short(1.0 / ratio)}"


def _short(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.3g}"


def log_odds(probability: Any) -> Any:
    """Natural log-odds ``ln(p / (1 − p))`` with ``p`` clipped to [0.001, 0.999]."""
    p = np.clip(np.asarray(probability, dtype="float64"), PROB_CLIP, 1.0 - PROB_CLIP)
    return np.log(p / (1.0 - p))


def expected_posterior(prior: float, ratios: Iterable[float]) -> float:
    """Bayes' rule in odds form: ``odds(prior) × Π LRᵢ`` back as a probability.

    ``odds(p) = p / (1 − p)``; a prior of exactly 0 or 1 stays where it is (no finite ratio
    moves a certainty).  ``ratios`` empty gives the prior back.
    """
    product = math.prod(check_likelihood_ratio(float(r)) for r in ratios)
    if prior <= 0.0 or prior >= 1.0:
        return float(prior)
    odds = prior / (1.0 - prior) * product
    return odds / (1.0 + odds)


def share_of_expected(prior: Any, actual: Any, ratio: Any) -> Any:
    """``actual Δlog-odds / expected Δlog-odds`` (vectorized): how far of the implied way they went.

    Expected Δ = ``ln LR`` (the product of the cited ratios); actual Δ = ``logit(actual) −
    logit(prior)`` with the [0.001, 0.999] clip.  1 is exactly as implied, 0.5 half of it,
    above 1 further, below 0 the other way.  NaN when LR = 1 (nothing was expected).
    """
    expected = np.log(np.asarray(ratio, dtype="float64"))
    actual_change = log_odds(actual) - log_odds(prior)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected != 0, actual_change / np.where(expected != 0, expected, 1.0), np.nan)


def registration(
    recorded_at: pd.Series, observed_at: pd.Series, status: pd.Series | None = None
) -> pd.Series:
    """Per ratio: ``"pre-registered"`` when ``recorded_at < observed_at``, ``"post hoc"`` when
    recorded at or after it, ``"pending"`` while the evidence is anticipated.

    Both are UTC times; an observed *date* means its start, 00:00 UTC, so a ratio written on
    the day of the observation is post hoc.  Without ``status``, a missing ``observed_at``
    means anticipated; with it, an ``"observed"`` item of unknown date makes its ratios post
    hoc (nothing shows they came first).
    """
    observed = pd.to_datetime(observed_at, utc=True)
    recorded = pd.to_datetime(recorded_at, utc=True)
    before = (recorded < observed).to_numpy()
    if status is None:
        pending = observed.isna().to_numpy()
    else:
        pending = (status.to_numpy() != "observed") & observed.isna().to_numpy()
    values = np.where(pending, PENDING, np.where(before, PRE_REGISTERED, POST_HOC))
    return pd.Series(values, index=recorded_at.index, dtype="object")


def describe_expected(prior: float, ratio: float, actual: float | None = None) -> str:
    """``"×1/3 implied 7% → 2.4%; you moved to 4%, 54% of the way in log-odds"``.

    Percentages have two significant figures below 10 % and whole points above; without
    ``actual`` the sentence stops after the implied posterior.
    """
    implied = expected_posterior(prior, [ratio])
    text = f"{format_ratio(ratio)} implied {_percent(prior)} → {_percent(implied)}"
    if actual is None:
        return text
    share = float(share_of_expected(prior, actual, ratio))
    way = "" if math.isnan(share) else f", {share:.0%} of the way in log-odds"
    return f"{text}; you moved to {_percent(actual)}{way}"


def _percent(p: float) -> str:
    x = 100.0 * p
    if x == 0 or x >= 10 or abs(x - round(x)) < 1e-9:
        return f"{x:.0f}%"
    return f"{x:.2g}%" if x >= 1 else f"{x:.1g}%"


#: Columns of :func:`expected_vs_actual` after ``forecast_id`` and the target keys.
_EXPECTED_COLUMNS = [
    "as_of", "evidence_ids", "n_ratios", "ratio", "decibans", "prior", "expected_posterior", "actual",
    "expected_change_log_odds", "actual_change_log_odds", "share", "registration",
]  # fmt: skip


def expected_vs_actual(
    updates: pd.DataFrame,
    citations: pd.DataFrame,
    ratios: pd.DataFrame,
    keys: Iterable[str] = ("researcher", "question_id", "level"),
    include_post_hoc: bool = False,
) -> pd.DataFrame:
    """Each forecast that cites evidence its researcher recorded a ratio for on its target.

    * ``updates``: one row per forecast with ``forecast_id``, the target ``keys``, ``as_of``,
      ``from_probability`` (the standing estimate just before it; NaN for a first forecast,
      which has no prior and is left out) and ``to_probability``.
    * ``citations``: ``forecast_id, evidence_id`` links.
    * ``ratios``: current ratios with the target ``keys``, ``evidence_id``, ``ratio`` and
      ``registration`` (:func:`registration`).  Only ``"pre-registered"`` ones count unless
      ``include_post_hoc``; pending ones never do (the evidence has not been observed).

    Per forecast: ``ratio`` = Π LRᵢ over its cited items with ratios, ``n_ratios``,
    ``decibans`` = 10·log₁₀ ratio, ``prior``, ``expected_posterior`` = odds(prior)·ratio as a
    probability, ``actual``, ``expected_change_log_odds`` = ln ratio, ``actual_change_log_odds``
    (clipped logit difference), ``share`` = actual / expected Δlog-odds (NaN when ratio = 1),
    ``registration`` (``"post hoc"`` if any counted ratio was).  Ordered by ``as_of``.
    """
    keys = list(keys)
    allowed = [PRE_REGISTERED, POST_HOC] if include_post_hoc else [PRE_REGISTERED]
    r = ratios[ratios["registration"].isin(allowed)]
    u = updates[updates["from_probability"].notna()]
    m = u[["forecast_id", *keys, "as_of", "from_probability", "to_probability"]].merge(
        citations[["forecast_id", "evidence_id"]], on="forecast_id"
    )
    m = m.merge(r[[*keys, "evidence_id", "ratio", "registration"]], on=[*keys, "evidence_id"])
    columns = ["forecast_id", *keys, *_EXPECTED_COLUMNS]
    if m.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    m = m.sort_values(["forecast_id", "evidence_id"], kind="stable")
    m = m.assign(_ln=np.log(m["ratio"].astype("float64")), _post=m["registration"].eq(POST_HOC))
    g = m.groupby("forecast_id", sort=False)
    first = g[[*keys, "as_of", "from_probability", "to_probability"]].first()
    ln_ratio = g["_ln"].sum()
    out = first.assign(
        evidence_ids=g["evidence_id"].agg(tuple),
        n_ratios=g.size().astype("int64"),
        ratio=np.exp(ln_ratio),
        decibans=10.0 * ln_ratio / math.log(10.0),
        registration=np.where(g["_post"].any(), POST_HOC, PRE_REGISTERED),
    ).reset_index()
    prior = out["from_probability"].to_numpy(dtype="float64")
    odds = prior / (1.0 - prior) * out["ratio"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        posterior = np.where((prior > 0) & (prior < 1), odds / (1.0 + odds), prior)
    out["prior"] = prior
    out["expected_posterior"] = posterior
    out["actual"] = out["to_probability"]
    out["expected_change_log_odds"] = np.log(out["ratio"])
    out["actual_change_log_odds"] = log_odds(out["actual"]) - log_odds(prior)
    out["share"] = share_of_expected(prior, out["actual"], out["ratio"])
    out = out.sort_values(["as_of", "forecast_id"], kind="stable").reset_index(drop=True)
    return out[columns]


# --- over the stored data -----------------------------------------------------------------------


def ratio_table(ratios: pd.DataFrame) -> pd.DataFrame:
    """A :data:`models.frames.RATIOS` frame with ``decibans`` (10·log₁₀ LR), ``change`` (the ratio
    as a change in odds, ``×3`` / ``×1/3``) and ``registration`` (:func:`registration`)."""
    return ratios.assign(
        decibans=decibans(ratios["ratio"].to_numpy(dtype="float64")),
        change=[format_ratio(r) for r in ratios["ratio"].to_numpy(dtype="float64")],
        registration=registration(ratios["recorded_at"], ratios["observed_at"], ratios["evidence_status"]),
    )


def compare_updates(
    frames: Frames,
    ratios: pd.DataFrame,
    researchers: Iterable[str] | None = None,
    question_ids: Iterable[int] | None = None,
    include_post_hoc: bool = False,
) -> pd.DataFrame:
    """:func:`expected_vs_actual` over stored forecasts and ratios (a :data:`models.frames.RATIOS`
    frame), with ``question``, ``evidence`` (titles joined by ``"; "``) and ``summary`` (the
    sentence of :func:`describe_expected`).  The prior is the previous forecast of the same target
    in forecast order (:func:`models.analysis.updates.updates`)."""
    # Only forecasts on a question someone wrote a ratio for can meet a ratio: the rest of the
    # history (a hundred thousand forecasts, say) is left out before the updates are worked out.
    rated = set(ratios["question_id"].astype("int64"))
    question_ids = sorted(rated if question_ids is None else rated & {int(q) for q in question_ids})
    u = updates(frames, question_ids, researchers)
    out = expected_vs_actual(u, frames.evidence_links, ratio_table(ratios), include_post_hoc=include_post_hoc)
    titles = frames.evidence.drop_duplicates("evidence_id").set_index("evidence_id")["evidence"]
    questions = frames.questions.drop_duplicates("question_id").set_index("question_id")["question"]
    out.insert(3, "question", questions.reindex(out["question_id"]).to_numpy())
    out["evidence"] = [
        "; ".join(str(titles.get(i, f"evidence #{i}")) for i in ids) for ids in out["evidence_ids"]
    ]
    out["summary"] = [
        describe_expected(p, r, a)
        for p, r, a in zip(
            out["prior"].astype(float), out["ratio"].astype(float), out["actual"].astype(float), strict=True
        )
    ]
    return out


def weighed_in_advance(
    frames: Frames, ratios: pd.DataFrame, researchers: Iterable[str] | None = None
) -> pd.DataFrame:
    """Every ratio a researcher wrote down, and what became of it.

    One row per ratio (:func:`ratio_table` columns) with ``outcome``: ``"not observed yet"``
    for anticipated evidence; for observed evidence, the latest forecast on the same target that
    cites it (``cited_by`` its id, ``share`` of the implied log-odds move it made, taken over all
    the ratios that forecast cites) or ``"observed <date>; no forecast on this target cites it"``.
    Post hoc ratios are listed too, with their ``registration``.
    """
    r = ratio_table(ratios)
    if researchers is not None:
        r = r[r["researcher"].isin(list(researchers))]
    cmp = compare_updates(frames, r, researchers=researchers, include_post_hoc=True)
    keys = ["researcher", "question_id", "level"]
    cited = cmp[[*keys, "forecast_id", "as_of", "evidence_ids", "share", "summary"]].explode("evidence_ids")
    cited = cited.rename(columns={"evidence_ids": "evidence_id", "as_of": "cited_at"})
    cited = (
        cited.astype({"evidence_id": "int64"})
        if len(cited)
        else cited.assign(evidence_id=pd.Series(dtype="int64"))
    )
    cited = cited.sort_values("cited_at", kind="stable").drop_duplicates([*keys, "evidence_id"], keep="last")
    out = r.merge(cited.rename(columns={"forecast_id": "cited_by"}), on=[*keys, "evidence_id"], how="left")
    out["summary"] = out["summary"].astype("object")
    observed = out["observed_at"].dt.strftime("%Y-%m-%d").fillna("date unknown").astype("object")
    out["outcome"] = np.where(
        out["evidence_status"] != "observed",
        "not observed yet",
        np.where(
            out["cited_by"].notna(),
            "observed " + observed + "; " + out["summary"].fillna(""),
            "observed " + observed + "; no forecast on this target cites it",
        ),
    )
    out["outcome"] = out["outcome"].astype("object")
    out["cited_by"] = out["cited_by"].astype("Int64")
    return out.drop(columns=["summary"]).reset_index(drop=True)


def implied_by_ratios(
    ratios: pd.DataFrame,
    prior: float | None,
    researcher: str | None,
    question: str | None,
    level: str | None,
    evidence: Iterable[str],
    probability: float | None = None,
) -> str | None:
    """The sentence the Log forecast form shows before saving, or None when nothing applies.

    ``ratios`` is a :data:`models.frames.RATIOS` frame; of it, the pre-registered ratios of
    ``researcher`` on the target (``question``, ``level``) for the chosen ``evidence`` titles count.
    With a ``prior`` (the standing estimate), ``"Pre-registered ×1/3 (Title) implied 7% → 2.4%"``,
    plus ``"; you moved to 4%, 54% of the way in log-odds"`` once a ``probability`` is typed.
    """
    chosen = list(evidence)
    if not (researcher and question and chosen) or ratios.empty:
        return None
    r = ratio_table(ratios)
    same_level = r["level"].isna() if level is None else r["level"].eq(level)
    mine = r[
        r["researcher"].eq(researcher)
        & r["question"].eq(question)
        & same_level
        & r["evidence"].isin(chosen)
        & r["registration"].eq(PRE_REGISTERED)
    ]
    if mine.empty:
        return None
    ratio = float(np.exp(np.log(mine["ratio"].to_numpy(dtype="float64")).sum()))
    items = ", ".join(f"{c} for “{t}”" for c, t in zip(mine["change"], mine["evidence"], strict=True))
    if prior is None:
        return f"Pre-registered {items}; this is the first estimate of this target, so there is no prior to move."
    return f"Pre-registered {items}: " + describe_expected(prior, ratio, probability)
