"""Markdown reports on the demo data, checked by parsing their tables (no snapshots)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.analysis.scoring import score_report
from models.cli import app
from models.errors import InputError
from models.frames import Frames
from models.store import reads as queries
from models.store.db import open_engine
from models.writeup.filters import history, make_filter
from models.writeup.markdown import md_link, md_text
from models.writeup.report import render_markdown, write_report
from models.writeup.tables import RECONSTRUCTED_MARK, history_csv
from tests.factories import demo_database

SCHEMERS = "Frontier AIs are schemers (at the stated capability level)"
RSP = "A frontier lab publishes a responsible scaling policy by end of 2023"
OPEN_WEIGHTS = "An open-weights model is within three months of the frontier by end of 2025"
AUTOMATION = "Full automation of AI R&D is reached before 2030"
#: An HTML tag a Markdown renderer would pass through: a ``<`` that is not backslash-escaped.
HTML_TAG = re.compile(r"(?<!\\)<\s*/?\s*[A-Za-z][^>]*>")

runner = CliRunner()


# --- a small Markdown table reader ----------------------------------------------------------------


def split_row(line: str) -> list[str]:
    """Cells of a GFM table line: split on unescaped pipes, then undo backslash escapes."""
    cells, cell, i = [], "", 0
    body = line.strip()
    assert body.startswith("|") and body.endswith("|"), line
    body = body[1:]
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            cell += body[i + 1]
            i += 2
            continue
        if ch == "|":
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
        i += 1
    return cells


def tables(markdown: str) -> list[list[dict[str, str]]]:
    """Every table in ``markdown`` as a list of ``{header: cell}`` rows."""
    out: list[list[dict[str, str]]] = []
    block: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            header = split_row(block[0])
            assert set(block[1].replace("|", "")) == {"-"}, block[1]
            rows = [split_row(b) for b in block[2:]]
            assert all(len(r) == len(header) for r in rows), block
            out.append([dict(zip(header, r, strict=True)) for r in rows])
            block = []
    return out


def sections(markdown: str) -> dict[str, str]:
    """``{question title: its section's text}`` (split on ``## `` headings)."""
    parts = re.split(r"^## ", markdown, flags=re.M)[1:]
    return {p.split("\n", 1)[0]: p for p in parts}


def history_rows(section: str) -> list[dict[str, str]]:
    return [t for t in tables(section) if "From → to" in t[0]][0] if "**Update history**\n" in section else []


def estimate_rows(section: str) -> list[dict[str, str]]:
    found = [t for t in tables(section) if t and "Estimate" in t[0]]
    return found[0] if found else []


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def frames(demo_url: str) -> Iterator[Frames]:
    eng = open_engine(demo_url)
    yield queries.load_frames(eng)
    eng.dispose()


@pytest.fixture(scope="module")
def full_report(frames: Frames) -> str:
    return render_markdown(frames, make_filter(), calibration=True)


# --- the parser itself ----------------------------------------------------------------------------


def test_parser_splits_on_unescaped_pipes_only() -> None:
    assert split_row(r"| a \| b | c \\| d |") == ["a | b", "c \\", "d"]


def test_html_check_sees_tags_but_not_escaped_brackets() -> None:
    assert HTML_TAG.search("a <b>tag</b>")
    assert not HTML_TAG.search(r"a \<b\> escaped")


# --- content --------------------------------------------------------------------------------------


def test_known_update_shows_from_to_changes_and_linked_evidence(full_report: str) -> None:
    rows = history_rows(sections(full_report)[SCHEMERS])
    (row,) = [r for r in rows if r["Date"] == "2024-01-27" and r["Researcher"] == "nightjar"]
    assert row["Level"] == "3x AI R&D labor"
    assert row["From → to"] == "10% → 15%"
    assert row["Change (points)"] == "+5.0"
    assert row["Change (log-odds)"] == "+0.46"  # logit(0.15) − logit(0.10) = 0.462
    assert row["Rationale"].startswith("Backdoors surviving safety training")
    assert row["Evidence"] == (
        "[Sleeper agent backdoor persistence study](https://example.org/papers/backdoor-persistence) (raised)"
    )


def test_first_estimate_of_a_target_has_no_from_and_no_change(full_report: str) -> None:
    rows = history_rows(sections(full_report)[SCHEMERS])
    (first,) = [r for r in rows if r["Date"] == "2023-02-23" and r["Researcher"] == "nightjar"]
    assert first["From → to"] == "— → 25%"
    assert first["Change (points)"] == first["Change (log-odds)"] == "—"


def test_every_reconstructed_estimate_is_marked_and_explained(full_report: str, frames: Frames) -> None:
    marked = []
    for title, section in sections(full_report).items():
        rows = history_rows(section)
        mine = [r for r in rows if r["Date"].endswith(RECONSTRUCTED_MARK)]
        if mine:
            assert "(reconstructed): an estimate written down after the fact" in section
        marked += [(title, r["Researcher"], r["Date"].split()[0]) for r in mine]
    f = frames.forecasts[frames.forecasts["reconstructed"]]
    expected = {
        (q, r, d.strftime("%Y-%m-%d"))
        for q, r, d in zip(f["question"], f["researcher"], f["as_of"], strict=True)
    }
    assert len(expected) == 8
    assert set(marked) == expected


def test_reconstructed_row_keeps_its_values(full_report: str) -> None:
    rows = history_rows(sections(full_report)[AUTOMATION])
    (row,) = [r for r in rows if r["Date"] == f"2023-04-01 {RECONSTRUCTED_MARK}"]
    assert row["Researcher"] == "ridgeline"
    assert row["From → to"] == "— → 10%"


def test_unconditional_question_has_no_level_column(full_report: str) -> None:
    section = sections(full_report)[RSP]
    assert "Level" not in history_rows(section)[0]
    assert "Level" not in estimate_rows(section)[0]


def test_resolved_question_shows_its_resolution(full_report: str) -> None:
    section = sections(full_report)[RSP]
    assert (
        "**Resolution:** resolved **YES** on 2023-09-19. Policy published with capability thresholds"
        in section
    )
    assert "**Resolution:** annulled on 2026-01-12." in sections(full_report)[OPEN_WEIGHTS]
    assert "**Resolution:**" not in sections(full_report)[SCHEMERS]


def test_criteria_and_current_estimates_are_shown(full_report: str, frames: Frames) -> None:
    section = sections(full_report)[SCHEMERS]
    assert "**Criteria.** Yes if the best AIs at the stated capability level" in section
    estimates = {(r["Researcher"], r["Level"]): r for r in estimate_rows(section)}
    last = frames.forecasts[
        (frames.forecasts["question"] == SCHEMERS)
        & (frames.forecasts["researcher"] == "nightjar")
        & (frames.forecasts["level"] == "full automation of AI R&D")
    ].iloc[-1]
    row = estimates[("nightjar", "full automation of AI R&D")]
    assert row["Estimate"] == f"{last['probability']:.0%}"
    assert row["Dated"] == last["as_of"].strftime("%Y-%m-%d")


def test_header_says_what_is_covered_and_when(full_report: str) -> None:
    header = full_report.splitlines()[2]
    assert re.fullmatch(
        r"_Covers 40 questions \(questions: all; researchers: all; dates: all\)\. "
        r"Made \d{4}-\d\d-\d\d \d\d:\d\d UTC with Credence\._",
        header,
    )


def test_report_has_no_html(full_report: str) -> None:
    assert not HTML_TAG.search(full_report)


def test_user_text_cannot_break_a_table_or_inject_html(frames: Frames) -> None:
    f = frames.forecasts.copy()
    target = f.index[(f["question"] == RSP) & (f["researcher"] == "orrery")][0]
    f.loc[target, "rationale"] = "<b>bold</b> a|b \\| c\nsecond line [x](y)"
    text = render_markdown(replace(frames, forecasts=f), make_filter(questions=[RSP]))
    assert not HTML_TAG.search(text)
    rows = history_rows(sections(text)[RSP])  # every row has as many cells as the header
    assert "<b>bold</b> a|b \\| c second line [x](y)" in [r["Rationale"] for r in rows]


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a|b", r"a\|b"),
        ("back\\slash", "back\\\\slash"),
        ("<i>", r"\<i\>"),
        ("line\nbreak\r\nthree", "line break three"),
        ("[not a link]", r"\[not a link\]"),
        (None, ""),
    ],
)
def test_md_text_escapes(raw: str | None, escaped: str) -> None:
    assert md_text(raw) == escaped


