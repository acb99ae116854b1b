"""Shared look of every Credence chart: palette, fonts, caption.

Every chart builder in ``models/`` ends with :func:`finish`, so all charts share one
colour-blind-safe palette, readable font sizes and a caption line saying what data the
chart shows and when it was made (for charts pasted into write-ups).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import altair as alt

#: Okabe & Ito's colour-blind-safe palette, then Paul Tol's "muted" set so that up to
#: 17 researchers keep distinct colours; beyond that, shapes and dashes tell lines apart.
PALETTE: list[str] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
]  # fmt: skip

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
FONT_SIZE = 13
TITLE_SIZE = 16

#: Publication size in CSS pixels; export at scale 2 for print.
WIDTH = 720
HEIGHT = 380


def researcher_colour(handle: str) -> str:
    """The colour of ``handle`` in every chart and export: ``PALETTE[h mod 17]``, where ``h`` is
    the first 8 bytes (big-endian) of the BLAKE2b digest of the handle's UTF-8 bytes.

    Derived from the handle alone, so a researcher keeps their colour on every page, in every
    export and as colleagues are added or filtered out.  With 17 colours two researchers can
    share one; trajectories also give each researcher a shape, so they stay apart.
    """
    digest = hashlib.blake2b(handle.encode("utf-8")).digest()
    return PALETTE[int.from_bytes(digest[:8], "big") % len(PALETTE)]


def colour_scale(domain: list[str] | None = None) -> alt.Scale:
    """The categorical colour scale every chart uses for researchers: each handle of ``domain``
    in its own :func:`researcher_colour` (the palette in order when there is no domain)."""
    if domain is None:
        return alt.Scale(range=PALETTE)
    return alt.Scale(domain=domain, range=[researcher_colour(h) for h in domain])


def caption(what: str, made: datetime | None = None) -> str:
    """``"<what> · made 2026-11-23 with Credence"``: the line under an exported chart."""
    when = (made or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")
    return f"{what} · made {when} with Credence"


def finish(chart: alt.TopLevelMixin, title: str, subtitle: str | None = None) -> alt.TopLevelMixin:
    """Give ``chart`` its title, caption line (as the subtitle) and the shared fonts."""
    title_params = alt.TitleParams(
        text=title,
        subtitle=subtitle or "",
        anchor="start",
        fontSize=TITLE_SIZE,
        subtitleFontSize=FONT_SIZE - 2,
        subtitleColor="#555555",
        font=FONT,
        subtitleFont=FONT,
    )
    # One copy with one config object: every chained ``configure_*`` call deep-copies the whole
    # chart (and re-merges the params of every layer), a large part of building a faceted chart.
    axis = alt.AxisConfig(
        labelFontSize=FONT_SIZE - 1, titleFontSize=FONT_SIZE, labelFont=FONT, titleFont=FONT
    )
    config = alt.Config(
        font=FONT,
        axis=axis,
        legend=alt.LegendConfig(labelFontSize=FONT_SIZE - 1, titleFontSize=FONT_SIZE, labelLimit=260),
        view=alt.ViewConfig(stroke=None),
    )
    return chart.properties(title=title_params, config=config)
