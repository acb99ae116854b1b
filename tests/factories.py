"""Deterministic test data, written as the files and inputs users give Credence."""

from __future__ import annotations

from models.schemas import ForecastIn

HEADER = "researcher,question,probability,as_of,capability,rationale,evidence,reconstructed"


def forecasts_csv(*rows: str, header: str = HEADER) -> bytes:
    """A forecasts file from CSV lines (header added), as bytes."""
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


#: A small valid file: two researchers, two questions, a conditional forecast, evidence, a reconstruction.
GOOD_ROWS = (
    'teal_heron,Schemers at 3x,0.04,2024-06-15,3x AI R&D,"Mostly priors, some evals",Alignment-faking eval [raised],false',
    "teal_heron,Schemers at 3x,3%,2025-02-01,3x AI R&D,,Neuralese result [lowered],false",
    "orrery,Schemers at 3x,0.02,2024-06-01,,my view as of mid-2024,,true",
    "orrery,Eval published by 2025,0.7,2024-01-10T09:30:00Z,,,,",
)


def good_csv() -> bytes:
    return forecasts_csv(*GOOD_ROWS)


def forecast_in(**overrides: object) -> ForecastIn:
    values: dict[str, object] = {
        "researcher": "teal_heron",
        "question": "Schemers at 3x",
        "probability": 0.12,
        "as_of": "2025-01-01",
        "rationale": "",
    }
    values.update(overrides)
    return ForecastIn.model_validate(values)