def test_md_link_percent_encodes_what_would_end_the_link() -> None:
    assert md_link("A | B", "https://x.org/a b)c|d") == r"[A \| B](https://x.org/a%20b%29c%7Cd)"
    assert md_link("Title", None) == "Title"


# --- filters --------------------------------------------------------------------------------------


def test_researcher_filter_keeps_only_their_rows(frames: Frames) -> None:
    text = render_markdown(frames, make_filter(researchers=["orrery"]))
    found = sections(text)
    assert found
    for section in found.values():
        assert {r["Researcher"] for r in history_rows(section) + estimate_rows(section)} <= {"orrery"}
    n_questions = frames.forecasts.loc[frames.forecasts["researcher"] == "orrery", "question_id"].nunique()
    assert len(found) == n_questions


def test_date_range_keeps_rows_inside_it_and_from_looks_back(frames: Frames) -> None:
    filt = make_filter(questions=[SCHEMERS], since="2024-01-01", until="2024-12-31")
    rows = history_rows(sections(render_markdown(frames, filt))[SCHEMERS])
    dates = [r["Date"].split()[0] for r in rows]
    assert dates and all("2024-01-01" <= d <= "2024-12-31" for d in dates)
    (row,) = [r for r in rows if r["Date"] == "2024-01-27" and r["Researcher"] == "nightjar"]
    assert row["From → to"] == "10% → 15%"  # the previous estimate is from 2023


