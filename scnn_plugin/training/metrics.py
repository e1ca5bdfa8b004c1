"""Quality metrics on the hole region: what the user sees change, not the untouched rest."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def masked_psnr(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> float:
    """PSNR (dB) over hole pixels; ``pred``/``target`` ``[H, W, 3]`` in [0, 1], ``hole`` ``[H, W]`` bool."""
    if not hole.any():
        raise ValueError("masked_psnr needs at least one hole pixel")
    mse = float(np.mean((pred[hole].astype(np.float64) - target[hole]) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


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
