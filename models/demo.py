"""The demo dataset in ``data/demo/``: a few invented researchers and AI-safety questions."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from models import interchange
from models.importer import ImportBatch, ImportSummary, Progress, apply_batch

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"

#: File name → interchange format, in the order they are loaded.
FILES = {
    "researchers.csv": "researchers",
    "levels.csv": "levels",
    "evidence.csv": "evidence",
    "questions.csv": "questions",
    "forecasts.csv": "forecasts",
    "resolutions.csv": "resolutions",
}


def demo_batch(directory: Path = DEMO_DIR) -> ImportBatch:
    """Every demo file parsed and validated into one batch."""
    batch = ImportBatch()
    for name, kind in FILES.items():
        part = interchange.parse((directory / name).read_bytes(), kind)
        for field in ("researchers", "levels", "evidence", "questions", "forecasts", "resolutions"):
            getattr(batch, field).extend(getattr(part, field))
    return batch


def load_demo(engine: sa.Engine, progress: Progress | None = None) -> ImportSummary:
    """Load the demo data (loading it twice adds nothing)."""
    return apply_batch(engine, demo_batch(), by="demo", progress=progress)
