"""Deterministic synthetic datasets for benchmarks and scale tests (not demo data).

Researchers are ``r001``…, questions ``Synthetic question 0001``…; each forecast is a
random walk in log-odds per (researcher, question), so trajectories look like updates.
Half the questions are resolved (yes with their latent probability), after every forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SyntheticFiles:
    forecasts: Path
    questions: Path
    resolutions: Path


def synthetic_frames(
    n_forecasts: int, n_researchers: int = 50, n_questions: int = 2000, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(forecasts, questions, resolutions) as interchange-format tables (all cells text-ready)."""
    rng = np.random.default_rng(seed)
    researchers = np.array([f"r{i:03d}" for i in range(1, n_researchers + 1)])
    titles = np.array([f"Synthetic question {i:04d}" for i in range(1, n_questions + 1)])
    r = rng.integers(0, n_researchers, n_forecasts)
    q = rng.integers(0, n_questions, n_forecasts)
    start = np.datetime64("2023-01-01T00:00:00")
    seconds = rng.integers(0, 3 * 365 * 86400, n_forecasts).astype("timedelta64[s]")
    as_of = start + seconds
    latent = rng.normal(0, 1.5, n_questions)
    # A target's forecasts wander around the question's latent log-odds.
    logit = latent[q] + rng.normal(0, 0.8, n_forecasts)
    p = np.round(1 / (1 + np.exp(-logit)), 3).clip(0.001, 0.999)
    forecasts = pd.DataFrame(
        {
            "researcher": researchers[r],
            "question": titles[q],
            "probability": p,
            "as_of": pd.to_datetime(as_of).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "capability": "",
            "rationale": np.where(rng.random(n_forecasts) < 0.3, "updated on new evals", ""),
            "evidence": "",
            "reconstructed": np.where(rng.random(n_forecasts) < 0.02, "true", "false"),
        }
    )
    questions = pd.DataFrame(
        {
            "question": titles,
            "criteria": "Resolves by the synthetic oracle.",
            "tags": np.where(np.arange(n_questions) % 2 == 0, "synthetic;even", "synthetic;odd"),
            "resolve_by": "2026-06-01",
        }
    )
    resolved = np.arange(n_questions) % 2 == 0
    outcome = np.where(rng.random(n_questions) < 1 / (1 + np.exp(-latent)), "yes", "no")
    resolutions = pd.DataFrame(
        {
            "question": titles[resolved],
            "outcome": outcome[resolved],
            "resolved_at": "2026-01-15T12:00:00Z",
            "capability": "",
            "note": "",
        }
    )
    return forecasts, questions, resolutions


def write_synthetic(
    directory: Path, n_forecasts: int, n_researchers: int = 50, n_questions: int = 2000, seed: int = 7
) -> SyntheticFiles:
    """Write the three interchange files into ``directory`` and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    f, q, r = synthetic_frames(n_forecasts, n_researchers, n_questions, seed)
    files = SyntheticFiles(
        directory / "forecasts.csv", directory / "questions.csv", directory / "resolutions.csv"
    )
    f.to_csv(files.forecasts, index=False)
    q.to_csv(files.questions, index=False)
    r.to_csv(files.resolutions, index=False)
    return files
