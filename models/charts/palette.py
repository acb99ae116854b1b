"""Researcher colours: a large, perceptually spread palette and a stable assignment of its colours.

The palette starts with the 17 hand-picked colours Credence has always used (Okabe & Ito's
colour-blind-safe set, then Paul Tol's "muted" set) and continues with colours chosen the way
Glasbey et al. (2007) choose them: from a grid of CIE LCh colours (lightness 30–72, chroma
30–70, hue every 10°, all inside sRGB), repeatedly the candidate farthest (CIE76 ΔE in Lab) from
every colour already chosen.  :data:`PALETTE_SIZE` colours in all; the list is computed in code,
so it is the same on every machine.

Assignment (:func:`assign_colours`): each handle has a first choice, ``h mod PALETTE_SIZE``, where
``h`` is the first 8 bytes (big-endian) of the BLAKE2b digest of its UTF-8 bytes, and after that
the palette in order from its first choice on.  The handles shown together are served in order of
``h`` (then handle); each takes the first colour of its order that no earlier one took.  So:

* handles shown together never share a colour (up to :data:`PALETTE_SIZE`; beyond that, further
  colours are generated the same farthest-first way);
* a handle whose first choice nobody else shown shares keeps that colour on every chart and in
  every export, and keeps it as researchers are added, unless one added shares its first choice
  and comes earlier in hash order.

Collisions: with ``N`` = :data:`PALETTE_SIZE` = 64 first choices, the chance that ``n`` handles
all have different ones is ``∏_{k<n} (1 − k/N)``: 85 % for 5 researchers, 48 % for 10, 3.6 %
for 20.  A collision moves only the later handle of the pair (in hash order) to its next free
colour, on the charts where both are shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

import numpy as np

#: Okabe & Ito's colour-blind-safe palette, then Paul Tol's "muted" set: the first colours.
CURATED: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
)  # fmt: skip
#: How many colours the handles' first choices spread over.
PALETTE_SIZE = 64

_WHITE = np.array([0.95047, 1.0, 1.08883])  # D65
_M = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
               [0.0556434, -0.2040259, 1.0572252]])  # fmt: skip


def _lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIE Lab (D65) → sRGB in [0, 1] (unclipped, so out-of-gamut colours show as < 0 or > 1)."""
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16) / 116
    f = np.stack([fy + a / 500, fy, fy - b / 200], axis=-1)
    xyz = np.where(f**3 > 0.008856, f**3, (f - 16 / 116) / 7.787) * _WHITE
    linear = xyz @ _M.T
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.abs(linear) ** (1 / 2.4) - 0.055)


def _hex_to_lab(colour: str) -> np.ndarray:
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (np.linalg.inv(_M) @ linear) / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _hex(rgb: np.ndarray) -> str:
    r, g, b = (int(round(float(c) * 255)) for c in np.clip(rgb, 0, 1))
    return f"#{r:02X}{g:02X}{b:02X}"


@cache
def _candidates() -> tuple[np.ndarray, tuple[str, ...]]:
    """The grid of in-gamut LCh colours the generated ones are picked from, as Lab and hex."""
    L, C, H = np.meshgrid(
        [30.0, 44.0, 58.0, 72.0], [30.0, 50.0, 70.0], np.arange(0, 360, 10.0), indexing="ij"
    )
    h = np.radians(H.ravel())
    lab = np.stack([L.ravel(), C.ravel() * np.cos(h), C.ravel() * np.sin(h)], axis=-1)
    rgb = _lab_to_rgb(lab)
    inside = np.all((rgb >= 0) & (rgb <= 1), axis=-1)
    hexes = tuple(_hex(c) for c in rgb[inside])
    # Round-trip through the hex text, so distances are those of the colours actually drawn.
    return np.array([_hex_to_lab(x) for x in hexes]), hexes


@cache
def palette(size: int = PALETTE_SIZE) -> tuple[str, ...]:
    """The first ``size`` researcher colours: :data:`CURATED`, then farthest-first picks (ties:
    the earlier candidate).  Deterministic; ``palette(n)`` is a prefix of ``palette(n + k)``."""
    chosen = list(CURATED[:size])
    lab, hexes = _candidates()
    nearest = np.min(
        np.linalg.norm(lab[:, None, :] - np.array([_hex_to_lab(c) for c in chosen])[None, :, :], axis=-1),
        axis=1,
    )
    while len(chosen) < size:
        pick = int(np.argmax(nearest))
        if nearest[pick] <= 0:  # the grid is used up: the rest repeat it, darker and lighter
            chosen.append(_hex(_lab_to_rgb(lab[len(chosen) % len(lab)] * [0.9, 1, 1])))
            continue
        chosen.append(hexes[pick])
        nearest = np.minimum(nearest, np.linalg.norm(lab - lab[pick], axis=-1))
    return tuple(chosen)


def handle_hash(handle: str) -> int:
    """The first 8 bytes (big-endian) of the BLAKE2b digest of ``handle``'s UTF-8 bytes."""
    return int.from_bytes(hashlib.blake2b(handle.encode("utf-8")).digest()[:8], "big")


def first_choice(handle: str) -> str:
    """``handle``'s own colour, ``palette()[handle_hash mod PALETTE_SIZE]``: what it is drawn in
    wherever no other researcher shown with it has the same first choice."""
    return palette()[handle_hash(handle) % PALETTE_SIZE]


def assign_colours(handles: Iterable[str]) -> dict[str, str]:
    """A distinct colour for each of ``handles`` (see the module docstring for the rule)."""
    unique = sorted(set(handles), key=lambda h: (handle_hash(h), h))
    size = max(PALETTE_SIZE, len(unique))
    colours = palette(size)
    taken: set[int] = set()
    out: dict[str, str] = {}
    for handle in unique:
        start = handle_hash(handle) % PALETTE_SIZE
        i = next(
            (k % size for k in range(start, start + size) if k % size not in taken),
            start,
        )
        taken.add(i)
        out[handle] = colours[i]
    return out
