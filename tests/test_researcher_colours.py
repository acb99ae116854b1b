"""One colour per researcher: distinct on every chart, kept as researchers are added."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest

from models.charts import palette as pal
from models.charts import style as chartstyle


def _handles(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = string.ascii_lowercase + string.digits + "_-"
    return ["".join(rng.choices(alphabet, k=rng.randint(3, 14))) for _ in range(n)]


def _colours(domain: list[str]) -> dict[str, str]:
    scale = chartstyle.colour_scale(domain).to_dict()
    return dict(zip(scale["domain"], scale["range"], strict=True))


def test_the_palette_has_64_colours_at_least_14_delta_e_apart() -> None:
    colours = pal.palette()
    assert len(colours) == pal.PALETTE_SIZE == 64 == len(set(colours))
    assert colours[:17] == pal.CURATED  # the colours charts have always started with
    lab = np.array([pal._hex_to_lab(c) for c in colours])
    distance = np.linalg.norm(lab[:, None] - lab[None], axis=-1) + np.eye(len(lab)) * 1e9
    assert distance.min() >= 14  # CIE76; the generated colours alone are >= 17 from every other
    assert pal.palette(80)[:64] == colours and len(set(pal.palette(80))) == 80


@pytest.mark.parametrize("seed", range(5))
def test_fifty_researchers_on_one_chart_get_fifty_colours(seed: int) -> None:
    handles = _handles(50, seed)
    colours = _colours(handles)
    assert len(set(colours.values())) == len(set(handles)) == 50


def test_a_hundred_researchers_on_one_chart_still_get_distinct_colours() -> None:
    assert len(set(_colours(_handles(100, 7)).values())) == 100


@pytest.mark.parametrize("seed", range(20))
def test_adding_a_researcher_keeps_every_colour_when_no_first_choices_collide(seed: int) -> None:
    rng = random.Random(seed)
    shown: list[str] = []
    firsts: set[str] = set()
    for handle in _handles(200, seed + 100):
        if pal.first_choice(handle) not in firsts:
            shown.append(handle)
            firsts.add(pal.first_choice(handle))
        if len(shown) == rng.randint(5, 30):
            break
    *before, added = shown
    old = _colours(before)
    new = _colours([*before, added])
    assert {h: new[h] for h in before} == old
    assert all(old[h] == chartstyle.researcher_colour(h) for h in before)  # each in its own colour


def test_a_collision_moves_only_the_later_researcher_in_hash_order() -> None:
    handles = _handles(2000, 3)
    by_first: dict[str, list[str]] = {}
    for h in handles:
        by_first.setdefault(pal.first_choice(h), []).append(h)
    a, b = next(v[:2] for v in by_first.values() if len(v) >= 2)
    early, late = sorted((a, b), key=pal.handle_hash)
    colours = _colours([late, early])
    assert colours[early] == chartstyle.researcher_colour(early)
    assert colours[late] != colours[early]


def test_a_researcher_has_the_same_colour_in_every_chart_that_shows_the_same_people() -> None:
    import pandas as pd

    from models.charts.update_quality import excess_chart

    table = pd.DataFrame(
        {"researcher": ["teal_heron", "orrery"], "n_targets": [3, 4], "excess_movement": [0.01, -0.02],
         "excess_low": [0.0, -0.03], "excess_high": [0.02, -0.01], "reading": ["", ""]}
    )  # fmt: skip
    spec = excess_chart(table).to_dict()
    scales = [
        layer["encoding"]["color"]["scale"] for layer in spec["layer"] if "color" in layer.get("encoding", {})
    ]
    expected = _colours(["orrery", "teal_heron"])
    for scale in scales:
        assert dict(zip(scale["domain"], scale["range"], strict=True)) == expected
