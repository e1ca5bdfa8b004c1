"""Flipped views of a window, filled one by one and averaged: an ensemble the weights already hold.

Why: the network is not exactly flip-equivariant, so its fills of a window and of the window's
mirror images err differently; their mean errs less (measured in ``weights/README.md``). Flips,
not transposes, keep a window's shape, and each view is run on its own, so memory does not grow.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .options import MAX_VIEWS

# The flipped dims of each view, in the order they are added: the first n are used.
FLIPS: tuple[tuple[int, ...], ...] = ((), (-1,), (-2, -1), (-2,))
assert len(FLIPS) == MAX_VIEWS, "one flip per view that InpaintOptions accepts"


def averaged(
    run: Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor],
    image: torch.Tensor,
    holes: torch.Tensor,
    prior: torch.Tensor | None,
    views: int,
) -> torch.Tensor:
    """The mean of ``run(image, holes, prior)`` over the first ``views`` flips, each flipped back.

    ``image`` ``[N, 3, H, W]``, ``holes`` ``[N, 1, H, W]`` (1 = fill), ``prior`` flipped alike.
    """
    if not 1 <= views <= MAX_VIEWS:
        raise ValueError(f"views must be in [1, {MAX_VIEWS}], got {views}")
    total = None
    for dims in FLIPS[:views]:
        out = _flip(run(_flip(image, dims), _flip(holes, dims), _flip(prior, dims)), dims)
        total = out if total is None else total.add_(out)
    return total.div_(views)


def _flip(t: torch.Tensor | None, dims: tuple[int, ...]) -> torch.Tensor | None:
    return t.flip(dims) if t is not None and dims else t
