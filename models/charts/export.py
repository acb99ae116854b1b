"""Charts as files for write-ups: PNG and SVG at publication size, rendered offline.

vl-convert renders the Vega-Lite spec in-process (no browser, no network: every builder
keeps its data inline).  Builders draw at :data:`models.charts.style.WIDTH` ×
:data:`models.charts.style.HEIGHT` plus title, caption, axes and legend; PNGs are rendered at
:data:`SCALE` × that size for print, SVGs at 1× (they scale freely).

:func:`build_chart` makes any chart the app shows from the frames and a :class:`ChartRequest`,
so the pages and ``credence export chart`` draw the same thing.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import altair as alt
import pandas as pd
import vl_convert as vlc
from PIL import Image
from pydantic import BaseModel, ConfigDict, ValidationError

from models.analysis.calibration import calibration_intervals, calibration_table
from models.analysis.scoring import Scope, select_scored, target_scores
from models.analysis.trajectory import (
    capability_curve,
    evidence_events,
    group_line,
    resolution_of,
    standing_at_changes,
    trajectories,
    trajectory,
)
from models.charts.calibration import reliability_chart
from models.charts.trajectory import capability_chart, comparison_chart, trajectory_chart
from models.errors import InputError, NotFound, Problem
from models.format import plural
from models.frames import Frames

#: PNG pixels per CSS pixel.
SCALE = 2
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
KINDS = ("trajectory", "capability", "comparison", "calibration")
#: Panels of a comparison chart chosen without naming questions.
COMPARISON_PANELS = 12

Kind = Literal["trajectory", "capability", "comparison", "calibration"]


def chart_format(path: str | Path) -> str:
    """``"png"`` or ``"svg"`` from a file name; anything else raises :class:`InputError`."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError([f"{path}: the file name must end in .png or .svg"])
    return suffix


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG text, at its CSS pixel size."""
    return str(vlc.vegalite_to_svg(chart.to_dict()))


def svg_png(svg: str, scale: float = SCALE) -> bytes:
    """Rasterize SVG text at ``scale`` × its size (the same pixels ``vegalite_to_png`` gives),
    losslessly recompressed (:func:`recompress_png`)."""
    return recompress_png(bytes(vlc.svg_to_png(svg, scale=scale)))


def recompress_png(data: bytes, level: int = 9) -> bytes:
    """The same PNG encoded again by Pillow at zlib ``level``; pixels unchanged.

    vl-convert writes fast, light compression (a 2× trajectory chart is about 400 KB);
    encoding the same pixels again takes it to about a quarter of that.
    """
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.save(out, format="PNG", compress_level=level)
    return out.getvalue()


def chart_bytes(chart: alt.TopLevelMixin, fmt: str = "png", scale: float = SCALE) -> bytes:
    """The chart rendered as PNG (at ``scale`` × its CSS size) or SVG (UTF-8 text) bytes."""
    if fmt not in FORMATS:
        raise InputError([f"format {fmt!r} is not png or svg"])
    svg = chart_svg(chart)
    return svg_png(svg, scale) if fmt == "png" else svg.encode("utf-8")


def save_chart(chart: alt.TopLevelMixin, path: str | Path, scale: float = SCALE) -> Path:
    """Write the chart to ``path``; the suffix (``.png``/``.svg``) picks the format."""
    path = Path(path)
    data = chart_bytes(chart, chart_format(path), scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class ChartRequest(BaseModel):
    """Which chart to draw: its kind, questions (by title) and researchers (by handle).

    * ``trajectory`` and ``capability`` need exactly one question;
    * ``comparison`` draws the first :data:`COMPARISON_PANELS` of its questions (none given:
      the questions, by id, that every selected researcher forecast);
    * ``calibration`` takes no question (it scores every resolved question).
    Empty ``researchers`` means everyone; ``log_odds`` switches the trajectory axes.
    """

    model_config = ConfigDict(frozen=True)

    kind: Kind
    questions: tuple[str, ...] = ()
    researchers: tuple[str, ...] = ()
    log_odds: bool = False


def make_request(**values: object) -> ChartRequest:
    """:class:`ChartRequest` from raw values, refused input as :class:`InputError`."""
    try:
        return ChartRequest(**values)  # type: ignore[arg-type]
    except ValidationError as err:
        problems = [
            Problem(f"must be one of {', '.join(KINDS)}", "kind") if p.field == "kind" else p
            for p in Problem.from_validation_error(err)
        ]
        raise InputError(problems) from None


def file_stem(frames: Frames, request: ChartRequest) -> str:
    """A file name without suffix: ``credence-trajectory-q12``, ``credence-calibration``."""
    stem = f"credence-{request.kind}"
    if len(request.questions) == 1:
        stem += f"-q{_question_ids(frames, request.questions)[0]}"
    return stem


def _question_ids(frames: Frames, titles: tuple[str, ...]) -> list[int]:
    q = frames.questions.drop_duplicates("question").set_index("question")["question_id"]
    missing = [t for t in titles if t not in q.index]
    if missing:
        raise NotFound("; ".join(f'no question is titled "{t}"' for t in missing))
    return [int(q[t]) for t in titles]


def _one_question(frames: Frames, request: ChartRequest) -> int:
    if not request.questions:
        raise InputError([f"question is required: a {request.kind} chart shows one question"])
    if len(request.questions) > 1:
        raise InputError(
            [f"question: a {request.kind} chart shows one question, not {len(request.questions)}"]
        )
    return _question_ids(frames, request.questions)[0]


def _until(frames: Frames, until: date | None) -> tuple[Frames, pd.Timestamp | None]:
    """Frames without forecasts dated after ``until`` (a whole day), and the end instant."""
    if until is None:
        return frames, None
    end = pd.Timestamp(until + timedelta(days=1), tz="UTC")
    f = frames.forecasts[frames.forecasts["as_of"] < end]
    return Frames(
        f, frames.questions, frames.evidence_links, frames.evidence, frames.levels, frames.links
    ), end


def build_chart(
    frames: Frames,
    request: ChartRequest,
    *,
    made: datetime | None = None,
    until: date | None = None,
    missing_ok: bool = False,
) -> alt.TopLevelMixin | None:
    """The chart ``request`` asks for, titled and captioned (what it shows, when made).

    ``until`` leaves out forecasts dated after that day and ends the steps there.  When the
    selection has nothing to draw, raises :class:`InputError` saying so, or returns ``None``
    with ``missing_ok``.
    """
    unknown = sorted(set(request.researchers) - set(frames.forecasts["researcher"]))
    if unknown:
        raise NotFound("; ".join(f'"{h}" has no forecasts' for h in unknown))
    frames, end = _until(frames, until)
    who = request.researchers or None
    chart: alt.TopLevelMixin | None = None
    empty = ""
    if request.kind == "trajectory":
        qid = _one_question(frames, request)
        traj = trajectory(frames, qid, who, now=end)
        if traj.empty:
            empty = f'"{request.questions[0]}" has no forecasts by the selected researchers'
        else:
            chart = trajectory_chart(
                traj, evidence_events(frames, traj), resolution_of(frames, qid), request.log_odds, made=made
            )
    elif request.kind == "capability":
        qid = _one_question(frames, request)
        curve = capability_curve(frames, qid, end, who)
        if curve.empty:
            empty = f'"{request.questions[0]}" has no conditional forecasts by the selected researchers'
        else:
            chart = capability_chart(curve, request.log_odds, made=made)
    elif request.kind == "comparison":
        ids = _question_ids(frames, request.questions) if request.questions else _shared(frames, who)
        ids = ids[:COMPARISON_PANELS]
        traj = trajectories(frames, ids, who, now=end)
        if traj.empty:
            empty = "the selected researchers have no forecasts on a common question"
        else:
            group = group_line(standing_at_changes(traj)) if traj["researcher"].nunique() > 1 else None
            chart = comparison_chart(traj, group, log_odds=request.log_odds, made=made)
    else:
        if request.questions:
            raise InputError(
                ["question does not apply to calibration charts (they cover every resolved question)"]
            )
        chart = _calibration_chart(frames, request.researchers, made)
        if chart is None:
            empty = (
                "no scored forecasts: no selected researcher has a forecast on a question resolved yes or no"
            )
    if chart is None and not missing_ok:
        raise InputError([f"nothing to draw: {empty}"])
    return chart


def _shared(frames: Frames, researchers: tuple[str, ...] | None) -> list[int]:
    f = frames.forecasts
    if researchers:
        f = f[f["researcher"].isin(researchers)]
    counts = f.groupby("question_id")["researcher"].nunique()
    need = len(researchers) if researchers else 1
    return sorted(counts[counts >= need].index.tolist())


def _calibration_chart(
    frames: Frames, researchers: tuple[str, ...], made: datetime | None
) -> alt.TopLevelMixin | None:
    scope = Scope(researchers=researchers or None)
    targets = target_scores(select_scored(frames, scope))
    if targets.empty:
        return None
    table = calibration_intervals(calibration_table(targets))
    who = ", ".join(researchers) if researchers else plural(int(table["researcher"].nunique()), "researcher")
    what = (
        f"Final recorded forecasts of {who} on {plural(len(targets), 'resolved target')}, by 10% bucket "
        "(90% Wilson intervals)"
    )
    return reliability_chart(table, what=what, made=made)
