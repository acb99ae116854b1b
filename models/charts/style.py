"""Shared look of every Credence chart: palette, fonts, caption.

Every chart builder in ``models/`` ends with :func:`finish`, so all charts share one
palette, readable font sizes and a caption line saying what data the chart shows and when
it was made (for charts pasted into write-ups).  Researchers' colours come from
:mod:`models.charts.palette`: one per researcher, distinct on every chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import altair as alt
import pandas as pd

from models.charts.palette import assign_colours, first_choice, palette

#: The researcher palette (:func:`models.charts.palette.palette`): Okabe & Ito's and Paul Tol's
#: colours first, then perceptually spread ones, 64 in all.
PALETTE: list[str] = list(palette())

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
FONT_SIZE = 13
TITLE_SIZE = 16

#: Publication size in CSS pixels; export at scale 2 for print.
WIDTH = 720
HEIGHT = 380


def researcher_colour(handle: str) -> str:
    """The colour of ``handle`` wherever no researcher shown with it has the same first choice:
    ``PALETTE[h mod 64]``, ``h`` the first 8 bytes (big-endian) of the BLAKE2b digest of the
    handle's UTF-8 bytes (:func:`models.charts.palette.first_choice`).

    Derived from the handle alone, so a researcher keeps their colour on every page, in every
    export and as colleagues are added or filtered out; :func:`colour_scale` moves the later
    (in hash order) of two researchers with the same first choice shown together.
    """
    return first_choice(handle)


def colour_scale(domain: Sequence[str] | None = None) -> alt.Scale:
    """The categorical colour scale every chart uses for researchers: the handles of ``domain``,
    each in its own colour, all distinct (:func:`models.charts.palette.assign_colours`); the
    palette in order when there is no domain (charts of something other than researchers)."""
    if domain is None:
        return alt.Scale(range=PALETTE)
    colours = assign_colours(domain)
    return alt.Scale(domain=list(domain), range=[colours[h] for h in domain])


def researcher_scale(researchers: pd.Series | Sequence[str]) -> alt.Scale:
    """:func:`colour_scale` over the distinct researchers of a chart's data, sorted."""
    return colour_scale(sorted({str(r) for r in researchers}))


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
