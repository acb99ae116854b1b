"""The question page shows the hindsight gap: a reconstruction beside the record that stood."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.factories import cli

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "questions.py")
QUESTION = "Scheming arises before full automation of AI R&D"  # teal_heron: 30 % as of 2023-08-08


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["question"] = QUESTION
    at.run()
    assert not at.exception
    return at


def test_question_page_shows_a_reconstruction_beside_the_record_that_stood(demo_engine: sa.Engine) -> None:
    url = demo_engine.url.render_as_string(hide_password=False)
    added = cli(url, "add", "teal_heron", QUESTION, "5%", "--as-of", "2024-01-01", "--reconstructed")
    assert added.exit_code == 0, added.output
    at = _app()
    assert "Hindsight" in [h.value for h in at.subheader]
    assert "teal_heron: reconstructed 5% for 2024-01-01; on record then: 30% (\u221225 points)" in [
        t.value for t in at.text
    ]


def test_question_page_without_reconstructions_has_no_hindsight_section(
    shared_demo_engine: sa.Engine,
) -> None:
    assert "Hindsight" not in [h.value for h in _app().subheader]
