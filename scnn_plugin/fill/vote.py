"""Weighted voting: each completed pixel becomes the weighted mean of what the patches over it copy.

The matches and weights are laid out as maps over the box the targets' patches cover; per patch
offset, one shifted slice of those maps, one gather and one add. A flat list of every (patch,
offset) pair takes ten times the targets' memory, and indexing the targets per offset twice the
time (``docs/experiments/completion.md``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def box(mask: torch.Tensor, margin: int) -> tuple[slice, slice]:
    """Rows and columns of ``mask``'s bounding box grown by ``margin`` px, within the image."""
    rows = torch.nonzero(mask.any(1)).squeeze(1)
    cols = torch.nonzero(mask.any(0)).squeeze(1)
    h, w = mask.shape
    return (
        slice(max(0, int(rows[0]) - margin), min(h, int(rows[-1]) + 1 + margin)),
        slice(max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + 1 + margin)),
    )


class Vote:
    """Voting on one pyramid level, for the patches (radius ``radius``) centred on ``targets``
    (flat indices) over an image where ``fixed`` pixels are never written and only ``known``
    pixels are ever copied."""

    def __init__(
        self,
        targets: torch.Tensor,
        fixed: torch.Tensor,
        known: torch.Tensor,
        radius: int,
    ) -> None:
        h, w = int(fixed.shape[0]), int(fixed.shape[1])
        # what a copied pixel counts for: 0 where it is unknown (off the crop is skipped below)
        self.known = known.flatten().to(torch.float32)
        self.targets = targets
        self.radius = radius
        self.size = (h, w)
        # the targets lie within ``radius`` of what is completed, their patches ``radius`` further
        rows, cols = box(~fixed, 2 * radius)
        self.y0, self.y1, self.x0, self.x1 = rows.start, rows.stop, cols.start, cols.stop
        ty, tx = targets // w, targets % w
        wb = self.x1 - self.x0
        # where each target sits in the box's maps, padded by ``radius`` on every side
        self.slots = (ty - self.y0 + radius) * (wb + 2 * radius) + (tx - self.x0 + radius)
        self.free = ~fixed[self.y0 : self.y1, self.x0 : self.x1]

    def __call__(
        self, image: torch.Tensor, field: torch.Tensor, weight: torch.Tensor | None
    ) -> torch.Tensor:
        """``image`` ``[3, h, w]`` with every pixel the targets' patches cover set to the mean of
        their copies, each patch counting ``weight`` (``[n]``; None: all alike)."""
        c = image.shape[0]
        h, w = self.size
        r = self.radius
        if weight is None:
            weight = torch.ones_like(field, dtype=image.dtype)
        hb, wb = self.y1 - self.y0, self.x1 - self.x0
        side = 2 * r
        matches = torch.zeros((hb + side) * (wb + side), dtype=field.dtype, device=field.device)
        weights = torch.zeros((hb + side) * (wb + side), dtype=image.dtype, device=image.device)
        matches[self.slots] = field
        weights[self.slots] = weight
        matches = matches.view(hb + side, wb + side)
        weights = weights.view(hb + side, wb + side)
        # the image and its known mask, padded by ``r`` with nothing known, so a patch that runs
        # off the crop needs no bounds test: its off-crop pixels count for nothing
        wp = w + side
        known = self.known.to(image.dtype)
        stack = torch.cat([image.reshape(c, -1) * known, known[None]]).view(c + 1, h, w)
        stack = F.pad(stack, (r, r, r, r)).reshape(c + 1, -1)
        base = (matches // w + r) * wp + (matches % w + r)
        acc = torch.zeros(c + 1, hb, wb, dtype=image.dtype, device=image.device)
        for dy in range(-r, r + 1):
            rows = slice(r - dy, r - dy + hb)  # the patch whose offset dy lands here
            for dx in range(-r, r + 1):
                cols = slice(r - dx, r - dx + wb)
                # index_select: the same gather as indexing, several times faster on the CPU
                copied = stack.index_select(1, (base[rows, cols] + (dy * wp + dx)).flatten())
                acc += copied.view(c + 1, hb, wb) * weights[rows, cols]
        total, count = acc[:c], acc[c]
        voted = total / count.clamp_min(1e-12)
        out = image.clone()
        part = out[:, self.y0 : self.y1, self.x0 : self.x1]
        part.copy_(torch.where(self.free & (count > 0), voted, part))
        return out
