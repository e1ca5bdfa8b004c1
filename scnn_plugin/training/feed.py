"""The training feed: batches of random crops with holes, made in loader worker processes.

Crops come from a ``DataLoader`` over ``CropSampler``, in ``workers`` processes when asked (each
with its own random stream), and travel as 8-bit images and holes: a quarter of the bytes.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader

from .config import TrainConfig
from .data import CropSampler


def crop_loader(
    photos: list[np.ndarray], cfg: TrainConfig, step: int = 0, device: torch.device | None = None
) -> DataLoader:
    """Batches ``(images [B, 3, S, S], holes [B, 1, S, S])`` (``pack_batch``'s) from
    ``cfg.workers`` processes, ``cfg.batch`` crops of side ``cfg.crop`` each.

    Seeded by the step, so a resumed run draws new samples instead of repeating the first;
    each worker (and rank) draws from its own stream (``CropSampler``).
    """
    sampler = CropSampler(
        photos,
        cfg.crop,
        seed=cfg.seed + 7919 * step,
        cables=cfg.cables,
        objects=cfg.objects,
    )
    feed: dict = {}
    if cfg.workers:
        feed = {"persistent_workers": True, "prefetch_factor": 4}
    return DataLoader(
        sampler,
        batch_size=cfg.batch,
        collate_fn=pack_batch,
        num_workers=cfg.workers,
        pin_memory=device is not None and device.type == "cuda",
        **feed,
    )


def pack_batch(
    samples: list[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``CropSampler`` samples as 8-bit images and holes, as photos are: a quarter of the
    bytes a loader worker passes to the training process (and the training process to a GPU)."""
    images, holes = zip(*samples)
    x = torch.stack(images).mul_(255).round_().to(torch.uint8)
    return x, torch.stack(holes).to(torch.uint8)


def unpack_batch(
    x: torch.Tensor, m: torch.Tensor, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """``pack_batch``'s images ``[B, 3, S, S]`` in [0, 1] and holes ``[B, 1, S, S]`` (1 = fill),
    float on ``device``; converted there, so a GPU does the conversion."""
    x = x.to(device, non_blocking=True).float().div_(255)
    return x, m.to(device, non_blocking=True).float()
