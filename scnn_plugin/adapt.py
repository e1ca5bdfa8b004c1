"""Adapt the network to the photo it is filling: a few optimiser steps on the photo's own pixels.

Why: the shipped weights are generic, but what a hole needs is usually visible around it in the
same photo (the cables across its sky, its texture). Holes shaped like the user's are cut where the
answer is known, and the network learns to fill them before it fills the real one. Only the decoder
and the full-resolution layers adapt (the model's ``adapt_modules``): the spiking encoder is where
most of the compute is, and with it fixed the backward pass stops at the decoder. A copy adapts;
it is used only if it beats the shipped weights on held-back holes of the same photo, so adapting
cannot make a fill worse by that measure. Measured gains are in ``weights/README.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch

from .errors import Cancelled
from .imaging import Canvas, to_tensor
from .losses import hole_loss
from .models import InpaintNet

CROP = 128  # px: the training crops' size, at the photo's own scale
BATCH = 8
LEARNING_RATE = 1e-3
_HELD_BACK = 16  # crops scored before and after, never trained on; forward passes only
_MIN_SIDE = 32  # below this a crop has too little around a hole to learn from


def adapt_model(
    model: InpaintNet,
    canvas: Canvas,
    holes: np.ndarray,
    steps: int,
    timesteps: int,
    progress: Callable[[int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> InpaintNet:
    """A copy of ``model`` after ``steps`` optimiser steps on ``canvas`` outside its holes, or
    ``model`` itself when the copy does not do better on held-back holes (or nothing can be learnt:
    a tiny image, no hole, no known pixels).

    ``holes`` (``[H, W]`` bool, True = fill) are the mask's, whose shapes the training holes copy;
    ``canvas.holes`` adds the fully transparent pixels, which are never learnt from.

    ``model`` is never modified. ``progress(step)`` follows each step; ``cancel()`` returning True
    raises ``Cancelled``. Seeded, so the same photo and mask adapt the same way every time.
    """
    multiple = model.multiple
    side = min(CROP, *canvas.size) // multiple * multiple
    if steps < 1 or side < _MIN_SIDE or not holes.any() or holes.all():
        return model
    crops = _Crops(canvas, holes, side, next(model.parameters()).device)
    held_back = crops.batch(np.random.default_rng(1), _HELD_BACK)
    before = _score(model, held_back, timesteps)

    adapted = copy.deepcopy(model).eval()  # eval: normalisation keeps its trained statistics
    names = model.adapt_modules
    params = []
    for name, p in adapted.named_parameters():
        p.requires_grad_(name.split(".")[0] in names)
        if p.requires_grad:
            params.append(p)
    if not params:
        return model
    optimiser = torch.optim.Adam(params, lr=LEARNING_RATE)
    rng = np.random.default_rng(0)  # the first N steps of a longer run are these N steps
    with torch.enable_grad():
        for step in range(steps):
            if cancel is not None and cancel():
                raise Cancelled("inpainting cancelled; the image was not changed")
            loss = _loss(adapted, crops.batch(rng, BATCH), timesteps)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if progress is not None:
                progress(step + 1)
    adapted.requires_grad_(False)
    return adapted if _score(adapted, held_back, timesteps) < before else model


Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _loss(model: InpaintNet, batch: Batch, timesteps: int) -> torch.Tensor:
    """The ``hole`` loss of ``model`` on ``batch``: what the copy trains on and is judged by."""
    image, inputs, target = batch
    return hole_loss(model(image, inputs, timesteps=timesteps), image, target)


@torch.no_grad()
def _score(model: InpaintNet, batch: Batch, timesteps: int) -> float:
    return float(_loss(model, batch, timesteps))


class _Crops:
    """Training crops of one photo: a window anywhere, a piece of the user's mask laid over it.

    The mask piece is cut around a random hole pixel (then flipped or transposed), so every crop
    gets a hole shaped like the user's. The network's input hides that hole and the canvas's holes
    (the real holes, fully transparent pixels); the loss counts only the pixels of the cut hole
    that are really known.
    """

    def __init__(self, canvas: Canvas, holes: np.ndarray, side: int, device: torch.device) -> None:
        self.canvas, self.holes, self.side, self.device = canvas, holes, side, device
        # Every 4th row and column: enough to pick from, a 16th of the memory on a huge mask.
        ys, xs = np.nonzero(holes[::4, ::4])
        self.hole_pixels = np.stack([ys * 4, xs * 4], axis=1)

    def batch(self, rng: np.random.Generator, n: int) -> Batch:
        images, inputs, targets = [], [], []
        height, width = self.canvas.size
        s = self.side
        for _ in range(n):
            y, x = int(rng.integers(0, height - s + 1)), int(rng.integers(0, width - s + 1))
            real = self.canvas.holes[y : y + s, x : x + s]  # the holes and transparent pixels
            cut = self._mask_piece(rng)
            images.append(self.canvas.read(y, y + s, x, x + s))
            inputs.append(cut | real)
            targets.append(cut & ~real)
        image = to_tensor(np.stack(images))
        masks = (torch.from_numpy(np.stack(m))[:, None].float() for m in (inputs, targets))
        return image.to(self.device), *(m.to(self.device) for m in masks)

    def _mask_piece(self, rng: np.random.Generator) -> np.ndarray:
        s, (height, width) = self.side, self.holes.shape
        cy, cx = self.hole_pixels[rng.integers(len(self.hole_pixels))] + rng.integers(
            -s // 4, s // 4 + 1, size=2
        )
        y0, x0 = cy - s // 2, cx - s // 2
        piece = np.zeros((s, s), dtype=bool)  # beyond the image edge nothing is masked
        ys, xs = slice(max(0, y0), min(height, y0 + s)), slice(max(0, x0), min(width, x0 + s))
        piece[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0] = self.holes[ys, xs]
        turn = rng.integers(4)
        piece = np.rot90(piece, turn)
        return np.ascontiguousarray(piece[:, ::-1] if rng.random() < 0.5 else piece)
