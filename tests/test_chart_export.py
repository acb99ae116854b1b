"""Charts to PNG and SVG files: valid images, publication size, titles and captions, the CLI."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import vl_convert as vlc
from PIL import Image
from typer.testing import CliRunner

from models.charts import style as chartstyle
from models.charts.export import (
    SCALE,
    build_chart,
    chart_bytes,
    file_stem,
    make_request,
    save_chart,
)
from models.cli import app
from models.errors import InputError, NotFound
from models.frames import Frames
from models.store import reads as queries
from models.store.db import open_engine
from tests.factories import demo_database

SCHEMERS = "Frontier AIs are schemers (at the stated capability level)"
RSP = "A frontier lab publishes a responsible scaling policy by end of 2023"

runner = CliRunner()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a valid PNG (Pillow verifies its structure and checksums)."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        image.verify()
        return image.size


def svg_size(data: bytes) -> tuple[int, int]:
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return int(float(root.attrib["width"])), int(float(root.attrib["height"]))


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("charts"))


@pytest.fixture(scope="module")
def frames(demo_url: str) -> Iterator[Frames]:
    eng = open_engine(demo_url)
    yield queries.load_frames(eng)
    eng.dispose()


REQUESTS = {
    "trajectory": {"kind": "trajectory", "questions": (RSP,)},
    "capability": {"kind": "capability", "questions": (SCHEMERS,)},
    "comparison": {"kind": "comparison", "researchers": ("orrery", "nightjar")},
    "calibration": {"kind": "calibration"},
}


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_every_kind_has_a_title_and_a_caption_line(frames: Frames, kind: str) -> None:
    spec = build_chart(frames, make_request(**REQUESTS[kind])).to_dict()
    assert spec["title"]["text"]
    assert spec["title"]["subtitle"].endswith("with Credence")
    assert " · made 20" in spec["title"]["subtitle"]


#: Rendering the twelve-panel comparison at print size takes 2 s to 4 s: `make test` runs it.
_RENDERED = [pytest.param(k, marks=pytest.mark.slow) if k == "comparison" else k for k in REQUESTS]


@pytest.mark.parametrize("kind", _RENDERED)
def test_png_is_twice_the_svg_size(frames: Frames, kind: str) -> None:
    chart = build_chart(frames, make_request(**REQUESTS[kind]))
    width, height = svg_size(chart_bytes(chart, "svg"))
    assert png_size(chart_bytes(chart, "png")) == (width * SCALE, height * SCALE)


def test_trajectory_is_at_least_publication_size(frames: Frames, tmp_path: Path) -> None:
    chart = build_chart(frames, make_request(kind="trajectory", questions=(SCHEMERS,)))
    svg = save_chart(chart, tmp_path / "t.svg")
    png = save_chart(chart, tmp_path / "t.png")
    width, height = svg_size(svg.read_bytes())
    # The plot area is WIDTH x HEIGHT; axes, title, caption and legend add to it.
    assert chartstyle.WIDTH < width < chartstyle.WIDTH + 500
    assert chartstyle.HEIGHT < height < chartstyle.HEIGHT + 150
    assert png_size(png.read_bytes()) == (2 * width, 2 * height)


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


def test_recompressed_png_has_the_same_pixels_and_is_smaller(frames: Frames) -> None:
    chart = build_chart(frames, make_request(kind="trajectory", questions=(SCHEMERS,)))
    original = bytes(vlc.svg_to_png(vlc.vegalite_to_svg(chart.to_dict()), scale=SCALE))
    smaller = chart_bytes(chart, "png")
    assert pixels(smaller) == pixels(original)
    assert len(smaller) < 0.5 * len(original)


def test_svg_text_has_the_title_and_caption(frames: Frames) -> None:
    svg = chart_bytes(build_chart(frames, make_request(kind="trajectory", questions=(RSP,))), "svg").decode()
    assert RSP in svg
    assert "11 estimates by 4 researchers · made" in svg


def test_until_leaves_out_later_forecasts(frames: Frames) -> None:
    request = make_request(kind="trajectory", questions=(RSP,))
    spec = build_chart(frames, request, until=date(2023, 5, 31)).to_dict()
    assert spec["title"]["subtitle"].startswith("7 estimates by 4 researchers")  # of 11


def test_comparison_draws_at_most_twelve_panels(frames: Frames) -> None:
    spec = build_chart(frames, make_request(kind="comparison")).to_dict()
    assert spec["title"]["subtitle"].startswith("12 questions, 6 researchers")


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ({"kind": "trajectory"}, InputError, "question is required: a trajectory chart shows one question"),
        ({"kind": "capability", "questions": (SCHEMERS, RSP)}, InputError, "question: a capability chart shows one question, not 2"),
        ({"kind": "trajectory", "questions": ("Nope",)}, NotFound, 'no question is titled "Nope"'),
        ({"kind": "capability", "questions": (RSP,)}, InputError, "nothing to draw: \"" + RSP + '" has no conditional forecasts by the selected researchers'),
        ({"kind": "calibration", "researchers": ("ghost",)}, NotFound, '"ghost" has no forecasts'),
        ({"kind": "calibration", "questions": (RSP,)}, InputError, "question does not apply to calibration charts (they cover every resolved question)"),
    ],
)  # fmt: skip
def test_impossible_requests_say_why(
    frames: Frames, values: dict[str, object], error: type, message: str
) -> None:
    with pytest.raises(error) as err:
        build_chart(frames, make_request(**values))
    assert str(err.value) == message


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InputError) as err:
        make_request(kind="pie")
    assert err.value.problems == ["kind must be one of trajectory, capability, comparison, calibration"]


def test_only_png_and_svg_files(frames: Frames, tmp_path: Path) -> None:
    chart = build_chart(frames, make_request(kind="trajectory", questions=(RSP,)))
    with pytest.raises(InputError):
        save_chart(chart, tmp_path / "x.gif")
    assert not (tmp_path / "x.gif").exists()


def test_file_stem_names_kind_and_question(frames: Frames) -> None:
    assert file_stem(frames, make_request(kind="trajectory", questions=(RSP,))) == "credence-trajectory-q12"
    assert file_stem(frames, make_request(kind="calibration")) == "credence-calibration"


# --- CLI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_cli_writes_the_chart_and_prints_its_path(demo_url: str, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"chart.{suffix}"
    result = runner.invoke(
        app, ["--db", demo_url, "export", "chart", str(out), "--kind", "trajectory", "--question", RSP]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}\n"
    data = out.read_bytes()
    if suffix == "png":
        assert png_size(data)[0] > 2 * chartstyle.WIDTH
    else:
        assert svg_size(data)[0] > chartstyle.WIDTH


def test_cli_calibration_for_chosen_researchers(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "cal.svg"
    result = runner.invoke(
        app, ["--db", demo_url, "export", "chart", str(out), "--kind", "calibration", "--researcher", "orrery", "--researcher", "nightjar"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Final recorded forecasts of orrery, nightjar" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x.gif", "--kind", "calibration"], "Error: {dir}/x.gif: the file name must end in .png or .svg\n"),
        (
            ["x.png", "--kind", "pie"],
            "Error: kind must be one of trajectory, capability, comparison, calibration\n",
        ),
        (
            ["x.png", "--kind", "trajectory"],
            "Error: question is required: a trajectory chart shows one question\n",
        ),
    ],
)
def test_cli_errors_are_messages(demo_url: str, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["--db", demo_url, "export", "chart", str(tmp_path / args[0]), *args[1:]])
    assert result.exit_code == 1
    assert result.stderr == message.format(dir=tmp_path)
    assert not (tmp_path / args[0]).exists()
