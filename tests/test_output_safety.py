"""Security of what the app writes and shows.

* Exported Markdown carries no live ``javascript:``, ``vbscript:`` or ``data:`` link in any
  casing, whatever is stored (a URL written directly into the database included).
* Evidence URLs are ``http(s)`` only at entry.
* Every CSV the app writes (``export csv`` and the Write-up page's tables) neutralises
  formula cells.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from models import actions
from models.schemas import EvidenceIn
from models.store.db import open_engine
from models.writeup.markdown import md_link
from tests.factories import cli, forecasts_csv

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
BAD_SCHEMES = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)", "VBSCRIPT:x",
               "data:text/html;base64,PHNjcmlwdD4=", "DaTa:image/svg+xml,x", " javascript:alert(1)",
               "\tjavascript:alert(1)"]  # fmt: skip
#: A live link: an unescaped "](" followed by one of the schemes (an escaped "\]" is text).
LIVE = re.compile(r"(?<!\\)\]\(\s*(javascript|vbscript|data):", re.IGNORECASE)


@pytest.mark.parametrize("url", BAD_SCHEMES)
def test_evidence_urls_other_than_http_are_refused_at_entry(url):
    with pytest.raises(ValidationError, match="url"):
        EvidenceIn(title="Paper", url=url)


@pytest.mark.parametrize("url", BAD_SCHEMES)
def test_md_link_never_writes_a_live_link_with_another_scheme(url):
    out = md_link("Paper", url)
    assert not LIVE.search(out)
    assert "](" not in out


def test_md_link_keeps_web_links():
    assert md_link("Paper", "https://example.org/p") == "[Paper](https://example.org/p)"


@pytest.mark.parametrize("url", BAD_SCHEMES)
def test_exported_markdown_has_no_live_link_even_for_a_url_stored_directly(db_url, tmp_path, url):
    engine = open_engine(db_url)
    actions.import_file(engine, b"title,url\nPaper,https://example.org/p\n", "evidence")
    actions.import_file(
        engine,
        forecasts_csv("teal_heron,Q,0.2,2024-01-01,,see [x](javascript:alert(1)),Paper [raised]"),
        "forecasts",
    )
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE evidence SET url = :u"), {"u": url})
    out = tmp_path / "r.md"
    result = cli(db_url, "export", "markdown", str(out))
    assert result.exit_code == 0, result.output
    assert not LIVE.search(out.read_text())


FORMULAS = ['=HYPERLINK("http://x")', "+cmd", "-2+3", "@SUM(A1)"]


def _cells(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if not ln.startswith("# filters")]
    return [c for row in csv.reader(io.StringIO("\n".join(lines))) for c in row]


def test_export_csv_neutralises_formula_cells(engine):
    rows = [
        # A handle may start with "-" (the handle rule allows it), so it is neutralised too.
        f"-r{i},{f.replace(chr(34), '')} q,0.2,2024-01-0{i + 1},,{f.replace(chr(34), '')}"
        for i, f in enumerate(FORMULAS)
    ]
    actions.import_file(engine, forecasts_csv(*rows), "forecasts")
    cells = _cells(actions.forecasts_csv(engine))
    assert not [
        c
        for c in cells
        if c.startswith(("=", "+", "@")) or (c.startswith("-") and not re.fullmatch(r"-[\d.]+", c))
    ]


def test_the_writeup_pages_csv_tables_neutralise_formula_cells(sqlite_url, monkeypatch):
    from models.store.reads import load_frames
    from models.writeup.filters import history, make_filter, standing_estimates
    from models.writeup.tables import estimates_csv, history_csv

    engine = open_engine(sqlite_url)
    rows = [
        f"-r{i},Q {i},0.2,2024-01-0{i + 1},=level,{f.replace(chr(34), '')}" for i, f in enumerate(FORMULAS)
    ]
    actions.import_file(engine, forecasts_csv(*rows), "forecasts")
    frames = load_frames(engine)
    filt = make_filter()
    for text in (
        history_csv(history(frames, filt), filt),
        estimates_csv(standing_estimates(frames, filt), filt),
    ):
        cells = _cells(text)
        assert cells
        assert not [
            c
            for c in cells
            if c.startswith(("=", "+", "@")) or (c.startswith("-") and not re.fullmatch(r"-[\d.e]+", c))
        ]