def test_until_day_is_included(frames: Frames) -> None:
    filt = make_filter(questions=[SCHEMERS], until="2024-01-27")
    rows = history_rows(sections(render_markdown(frames, filt))[SCHEMERS])
    assert rows[-1]["Date"] == "2024-01-27"


def test_until_gives_the_estimates_standing_then(frames: Frames) -> None:
    text = render_markdown(
        frames, make_filter(questions=[SCHEMERS], researchers=["nightjar"], until="2024-06-30")
    )
    section = sections(text)[SCHEMERS]
    assert "**Estimates standing on 2024-06-30**" in section
    estimates = {r["Level"]: r for r in estimate_rows(section)}
    assert estimates["3x AI R&D labor"]["Estimate"] == "15%"
    assert estimates["full automation of AI R&D"]["Dated"] == f"2023-09-01 {RECONSTRUCTED_MARK}"


def test_tags_and_titles_select_their_union(frames: Frames) -> None:
    text = render_markdown(frames, make_filter(questions=[SCHEMERS], tags=["lab-policy"]))
    q = frames.questions
    tagged = set(q.loc[q["tags"].map(lambda t: "lab-policy" in t), "question"])
    assert set(sections(text)) == tagged | {SCHEMERS}


def test_a_named_question_without_rows_in_range_still_gets_a_section(frames: Frames) -> None:
    text = render_markdown(frames, make_filter(questions=[RSP], since="2025-01-01"))
    section = sections(text)[RSP]
    assert "**Update history**: no forecasts dated in the selected range." in section
    assert "**Resolution:** resolved **YES**" in section


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"questions": ["No such question"]}, 'questions no question is titled "No such question"'),
        ({"tags": ["nope"]}, 'tags no question is tagged "nope"'),
        ({"researchers": ["ghost"]}, 'researchers "ghost" has no forecasts'),
    ],
)
def test_unknown_names_are_refused(frames: Frames, values: dict[str, list[str]], problem: str) -> None:
    with pytest.raises(InputError) as err:
        render_markdown(frames, make_filter(**values))
    assert err.value.problems == [problem]


def test_until_before_since_is_refused() -> None:
    with pytest.raises(InputError) as err:
        make_filter(since="2025-01-01", until="2024-01-01")
    assert err.value.problems == ["until 2024-01-01 is before since (2025-01-01)"]


