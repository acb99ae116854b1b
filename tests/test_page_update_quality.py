"""The Update quality page in AppTest, on a real SQLite database holding the demo data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.analysis.update_quality import researchers_update_quality
from models.store.db import open_engine
from models.store.reads import load_frames, ratios_frame
from tests.factories import chart_spec, demo_database

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "update_quality.py")


@pytest.fixture
def demo_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = demo_database(tmp_path)
    monkeypatch.setenv("CREDENCE_DATABASE_URL", url)
    return url


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest, key: str):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if d.proto.id and key in d.proto.id)


def test_page_shows_each_researcher_with_interval_and_reading(shared_demo_engine):
    at = _app()
    table = at.dataframe[0].value
    expected = researchers_update_quality(load_frames(shared_demo_engine))
    assert table["researcher"].tolist() == expected["researcher"].tolist()
    assert table["excess_movement"].tolist() == pytest.approx(expected["excess_movement"].tolist())
    assert (table["excess_low"] < table["excess_movement"]).all()
    assert (table["excess_high"] > table["excess_movement"]).all()
    assert table["reading"].str.startswith(("moves", "barely", "their")).all()
    layers = chart_spec(at)["layer"]
    assert len(layers) == 3  # the zero rule, the intervals, the means


def test_page_explains_the_figures_and_when_they_mislead(shared_demo_engine):
    at = _app()
    text = " ".join(m.value for m in at.markdown)
    assert "whether or not the question ever resolves" in text
    assert "few targets" in text and "far from 50%" in text


def test_page_shows_expected_vs_actual_and_evidence_weighed_in_advance(shared_demo_engine):
    at = _app()
    compared = at.dataframe[1].value
    assert len(compared) == 3
    assert set(compared["registration"]) == {"pre-registered"}
    subheaders = [s.value for s in at.subheader]
    assert subheaders == ["nightjar", "orrery", "teal_heron"]
    teal = at.dataframe[4].value
    assert "not observed yet" in teal["outcome"].tolist()
    assert any("of the way in log-odds" in o for o in teal["outcome"])


def test_post_hoc_toggle_adds_the_post_hoc_comparison(shared_demo_engine):
    at = _app()
    at.toggle(key="include_post_hoc").set_value(True).run()
    assert not at.exception
    assert "post hoc" in set(at.dataframe[1].value["registration"])


def test_tag_filter_narrows_the_targets(shared_demo_engine):
    at = _app()
    before = at.dataframe[0].value.set_index("researcher")["n_targets"]
    at.multiselect(key="uq_tags").set_value(["neuralese"]).run()
    assert not at.exception
    after = at.dataframe[0].value.set_index("researcher")["n_targets"]
    assert (after <= before.reindex(after.index)).all() and after.sum() < before.sum()


def _fill_ratio_form(at: AppTest, ratio: str) -> AppTest:
    at.selectbox(key="lr_researcher").set_value("orrery")
    at.selectbox(key="lr_question").set_value("Frontier AIs are schemers (at the stated capability level)")
    at.selectbox(key="lr_evidence").set_value("A frontier model is caught sandbagging in a held-out eval")
    at.text_input(key="lr_ratio").set_value(ratio)
    at.button(key="record_ratio").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_recording_a_ratio_from_the_form(demo_url):
    at = _fill_ratio_form(_app(), "×5")
    assert any("Recorded orrery's ratio ×5" in s.value for s in at.success)
    stored = ratios_frame(open_engine(demo_url))
    row = stored[(stored["researcher"] == "orrery") & (stored["level"].isna())]
    assert row["ratio"].tolist() == [5.0]


def test_a_bad_ratio_is_refused_next_to_its_field_and_the_typed_value_kept(shared_demo_engine):
    at = _fill_ratio_form(_app(), "-2")
    assert [e.value for e in at.error] == [
        "ratio must be greater than 0: it is P(evidence | yes) / P(evidence | no)"
    ]
    assert at.text_input(key="lr_ratio").value == "-2"
    assert len(ratios_frame(shared_demo_engine)) == 9


LOG_PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "log_forecast.py")
NEURALESE = "Neuralese (opaque latent reasoning) is used before full automation of AI R&D"


def test_log_form_shows_the_expected_posterior_of_a_pre_registered_ratio_before_saving(shared_demo_engine):
    at = AppTest.from_file(LOG_PAGE, default_timeout=60)
    at.run()
    at.selectbox(key="researcher").set_value("teal_heron").run()
    at.selectbox(key="question").set_value(NEURALESE).run()
    at.date_input(key="as_of").set_value(date(2025, 2, 20)).run()
    at.number_input(key="probability").set_value(73.0).run()
    assert not [i.value for i in at.info if "Pre-registered" in i.value]  # no evidence chosen yet
    at.multiselect(key="evidence:0").set_value(["Neuralese scaling result"]).run()
    assert not at.exception, [e.value for e in at.exception]
    hints = [i.value for i in at.info if "Pre-registered" in i.value]
    # teal_heron's standing estimate on 2025-02-20 is 64 %; ×3: odds 16/9 · 3 = 16/3, p = 84 %
    assert hints == [
        "Pre-registered ×3 for “Neuralese scaling result”: ×3 implied 64% → 84%; you moved to 73%, 38% of the way in log-odds"
    ]


def test_deleting_a_ratio_can_be_undone(demo_url):
    at = _app()
    engine = open_engine(demo_url)
    ratio_id = int(ratios_frame(engine)["ratio_id"].iloc[0])
    at.selectbox(key="ratio_pick").set_value(ratio_id).run()
    at.button(key="delete_ratio").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert ratio_id not in ratios_frame(engine)["ratio_id"].tolist()
    assert any(s.value.startswith("Deleted ") for s in at.success)
    at.button(key="undo_likelihood_ratio").click().run()
    assert not at.exception
    assert ratio_id in ratios_frame(engine)["ratio_id"].tolist()
