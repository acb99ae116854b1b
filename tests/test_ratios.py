"""Likelihood ratios and evidence status in the database, the CSV formats, backups and the CLI,
on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from models import actions
from models.analysis.likelihood import PENDING, POST_HOC, PRE_REGISTERED, compare_updates, ratio_table
from models.analysis.update_quality import (
    RESEARCHER_COLUMNS,
    researchers_update_quality,
    update_quality_report,
)
from models.cli import app
from models.errors import InputError
from models.schemas import RatioIn
from models.store.backup import backup, restore
from models.store.db import create_engine, migrate, open_engine
from models.store.reads import evidence_frame, load_frames, ratios_frame
from tests.factories import empty_database

runner = CliRunner()

FORECASTS = b"""researcher,question,probability,as_of,capability,evidence
teal_heron,Schemers at 3x,0.07,2024-06-01,3x,
teal_heron,Schemers at 3x,0.04,2025-01-10,3x,Sandbagging caught [lowered]
teal_heron,Schemers at 3x,0.05,2025-03-01,3x,
orrery,Schemers at 3x,0.5,2024-06-01,,
orrery,Schemers at 3x,0.8,2024-09-01,,
"""
EVIDENCE = b"""title,date,status,observed
Sandbagging caught,2024-12-20,observed,2025-01-05
Neuralese at scale,,anticipated,
"""
RATIOS = b"""researcher,question,capability,evidence,ratio,as_of,rationale
teal_heron,Schemers at 3x,3x,Sandbagging caught,\xc3\xb73,2024-09-01,Wrote it down in advance
teal_heron,Schemers at 3x,3x,Neuralese at scale,\xc3\x972.5,2024-09-01,
"""


def stock(engine: sa.Engine) -> None:
    actions.import_file(engine, EVIDENCE, "evidence")
    actions.import_file(engine, FORECASTS, "forecasts")
    # recorded now, after the observation: keep the file's pre-registration by giving recorded_at
    ratios = RATIOS.replace(b"as_of,rationale\n", b"as_of,rationale,recorded_at\n")
    ratios = ratios.replace(b"in advance\n", b"in advance,2024-09-01T10:00:00Z\n").replace(
        b"2024-09-01,\n", b"2024-09-01,,2024-09-01T10:00:00Z\n"
    )
    actions.import_file(engine, ratios, "ratios")


def test_ratios_file_stores_ratios_and_creates_unknown_evidence_as_anticipated(engine):
    stock(engine)
    r = ratios_frame(engine)
    assert r["evidence"].tolist() == ["Neuralese at scale", "Sandbagging caught"]
    assert r["ratio"].tolist() == pytest.approx([2.5, 1 / 3])
    assert r["evidence_status"].tolist() == ["anticipated", "observed"]
    assert ratio_table(r)["registration"].tolist() == [PENDING, PRE_REGISTERED]
    actions.import_file(
        engine, b"researcher,question,evidence,ratio,as_of\nx,Q,Brand new,2,2024-01-01\n", "ratios"
    )
    ev = evidence_frame(engine).set_index("evidence")
    assert ev.loc["Brand new", "status"] == "anticipated"


def test_expected_vs_actual_over_stored_data(engine):
    stock(engine)
    out = compare_updates(load_frames(engine), ratios_frame(engine))
    assert len(out) == 1
    row = out.iloc[0]
    # prior 7 %, ÷3: odds 7/93 / 3 = 7/279, p = 7/286 = 2.4 %; moved to 4 %
    assert row["prior"] == pytest.approx(0.07)
    assert row["expected_posterior"] == pytest.approx(7 / 286)
    assert row["summary"] == "×1/3 implied 7% → 2.4%; you moved to 4%, 54% of the way in log-odds"


def test_recording_a_ratio_again_keeps_a_revision_and_makes_it_post_hoc(engine):
    stock(engine)
    data = RatioIn(researcher="teal_heron", question="Schemers at 3x", capability="3x",
                   evidence="Sandbagging caught", ratio=0.2, as_of="2025-01-06", rationale="revised")  # fmt: skip
    ratio_id = actions.record_ratio(engine, data, by="teal_heron")
    r = ratio_table(ratios_frame(engine)).set_index("ratio_id")
    assert r.loc[ratio_id, "ratio"] == 0.2
    assert r.loc[ratio_id, "registration"] == POST_HOC
    with engine.connect() as conn:
        rev = conn.execute(
            sa.text("SELECT data, changed_by FROM revision WHERE entity = 'likelihood_ratio'")
        ).one()
    assert json.loads(rev.data)["ratio"] == pytest.approx(1 / 3)
    assert rev.changed_by == "teal_heron"
    assert compare_updates(load_frames(engine), ratios_frame(engine)).empty  # post hoc is left out


def test_recording_the_same_ratio_again_changes_nothing(engine):
    stock(engine)
    before = backup(engine)
    summary = actions.import_file(engine, RATIOS.replace(b"rationale\n", b"rationale,recorded_at\n").replace(
        b"in advance\n", b"in advance,2024-09-01T10:00:00Z\n").replace(b"2024-09-01,\n", b"2024-09-01,,2024-09-01T10:00:00Z\n"),
        "ratios")  # fmt: skip
    assert summary.present["likelihood ratios"] == 2
    assert backup(engine) == before


def test_deleted_ratio_is_left_out(engine):
    stock(engine)
    ratio_id = int(ratios_frame(engine)["ratio_id"].iloc[0])
    actions.delete(engine, "likelihood_ratio", ratio_id)
    assert ratio_id not in ratios_frame(engine)["ratio_id"].tolist()
    actions.undo_delete(engine, "likelihood_ratio", ratio_id)
    assert ratio_id in ratios_frame(engine)["ratio_id"].tolist()


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("0", "line 2: ratio must be greater than 0"),
        ("-3", "line 2: ratio must be greater than 0"),
        ("nan", "line 2: ratio must be a number, not NaN"),
        ("inf", "line 2: ratio must be finite"),
        ("lots", "line 2: ratio 'lots' is not a likelihood ratio"),
    ],
)
def test_bad_ratio_in_a_file_is_refused_and_nothing_is_written(engine, cell, message):
    data = f"researcher,question,evidence,ratio,as_of\nteal_heron,Q,E,{cell},2024-01-01\n".encode()
    with pytest.raises(InputError) as err:
        actions.import_file(engine, data, "ratios")
    assert err.value.problems[0].startswith(message)
    assert ratios_frame(engine).empty and evidence_frame(engine).empty


def test_anticipated_evidence_with_an_observed_date_is_refused(engine):
    with pytest.raises(InputError, match="line 2: observed must be empty while the evidence is anticipated"):
        actions.import_file(engine, b"title,status,observed\nX,anticipated,2024-01-01\n", "evidence")


def test_evidence_file_marks_a_stored_item_observed(engine):
    stock(engine)
    summary = actions.import_file(
        engine, b"title,status,observed\nNeuralese at scale,observed,2025-02-01\n", "evidence"
    )
    assert summary.updated["evidence items"] == 1
    r = ratio_table(ratios_frame(engine)).set_index("evidence")
    assert r.loc["Neuralese at scale", "registration"] == PRE_REGISTERED


def test_evidence_file_without_status_leaves_an_anticipated_item_alone(engine):
    stock(engine)
    summary = actions.import_file(
        engine, b"title,url\nNeuralese at scale,https://example.org/n\n", "evidence"
    )
    assert summary.updated["evidence items"] == 1  # its URL is new: an update, keeping a revision
    assert evidence_frame(engine).set_index("evidence").loc["Neuralese at scale", "status"] == "anticipated"


def _export(engine: sa.Engine) -> tuple[str, str]:
    evidence, ratios = io.StringIO(), io.StringIO()
    actions.export_evidence(engine, evidence)
    actions.export_ratios(engine, ratios)
    return evidence.getvalue(), ratios.getvalue()


def test_evidence_and_ratio_files_round_trip(engine, tmp_path):
    actions.load_demo(engine)
    evidence, ratios = _export(engine)
    assert "status,observed" in evidence.splitlines()[0] and ",anticipated," in evidence
    assert len(ratios.splitlines()) == 10
    other = open_engine(empty_database(tmp_path, "other.db"))
    actions.import_file(other, evidence.encode(), "evidence")
    actions.import_file(other, ratios.encode(), "ratios")
    assert _export(other) == (evidence, ratios)


def test_backup_keeps_ratios_their_revisions_and_evidence_status(engine, tmp_path):
    stock(engine)
    actions.record_ratio(engine, RatioIn(researcher="teal_heron", question="Schemers at 3x", capability="3x",
                                         evidence="Neuralese at scale", ratio=2, as_of="2024-10-01"))  # fmt: skip
    text = backup(engine)
    doc = json.loads(text)
    assert len(doc["tables"]["likelihood_ratio"]) == 2
    assert {e["status"] for e in doc["tables"]["evidence"]} == {"observed", "anticipated"}
    other = open_engine(empty_database(tmp_path, "restored.db"))
    restore(other, text)
    assert backup(other) == text
    assert ratios_frame(other)["ratio"].tolist() == ratios_frame(engine)["ratio"].tolist()


def test_migration_makes_existing_evidence_observed_on_its_published_date(blank_db_url):
    eng = create_engine(blank_db_url)
    migrate(eng, "0003")
    with eng.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO evidence (id, title, kind, summary, published) VALUES (1, 'Paper', 'paper', '', '2024-03-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text("INSERT INTO evidence (id, title, kind, summary) VALUES (2, 'Undated', 'other', '')")
        )
    eng.dispose()
    upgraded = open_engine(blank_db_url)
    ev = evidence_frame(upgraded).set_index("evidence")
    assert ev["status"].tolist() == ["observed", "observed"]
    assert str(ev.loc["Paper", "observed_at"].date()) == "2024-03-01"
    assert ev["observed_at"].isna().tolist() == [False, True]
    upgraded.dispose()


# --- credence updates --------------------------------------------------------------------------------


def _updates(url: str, *args: str) -> dict[str, list[dict[str, object]]]:
    result = runner.invoke(app, ["--db", url, "updates", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_updates_json_on_an_empty_database(db_url):
    assert _updates(db_url) == {"researchers": []}


def test_updates_json_has_the_contract_keys_and_hand_computed_values(db_url):
    stock(open_engine(db_url))
    report = _updates(db_url)
    assert [r["researcher"] for r in report["researchers"]] == ["orrery", "teal_heron"]
    orrery, teal = report["researchers"]
    assert list(orrery) == RESEARCHER_COLUMNS
    # orrery: 0.5 -> 0.8: m .09, r .25 - .16 = .09, x 0; one target: se null
    assert orrery["n_targets"] == 1 and orrery["excess_se"] is None
    assert orrery["movement"] == pytest.approx(0.09)
    assert orrery["normalized_excess"] == pytest.approx(0.0, abs=1e-12)
    # teal_heron: .07 -> .04 -> .05: m .0009 + .0001 = .001; r .0651 - .0475 = .0176
    assert teal["movement"] == pytest.approx(0.001)
    assert teal["uncertainty_reduction"] == pytest.approx(0.0176)
    assert teal["excess_movement"] == pytest.approx(0.001 - 0.0176)
    assert teal["updates_per_target"] == 2.0
    assert teal["mean_abs_change"] == pytest.approx(0.02)


def test_updates_json_equals_the_domain_figures_on_the_demo(db_url):
    eng = open_engine(db_url)
    actions.load_demo(eng)
    expected = update_quality_report(researchers_update_quality(load_frames(eng)))
    assert _updates(db_url) == json.loads(json.dumps(expected))
    assert len(expected["researchers"]) == 6


def test_updates_filters_by_researcher_and_tag(db_url):
    actions.load_demo(open_engine(db_url))
    assert [r["researcher"] for r in _updates(db_url, "--researcher", "orrery", "--researcher", "nightjar")["researchers"]] == [
        "nightjar", "orrery"]  # fmt: skip
    everyone = {r["researcher"]: r["n_targets"] for r in _updates(db_url)["researchers"]}
    tagged = {r["researcher"]: r["n_targets"] for r in _updates(db_url, "--tag", "scheming")["researchers"]}
    assert tagged and all(tagged[h] < everyone[h] for h in tagged)
    assert _updates(db_url, "--tag", "no-such-tag") == {"researchers": []}


def test_updates_without_json_prints_a_table_with_readings(db_url):
    stock(open_engine(db_url))
    result = runner.invoke(app, ["--db", db_url, "updates"])
    assert result.exit_code == 0, result.output
    assert (
        "orrery moves about as much as their uncertainty shrinks, as a Bayesian would (one target"
        in result.stdout
    )
    assert "teal_heron their uncertainty did not shrink" not in result.stdout


def test_import_ratios_cli_refuses_a_bad_file_without_a_traceback(db_url, tmp_path):
    bad = tmp_path / "ratios.csv"
    bad.write_text(
        "researcher,question,evidence,ratio,as_of\nteal_heron,Q,E,0,2024-01-01\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["--db", db_url, "import", "ratios", str(bad)])
    assert result.exit_code == 1
    assert "Error:" in result.output and "line 2: ratio must be greater than 0" in result.output
    assert "Traceback" not in result.output


def test_export_ratios_cli_writes_the_file(db_url, tmp_path):
    actions.load_demo(open_engine(db_url))
    out = tmp_path / "ratios.csv"
    result = runner.invoke(app, ["--db", db_url, "export", "ratios", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote 9 likelihood ratios to {out}"
