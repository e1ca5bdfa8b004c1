"""Full-band completion: the photo's own structure at every scale, laid out by the network.

The network's fill gets what goes where right (colours, edges, gradients) but is smooth: grass
blades, ripples, veins and fur (2-16 px) are missing, and grain alone does not bring them back.
This stage completes the hole from the photo's own known pixels, coarse to fine over an image
pyramid, in the scheme of Wexler, Shechtman and Irani's space-time completion and Barnes et al.'s
PatchMatch: at each level a nearest-neighbour field from every patch touching the hole to a fully
known patch (``patch_match``), then each hole pixel set by the weighted vote of the overlapping
patches, a few times over (expectation-maximisation); the field is carried to the next level.

The network enters twice. It initialises the coarsest level, so the search starts from its layout;
and after every vote the estimate's low frequencies are pulled back to the network's (a Gaussian
of ``_GUIDE_SIGMA`` level px), so the network decides colours, edges and gradients and the photo
supplies the bands above. How far up the photo's bands reach follows how well the surroundings
match: where overlapping patches agree, their vote keeps the photo's structure; where the photo
has nothing alike, they disagree and their average is smooth, and a smooth photo stays smooth.
Pure tensor code with no parameters; seeded, so a fill is repeatable.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .filters import gaussian_blur
from .patch_match import patch_features, random_field, refine_field, valid_sources

# Patch radius (px at every level): 5x5 patches, as pypatchmatch's default.
_RADIUS = 2
# The coarsest level is the one where the hole is at most this deep (px to the nearest known
# pixel); at most _MAX_LEVELS levels (1/8 resolution).
_COARSE_DEPTH, _MAX_LEVELS = 3, 4
# Known pixels this far (px at full resolution) around the hole's bounding box are searched.
_CONTEXT = 128
# EM iterations at the coarsest level, the middle ones and the finest.
_ITERS_COARSE, _ITERS_MID, _ITERS_FINE = 4, 2, 1
# PatchMatch sweeps per EM iteration, the propagation steps and the random search's widest radius
# (px): coarse levels search the whole crop; the finest only refines what the level above found.
_SWEEPS, _STEPS = 2, (1, 2, 4)
_FINE_SWEEPS, _FINE_STEPS, _FINE_RADIUS = 1, (1, 2), 4
# Width (px at full resolution) of the low frequencies pulled back to the network's after every
# vote: the photo supplies the bands below it, the network everything coarser.
_GUIDE_SIGMA = 8.0
# Vote weights: exp(-cost / (_SIMILARITY * median cost)); patches that match worse count less.
_SIMILARITY = 0.5


def complete(
    fill: torch.Tensor, known: torch.Tensor, region: torch.Tensor | None = None, seed: int = 0
) -> torch.Tensor | None:
    """``fill`` ``[3, H, W]`` in [0, 1] (the photo where ``known`` ``[H, W]`` is True, the
    network's fill elsewhere) with ``region`` (``[H, W]`` bool, inside the hole; default the whole
    hole) completed from the photo's known pixels. Hole pixels outside ``region`` keep the
    network's fill and are context, never sources; everything outside ``region`` is returned
    unchanged. ``None`` where too little is known to copy from."""
    region = ~known if region is None else region & ~known
    if not region.any():
        return fill.clone()
    rows = torch.nonzero(region.any(1)).squeeze(1)
    cols = torch.nonzero(region.any(0)).squeeze(1)
    h, w = known.shape
    y0, y1 = max(0, int(rows[0]) - _CONTEXT), min(h, int(rows[-1]) + 1 + _CONTEXT)
    x0, x1 = max(0, int(cols[0]) - _CONTEXT), min(w, int(cols[-1]) + 1 + _CONTEXT)
    inside = region[y0:y1, x0:x1]
    done = _complete_crop(fill[:, y0:y1, x0:x1], known[y0:y1, x0:x1], inside, seed)
    if done is None:
        return None
    out = fill.clone()
    out[:, y0:y1, x0:x1] = torch.where(inside, done, fill[:, y0:y1, x0:x1])
    return out


def _complete_crop(
    fill: torch.Tensor, known: torch.Tensor, region: torch.Tensor, seed: int
) -> torch.Tensor | None:
    """Coarse to fine over the pyramid: each level starts from the field of the one below (the
    coarsest from the network's layout) and runs its EM iterations."""
    levels = _pyramid(fill, known, region, _levels(~region))
    generator = torch.Generator(device=fill.device).manual_seed(seed)
    below: tuple[torch.Tensor, torch.Tensor, tuple[int, int]] | None = None  # field, targets, size
    estimate = fill
    for depth in reversed(range(len(levels))):
        image, guide, known_l, fixed = levels[depth]
        valid = valid_sources(known_l, _RADIUS)
        sources = torch.nonzero(valid.flatten()).squeeze(1)
        if sources.numel() < 20:
            return None
        targets = _targets(fixed)
        size = (int(known_l.shape[0]), int(known_l.shape[1]))
        if below is None:
            field = _layout_field(image, guide, fixed, targets, valid, sources, generator)
            iters = _ITERS_COARSE
        else:
            field = _upsampled(*below, targets, size, valid, generator)
            iters = _ITERS_FINE if depth == 0 else _ITERS_MID
        sigma = _GUIDE_SIGMA / 2**depth
        # the first estimate is the sources' whole band, not the smooth guide itself: matching a
        # flat estimate would pick the flattest sources, and every finer level would inherit that
        estimate = _guided(
            torch.where(fixed, image, _vote(image, field, targets, None)), guide, fixed, sigma
        )
        source_features = patch_features(image, _RADIUS, 1)
        fine = depth == 0 and len(levels) > 1
        for _ in range(iters):
            target_features = patch_features(estimate, _RADIUS, 1)[targets]
            field = refine_field(
                field,
                targets,
                source_features,
                target_features,
                valid,
                _FINE_SWEEPS if fine else _SWEEPS,
                _FINE_STEPS if fine else _STEPS,
                _FINE_RADIUS if fine else max(size) // 2,
                generator,
            )
            cost = (source_features[field] - target_features).square().mean(1)
            voted = torch.where(fixed, image, _vote(image, field, targets, cost))
            estimate = _guided(voted, guide, fixed, sigma)
        below = (field, targets, size)
    return estimate


def _layout_field(
    image: torch.Tensor,
    guide: torch.Tensor,
    fixed: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    sources: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """The coarsest level's first field: sources whose low frequencies fit the network's layout."""
    lows = gaussian_blur(torch.stack([image, torch.where(fixed, image, guide)]), 1.0)
    return refine_field(
        random_field(targets.numel(), sources, generator),
        targets,
        patch_features(lows[0], _RADIUS, 1),
        patch_features(lows[1], _RADIUS, 1)[targets],
        valid,
        _SWEEPS,
        _STEPS,
        max(fixed.shape) // 2,
        generator,
    )


def _levels(fixed: torch.Tensor) -> int:
    """How many pyramid levels: enough that the region is ``_COARSE_DEPTH`` px deep at the top."""
    reach = fixed.to(torch.float32)[None, None]
    depth = 0
    while not bool(reach.all()) and depth < _COARSE_DEPTH << (_MAX_LEVELS - 1):
        reach = F.max_pool2d(reach, 3, stride=1, padding=1)
        depth += 1
    levels = 1 + max(0, math.ceil(math.log2(max(depth, 1) / _COARSE_DEPTH)))
    while levels > 1 and min(fixed.shape) >> (levels - 1) < 4 * _RADIUS + 4:
        levels -= 1
    return min(levels, _MAX_LEVELS)


def _pyramid(
    fill: torch.Tensor, known: torch.Tensor, region: torch.Tensor, n: int
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(image, network guide, known, fixed) per level, halved each time. A coarse pixel is known
    only if all its pixels are, and its photo value is the mean of its known pixels; it is fixed
    (context, not completed) if none of its pixels is in ``region``; elsewhere the image holds
    the network's fill."""
    weight = known.to(fill.dtype)[None, None]
    photo = (fill * weight[0])[None]
    guide = fill[None]
    grow = region.to(fill.dtype)[None, None]
    levels = [(fill, fill, known, ~region)]
    for _ in range(n - 1):
        photo = F.avg_pool2d(photo, 2, ceil_mode=True)
        weight = F.avg_pool2d(weight, 2, ceil_mode=True)
        guide = F.avg_pool2d(guide, 2, ceil_mode=True)
        grow = F.max_pool2d(grow, 2, ceil_mode=True)
        known_l = weight[0, 0] > 1 - 1e-6
        image = torch.where(known_l, photo[0] / weight[0].clamp_min(1e-6), guide[0])
        levels.append((image, guide[0], known_l, grow[0, 0] < 0.5))
    return levels


def _targets(fixed: torch.Tensor) -> torch.Tensor:
    """Flat indices of every pixel whose patch touches what is completed (grown by ``_RADIUS``)."""
    grown = F.max_pool2d((~fixed).to(torch.float32)[None, None], 2 * _RADIUS + 1, 1, _RADIUS)
    return torch.nonzero(grown.flatten() > 0.5).squeeze(1)


def _vote(
    image: torch.Tensor,
    field: torch.Tensor,
    targets: torch.Tensor,
    cost: torch.Tensor | None,
) -> torch.Tensor:
    """``[3, h, w]``: each pixel the weighted mean of what the patches over it copy there."""
    c, h, w = image.shape
    if cost is None:
        weight = torch.ones_like(field, dtype=image.dtype)
    else:
        # floored: where every patch over a pixel matches badly their plain mean still counts
        scale = _SIMILARITY * cost.median().clamp_min(1e-8)
        weight = torch.exp(-cost / scale).clamp_min(1e-6)
    flat = image.reshape(c, -1)
    total = torch.zeros(c, h * w, dtype=image.dtype, device=image.device)
    count = torch.zeros(h * w, dtype=image.dtype, device=image.device)
    ty, tx = targets // w, targets % w
    sy, sx = field // w, field % w
    for dy in range(-_RADIUS, _RADIUS + 1):
        for dx in range(-_RADIUS, _RADIUS + 1):
            qy, qx = ty + dy, tx + dx
            inside = (qy >= 0) & (qy < h) & (qx >= 0) & (qx < w)
            at = (qy.clamp(0, h - 1) * w + qx.clamp(0, w - 1))[inside]
            src = (sy + dy).clamp(0, h - 1) * w + (sx + dx).clamp(0, w - 1)
            wt = weight[inside]
            total.index_add_(1, at, flat[:, src[inside]] * wt)
            count.index_add_(0, at, wt)
    voted = total / count.clamp_min(1e-12)
    return torch.where(count > 0, voted, flat).view(c, h, w)


def _guided(
    estimate: torch.Tensor, guide: torch.Tensor, known: torch.Tensor, sigma: float
) -> torch.Tensor:
    """The estimate with its low frequencies replaced by the network's, in the hole only."""
    low = gaussian_blur(torch.stack([estimate, guide]), max(sigma, 0.5))
    return torch.where(known, estimate, (estimate - low[0] + low[1]).clamp(0, 1))


def _upsampled(
    coarse: torch.Tensor,
    coarse_targets: torch.Tensor,
    coarse_size: tuple[int, int],
    targets: torch.Tensor,
    size: tuple[int, int],
    valid: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """The coarse field carried to the finer level: each pixel takes its coarse cell's match,
    offset by its place in the cell; pixels without one, or landing on an invalid source, draw a
    random one."""
    hc, wc = coarse_size
    h, w = size
    lookup = torch.full((hc * wc,), -1, dtype=torch.long, device=coarse.device)
    lookup[coarse_targets] = coarse
    ty, tx = targets // w, targets % w
    cell = (ty // 2).clamp(max=hc - 1) * wc + (tx // 2).clamp(max=wc - 1)
    match = lookup[cell]
    qy = ((match // wc) * 2 + ty % 2).clamp(0, h - 1)
    qx = ((match % wc) * 2 + tx % 2).clamp(0, w - 1)
    field = qy * w + qx
    ok = valid.flatten()
    bad = (match < 0) | ~ok[field]
    if bool(bad.any()):
        field[bad] = random_field(int(bad.sum()), torch.nonzero(ok).squeeze(1), generator)
    return field
