"""The ``hole`` loss: what training and the adaptation to a photo (``adapt.py``) both minimise.

It lives in the core, not in ``training/``, because inference adapts with it and the core never
imports training code; ``training/losses.py`` names it in its registry.
"""

from __future__ import annotations

import torch


def hole_loss(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Batch mean of L1 + MSE + image-gradient L1 of the composited result over each sample's hole.

    ``pred`` / ``target`` ``[N, C, H, W]`` in [0, 1], ``hole`` ``[N, 1, H, W]`` (1 = filled).
    Normalising each sample by its own hole (not the batch's) keeps thin and thick masks equally
    weighted: pooled over the batch, a 40 % box outweighed a 5 % scribble eight to one. The gradient
    term rewards edges that continue into the hole instead of a blur.
    """
    per_sample = (1, 2, 3)  # sum over channels and pixels, keep the batch axis
    comp = pred * hole + target * (1 - hole)
    area = hole.sum(per_sample).clamp_min(1.0) * pred.shape[1]
    diff = comp - target
    l1_mse = (diff.abs() + diff**2).sum(per_sample)
    gx = (diff[..., :, 1:] - diff[..., :, :-1]).abs().sum(per_sample)
    gy = (diff[..., 1:, :] - diff[..., :-1, :]).abs().sum(per_sample)
    return ((l1_mse + 0.5 * (gx + gy)) / area).mean()
