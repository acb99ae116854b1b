"""The Why it moved and Partitions pages in AppTest, on a real SQLite database holding the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store.db import open_engine
from models.store.reads import load_frames

ROOT = Path(__file__).resolve().parent.parent
WHY = str(ROOT / "pages" / "why_it_moved.py")
PARTITIONS = str(ROOT / "pages" / "partitions.py")
SCHEMING = "Scheming arises before full automation of AI R&D"
NEURALESE = "Neuralese (opaque latent reasoning) is used before full automation of AI R&D"


@pytest.fixture(autouse=True)
def _database(shared_demo_engine: sa.Engine) -> None:
    """Every test here reads the demo data (the shared database: see conftest)."""


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _why(**params: str) -> AppTest:
    at = AppTest.from_file(WHY, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return _run(at)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]


def test_why_it_moved_explains_teal_herons_fall_in_scheming() -> None:
    at = _why(researcher="teal_heron")
    assert at.selectbox(key="question").value == SCHEMING
    assert at.selectbox(key="given").value == NEURALESE
    sentence = at.text[0].value
    assert sentence.startswith(
        f"P({SCHEMING}) fell from 33.8% to 27.6% between 2024-06-01 and 2026-01-15: \u22129.4 points from P({NEURALESE})"
    )
    factors = at.dataframe[0].value
    assert factors["factor"].tolist()[0] == f"P({NEURALESE})"
    assert factors["reconstructed"].tolist()[1] == "2024-06-01"  # P(A | B = yes) was reconstructed
    assert len(_charts(at)) == 2  # implied vs direct, and the waterfall


def test_dates_and_threshold_change_the_verdict() -> None:
    at = _why(researcher="nightjar")
    at.date_input(key="to").set_value("2025-10-01")
    _run(at)
    table = at.dataframe[1].value
    assert table["consistent"].tolist() == [True, False]
    at.number_input(key="threshold").set_value(25.0)
    _run(at)
    assert at.dataframe[1].value["consistent"].tolist() == [True, True]


def test_a_date_before_the_factors_says_which_is_missing() -> None:
    at = _why(researcher="teal_heron")
    at.date_input(key="from").set_value("2024-01-01")
    _run(at)
    assert at.error[0].value.startswith(
        f"teal_heron has no estimate of P({SCHEMING} | {NEURALESE} = yes) on or before 2024-01-01"
    )


def test_inconsistencies_tab_lists_the_drifting_researcher() -> None:
    at = _why()
    at.date_input(key="as_of").set_value("2026-06-01")
    _run(at)
    view = at.dataframe[-1].value
    assert view["researcher"].tolist() == ["nightjar"]
    assert view["question"].tolist() == [SCHEMING]


def test_partitions_page_declares_and_lists_a_partition(demo_engine: sa.Engine) -> None:
    at = AppTest.from_file(PARTITIONS, default_timeout=60)
    _run(at)
    at.text_input(key="partition_name").set_value("Neuralese or not")
    at.selectbox(key="partition_researcher").set_value("orrery")
    at.multiselect(key="partition_members").set_value([NEURALESE, SCHEMING])
    at.button(key="declare").click()
    _run(at)
    assert at.success[0].value == "Partition \u201cNeuralese or not\u201d: created: 1 partition."
    parts = load_frames(demo_engine).partitions
    assert parts["question"].tolist() == [NEURALESE, SCHEMING]
    assert at.dataframe[0].value["partition"].tolist() == ["Neuralese or not"]


def test_partitions_page_refuses_one_member_and_keeps_the_form() -> None:
    at = AppTest.from_file(PARTITIONS, default_timeout=60)
    _run(at)
    at.text_input(key="partition_name").set_value("Lonely")
    at.selectbox(key="partition_researcher").set_value("orrery")
    at.multiselect(key="partition_members").set_value([SCHEMING])
    at.button(key="declare").click()
    _run(at)
    assert [e.value for e in at.error] == ["members must name at least two questions"]
    assert at.text_input(key="partition_name").value == "Lonely"


def test_trajectories_page_draws_the_implied_line_per_researcher() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "trajectories.py"), default_timeout=60)
    at.query_params["question"] = SCHEMING
    _run(at)
    implied = [c for c in _charts(at) if "implied by decompositions" in json.dumps(c.get("title", ""))]
    assert len(implied) == 1
    assert at.subheader[0].value == "Implied by decompositions"


def test_implied_lines_are_one_per_researcher_and_decomposition(shared_demo_url: str) -> None:
    from models.analysis.decomposition import implied_lines, linked_forecasts
    from models.format import utc

    frames = load_frames(open_engine(shared_demo_url))
    qid = int(frames.questions.loc[frames.questions["question"] == SCHEMING, "question_id"].iloc[0])
    people = sorted(set(frames.forecasts["researcher"]))
    lines = implied_lines(
        linked_forecasts(frames), frames.questions, frames.partitions, qid, people, utc(None)
    )
    assert set(lines.loc[lines["kind"] == "implied", "series"]) == {
        f"{r} · implied over {NEURALESE}" for r in ("nightjar", "orrery", "teal_heron")
    }
    assert set(lines.loc[lines["kind"] == "direct", "series"]) == {"nightjar", "orrery", "teal_heron"}
    assert lines["segment_end"].notna().all()


def test_markdown_report_explains_each_decomposition(shared_demo_url: str) -> None:
    from models.writeup.filters import ReportFilter
    from models.writeup.report import render_markdown

    text = render_markdown(load_frames(open_engine(shared_demo_url)), ReportFilter(questions=(SCHEMING,)))
    assert "**Linked beliefs**" in text
    assert f"**teal_heron: {SCHEMING} over {NEURALESE}**" in text
    assert "fell from 33.8% to 27.6% between 2024-06-01 and 2026-01-15" in text
    assert "| factor | 2024-06-01 | 2026-01-15 | part (points) | reconstructed on |" in text
    assert "inconsistent: more than 5 points" in text  # nightjar's drift
