"""Every table on every page reads alike (issue 14): headers in words, blanks for missing values,
percentages as ``79.2%``.

Runs each page on the demo data (with the query parameters that open a question, a researcher
or an evidence item, so their tables are drawn) and checks every ``st.dataframe`` element: its
shown columns' labels have no ``_``, no cell would render "None", "nan" or "NaT" (missing cells
are blank through the table's placeholder), and every percentage column has the one format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from pages._tables import PERCENT_FORMAT

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
SCHEMERS = "Frontier AIs are schemers (at the stated capability level)"
SCHEMING = "Scheming arises before full automation of AI R&D"
SWE_BENCH = "A frontier model solves over 50% of SWE-bench Verified by end of 2024"
#: Query parameters per page that open its detailed tables; each page also runs bare.
OPENED: dict[str, list[dict[str, str]]] = {
    "home": [{"researcher": "teal_heron"}],
    "questions": [{"question": SCHEMERS}, {"question": SWE_BENCH}],
    "trajectories": [{"question": SCHEMERS}, {"question": SWE_BENCH}],
    "why_it_moved": [{"question": SCHEMING, "researcher": "teal_heron"}],
    "evidence": [{"evidence": "Continuous-thought model fails to scale"}],
}
#: Columns that hold probabilities wherever they appear: they must be shown as percentages.
PROBABILITY_COLUMNS = {"probability", "from_probability", "to_probability", "median_probability", "final",
                       "prior", "expected_posterior", "actual", "mean_probability"}  # fmt: skip
MISSING_TEXT = {"None", "nan", "NaN", "NaT", "<NA>"}


def _runs() -> list[Any]:
    out = []
    for page in PAGES:
        for params in [{}, *OPENED.get(page.stem, [])]:
            name = page.stem + ("" if not params else "?" + "&".join(f"{k}=…" for k in params))
            out.append(pytest.param(page, params, id=name))
    return out


def _shown(element: Any) -> list[tuple[str, dict[str, Any]]]:
    """(column, its configuration) for every column a table shows."""
    config = json.loads(element.proto.columns or "{}")
    frame = element.value
    order = list(element.proto.column_order) or [str(c) for c in frame.columns]
    return [(c, config.get(c, {})) for c in order if not config.get(c, {}).get("hidden")]


def _problems(element: Any) -> list[str]:
    frame: pd.DataFrame = element.value
    found = []
    blank = element.proto.HasField("placeholder") and element.proto.placeholder == ""
    for column, config in _shown(element):
        label = str(config.get("label") or column)
        if "_" in label:
            found.append(f"header {label!r} of column {column!r} is not in words")
        if column not in frame.columns:
            continue
        values = frame[column]
        if values.isna().any() and not blank:
            found.append(f"column {label!r} has missing values shown as 'None'")
        text = {str(v) for v in values if isinstance(v, str)}
        if text & MISSING_TEXT:
            found.append(f"column {label!r} has cells reading {sorted(text & MISSING_TEXT)}")
        fmt = (config.get("type_config") or {}).get("format")
        if (fmt == "percent" or str(fmt).endswith("%%")) and fmt != PERCENT_FORMAT:
            found.append(f"column {label!r} has percentage format {fmt!r}, not {PERCENT_FORMAT!r}")
        if column in PROBABILITY_COLUMNS and fmt != PERCENT_FORMAT:
            found.append(f"probability column {label!r} is not formatted as a percentage ({fmt!r})")
    return found


CHECKED: list[int] = []


@pytest.mark.parametrize(("page", "params"), _runs())
def test_every_table_has_word_headers_blanks_and_one_percent_format(
    page: Path, params: dict[str, str], shared_demo_engine: sa.Engine
) -> None:
    at = AppTest.from_file(str(page), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    problems = {f"table {i}": _problems(element) for i, element in enumerate(at.dataframe)}
    assert not {k: v for k, v in problems.items() if v}
    CHECKED.append(len(at.dataframe))


def test_the_table_check_saw_the_tables(shared_demo_engine: sa.Engine) -> None:
    """The parametrized runs above drew tables (this fails if a page stopped drawing them)."""
    if not CHECKED:
        pytest.skip("run with the table checks above (not alone)")
    assert sum(CHECKED) >= 15
