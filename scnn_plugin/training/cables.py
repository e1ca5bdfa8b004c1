"""Thin straight lines (cables, wires, masts) drawn across training crops before the hole is cut.

The photo pool has few of them, yet a fill that does not continue them shows at once (a cable that
breaks at the stroke), and cables across a sky cost most of the thin-stroke gap to FSR on the
evaluation photos. Drawn anti-aliased, in sets of parallel lines with a slight sag, they give the
network many such crossings to learn from. A random hole mostly crosses a cable; ``stroke_along``
lays one along it, the case where the cable has to be carried through the whole stretch of a stroke.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

SUPERSAMPLE = 4  # lines are drawn at 4x and box-filtered down: anti-aliased, sub-pixel widths


def draw_cables(
    image: torch.Tensor, rng: np.random.Generator
) -> tuple[torch.Tensor, list[np.ndarray]]:
    """``image`` [3, H, W] in 0..1 with one set of 1-4 parallel lines, 0.8-3 px wide, over it.

    Also returns each line's centre as a polyline (``[K, 2]`` x, y in px), for ``stroke_along``.
    """
    _, h, w = image.shape
    coverage, lines = _line_alpha(h, w, rng)
    alpha = torch.from_numpy(coverage)[None]
    # Mostly dark against the sky, sometimes light (a lit wire), sometimes any colour.
    pick = rng.random()
    if pick < 0.6:
        colour = rng.uniform(0.0, 0.3) + rng.uniform(-0.03, 0.03, size=3)
    elif pick < 0.8:
        colour = rng.uniform(0.7, 1.0) + rng.uniform(-0.03, 0.03, size=3)
    else:
        colour = rng.uniform(0.0, 1.0, size=3)
    colour = torch.tensor(np.clip(colour, 0, 1), dtype=image.dtype)[:, None, None]
    alpha = alpha * float(rng.uniform(0.7, 1.0))
    return image * (1 - alpha) + colour * alpha, lines


def stroke_along(lines: list[np.ndarray], h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """``[h, w]`` bool: a 3-10 px brush stroke laid along 24-96 px of one of ``lines``.

    The stretch is centred on a point of the line inside the crop and sits up to a quarter of the
    stroke's width off the line, so the line runs inside it, not always down the middle.
    """
    crossing = [p for p in (_inside_points(line, h, w) for line in lines) if len(p[1])]
    if not crossing:  # offset parallels can all miss a small crop
        return np.zeros((h, w), dtype=bool)
    points, inside = crossing[rng.integers(len(crossing))]
    start = int(inside[rng.integers(len(inside))])
    half = int(rng.uniform(12, 48))
    stretch = points[max(0, start - half) : start + half + 1]
    width = int(rng.integers(3, 11))
    direction = stretch[-1] - stretch[0]
    normal = np.array([-direction[1], direction[0]]) / max(1e-6, float(np.hypot(*direction)))
    stretch = stretch + normal * rng.uniform(-0.25, 0.25) * width
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    draw.line([tuple(p) for p in stretch], fill=255, width=width, joint="curve")
    r = width / 2
    for x, y in (stretch[0], stretch[-1]):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(canvas) > 0


def _inside_points(line: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """``line`` resampled every 1 px, and the indices of its points inside the crop."""
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])
    t = np.arange(0.0, arc[-1], 1.0)
    points = np.stack([np.interp(t, arc, line[:, 0]), np.interp(t, arc, line[:, 1])], axis=1)
    x, y = points.T
    return points, np.flatnonzero((x >= 0) & (x < w) & (y >= 0) & (y < h))


def _line_alpha(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """[H, W] float32 coverage of the lines, each long enough to cross the whole crop, and their
    centre polylines."""
    s = SUPERSAMPLE
    canvas = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(canvas)
    angle = rng.uniform(0, np.pi)
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    centre = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    reach = float(np.hypot(h, w))  # half-length that always crosses the whole crop
    sag = rng.uniform(-0.04, 0.04) * reach  # cables hang: a parabola through both ends
    width = rng.uniform(0.8, 3.0)
    spacing = rng.uniform(4, 20)
    t = np.linspace(-1, 1, 33)[:, None]
    lines = []
    for i in range(int(rng.integers(1, 5))):
        offset = normal * spacing * i
        points = centre + offset + t * reach * direction + (1 - t**2) * sag * normal
        draw.line([tuple(p) for p in points * s], fill=255, width=max(1, round(width * s)))
        # In output px: output pixel j is centred on supersampled pixel j * s + (s - 1) / 2.
        lines.append(points - (1 - 1 / s) / 2)
    small = canvas.resize((w, h), Image.BOX)
    return np.asarray(small, dtype=np.float32) / 255, lines
