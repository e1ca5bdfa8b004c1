"""Which images join the photo pool: colour photographs, not drawn art, each only once.

``looks_like_photo`` keeps photographs and drops diagrams, cartoons and cut-outs; ``downscale``
caps their size; ``signature`` and ``is_duplicate`` keep one of each resize, re-encode, variant or
stereo view.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MIN_SHORT_SIDE = 256
MAX_SHORT_SIDE = 1024
SIGNATURE_SIZE = 32
# Set from the pool itself: stereo pair aloeL/R scores 0.59, the closest distinct photos 0.54.
DUPLICATE_CORRELATION = 0.57
MAX_SHIFT = 3


def looks_like_photo(img: Image.Image) -> bool:
    """Whether ``img`` is a colour photograph worth learning to inpaint from.

    Rejects, in order: a short side under 256 px (too little context); meaningful transparency,
    i.e. more than 0.5 % of pixels with alpha below 250 (cartoons and cut-outs on nothing);
    greyscale, a mean channel spread under 4 levels (the model fills colour images); and flat
    artwork: diagrams, screenshots and cartoons are drawn with few colours and large areas of
    exactly one value, while a photo carries sensor noise and texture nearly everywhere, so
    the image is rejected when over 45 % of its pixels sit in a 3x3 neighbourhood that varies
    by at most 1 level, or when it uses under 2 % distinct colours per pixel. Clipped black
    or white is not counted as flat, so night skies and blown highlights do not fail a photo.
    """
    if min(img.size) < MIN_SHORT_SIDE:
        return False
    if "A" in img.getbands() or "transparency" in img.info:
        alpha = np.asarray(img.convert("RGBA").getchannel("A"))
        if (alpha < 250).mean() > 0.005:
            return False
    rgb = img.convert("RGB")
    rgb.thumbnail((512, 512), Image.Resampling.NEAREST)  # keeps noise and flat areas intact
    px = np.asarray(rgb).astype(np.int16)
    if (px.max(axis=2) - px.min(axis=2)).mean() < 4:
        return False
    return _flat_fraction(px) <= 0.45 and _colour_ratio(px) >= 0.02


def _flat_fraction(px: np.ndarray) -> float:
    """Share of unclipped pixels whose 3x3 neighbourhood spans at most 1 level per channel."""
    h, w, _ = px.shape
    windows = [px[dy : h - 2 + dy, dx : w - 2 + dx] for dy in range(3) for dx in range(3)]
    span = (np.max(windows, axis=0) - np.min(windows, axis=0)).max(axis=2)
    centre = px[1:-1, 1:-1]
    clipped = (centre.max(axis=2) <= 8) | (centre.min(axis=2) >= 247)
    flat = (span <= 1) & ~clipped
    return float(flat.mean())


def _colour_ratio(px: np.ndarray) -> float:
    """Distinct colours per pixel: high for photos, low for palettes of drawn art."""
    packed = (px[..., 0].astype(np.int32) << 16) | (px[..., 1] << 8) | px[..., 2]
    return len(np.unique(packed)) / packed.size


def downscale(img: Image.Image) -> Image.Image:
    """RGB copy whose short side is at most 1024 px, so crops at every scale stay cheap."""
    rgb = img.convert("RGB")
    scale = MAX_SHORT_SIDE / min(rgb.size)
    if scale < 1:
        size = (round(rgb.width * scale), round(rgb.height * scale))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    return rgb


def signature(img: Image.Image) -> np.ndarray:
    """Tiny perceptual fingerprint: the x and y gradients of a 33x33 greyscale thumbnail.

    Gradients rather than grey levels, because smooth unrelated pictures (two dusky lakes)
    correlate strongly in grey level but not in where their edges are.
    """
    n = SIGNATURE_SIZE + 1
    grey = np.asarray(img.convert("L").resize((n, n), Image.Resampling.BOX), dtype=np.float32)
    return np.concatenate([np.diff(grey, axis=1)[:-1], np.diff(grey, axis=0)[:, :-1]], axis=0)


def is_duplicate(sig: np.ndarray, seen: list[np.ndarray]) -> bool:
    """Whether ``sig`` matches a kept signature: a resize, re-encode, variant or stereo view.

    Two signatures match when their normalised correlation, at the best of a few horizontal
    shifts (stereo views are offset sideways), reaches DUPLICATE_CORRELATION.
    """
    if not seen:
        return False
    others = np.stack(seen)
    width = sig.shape[1]
    for dx in range(-MAX_SHIFT, MAX_SHIFT + 1):
        a = _normalise(sig[:, max(dx, 0) : width + min(dx, 0)])
        b = _normalise(others[:, :, max(-dx, 0) : width + min(-dx, 0)])
        if (np.einsum("hw,nhw->n", a, b) >= DUPLICATE_CORRELATION).any():
            return True
    return False


def _normalise(a: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=(-2, -1), keepdims=True)
    return a / (np.linalg.norm(a, axis=(-2, -1), keepdims=True) + 1e-6)
