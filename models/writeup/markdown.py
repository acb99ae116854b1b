"""GitHub-flavoured Markdown that user text cannot break.

User text is escaped with :func:`models.limits.md_plain` (every character that could start
Markdown: pipes, backslashes, ``<``, ``>``, brackets, emphasis, bare ``https://`` links …) and
line breaks become spaces, so a rationale can neither end a table cell, inject a tag, nor
become a link, an image or bold text; link URLs are percent-encoded where a character would
end the link.  No HTML is produced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd

from models.limits import has_web_scheme, md_plain

#: Characters left as they are in link URLs; the rest (spaces, brackets, pipes, quotes,
#: angle brackets, backslashes) are percent-encoded so they cannot end the link or the cell.
_URL_SAFE = ":/?#@!$&*+,;=%~.-_"


def md_text(value: Any) -> str:
    """``value`` as inline Markdown text (:func:`models.limits.md_plain`), line breaks made spaces."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return md_plain(" ".join(str(value).split())).replace("|", "\\|")


def md_link(title: str, url: str | None) -> str:
    """``[title](url)`` for an ``http(s)`` URL, else the escaped title alone.

    Characters that would end the link or a table cell are percent-encoded in the URL.
    """
    if not url or not has_web_scheme(str(url)):
        # Only http(s) becomes a link: a javascript:, vbscript: or data: URL (in any casing)
        # stored before entry refused them, or written by hand, leaves the title as text.
        return md_text(title)
    return f"[{md_text(title)}]({quote(str(url).strip(), safe=_URL_SAFE)})"


def md_cells(values: pd.Series) -> pd.Series:
    """:func:`md_text` of every value of a Series (vectorized; None and NaN give ``""``)."""
    text = values.astype("object").where(values.notna(), "").astype(str)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.map(md_plain).str.replace("|", "\\|", regex=False)


def markdown_rows(table: pd.DataFrame, markdown: Mapping[str, pd.Series] | None = None) -> pd.Series:
    """One Markdown table line (``| a | b |``) per row of ``table``, on its index.

    Cells are plain text, escaped with :func:`md_cells`; columns named in ``markdown`` take
    those already-formatted Markdown cells instead (for links).
    """
    markdown = markdown or {}
    line = pd.Series("|", index=table.index, dtype="object")
    for column in table.columns:
        cells = markdown[column] if column in markdown else md_cells(table[column])
        line = line + " " + cells.astype(str).to_numpy() + " |"
    return line


def markdown_header(columns: Sequence[str]) -> str:
    return "| " + " | ".join(md_text(c) for c in columns) + " |\n|" + "---|" * len(columns)


def markdown_table(table: pd.DataFrame, markdown: Mapping[str, pd.Series] | None = None) -> str:
    """``table`` as a GitHub-flavoured Markdown table (one line per row, no HTML)."""
    rows = markdown_rows(table, markdown)
    return "\n".join([markdown_header([str(c) for c in table.columns]), *rows.tolist()])
