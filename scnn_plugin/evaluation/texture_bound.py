"""The ideal texture: what any fill gives up in PSNR for structure it cannot know.

A hole's grass blades, ripples and fur cannot be predicted from around it: a fill can give the hole
as much structure as the photo has, of the right kind, but not the photo's own strands in their own
places, and structure in the wrong place costs masked PSNR by its energy. This oracle measures that
cost on ``scnn-eval``'s own samples. It takes the network's fill and adds the truth's own
difference-of-Gaussians bands b0-b2 (luminance, ``metrics.BANDS``) mirrored through the centre of
the hole's bounding box: structure with the photo's own statistics at that place, aligned with
nothing the hole hid. Each band is scaled until its band ratio on the hole is ``ratio``.

It reads the truth, so it is a bound for the tables, never a fill: at the same band ratios, a texture
stage whose structure does not line up with what the hole hid scores no higher.
"""

from __future__ import annotations

import numpy as np

from .metrics import hole_bands, luma_bands

# The band target: b0-b2 at 0.7 of the photo's structure.
TARGET_RATIO = 0.7
# Bands given structure: b0-b2 (sigma 1-8 px); b3 is the hole-sized layout, the network's.
_BANDS = 3
# Rounds of rescaling: the hole's edge and clipping to [0, 1] take some of each band's gain.
_ROUNDS = 8


def ideal_texture(
    fill: np.ndarray, truth: np.ndarray, hole: np.ndarray, ratio: float = TARGET_RATIO
) -> np.ndarray:
    """``fill`` ``[H, W, 3]`` uint8 with the truth's mirrored bands added in ``hole`` ``[H, W]``
    bool, each scaled so the band ratios b0-b2 on the hole come to ``ratio`` (bands the fill
    already has that much of get none). Pixels outside ``hole`` are ``fill``'s."""
    if not hole.any():
        return fill.copy()
    base, target = fill / 255.0, truth / 255.0
    sources = _mirrored(luma_bands(target)[:_BANDS], hole)
    # band ratios against the truth's bands, measured once (a flat or eroded-away band: nan)
    photo = np.array(hole_bands(target, hole)[:_BANDS])
    with np.errstate(divide="ignore", invalid="ignore"):
        have = np.array(hole_bands(base, hole)[:_BANDS]) / photo
    # in units of the truth's band energy: what the fill lacks, what a source brings (about 1)
    lack = np.where(np.isfinite(have), np.maximum(0.0, ratio**2 - have**2), 0.0)
    gains = np.sqrt(lack)
    out = base
    for _ in range(_ROUNDS):
        added = sum(g * s for g, s in zip(gains, sources))
        out = np.where(hole[..., None], np.clip(base + added[..., None], 0, 1), base)
        with np.errstate(divide="ignore", invalid="ignore"):
            brought = (np.array(hole_bands(out, hole)[:_BANDS]) / photo) ** 2 - have**2
            gains = np.where((lack > 0) & (brought > 0), gains * np.sqrt(lack / brought), 0.0)
    return np.round(out * 255).astype(np.uint8)


def _mirrored(bands: list[np.ndarray], hole: np.ndarray) -> list[np.ndarray]:
    """Each band point-mirrored through the centre of ``hole``'s bounding box (clamped to the
    image): the same neighbourhood's structure, turned half round."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    yy, xx = np.mgrid[:h, :w]
    my = np.clip(int(ys.min() + ys.max()) - yy, 0, h - 1)
    mx = np.clip(int(xs.min() + xs.max()) - xx, 0, w - 1)
    return [band[my, mx] for band in bands]