def test_bad_date_is_refused() -> None:
    with pytest.raises(InputError) as err:
        make_filter(since="next week")
    assert err.value.problems[0].startswith("since 'next week' is not a date")


# --- calibration summary --------------------------------------------------------------------------


def test_calibration_summary_matches_the_score_report(full_report: str, frames: Frames) -> None:
    calibration = full_report.split("## Calibration", 1)[1]
    (table,) = tables(calibration)
    expected = score_report(frames)
    by_name = {r["Researcher"]: r for r in table}
    for r in expected["researchers"]:
        row = by_name[r["researcher"]]
        assert row["n"] == str(r["n_targets"])
        assert row["Brier"] == f"{r['brier']:.3f}"
        assert row["Log score"] == f"{r['log_score']:.3f}"
    assert by_name["all researchers"]["n"] == str(expected["overall"]["n_targets"])
    assert "one-sided Brier, 0 best, 1 worst" in calibration


def test_calibration_summary_follows_the_filters(frames: Frames) -> None:
    text = render_markdown(frames, make_filter(questions=[RSP], researchers=["orrery"]), calibration=True)
    (table,) = tables(text.split("## Calibration", 1)[1])
    assert table == [
        {"Researcher": "orrery", "n": "1", "Brier": table[0]["Brier"], "Log score": table[0]["Log score"]}
    ]
    assert float(table[0]["Brier"]) == pytest.approx((1 - 0.83) ** 2, abs=5e-4)


def test_calibration_summary_says_when_nothing_is_scored(frames: Frames) -> None:
    text = render_markdown(frames, make_filter(questions=[SCHEMERS]), calibration=True)
    assert "Nothing to score" in text.split("## Calibration", 1)[1]


# --- tables for the page --------------------------------------------------------------------------


def test_history_csv_states_its_filters_first(frames: Frames) -> None:
    filt = make_filter(questions=[RSP], researchers=["orrery"])
    text = history_csv(history(frames, filt), filt)
    first, rest = text.split("\n", 1)
    assert first == f"# filters: questions: {RSP}; researchers: orrery; dates: all"
    df = pd.read_csv(io.StringIO(rest))
    assert set(df["researcher"]) == {"orrery"}
    assert list(df["to_probability"])[-1] == pytest.approx(0.83)


# --- files and the CLI ----------------------------------------------------------------------------


def test_charts_are_written_beside_the_report_and_linked_relatively(frames: Frames, tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.md"
    written = write_report(frames, make_filter(questions=[RSP]), path, charts=True)
    assert written == [path, tmp_path / "out" / "report_files" / "q12-trajectory.png"]
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text)
    assert links == [(f"Trajectory: {RSP}", "report_files/q12-trajectory.png")]
    assert (path.parent / links[0][1]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_cli_writes_the_report_and_prints_its_path(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    result = runner.invoke(
        app,
        ["--db", demo_url, "export", "markdown", str(out), "--question", RSP, "--researcher", "orrery",
         "--since", "2023-01-01", "--until", "2023-12-31", "--calibration"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}\n"
    text = out.read_text(encoding="utf-8")
    assert {r["Researcher"] for r in history_rows(sections(text)[RSP])} == {"orrery"}
    assert "## Calibration" in text


def test_cli_with_charts_prints_every_file(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    result = runner.invoke(
        app, ["--db", demo_url, "export", "markdown", str(out), "--question", RSP, "--charts"]
    )
    assert result.exit_code == 0, result.output
    chart = tmp_path / "r_files" / "q12-trajectory.png"
    assert result.stdout.splitlines() == [f"wrote {out}", f"wrote {chart}"]
    assert chart.is_file()


def test_cli_refuses_a_bad_filter_with_a_message(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    result = runner.invoke(
        app,
        ["--db", demo_url, "export", "markdown", str(out), "--since", "2025-01-01", "--until", "2024-01-01"],
    )
    assert result.exit_code == 1
    assert result.stderr == "Error: until 2024-01-01 is before since (2025-01-01)\n"
    assert not out.exists()
