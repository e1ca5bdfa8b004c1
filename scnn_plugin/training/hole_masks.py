"""Seeded free-form hole masks in three kinds (LaMa-style), shared by training and evaluation.

Stroke widths are absolute pixels as they appear on a 512 px photo, so a 256 px training crop sees holes
as wide as the ones users paint on real photos rather than scaled-down ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw


@dataclass(frozen=True)
class MaskKind:
    """Stroke widths (px), strokes per mask, box probability, and the target coverage range."""

    widths: tuple[int, int]
    strokes: tuple[int, int]
    box_prob: float
    coverage: tuple[float, float]


MASK_KINDS: dict[str, MaskKind] = {
    "thin": MaskKind(widths=(3, 10), strokes=(2, 6), box_prob=0.0, coverage=(0.05, 0.15)),
    "medium": MaskKind(widths=(10, 28), strokes=(1, 4), box_prob=0.3, coverage=(0.10, 0.25)),
    "thick": MaskKind(widths=(28, 60), strokes=(1, 3), box_prob=0.7, coverage=(0.15, 0.40)),
}
# The hole kind made from real objects' silhouettes (object_masks.py) rather than brush strokes.
OBJECT_KIND = "object"


def make_mask(kind: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """``[height, width]`` bool hole mask of ``kind``; reproducible for a seeded ``rng``.

    Draws strokes (and boxes) until the coverage reaches the kind's range, giving up after a bounded
    number of tries so tiny canvases still return quickly.
    """
    try:
        spec = MASK_KINDS[kind]
    except KeyError:
        raise ValueError(
            f"unknown mask kind {kind!r}; choose one of {sorted(MASK_KINDS)}"
        ) from None
    target = rng.uniform(*spec.coverage)
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for _ in range(50):
        if rng.random() < spec.box_prob:
            _box(draw, height, width, rng)
        for _ in range(rng.integers(spec.strokes[0], spec.strokes[1] + 1)):
            _stroke(draw, height, width, int(rng.integers(*spec.widths)), rng)
        hole = np.asarray(canvas) > 0
        if hole.mean() >= target:
            break
    if hole.mean() > spec.coverage[1] * 1.3:  # overshoot: restart with a fresh draw, bounded
        return make_mask(kind, height, width, rng) if rng.random() < 0.8 else hole
    return hole


def _stroke(
    draw: ImageDraw.ImageDraw, h: int, w: int, width: int, rng: np.random.Generator
) -> None:
    """A random walk of 4-12 segments with rounded joints, like a brush dragged across."""
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    angle = rng.uniform(0, 2 * np.pi)
    points = [(x, y)]
    for _ in range(rng.integers(4, 13)):
        angle += rng.uniform(-1.2, 1.2)
        length = rng.uniform(0.05, 0.25) * max(h, w)
        x = float(np.clip(x + length * np.cos(angle), 0, w - 1))
        y = float(np.clip(y + length * np.sin(angle), 0, h - 1))
        points.append((x, y))
    draw.line(points, fill=255, width=width, joint="curve")
    r = width / 2
    for px, py in points:
        draw.ellipse((px - r, py - r, px + r, py + r), fill=255)


def _box(draw: ImageDraw.ImageDraw, h: int, w: int, rng: np.random.Generator) -> None:
    bh, bw = rng.uniform(0.1, 0.35) * h, rng.uniform(0.1, 0.35) * w
    y, x = rng.uniform(0, h - bh), rng.uniform(0, w - bw)
    draw.rectangle((x, y, x + bw, y + bh), fill=255)
