"""Structure from the photo, layout from the network: every scale the network's smooth fill lacks.

The network's fill gets what goes where right (colours, edges, gradients) but is smooth: an
object-sized hole comes out as a smudge, without the grain, blades, ripples or fur (1-16 px) the
photo shows around it. This stage completes the hole's deep parts from the photo's own known
pixels, coarse to fine, with the network's fill as the layout (``completion``); where the
surroundings repeat on a lattice (tiles, blinds, planking), the hole is instead copied one period
along it (``periodic``). Near the hole's edge and in strokes under ~24 px wide the network's fill
stays whole: there it is the photo's continuation; but around a busy texture (gravel, grass) a
stroke from ~12 px wide is completed too, since there the network's fill is a visible smear, and
deep in a hole there the completion may copy the photo in whole pieces (``shift_map``). Pure
tensor code with no parameters; seeded, so a fill is repeatable. What measured the widths:
``docs/experiments/``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch

from .beside import beside
from .completion import complete
from .depth import hole_depth
from .filters import gaussian_blur, luma
from .membrane import membrane_fill
from .patch_match import valid_sources
from .periodic import copy_along, find_lattice
from .vote import box

# Hole pixels this close (px) to a known one keep the network's fill; the photo's structure is
# faded in over _RAMP px more.
_NEAR, _RAMP = 2, 4
# Only parts of the hole with a pixel this far (px) from every known one, and what lies within this
# distance of it, are completed: narrower strokes gain more error than structure from it.
_WIDE = 12
_DEPTH_CAP = max(_NEAR + _RAMP, _WIDE)
# Around a busy texture (gravel, grass: luminance grain below 2 px with this rms or more) strokes
# from ~12 px wide (a pixel _NEAR + _RAMP deep) are completed too: there the network's fill is a
# visible smear. Thin strokes always keep the network's fill.
_BUSY = 0.09
# The depth and the grain are measured in the hole's box grown by this much (px): the grain's
# blurs reach 2 * 24 + 6 px and the depth with its box tests 2 * _DEPTH_CAP, so only the grain's
# membrane solve could see the difference (no fill did: experiments/completion/same_fills.py).
_AROUND = 64


def add_texture(fill: torch.Tensor, known: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """``fill`` ``[3, H, W]`` in [0, 1] (the photo where ``known`` ``[H, W]`` bool is True) with
    the photo's own texture added in the hole; known pixels are returned unchanged.

    Where too little is known to copy from (under ~20 valid source pixels), ``fill`` comes back as
    it is.
    """
    if fill.ndim != 3 or fill.shape[0] != 3 or known.shape != fill.shape[1:]:
        raise ValueError(
            f"expected fill [3, H, W] and known [H, W], got {fill.shape}, {known.shape}"
        )
    hole = ~known
    if not hole.any():
        return fill.clone()
    ys, xs = box(hole, _AROUND)
    ramp, wide, busy_wide = _depths(known[ys, xs])
    if not bool((ramp[0] > 0)[wide | busy_wide].any()):  # a thin stroke: nothing to add
        return fill.clone()
    pool = ThreadPoolExecutor(1)
    found = beside(pool, find_lattice, fill, known)  # meanwhile, on a second core
    busy = torch.zeros_like(known)
    busy[ys, xs] = _grain(fill[:, ys, xs], known[ys, xs]) > _BUSY**2
    depth = torch.zeros_like(fill[:1])
    depth[:, ys, xs] = ramp * (wide | busy_wide & busy[ys, xs]).to(ramp.dtype)
    if not depth.any():  # no part of the hole is deep enough, nor busy: nothing to add
        pool.shutdown(wait=False)
        return fill.clone()
    lattice = found.result()
    pool.shutdown()
    repeated = copy_along(fill, known, lattice) if lattice else None
    if repeated is not None:  # a regular pattern: its next period is what lies under the hole
        return torch.where(known, fill, depth * repeated + (1 - depth) * fill)
    # whole pieces of the photo only on a busy texture: elsewhere the completion's fill, held to
    # the network's layout, is closer (natural photos lost 0.1-0.4 dB to the copies)
    completed = complete(fill, known, region=depth[0] > 0, seed=seed, copies=busy)
    if completed is None:  # too little known to copy from
        return fill.clone()
    return torch.where(known, fill, depth * completed + (1 - depth) * fill)


def _depths(known: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """How deep each hole pixel is completed, and where: ``[1, H, W]`` 0 within ``_NEAR`` px of
    a known pixel, rising to 1 over ``_RAMP`` px more; ``[H, W]`` bool, the parts of the hole
    about ``2 * _WIDE`` px wide or wider; ``[H, W]`` bool, those from ``2 * (_NEAR + _RAMP)`` px
    wide, completed where the photo around is busy (``_BUSY``).

    Near a known pixel the network's own fill is the photo's continuation; deeper in, it is a
    smudge. A thin stroke has no deep inside for the photo's structure to show in, and there the
    network beats every classical fill; around a busy texture its smear shows sooner."""
    depth = hole_depth(~known, _DEPTH_CAP)[None]  # px to the nearest known pixel, capped
    ramp = ((depth - _NEAR) / _RAMP).clamp(0, 1)
    wide = ~valid_sources(depth[0] < _WIDE, _WIDE)  # within _WIDE px of a pixel _WIDE deep
    deep = _NEAR + _RAMP
    return ramp, wide, ~valid_sources(depth[0] < deep, deep)


def _grain(fill: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``[H, W]``: the photo's luminance grain energy below 2 px around each pixel, measured on
    known pixels and carried smoothly into the hole."""
    detail = luma(fill - gaussian_blur(fill[None], 2.0)[0])
    weight = known.to(fill.dtype)[None, None]
    around = gaussian_blur((detail.square() * weight[0])[None], 8.0)
    cover = gaussian_blur(weight, 8.0)
    return membrane_fill(around / cover.clamp_min(1e-6), (cover > 0.2).to(fill.dtype))[0, 0]
