"""Time the Trajectories and Compare pages' own computation on 100,000 forecasts.

    .venv/bin/python bench/trajectory_pages.py [--rows 100000] [--runs 7]

Builds a SQLite database from :mod:`models.files.synthetic` files through the real importer (once,
under bench/out/trajectory-pages-N/), loads the frames once (that cached load is excluded),
then times the ``models`` calls each page makes on a rerun, from frames to the chart spec
dicts (``to_spec``, as the pages draw them) and the tables.  Prints
the median of ``--runs`` runs, as wall-clock and as CPU time of this process (the CPU figure
is the steadier one on a busy machine).  Target: under 0.3 s per page.

The synthetic data has no capability levels or evidence, so one scenario relabels the
busiest question's forecasts as conditional on five levels and links a third of them to
evidence items, in memory, to time the capability view and the evidence layers too.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import actions  # noqa: E402
from models.analysis import questions  # noqa: E402
from models.analysis.trajectory import (  # noqa: E402
    capability_curve,
    capability_dates,
    choose_questions,
    evidence_events,
    frames_for,
    group_line,
    level_choices,
    researchers_of,
    resolution_of,
    standing_at_changes,
    tagged_questions,
    trajectories,
    trajectory,
)
from models.analysis.updates import (  # noqa: E402
    convergence,
    disagreement,
    evidence_impact,
    spread_history,
    update_statistics,
    updates,
)
from models.charts.trajectory import (  # noqa: E402
    capability_chart,
    comparison_chart,
    spread_chart,
    to_spec,
    trajectory_chart,
)
from models.files.synthetic import write_synthetic  # noqa: E402
from models.format import day_end  # noqa: E402
from models.frames import EVIDENCE, EVIDENCE_LINKS, LEVELS, Frames, conform  # noqa: E402
from models.store import reads as queries  # noqa: E402
from models.store.db import open_engine  # noqa: E402

OUT = ROOT / "bench" / "out"
TARGET_S = 0.3
MAX_QUESTIONS = 12  # as pages/compare.py
LEVEL_NAMES = ["today", "3x AI R&D", "10x AI R&D", "full automation", "human obsolescence"]


def database(rows: int) -> str:
    """The benchmark database (built once through the importer, then reused)."""
    directory = OUT / f"trajectory-pages-{rows}"
    path = directory / "bench.db"
    url = f"sqlite:///{path}"
    done = directory / "complete"
    if done.exists():
        return url
    for suffix in ("", "-wal", "-shm", ".migrate-lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"building a database of {rows:,} synthetic forecasts (once)…", flush=True)
    files = write_synthetic(directory, rows)
    eng = open_engine(url)
    for kind, file in (("questions", files.questions), ("forecasts", files.forecasts),
                       ("resolutions", files.resolutions)):  # fmt: skip
        actions.import_file(eng, file.read_bytes(), kind)
    eng.dispose()
    done.touch()
    return url


def with_levels_and_evidence(frames: Frames, question_id: int) -> Frames:
    """``frames`` with ``question_id``'s forecasts made conditional on five levels, a third of
    them citing one of 20 evidence items (the synthetic data has neither)."""
    rng = np.random.default_rng(11)
    f = frames.forecasts.copy()
    mine = f["question_id"] == question_id
    position = rng.integers(0, len(LEVEL_NAMES), int(mine.sum()))
    f.loc[mine, "level"] = np.array(LEVEL_NAMES, dtype=object)[position]
    f.loc[mine, "level_position"] = position + 1.0
    cited = f.loc[mine, "forecast_id"].to_numpy()[rng.random(int(mine.sum())) < 1 / 3]
    evidence_ids = rng.integers(1, 21, len(cited))
    links = pd.DataFrame({"forecast_id": cited, "evidence_id": evidence_ids,
                          "evidence": [f"Evidence item {i}" for i in evidence_ids],
                          "direction": rng.choice(np.array(["raised", "lowered", None], dtype=object), len(cited))})  # fmt: skip
    catalogue = pd.DataFrame({"evidence_id": range(1, 21), "evidence": [f"Evidence item {i}" for i in range(1, 21)],
                              "published": pd.Timestamp("2024-01-01", tz="UTC")
                              + pd.to_timedelta(np.arange(20) * 30, unit="D")})  # fmt: skip
    scale = pd.DataFrame({"level": LEVEL_NAMES, "position": np.arange(1.0, 6.0)})
    return dataclasses.replace(
        frames,
        forecasts=f,
        evidence_links=conform(links, EVIDENCE_LINKS),
        evidence=conform(catalogue, EVIDENCE),
        levels=conform(scale, LEVELS),
    )


def trajectories_page(frames: Frames, title: str | None, log_odds: bool = False) -> dict[str, Any]:
    """What pages/trajectories.py computes on a rerun, every filter at its default."""
    questions = frames.questions.set_index("question_id")["question"]
    titles = questions.tolist()
    if title is None:
        title = questions[choose_questions(frames, default=1).question_ids[0]]
    question_id = int(questions.index[titles.index(title)])
    view = frames_for(frames, [question_id])
    researchers = researchers_of(view, [question_id])
    choices = level_choices(view, [question_id])
    conditional = any(level is not None for level in choices)
    levels = choices if conditional else None
    traj = trajectory(view, question_id, researchers, levels)
    cited = evidence_events(view, traj)
    resolution = resolution_of(view, question_id)
    specs = {"trajectory": to_spec(trajectory_chart(traj, cited, resolution, log_odds, inline=False))}
    if conditional:
        days = capability_dates(view, question_id)
        curve = capability_curve(view, question_id, day_end(days[-1]), researchers, levels)
        specs["capability"] = to_spec(capability_chart(curve, log_odds, inline=False))
    specs["updates"] = updates(view, [question_id], researchers, levels)
    return specs


def compare_page(
    frames: Frames, tag: str | None, group: bool, picked: list[int] | None = None, log_odds: bool = False
) -> dict[str, Any]:
    """What pages/compare.py computes on a rerun, every other filter at its default."""
    questions.question_tags(frames)
    if tag:
        tagged_questions(frames, tag)
    ids = choose_questions(frames, tag=tag, question_ids=picked, limit=MAX_QUESTIONS).question_ids
    view = frames_for(frames, ids)
    researchers = researchers_of(view, ids)
    choices = level_choices(view, ids)
    levels = choices if any(level is not None for level in choices) else None
    at = day_end(pd.Timestamp.now(tz="UTC"))
    traj = trajectories(view, ids, researchers, levels)
    groups = group_line(standing_at_changes(traj)) if group else None
    history = spread_history(view, ids, researchers, until=at, levels=levels)
    trends = convergence(history)
    focus = int(trends["question_id"].iloc[0]) if len(trends) else ids[0]
    moves = updates(view, ids, researchers, levels)
    return {
        "comparison": to_spec(comparison_chart(traj, groups, log_odds=log_odds, inline=False)),
        "statistics": update_statistics(view, researchers, ids, levels=levels, history=moves),
        "disagreement": disagreement(view, ids, researchers, at=at, levels=levels),
        "convergence": trends,
        "spread": to_spec(spread_chart(history, focus, log_odds=log_odds, inline=False)),
        "impact": evidence_impact(view, ids, researchers, levels=levels, history=moves),
    }


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm up imports and pandas' first-call paths
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()

    eng = open_engine(database(opts.rows))
    start = time.perf_counter()
    frames = queries.load_frames(eng)
    load = time.perf_counter() - start
    eng.dispose()
    counts = frames.forecasts["question_id"].value_counts()
    busiest = int(counts.index[0])
    rich = with_levels_and_evidence(frames, busiest)
    busiest_title = str(frames.questions.set_index("question_id").loc[busiest, "question"])
    tag = questions.question_tags(frames)[0]
    default = choose_questions(frames).question_ids
    n_tagged = sum(tag in tags for tags in frames.questions["tags"])
    print(f"{len(frames.forecasts):,} forecasts, {frames.forecasts['researcher'].nunique()} researchers, "
          f"{len(frames.questions):,} questions; frames loaded in {load:.1f} s (cached by the pages, "
          f"not timed below)")  # fmt: skip
    print(f"median of {opts.runs} runs, wall-clock / CPU, target {TARGET_S:.1f} s:\n")

    scenarios: list[tuple[str, Callable[[], Any]]] = [
        ("trajectories: default question", lambda: trajectories_page(frames, None)),
        (f"trajectories: busiest question ({counts.iloc[0]} forecasts)",
         lambda: trajectories_page(frames, busiest_title)),
        ("trajectories: busiest, 5 levels + evidence, log-odds",
         lambda: trajectories_page(rich, busiest_title, log_odds=True)),
        ("compare: default (6 questions)", lambda: compare_page(frames, None, group=False)),
        (f"compare: tag '{tag}' ({n_tagged:,} questions, {MAX_QUESTIONS} shown) + group lines",
         lambda: compare_page(frames, tag, group=True)),
        ("compare: 6 questions, the busiest with 5 levels + evidence",
         lambda: compare_page(rich, None, group=True, picked=[busiest, *default[:5]])),
    ]  # fmt: skip
    worst = 0.0
    for name, fn in scenarios:
        wall, cpu = timed(fn, opts.runs)
        worst = max(worst, cpu)
        flag = "" if cpu < TARGET_S else "  OVER TARGET"
        print(f"  {name:<62} {wall:6.3f} s / {cpu:6.3f} s{flag}")
    print(f"\nslowest page computation (CPU): {worst:.3f} s")


if __name__ == "__main__":
    main()
