"""Decompositions: implied estimates, consistency and attribution, against hand-computed values."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.analysis.decomposition import (
    Decomposition,
    DecompositionError,
    attribute,
    decompositions_of,
    evaluate,
    explain,
    explain_sentence,
    implied_trajectory,
    inconsistencies,
    is_consistent,
    pick_decomposition,
    shapley_parts,
)

A, B, B1, B2, B3 = 1, 2, 3, 4, 5
TITLES = {A: "A", B: "B", B1: "via neuralese", B2: "via chain of thought", B3: "not at all"}
BINARY = Decomposition(A, "A", "B", ((B, "B"),))
THREE = Decomposition(A, "A", "route", ((B1, TITLES[B1]), (B2, TITLES[B2]), (B3, TITLES[B3])), binary=False)


def rows(*specs: tuple) -> pd.DataFrame:
    """Forecasts from ``(question, given, outcome, probability, as_of[, reconstructed, recorded_at, researcher])``."""
    out = []
    for i, spec in enumerate(specs, start=1):
        q, g, o, p, as_of, *rest = spec
        recon = rest[0] if len(rest) > 0 else False
        recorded = rest[1] if len(rest) > 1 else "2026-06-01"
        who = rest[2] if len(rest) > 2 else "ada"
        out.append(
            {
                "forecast_id": i, "researcher": who, "question_id": q, "question": TITLES[q],
                "level": None, "given_question_id": g, "given_outcome": o, "probability": p,
                "as_of": pd.Timestamp(as_of, tz="UTC"), "recorded_at": pd.Timestamp(recorded, tz="UTC"),
                "reconstructed": recon,
            }
        )  # fmt: skip
    df = pd.DataFrame(out)
    df["given_question_id"] = df["given_question_id"].astype("Int64")
    df["given_outcome"] = df["given_outcome"].astype("object").where(df["given_outcome"].notna(), None)
    return df


QUESTIONS = pd.DataFrame({"question_id": list(TITLES), "question": list(TITLES.values())})
PARTITIONS = pd.DataFrame(
    {
        "partition": ["route"] * 3,
        "question_id": [B1, B2, B3],
        "question": [TITLES[B1], TITLES[B2], TITLES[B3]],
    }
)


def binary_forecasts() -> pd.DataFrame:
    return rows(
        (B, None, None, 0.40, "2024-06-01", True),
        (A, B, "yes", 0.20, "2024-06-01", True),
        (A, B, "no", 0.00, "2024-06-01"),
        (A, None, None, 0.08, "2024-06-01"),
        (B, None, None, 0.25, "2026-03-01"),
        (A, B, "yes", 0.16, "2026-03-01"),
        (A, None, None, 0.15, "2026-03-01"),
    )


def test_implied_of_binary_partition_is_weighted_sum_of_conditionals():
    f = rows(
        (B, None, None, 0.3, "2025-01-01"), (A, B, "yes", 0.2, "2025-01-01"), (A, B, "no", 0.05, "2025-01-01")
    )
    s = evaluate(f, BINARY, "ada", "2025-01-01")
    # 0.3 · 0.2 + 0.7 · 0.05 = 0.06 + 0.035
    assert s.implied == pytest.approx(0.095, abs=1e-15)
    assert s.problem is None
    assert [v.factor for v in s.factors] == ["P(B)", "P(A | B = yes)", "P(A | B = no)"]


def test_implied_of_three_way_partition():
    f = rows(
        (B1, None, None, 0.5, "2025-01-01"), (B2, None, None, 0.3, "2025-01-01"), (B3, None, None, 0.2, "2025-01-01"),
        (A, B1, "yes", 0.1, "2025-01-01"), (A, B2, "yes", 0.4, "2025-01-01"), (A, B3, "yes", 0.0, "2025-01-01"),
    )  # fmt: skip
    s = evaluate(f, THREE, "ada", "2025-01-01")
    assert s.implied == pytest.approx(0.5 * 0.1 + 0.3 * 0.4 + 0.2 * 0.0)
    assert s.implied == pytest.approx(0.17)


def test_missing_factor_makes_implied_unavailable_and_names_it():
    f = rows((B, None, None, 0.3, "2025-01-01"), (A, B, "yes", 0.2, "2025-01-01"))
    s = evaluate(f, BINARY, "ada", "2025-01-01")
    assert s.implied is None
    assert s.problem == (
        "ada has no estimate of P(A | B = no) on or before 2025-01-01, so the implied estimate is unavailable"
    )
    with pytest.raises(DecompositionError, match=r"P\(A \| B = no\)"):
        attribute(BINARY, s, s)


def test_estimate_dated_after_the_day_is_not_standing():
    f = rows(
        (B, None, None, 0.3, "2025-01-02"), (A, B, "yes", 0.2, "2025-01-01"), (A, B, "no", 0.1, "2025-01-01")
    )
    assert evaluate(f, BINARY, "ada", "2025-01-01").problem.startswith("ada has no estimate of P(B)")
    assert evaluate(f, BINARY, "ada", "2025-01-02").implied == pytest.approx(0.3 * 0.2 + 0.7 * 0.1)


def test_estimate_late_in_the_day_counts_for_that_day():
    f = rows(
        (B, None, None, 0.3, "2025-01-01 23:59:59"),
        (A, B, "yes", 0.2, "2025-01-01"),
        (A, B, "no", 0.1, "2025-01-01"),
    )
    assert evaluate(f, BINARY, "ada", date(2025, 1, 1)).implied == pytest.approx(0.13)


def test_later_recorded_wins_at_equal_as_of():
    f = rows(
        (B, None, None, 0.9, "2025-01-01", False, "2025-02-01"),
        (B, None, None, 0.3, "2025-01-01", False, "2025-03-01"),
        (B, None, None, 0.5, "2025-01-01", False, "2025-02-15"),
        (A, B, "yes", 0.2, "2025-01-01"), (A, B, "no", 0.1, "2025-01-01"),
    )  # fmt: skip
    assert evaluate(f, BINARY, "ada", "2025-01-01").factors[0].value == 0.3


def test_partition_not_adding_up_is_an_error_not_renormalised():
    f = rows(
        (B1, None, None, 0.5, "2025-06-01"), (B2, None, None, 0.4, "2025-06-01"), (B3, None, None, 0.2, "2025-06-01"),
        (A, B1, "yes", 0.1, "2025-06-01"), (A, B2, "yes", 0.4, "2025-06-01"), (A, B3, "yes", 0.0, "2025-06-01"),
    )  # fmt: skip
    s = evaluate(f, THREE, "ada", "2025-06-01")
    assert s.implied is None
    assert s.problem == (
        "P(via neuralese) + P(via chain of thought) + P(not at all) = 110% on 2025-06-01; "
        "a partition must add up to 100%"
    )
    traj = implied_trajectory(f, THREE, "ada")
    assert traj["implied"].isna().all()
    assert traj["problem"].iloc[-1] == s.problem


def test_partition_within_a_tenth_of_a_point_is_accepted_as_is():
    f = rows(
        (B1, None, None, 0.5, "2025-06-01"), (B2, None, None, 0.3, "2025-06-01"), (B3, None, None, 0.2009, "2025-06-01"),
        (A, B1, "yes", 0.1, "2025-06-01"), (A, B2, "yes", 0.4, "2025-06-01"), (A, B3, "yes", 1.0, "2025-06-01"),
    )  # fmt: skip
    # Not renormalised: 0.05 + 0.12 + 0.2009
    assert evaluate(f, THREE, "ada", "2025-06-01").implied == pytest.approx(0.3709)


@pytest.mark.parametrize(
    ("direct", "implied", "threshold", "consistent"),
    [
        (0.10, 0.05, 5.0, True),  # exactly 5 points: consistent
        (0.1001, 0.05, 5.0, False),  # 5.01 points
        (0.02, 0.08, 5.0, False),  # 6 points below
        (0.02, 0.08, 6.5, True),  # another threshold
        (None, 0.08, 5.0, None),
    ],
)
def test_consistency_flag_on_both_sides_of_threshold(direct, implied, threshold, consistent):
    assert is_consistent(direct, implied, threshold) is consistent


def test_snapshot_flags_direct_estimate_drifting_from_implied():
    s = evaluate(binary_forecasts(), BINARY, "ada", "2026-03-01")
    assert s.implied == pytest.approx(0.04)
    assert s.direct == 0.15
    assert s.consistent is False
    assert evaluate(binary_forecasts(), BINARY, "ada", "2026-03-01", threshold_points=12).consistent is True
    assert evaluate(binary_forecasts(), BINARY, "ada", "2024-06-01").consistent is True


def test_reconstructed_inputs_are_marked():
    s = evaluate(binary_forecasts(), BINARY, "ada", "2024-06-01")
    assert s.reconstructed_inputs == ["P(B)", "P(A | B = yes)"]
    assert [f["reconstructed"] for f in s.as_dict()["factors"]] == [True, True, False]
    later = evaluate(binary_forecasts(), BINARY, "ada", "2026-03-01")
    assert later.reconstructed_inputs == []
    traj = implied_trajectory(binary_forecasts(), BINARY, "ada")
    assert traj["reconstructed"].tolist() == [True, False]


def test_attribution_of_binary_change_by_hand():
    f = binary_forecasts()
    before, after = evaluate(f, BINARY, "ada", "2024-06-01"), evaluate(f, BINARY, "ada", "2026-03-01")
    att = attribute(BINARY, before, after)
    # p: (0.4, 0.6) → (0.25, 0.75); a: (0.2, 0) → (0.16, 0)
    # partition: −0.15 · 0.18 + 0.15 · 0 = −0.027; P(A | B = yes): −0.04 · 0.325 = −0.013
    assert [n for n, _ in att.parts] == ["P(B)", "P(A | B = yes)", "P(A | B = no)"]
    assert [c for _, c in att.parts] == pytest.approx([-0.027, -0.013, 0.0], abs=1e-15)
    assert att.change == pytest.approx(after.implied - before.implied, abs=1e-15)
    assert att.change == sum(p["change"] for p in att.parts_dicts())
    assert explain_sentence("A", att) == (
        "P(A) fell from 8.0% to 4.0% between 2024-06-01 and 2026-03-01: "
        "\u22122.7 points from P(B), \u22121.3 points from P(A | B = yes)"
    )


def test_attribution_of_three_way_partition_by_hand():
    p0, a0 = [0.5, 0.3, 0.2], [0.1, 0.4, 0.0]
    p1, a1 = [0.2, 0.3, 0.5], [0.1, 0.2, 0.0]
    partition, conditionals = shapley_parts(p0, a0, p1, a1)
    # Σ Δp·ā = −0.3 · 0.1 + 0 · 0.3 + 0.3 · 0 = −0.03; Δa·p̄ = (0, −0.2 · 0.3, 0)
    assert partition == pytest.approx(-0.03)
    assert conditionals.tolist() == pytest.approx([0.0, -0.06, 0.0])
    total = sum(p * a for p, a in zip(p1, a1, strict=True)) - sum(p * a for p, a in zip(p0, a0, strict=True))
    assert partition + conditionals.sum() == pytest.approx(total, abs=1e-15)


probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda k: st.tuples(*[st.lists(probabilities, min_size=k, max_size=k) for _ in range(4)])
    )
)
def test_shapley_parts_add_up_to_the_change(values):
    p0, a0, p1, a1 = values
    partition, conditionals = shapley_parts(p0, a0, p1, a1)
    total = math.fsum(p * a for p, a in zip(p1, a1, strict=True)) - math.fsum(
        p * a for p, a in zip(p0, a0, strict=True)
    )
    assert math.isclose(float(partition) + float(conditionals.sum()), total, abs_tol=1e-12)


@settings(deadline=None)
@given(st.lists(probabilities, min_size=6, max_size=6))
def test_attribution_change_is_sum_of_parts_and_the_implied_change(v):
    f = rows(
        (B, None, None, v[0], "2025-01-01"), (A, B, "yes", v[1], "2025-01-01"), (A, B, "no", v[2], "2025-01-01"),
        (B, None, None, v[3], "2025-02-01"), (A, B, "yes", v[4], "2025-02-01"), (A, B, "no", v[5], "2025-02-01"),
    )  # fmt: skip
    before, after = evaluate(f, BINARY, "ada", "2025-01-01"), evaluate(f, BINARY, "ada", "2025-02-01")
    att = attribute(BINARY, before, after)
    assert att.change == sum(c for _, c in att.parts)
    assert math.isclose(att.change, after.implied - before.implied, abs_tol=1e-12)


def test_implied_trajectory_steps_whenever_a_factor_changes():
    f = rows(
        (B, None, None, 0.5, "2024-01-01"), (A, B, "yes", 0.2, "2024-02-01"), (A, B, "no", 0.0, "2024-03-01"),
        (B, None, None, 0.25, "2024-04-01"),
    )  # fmt: skip
    traj = implied_trajectory(f, BINARY, "ada")
    assert traj["as_of"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
    ]
    assert traj["implied"].tolist()[2:] == pytest.approx([0.1, 0.05])
    assert traj["implied"].isna().tolist()[:2] == [True, True]
    assert traj["problem"].iloc[0].startswith("ada has no estimate of P(A | B = yes)")
    assert traj["segment_end"].iloc[0] == traj["as_of"].iloc[1]


def test_decompositions_found_over_binary_question_and_declared_partition():
    f = rows(
        (B, None, None, 0.3, "2025-01-01"), (A, B, "yes", 0.2, "2025-01-01"),
        (B1, None, None, 0.5, "2025-01-01"), (A, B1, "yes", 0.1, "2025-01-01"),
    )  # fmt: skip
    found = decompositions_of(f, QUESTIONS, PARTITIONS, "ada", A)
    assert [(d.name, d.binary) for d in found] == [("B", True), ("via neuralese", True), ("route", False)]
    assert pick_decomposition(found, "route", "A").binary is False
    with pytest.raises(DecompositionError, match="several decompositions; choose one with --given"):
        pick_decomposition(found, None, "A")
    assert decompositions_of(f, QUESTIONS, PARTITIONS, "bob", A) == []


def test_inconsistency_view_lists_only_the_drifting_researcher():
    ada = binary_forecasts()
    bob = binary_forecasts().assign(researcher="bob", forecast_id=lambda d: d["forecast_id"] + 100)
    bob.loc[bob["question_id"].eq(A) & bob["given_question_id"].isna(), "probability"] = 0.05
    both = pd.concat([ada, bob], ignore_index=True)
    view = inconsistencies(both, QUESTIONS, PARTITIONS, "2026-03-01")
    assert view["researcher"].tolist() == ["ada"]
    assert view["difference_points"].iloc[0] == pytest.approx(11.0)
    everyone = inconsistencies(both, QUESTIONS, PARTITIONS, "2026-03-01", only_inconsistent=False)
    assert sorted(everyone["researcher"]) == ["ada", "bob"]


def test_explain_defaults_to_first_available_and_latest_dates():
    f = binary_forecasts()
    e = explain(f, QUESTIONS, PARTITIONS, "A", "ada")
    out = e.as_dict()
    assert list(out) == ["question", "researcher", "given", "level", "from", "to", "change", "parts"]
    assert (out["from"]["date"], out["to"]["date"]) == ("2024-06-01", "2026-03-01")
    assert out["given"] == "B" and out["level"] is None
    assert list(out["from"]) == ["date", "implied", "direct", "consistent", "factors"]
    assert out["to"]["consistent"] is False
    assert out["change"] == sum(p["change"] for p in out["parts"])
    table = e.parts_table()
    assert table["factor"].tolist() == ["P(B)", "P(A | B = yes)", "P(A | B = no)"]
    assert table["reconstructed"].tolist() == ["2024-06-01", "2024-06-01", ""]


@pytest.mark.parametrize(
    ("question", "researcher", "given", "message"),
    [
        ("nope", "ada", None, "no question titled 'nope'"),
        ("A", "zed", None, "'zed' has no forecasts"),
        ("A", "ada", "C", "no decomposition of 'A' over 'C'; choose one with --given: 'B'"),
    ],
)
def test_explain_refuses_what_it_cannot_explain(question, researcher, given, message):
    with pytest.raises(DecompositionError) as err:
        explain(binary_forecasts(), QUESTIONS, PARTITIONS, question, researcher, given)
    assert str(err.value) == message


def test_explain_on_a_date_with_a_missing_factor_names_it():
    with pytest.raises(DecompositionError, match=r"^ada has no estimate of P\(B\) on or before 2024-01-01"):
        explain(binary_forecasts(), QUESTIONS, PARTITIONS, "A", "ada", start="2024-01-01", end="2026-03-01")
