"""Validation: how well a model fills the held-out set, the score that picks a run's best weights.

``masked_psnr`` is the one definition of hole PSNR; ``evaluation/metrics.py`` lists it beside the
other metrics, so training never imports the measuring package (evaluation reads training's photos,
masks and held-out set, never the other way round).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from ..imaging import to_rgb, to_tensor

if TYPE_CHECKING:  # the held-out set's module draws masks; scoring needs only the type
    from .evalset import EvalSample


def masked_psnr(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> float:
    """PSNR (dB) over hole pixels; ``pred``/``target`` ``[H, W, 3]`` in [0, 1], ``hole`` ``[H, W]`` bool."""
    if not hole.any():
        raise ValueError("masked_psnr needs at least one hole pixel")
    mse = float(np.mean((pred[hole].astype(np.float64) - target[hole]) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def evaluate_psnr(
    model: nn.Module, samples: list[EvalSample], device: torch.device, batch: int = 4
) -> dict[str, float]:
    """Mean masked PSNR per mask kind and overall, on 8-bit results as the user would save them."""
    scores: dict[str, list[float]] = {}
    model.eval()
    with torch.inference_mode():
        for i in range(0, len(samples), batch):
            chunk = samples[i : i + batch]
            x = to_tensor(np.stack([s.image for s in chunk]))
            m = torch.from_numpy(np.stack([s.hole for s in chunk]))[:, None].float()
            pred = model(x.to(device), m.to(device)).float().cpu()
            out = to_rgb((pred * m + x * (1 - m)).mul(255).round().div(255))
            for s, o in zip(chunk, out):
                scores.setdefault(s.kind, []).append(masked_psnr(o, s.image / 255.0, s.hole))
    result = {k: float(np.mean(v)) for k, v in scores.items()}
    result["mean"] = float(np.mean([v for vs in scores.values() for v in vs]))
    return result
