"""The demo dataset in ``models/files/demo_data/``: a few invented researchers and AI-safety questions."""

from __future__ import annotations

from pathlib import Path

from models.batch import ImportBatch
from models.files import interchange

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"

#: File name → interchange format, in the order they are loaded.
FILES = {
    "researchers.csv": "researchers",
    "levels.csv": "levels",
    "evidence.csv": "evidence",
    "questions.csv": "questions",
    "forecasts.csv": "forecasts",
    "resolutions.csv": "resolutions",
    "ratios.csv": "ratios",
}


def demo_batch(directory: Path = DEMO_DIR) -> ImportBatch:
    """Every demo file parsed and validated into one batch."""
    batch = ImportBatch()
    for name, kind in FILES.items():
        # Row by row: the lists below are merged, and the demo files are small.
        part = interchange.parse_rows((directory / name).read_bytes(), kind)
        for field in ("researchers", "levels", "evidence", "questions", "forecasts", "resolutions", "ratios"):
            getattr(batch, field).extend(getattr(part, field))
    return batch
