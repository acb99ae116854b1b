"""Likelihood ratios: parsing, decibans, expected posteriors, pre-registration (hand-computed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.analysis.likelihood import (
    PENDING,
    POST_HOC,
    PRE_REGISTERED,
    decibans,
    describe_expected,
    expected_posterior,
    expected_vs_actual,
    format_ratio,
    parse_likelihood_ratio,
    registration,
    share_of_expected,
)


@pytest.mark.parametrize(
    ("text", "ratio"),
    [
        ("3", 3.0),
        ("1/3", 1 / 3),
        ("0.25", 0.25),
        ("×3", 3.0),
        ("x3", 3.0),
        ("X 3", 3.0),
        ("*2.5", 2.5),
        ("÷4", 0.25),
        ("/4", 0.25),
        (" 2 / 8 ", 0.25),
        ("1e-2", 0.01),
        ("0,5", 0.5),
        (3, 3.0),
        (0.5, 0.5),
    ],
)
def test_parse_likelihood_ratio(text: str | float, ratio: float) -> None:
    assert parse_likelihood_ratio(text) == pytest.approx(ratio)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "greater than 0"),
        ("-2", "greater than 0"),
        ("×-3", "greater than 0"),
        ("0/5", "greater than 0"),
        ("nan", "not NaN"),
        ("inf", "must be finite"),
        ("1/0", "divide by zero"),
        ("÷0", "divide by zero"),
        ("three", "'three' is not a likelihood ratio"),
        ("", "is not a likelihood ratio"),
        ("×1/3", "not both"),
        (float("nan"), "not NaN"),
        (float("inf"), "must be finite"),
        (0.0, "greater than 0"),
    ],
)
def test_parse_likelihood_ratio_refuses(text: str | float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_likelihood_ratio(text)


@pytest.mark.parametrize(("ratio", "db"), [(10, 10.0), (1, 0.0), (0.1, -10.0), (3, 4.771), (1 / 3, -4.771)])
def test_decibans(ratio: float, db: float) -> None:
    assert decibans(ratio) == pytest.approx(db, abs=1e-3)


@pytest.mark.parametrize(
    ("ratio", "text"), [(3, "×3"), (1 / 3, "×1/3"), (1, "×1"), (2.5, "×2.5"), (0.4, "×1/2.5")]
)
def test_format_ratio(ratio: float, text: str) -> None:
    assert format_ratio(ratio) == text


def test_expected_posterior_with_one_ratio() -> None:
    # odds(0.07) = 7/93; × 1/3 = 7/279; p = 7/286
    assert expected_posterior(0.07, [1 / 3]) == pytest.approx(7 / 286)


def test_expected_posterior_with_two_ratios() -> None:
    # odds(0.2) = 1/4; × 3 × 2 = 3/2; p = 0.6
    assert expected_posterior(0.2, [3, 2]) == pytest.approx(0.6)


def test_expected_posterior_without_ratios_is_the_prior_and_certainty_stays() -> None:
    assert expected_posterior(0.3, []) == pytest.approx(0.3)
    assert expected_posterior(0.0, [100]) == 0.0
    assert expected_posterior(1.0, [0.01]) == 1.0


def test_share_of_expected_in_log_odds() -> None:
    # prior 20 %, LR 4: expected +ln 4; moved to 1/3 (odds 1/2 = 2 × 1/4): ln 2 / ln 4 = 0.5
    assert share_of_expected(0.2, 1 / 3, 4.0) == pytest.approx(0.5)
    assert np.isnan(share_of_expected(0.2, 0.5, 1.0))


def test_describe_expected() -> None:
    # logit(.04) − logit(.07) = ln(4/96) − ln(7/93) = −0.5915; ln(1/3) = −1.0986: 54 %
    assert (
        describe_expected(0.07, 1 / 3, 0.04)
        == "×1/3 implied 7% → 2.4%; you moved to 4%, 54% of the way in log-odds"
    )
    assert describe_expected(0.07, 1 / 3) == "×1/3 implied 7% → 2.4%"


def test_registration_pre_registered_post_hoc_and_pending() -> None:
    recorded = pd.Series(
        pd.to_datetime(
            ["2024-01-01", "2024-06-01", "2024-06-01T12:00", "2024-01-01"], utc=True, format="ISO8601"
        )
    )
    observed = pd.Series(
        pd.to_datetime(["2024-03-01", "2024-03-01", "2024-06-01", None], utc=True, format="ISO8601")
    )
    assert registration(recorded, observed).tolist() == [PRE_REGISTERED, POST_HOC, POST_HOC, PENDING]


def _updates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "forecast_id": [1, 2, 3, 4],
            "researcher": ["teal_heron", "teal_heron", "teal_heron", "orrery"],
            "question_id": [1, 1, 1, 1],
            "level": [None, None, None, None],
            "as_of": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-05-01", "2024-04-01"], utc=True),
            "from_probability": [np.nan, 0.2, 0.6, np.nan],
            "to_probability": [0.2, 0.5, 0.6, 0.1],
        }
    )


def test_expected_vs_actual_with_two_cited_ratios() -> None:
    citations = pd.DataFrame({"forecast_id": [2, 2, 2, 4], "evidence_id": [10, 11, 12, 10]})
    ratios = pd.DataFrame(
        {
            "researcher": ["teal_heron", "teal_heron", "orrery"],
            "question_id": [1, 1, 1],
            "level": [None, None, None],
            "evidence_id": [10, 11, 10],
            "ratio": [3.0, 2.0, 5.0],
            "registration": [PRE_REGISTERED, PRE_REGISTERED, PRE_REGISTERED],
        }
    )
    out = expected_vs_actual(_updates(), citations, ratios)
    assert len(out) == 1  # orrery's forecast 4 is a first forecast: no prior
    r = out.iloc[0]
    assert (r["forecast_id"], r["evidence_ids"], r["n_ratios"]) == (2, (10, 11), 2)
    assert r["ratio"] == pytest.approx(6.0)
    assert r["decibans"] == pytest.approx(10 * math.log10(6))
    assert r["expected_posterior"] == pytest.approx(0.6)  # odds 1/4 × 6 = 3/2
    assert r["actual"] == 0.5
    assert r["expected_change_log_odds"] == pytest.approx(math.log(6))
    assert r["actual_change_log_odds"] == pytest.approx(math.log(4))  # odds 1/4 -> 1
    assert r["share"] == pytest.approx(math.log(4) / math.log(6))
    assert r["registration"] == PRE_REGISTERED


def test_expected_vs_actual_leaves_post_hoc_ratios_out_by_default() -> None:
    citations = pd.DataFrame({"forecast_id": [2], "evidence_id": [10]})
    ratios = pd.DataFrame(
        {"researcher": ["teal_heron"], "question_id": [1], "level": [None], "evidence_id": [10],
         "ratio": [3.0], "registration": [POST_HOC]}
    )  # fmt: skip
    assert expected_vs_actual(_updates(), citations, ratios).empty
    included = expected_vs_actual(_updates(), citations, ratios, include_post_hoc=True)
    assert included["registration"].tolist() == [POST_HOC]
    assert included["expected_posterior"].iloc[0] == pytest.approx(3 / 7)  # odds 1/4 × 3 = 3/4


def test_expected_vs_actual_needs_the_same_target() -> None:
    citations = pd.DataFrame({"forecast_id": [2], "evidence_id": [10]})
    ratios = pd.DataFrame(
        {"researcher": ["teal_heron"], "question_id": [1], "level": ["3x"], "evidence_id": [10],
         "ratio": [3.0], "registration": [PRE_REGISTERED]}
    )  # fmt: skip
    assert expected_vs_actual(_updates(), citations, ratios).empty


def test_comparisons_of_empty_frames_are_empty() -> None:
    from models.analysis.likelihood import compare_updates, weighed_in_advance
    from models.frames import RATIOS, Frames, empty

    frames, ratios = Frames.empty(), empty(RATIOS)
    assert compare_updates(frames, ratios).empty
    assert weighed_in_advance(frames, ratios).empty
