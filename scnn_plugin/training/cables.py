"""Thin straight lines (cables, wires, masts) drawn across training crops before the hole is cut.

The photo pool has few of them, yet a fill that does not continue them shows at once (a cable that
breaks at the stroke), and cables across a sky cost most of the thin-stroke gap to FSR on the
evaluation photos. Drawn anti-aliased, in sets of parallel lines with a slight sag, they give the
network many such crossings to learn from. (Hole strokes laid along a cable, ``--cable-strokes``,
were tried and not published; the model card keeps what they measured, git history at 4b541ab.)
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

SUPERSAMPLE = 4  # lines are drawn at 4x and box-filtered down: anti-aliased, sub-pixel widths


def draw_cables(image: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """``image`` [3, H, W] in 0..1 with one set of 1-4 parallel lines, 0.8-3 px wide, over it."""
    _, h, w = image.shape
    coverage = _line_alpha(h, w, rng)
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
    return image * (1 - alpha) + colour * alpha


def _line_alpha(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """[H, W] float32 coverage of the lines, each long enough to cross the whole crop."""
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
    for i in range(int(rng.integers(1, 5))):
        offset = normal * spacing * i
        points = centre + offset + t * reach * direction + (1 - t**2) * sag * normal
        draw.line([tuple(p) for p in points * s], fill=255, width=max(1, round(width * s)))
    small = canvas.resize((w, h), Image.BOX)
    return np.asarray(small, dtype=np.float32) / 255
