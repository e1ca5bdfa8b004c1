"""Quality metrics on the hole region: what the user sees change, not the untouched rest."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# Hole PSNR is also training's validation score, so it is defined there (training never imports
# this package) and listed here with the other metrics.
from ..training.validation import masked_psnr

__all__ = [
    "BANDS",
    "DETAIL_ERODE",
    "band_ratios",
    "box_ssim",
    "detail_ratio",
    "hole_bands",
    "hole_detail",
    "image_mse",
    "luma_bands",
    "masked_psnr",
    "masked_ssim",
    "ssim_map",
]


def image_mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Whole-image MSE in [0, 1] units: the paper's metric."""
    return float(np.mean((pred.astype(np.float64) - target) ** 2))


def _gaussian_1d(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    ax = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(ax**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_map(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004, 11x11 Gaussian, sigma 1.5) of ``[N, C, H, W]`` in [0, 1].

    The Gaussian is applied as two 1-D passes: the same window, an order of magnitude cheaper.
    """
    c = pred.shape[1]
    g = _gaussian_1d().to(pred)
    row, col = g.view(1, 1, 1, -1).expand(c, 1, 1, -1), g.view(1, 1, -1, 1).expand(c, 1, -1, 1)
    pad = g.numel() // 2

    def blur(x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (pad,) * 4, mode="reflect")
        return F.conv2d(F.conv2d(x, row, groups=c), col, groups=c)

    mu_x, mu_y = blur(pred), blur(target)
    sxx = blur(pred * pred) - mu_x**2
    syy = blur(target * target) - mu_y**2
    sxy = blur(pred * target) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))


def masked_ssim(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> float:
    """Mean SSIM over hole pixels (the SSIM window still sees the context around them)."""
    smap = ssim_map(_as_batch(pred), _as_batch(target)).mean(1)[0].numpy()
    return float(smap[hole].mean())


def _as_batch(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]


def box_ssim(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> float:
    """Mean SSIM over the hole's bounding box: the hole and the known pixels it must blend into,
    judged as one picture (a fill that is right inside but seams at the border scores lower)."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    if rows.size == 0:
        raise ValueError("box_ssim needs at least one hole pixel")
    box = np.zeros_like(hole)
    box[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] = True
    return masked_ssim(pred, target, box)


# Border (px) left out of the detail ratio: the Laplacian there straddles the known edge.
DETAIL_ERODE = 2
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def hole_detail(image: np.ndarray, hole: np.ndarray) -> float:
    """Standard deviation of the luminance Laplacian over ``hole`` eroded by ``DETAIL_ERODE`` px:
    the high-frequency energy a fill has where it is on its own; ``image`` ``[H, W, 3]`` in [0, 1].
    NaN when erosion leaves no pixel."""
    luma, inner = _luma_and_inner(image, hole)
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).view(1, 1, 3, 3)
    lap = F.conv2d(F.pad(luma, (1, 1, 1, 1), mode="replicate"), kernel)[0, 0].numpy()
    return float(lap[inner].std()) if inner.any() else float("nan")


def _luma_and_inner(image: np.ndarray, hole: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """``image``'s luminance ``[1, 1, H, W]`` and the hole eroded by ``DETAIL_ERODE`` px: where a
    filter of the fill no longer straddles the known edge."""
    luma = _luma(image)
    known = torch.from_numpy(~hole).float()[None, None]
    size = 2 * DETAIL_ERODE + 1
    inner = F.max_pool2d(known, size, stride=1, padding=DETAIL_ERODE)[0, 0].numpy() < 0.5
    return luma, inner


def detail_ratio(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> float:
    """``hole_detail`` of the fill over that of the truth: 1.0 = as detailed as the photo, below 1
    a smudge, above 1 noisier than the photo. Masked PSNR rewards blur; this does not."""
    truth = hole_detail(target, hole)
    return hole_detail(pred, hole) / truth if truth > 0 else float("nan")


# Difference-of-Gaussian bands of luminance (sigma pairs in px): b0 grain, b1 blades and ripples,
# b2 veins and fur, b3 the hole-sized layout. A fill with as much structure at a scale as the
# photo scores 1 in that band; a smudge scores far below 1 however right its mean colour is.
BANDS = ((1.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0))


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian of ``x`` ``[1, 1, H, W]`` over 3 sigma, edges reflected."""
    radius = max(1, int(3 * sigma + 0.5))
    k = _gaussian_1d(2 * radius + 1, sigma)
    x = F.pad(x, (radius,) * 4, mode="reflect" if min(x.shape[-2:]) > radius else "replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    return F.conv2d(x, k.view(1, 1, -1, 1))


def hole_bands(image: np.ndarray, hole: np.ndarray) -> list[float]:
    """Per ``BANDS`` entry, the standard deviation of that difference of Gaussians of luminance
    over ``hole`` eroded by ``DETAIL_ERODE`` px; ``image`` ``[H, W, 3]`` in [0, 1]. NaN where
    erosion leaves no pixel."""
    luma, inner = _luma_and_inner(image, hole)
    if not inner.any():
        return [float("nan")] * len(BANDS)
    return [float(band[inner].std()) for band in _bands(luma)]


def luma_bands(image: np.ndarray) -> list[np.ndarray]:
    """Per ``BANDS`` entry, that difference of Gaussians of ``image``'s luminance ``[H, W]``;
    ``image`` ``[H, W, 3]`` in [0, 1]. What ``hole_bands`` measures, as pictures."""
    return _bands(_luma(image))


def _luma(image: np.ndarray) -> torch.Tensor:
    """``image``'s luminance as ``[1, 1, H, W]`` float32."""
    return torch.from_numpy(np.ascontiguousarray(image, np.float32) @ _LUMA)[None, None]


def _bands(luma: torch.Tensor) -> list[np.ndarray]:
    blurred = {s: _blur(luma, s)[0, 0].numpy() for s in sorted({s for b in BANDS for s in b})}
    return [blurred[lo] - blurred[hi] for lo, hi in BANDS]


def band_ratios(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> list[float]:
    """``hole_bands`` of the fill over those of the truth, band by band: structure per scale
    against the photo's (1.0 = as much as the photo at that scale). NaN where the truth is flat."""
    truth = hole_bands(target, hole)
    mine = hole_bands(pred, hole)
    return [m / t if t > 0 else float("nan") for m, t in zip(mine, truth)]
