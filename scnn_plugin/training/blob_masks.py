"""Object-like training holes: one compact blob with a ragged outline, from smooth noise and a bump.

Strokes are narrow, so every hole pixel is near a known one; what users remove is an object, a blob
several tens of pixels deep. Training on such blobs is how the GPU candidates of issue 34 gained
most on object holes. They are made here from noise, never from the silhouettes ``scnn-eval`` cuts
its object holes from (``object_masks.py``), so the object score keeps measuring how well the
network generalises to shapes it has not seen.

The recipe (the candidates' README): 8x8 Gaussian noise, upsampled bicubically to 64x64, minus a
radial bump ``((y - cy)^2 + (x - cx)^2) / 2r^2`` centred in the middle two thirds with ``r`` 12-25 %
of the side; that field is upsampled bilinearly to the crop and thresholded at the quantile that
leaves 4-15 % of the crop as hole. The bump makes one main blob; the noise gives it an outline.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

NOISE_SIDE = 8  # the noise's grid: about 8 lobes across, a coarse, organic outline
FIELD_SIDE = 64  # the field is shaped at this side, then resized to the crop
RADIUS = (0.12, 0.25)  # bump radius, as a share of the side
COVERAGE = (0.04, 0.15)  # share of the crop that becomes hole


def make_blob(size: int, rng: np.random.Generator) -> np.ndarray:
    """``[size, size]`` bool hole covering 4-15 % of the square; reproducible for a seeded ``rng``."""
    if size < 8:
        raise ValueError(f"a blob hole needs a side of at least 8 px, not {size}")
    noise = rng.standard_normal((NOISE_SIDE, NOISE_SIDE)).astype(np.float32)
    field = np.asarray(
        Image.fromarray(noise, mode="F").resize((FIELD_SIDE, FIELD_SIDE), Image.BICUBIC)
    )
    s = FIELD_SIDE
    cy, cx = rng.uniform(s / 6, 5 * s / 6, size=2)
    r = rng.uniform(*RADIUS) * s
    y, x = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    field = (field - ((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r)).astype(np.float32)
    full = np.asarray(Image.fromarray(field, mode="F").resize((size, size), Image.BILINEAR))
    coverage = rng.uniform(*COVERAGE)
    return full > np.quantile(full, 1 - coverage)
