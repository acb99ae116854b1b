"""The Calibration page in AppTest, against a real SQLite database holding the demo data."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import actions
from models.analysis.calibration import ALL_RESEARCHERS, target_breakdown
from models.analysis.scoring import SCORE_COLUMNS, Scope, score_report, select_scored, target_scores
from models.store import reads as queries
from tests.factories import forecasts_csv, resolved_targets

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "calibration.py")
BRIER_NOTE = "Brier here is one-sided: 0 is best, 1 is worst (Fatebook shows the two-sided 0–2 form)."


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _colour_domain(spec: dict[str, Any]) -> list[str]:
    """The researchers a chart draws: the domain of its colour scale."""
    layers = spec.get("layer", [spec])
    domains = [
        layer["encoding"]["color"]["scale"]["domain"] for layer in layers if "color" in layer["encoding"]
    ]
    assert domains
    return domains[0]  # type: ignore[no-any-return]


def _chart_rows(at: AppTest, index: int) -> list[pd.DataFrame]:
    """The data a chart was sent with (Streamlit ships it as Arrow datasets beside the spec)."""
    chart = at.get("vega_lite_chart")[index]
    return [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]


def _table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def _infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def _report_rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = {r["researcher"]: r for r in report["researchers"]}
    rows[ALL_RESEARCHERS] = report["overall"]
    return rows


def _assert_table_matches_report(table: pd.DataFrame, report: dict[str, Any]) -> None:
    expected = _report_rows(report)
    assert table["researcher"].tolist() == list(expected)
    for row in table.to_dict("records"):
        for column in SCORE_COLUMNS:
            assert row[column] == pytest.approx(expected[row["researcher"]][column]), (
                row["researcher"],
                column,
            )


def _resolved_yes(engine: sa.Engine) -> pd.Series:
    return queries.questions_frame(engine).query("outcome == 'yes'").iloc[0]


def test_page_shows_the_one_sided_brier_note(shared_demo_engine):
    at = _app()
    assert BRIER_NOTE in _infos(at)


def test_diagram_pools_everyone_when_no_researcher_is_chosen(shared_demo_engine):
    at = _app()
    assert _colour_domain(_specs(at)[0]) == [ALL_RESEARCHERS]


def test_chosen_researchers_are_overlaid_in_the_diagram(shared_demo_engine):
    at = _app()
    at.multiselect(key="cal_researchers").set_value(["teal_heron", "kestrel_q"])
    _run(at)
    reliability = _specs(at)[0]
    assert reliability["title"]["text"] == "Calibration"
    assert _colour_domain(reliability) == ["kestrel_q", "teal_heron"]


def test_diagram_points_are_the_report_calibration_buckets(shared_demo_engine):
    at = _app(researchers="teal_heron")
    report = score_report(queries.load_frames(shared_demo_engine))
    expected = _report_rows(report)["teal_heron"]["calibration"]
    points = next(frame for frame in _chart_rows(at, 0) if "lower" in frame.columns)
    assert points["bucket"].tolist() == [b["bucket"] for b in expected]
    assert points["n"].tolist() == [b["n"] for b in expected]
    assert points["observed"].tolist() == pytest.approx([b["observed"] for b in expected])
    assert ((points["lower"] <= points["observed"]) & (points["observed"] <= points["upper"])).all()


def test_score_table_equals_the_score_report(shared_demo_engine):
    at = _app()
    _assert_table_matches_report(_table(at), score_report(queries.load_frames(shared_demo_engine)))


def test_score_table_equals_the_score_report_for_the_same_filters(shared_demo_engine):
    at = _app()
    at.multiselect(key="cal_tags").set_value(["evals"])
    at.multiselect(key="cal_levels").set_value(["unconditional"])
    at.date_input(key="cal_from").set_value(date(2025, 1, 1))
    _run(at)
    scope = Scope(tags=("evals",), levels=(None,), resolved_since="2025-01-01T00:00:00Z")
    report = score_report(queries.load_frames(shared_demo_engine), scope=scope)
    assert (
        0
        < report["overall"]["n_targets"]
        < score_report(queries.load_frames(shared_demo_engine))["overall"]["n_targets"]
    )
    _assert_table_matches_report(_table(at), report)


def test_score_table_has_peers_coverage_and_murphy_terms(shared_demo_engine):
    table = _table(_app())
    assert {"relative_brier", "coverage", "reliability", "resolution", "uncertainty"} <= set(table.columns)
    mine = table.set_index("researcher").loc["teal_heron"]
    assert 0 < mine["coverage"] <= 100  # shown in points, as every percentage (79.2%)
    assert mine["uncertainty"] == pytest.approx(0.25, abs=0.05)


def test_including_reconstructed_estimates_counts_them(demo_engine):
    question = _resolved_yes(demo_engine)
    before = (question["resolved_at"] - pd.Timedelta(days=30)).date()
    row = f'teal_heron,"{question["question"]}",0.9,{before},,my view back then,,true'
    actions.import_file(demo_engine, forecasts_csv(row), "forecasts")

    at = _app()
    without = _table(at).set_index("researcher").loc["teal_heron", "n_forecasts"]
    at.toggle(key="cal_reconstructed").set_value(True)
    _run(at)
    with_ = _table(at).set_index("researcher").loc["teal_heron", "n_forecasts"]
    assert with_ == without + 1
    assert any("hindsight" in c.value for c in at.caption)
    expected = score_report(queries.load_frames(demo_engine), include_reconstructed=True)
    _assert_table_matches_report(_table(at), expected)


def test_breakdown_can_be_narrowed_to_one_researcher(shared_demo_engine):
    at = _app()
    everyone = at.dataframe[1].value
    assert set(everyone["researcher"]) > {"orrery"}
    at.selectbox(key="cal_breakdown").set_value("orrery")
    _run(at)
    mine = at.dataframe[1].value
    frames = queries.load_frames(shared_demo_engine)
    expected = target_breakdown(target_scores(select_scored(frames, Scope(researchers=("orrery",)))))
    assert mine["question"].tolist() == expected["question"].tolist()
    assert mine["brier"].tolist() == pytest.approx(expected["brier"].tolist())
    assert mine["brier"].is_monotonic_decreasing


def test_sharpness_counts_final_forecasts_or_every_update(shared_demo_engine):
    at = _app(chart="Sharpness")
    overall = score_report(queries.load_frames(shared_demo_engine))["overall"]
    sharpness_index = [s["title"]["text"] for s in _specs(at)].index("Sharpness")
    assert sum(frame["n"].sum() for frame in _chart_rows(at, sharpness_index)) == overall["n_targets"]
    at.radio(key="cal_sharpness").set_value("all updates")
    _run(at)
    assert sum(frame["n"].sum() for frame in _chart_rows(at, sharpness_index)) == overall["n_forecasts"]
    assert at.query_params["sharpness"] == "all updates"


def test_calibration_over_time_shows_the_last_12_months_and_all_time(shared_demo_engine):
    titles = [s["title"]["text"] for s in _specs(_app(chart="Over time"))]
    assert titles[-2:] == ["Calibration, last 12 months", "Calibration, all time"]


def test_only_the_open_chart_tab_is_drawn_and_the_url_keeps_it(shared_demo_engine):
    at = _app()
    assert [s["title"]["text"] for s in _specs(at)] == ["Calibration"]
    assert [t.label for t in at.tabs] == ["Reliability", "Sharpness", "Over time"]
    at.session_state["chart"] = "Sharpness"
    assert [s["title"]["text"] for s in _specs(_run(at))] == ["Sharpness"]


def test_filters_are_kept_in_the_url(shared_demo_engine):
    at = _app()
    at.multiselect(key="cal_researchers").set_value(["orrery", "nightjar"])
    at.multiselect(key="cal_tags").set_value(["evals", "governance"])
    at.multiselect(key="cal_levels").set_value(["unconditional"])
    at.date_input(key="cal_from").set_value(date(2024, 6, 1))
    at.date_input(key="cal_before").set_value(date(2026, 1, 4))
    at.toggle(key="cal_reconstructed").set_value(True)
    _run(at)
    assert at.query_params == {
        "researchers": "orrery,nightjar",
        "tags": "evals,governance",
        "levels": "unconditional",
        "from": "2024-06-01",
        "before": "2026-01-04",
        "reconstructed": "yes",
    }


def test_a_link_reproduces_the_view(shared_demo_engine):
    params = {
        "researchers": "orrery,nightjar",
        "tags": "evals",
        "from": "2024-06-01",
        "before": "2026-01-04",
        "breakdown": "nightjar",
    }
    at = _app(**params)
    assert at.multiselect(key="cal_researchers").value == ["orrery", "nightjar"]
    assert at.multiselect(key="cal_tags").value == ["evals"]
    assert at.date_input(key="cal_from").value == date(2024, 6, 1)
    assert at.date_input(key="cal_before").value == date(2026, 1, 4)
    assert at.selectbox(key="cal_breakdown").value == "nightjar"
    assert _colour_domain(_specs(at)[0]) == ["nightjar", "orrery"]
    scope = Scope(
        tags=("evals",), resolved_since="2024-06-01T00:00:00Z", resolved_until="2026-01-04T00:00:00Z"
    )
    _assert_table_matches_report(
        _table(at), score_report(queries.load_frames(shared_demo_engine), scope=scope)
    )


def test_unknown_values_in_the_link_are_ignored(shared_demo_engine):
    at = _app(researchers="nobody,orrery", tags="no-such-tag", **{"from": "not a date"})
    assert at.multiselect(key="cal_researchers").value == ["orrery"]
    assert at.multiselect(key="cal_tags").value == []
    assert at.date_input(key="cal_from").value is None


def test_dates_in_the_wrong_order_are_refused_next_to_the_input(shared_demo_engine):
    at = _app()
    at.date_input(key="cal_from").set_value(date(2025, 6, 1))
    at.date_input(key="cal_before").set_value(date(2025, 1, 1))
    _run(at)
    assert [e.value for e in at.error] == ["“Resolved before” must be later than “Resolved from”."]
    assert at.date_input(key="cal_from").value == date(2025, 6, 1)
    assert not at.get("vega_lite_chart")


def test_filters_that_exclude_everything_show_a_message(shared_demo_engine):
    at = _app()
    at.date_input(key="cal_from").set_value(date(2030, 1, 1))
    _run(at)
    assert any("No scored forecast matches these filters" in text for text in _infos(at))
    assert not at.get("vega_lite_chart") and not at.dataframe


def test_empty_database_shows_a_message(empty_engine):
    at = _app()
    assert any(text.startswith("Nothing to score yet") for text in _infos(at))
    assert not at.get("vega_lite_chart") and not at.dataframe


def test_a_long_breakdown_shows_the_targets_that_hurt_most_and_downloads_them_all(empty_engine):
    """A million-target table is not sent to the browser on every rerun: the page shows the
    worst BREAKDOWN_SHOWN and offers every target as CSV."""
    from models.writeup.tables import frame_csv

    n = 1005
    resolved_targets(empty_engine, n)

    at = _app()
    shown = at.dataframe[1].value
    every = target_breakdown(target_scores(select_scored(queries.load_frames(empty_engine), Scope())))
    assert len(every) == n and len(shown) == 1000
    assert shown["question"].tolist() == every["question"].head(1000).tolist()  # the worst, worst first
    assert any(c.value == f"The 1,000 targets that hurt most, of {n:,}." for c in at.caption)
    download = at.get("download_button")
    assert [d.proto.label for d in download] == [f"Download all {n:,} as CSV"]
    assert len(pd.read_csv(io.StringIO(frame_csv(every)))) == n
