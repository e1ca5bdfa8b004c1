"""Full-band completion: the photo's own structure at every scale, laid out by the network.

The network's fill gets what goes where right (colours, edges, gradients) but is smooth: grass
blades, ripples, veins and fur (2-16 px) are missing, and grain alone does not bring them back.
This stage completes the hole from the photo's own known pixels, coarse to fine over an image
pyramid, in the scheme of Wexler, Shechtman and Irani's space-time completion and Barnes et al.'s
PatchMatch: at each level a nearest-neighbour field from every patch touching the hole to a patch
of the photo (``patch_match``; what a patch does not know counts against it and is never copied),
then each hole pixel set by the weighted vote of the overlapping patches, a few times over
(expectation-maximisation); the field is carried to the next level. As in PyPatchMatch the hole
shrinks going up the pyramid, so the top level decides the layout where the hole is a few px
across.

The network decides that layout. Its fill gives the coarsest level its first field and, after
every vote there, its low frequencies (a Gaussian of ``_GUIDE_SIGMA`` px at full resolution,
scaled to the level); on every level those low frequencies are a term of each match's distance,
so the copies follow the network's colours, edges and gradients; at the end they are put back.
The photo supplies the bands above. How far up they reach follows how well the surroundings
match: where overlapping patches agree, their vote keeps the photo's structure; where the photo
has nothing alike, they disagree and their average is smooth, and a smooth photo stays smooth.
Pure tensor code with no parameters; seeded, so a fill is repeatable.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from .filters import gaussian_blur, luma
from .membrane import membrane_fill
from .patch_match import random_field, refine_field, unknown_counts, valid_sources

# Patch radius (px at every level): 7x7 patches. Tuned on 12 training photos with object-like
# holes of our own: against 5x5, +0.14 dB and the b0/b1/b2 band ratios 0.75/0.69/0.64 against
# 0.80/0.69/0.63; 9x9 gained another 0.1 dB for twice the time.
_RADIUS = 3
# The coarsest level is the one where the hole is at most this deep (px to the nearest known
# pixel), at most _MAX_LEVELS levels (1/64 resolution) and no smaller than _MIN_SIDE px. Going up,
# the hole shrinks (a coarse pixel is known where any of its four is, completed only where all
# four are), as in PyPatchMatch: layout is decided where the hole is a few px across. A hole that
# grew going up (a coarse pixel known only where all four were) left a 4-level pyramid with a
# hole still 5-9 px deep on top: unguided from random matches that engine scored 15.34 dB and
# bands 0.58/0.60/0.56 on the natural tuning photos, this one 17.30 and 0.77/0.68/0.69
# (PyPatchMatch: 17.40 and 0.89/0.79/0.73; measured with each level's principal axes as the
# basis, harness on the branch exp/coherent-search).
_COARSE_DEPTH, _MAX_LEVELS, _MIN_SIDE = 1, 7, 8
# A source patch may run over unknown pixels or off the crop; each such pixel adds the largest
# squared colour distance a pixel can have (3), and never votes. Requiring fully known patches
# left no sources on coarse levels of a deep pyramid (5 of 12 tuning photos).
_UNKNOWN_COST = 3.0
# Known pixels this far (px at full resolution) around the hole's bounding box are searched.
_CONTEXT = 128
# EM iterations at the coarsest level, the middle ones and the finest. Above _FINE_LIMIT target
# pixels (a hole filling most of a window) the finest level only takes the field of the one below:
# its search and votes were two thirds of a 12 MP photo's 1 % selection (2.4 -> 1.8 s on a busy
# machine); thick strokes on the tuning photos lost 0.01 dB and 0.01 of each band for a third
# of their time.
_ITERS_COARSE, _ITERS_MID, _ITERS_FINE = 4, 2, 1
_FINE_LIMIT = 60_000
# PatchMatch sweeps per EM iteration, the propagation steps and the random search's widest radius
# (px): the coarsest level searches the whole crop, finer ones refine what the level above found
# (two sweeps reaching 32 px rather than one reaching 8: +0.08 dB on the tuning photos, bands
# within 0.03).
_SWEEPS, _STEPS = 2, (1, 2, 4)
_FINE_SWEEPS, _FINE_STEPS, _FINE_RADIUS = 2, (1, 2, 4), 32
# The search is approximate on purpose (measured with the previous pyramid and guide, see
# _GUIDE_SIGMA). Exact nearest neighbours on the coarse and middle levels
# (12 natural training photos, object holes) gave +0.14 dB but bands b0-b2 0.47/0.46/0.51 against
# 0.61/0.56/0.55: the better each patch's own match, the more the overlapping patches' matches
# differ, and the smoother their vote. Structure survives where neighbouring pixels copy from
# neighbouring sources, as PatchMatch's scan-order search leaves them. Candidates propagated from a
# neighbour counted 20 % (50 %) cheaper: bands 0.70/0.63/0.56 (0.75/0.69/0.58) for 0.11 (0.22) dB,
# thick strokes 0.12 dB at 20 %; a penalty on sources many pixels use: smoother (0.52/0.51/0.53).
# PyPatchMatch itself as the engine, the network's fill below 8 px put back and kept whole 8+8 px
# inside the edge: 18.88 dB, bands 0.71/0.64/0.62 (that engine: 18.94, 0.61/0.56/0.55); by eye
# mixed (wing stripes and fur better; a chicken, a painting and a squirrel worse), and its time
# grows with the hole (0.5-1.0 s for 15,000-32,000 px, 9.2 s for a 12 MP photo's 1 % selection in
# scnn-bench). Its regularity guide, the network's colour as a term of its distance, broke the
# copies into speckle (bands 0.66/0.48/0.51). All on the same photos; code on exp/coherent-search.
# Width (px at full resolution) of the network's low frequencies, the layout: put back after every
# vote on the coarsest level and once at the end; on every level (scaled to it) a term of each
# match's distance, weighed _LAYOUT_WEIGHT per colour value against the patch's 147 (a pixel of
# layout counts as much as a patch of detail). Only putting them back after every vote on every
# level (the previous scheme) gave the 12 natural tuning photos 18.94 dB and bands b0-b2
# 0.61/0.56/0.55 (thick strokes 18.04, 0.53/0.53/0.58; the texture tiles 18.99, 0.65/0.62/0.61);
# this gave 18.99, 0.62/0.63/0.59 (thick 18.17, 0.52/0.58/0.60; tiles 19.10, 0.64/0.63/0.61; with
# the own-match grain of _CRISP_SIGMA 18.97 and thick 18.11), and
# by eye it continued a horizon, a tower and a wing's stripes where that left a smudge, and was no
# worse on the other 9. The same engine with no layout term pasted whole wrong pieces (a hen's leg
# into its body, a horse's leg into the sky), as PyPatchMatch does. On the first scheme: 12 px
# instead of 8 lifted b2 from 0.60 to 0.69 for 0.27 dB on the texture tiles; 16 px on the natural
# photos 0.70/0.60/0.60 for 0.31 dB. A photo-only completion (no network) beat it on 3 of the 12
# photos by PSNR; a band of known pixels hidden around the hole and filled both ways picked the
# network-guided fill on all 12, since near the edge the network is always better (per-photo
# oracle +0.11 dB).
_GUIDE_SIGMA, _LAYOUT_WEIGHT = 8.0, 7.0
# The most the photo's bands are amplified towards the surroundings' energy (measured over a
# Gaussian of _ENERGY_SIGMA px), where voting averaged them flat. On the tuning photos a cap of 1
# (only ever damping) gave b0-b2 0.71/0.62/0.59, 1.4 gave 0.85/0.73/0.67 for 0.33 dB.
_MAX_GAIN = 1.3
_ENERGY_SIGMA = 4.0
# Patches are compared by 40 of their 147 numbers' coordinates along a fixed cosine basis: in an
# opponent colour space, the luminance's frequencies up to _LUMA_FREQUENCY (the sum of the two
# indices: 28 of 49) and each chroma's up to _CHROMA_FREQUENCY (6 each). Natural patches' main
# axes are close to these. Each photo's own main axes (an eigendecomposition per level) gave the
# same PSNR and bands on the tuning photos within 0.03 for 60-120 ms more per removal; 40 such axes
# had matched the full patches at half the time of comparing all 147 numbers.
_LUMA_FREQUENCY, _CHROMA_FREQUENCY = 6, 2
# Below this width (px) the grain is each pixel's own match's, not the vote's (see _crisp). Without
# it the shrinking pyramid's fill lost pixel grain (held-out object holes' detail 0.87 -> 0.56 of
# the photo's) and the bundled photo's backdrop came out 1.28 times as grainy as around the hole
# (the vote's own grain, raised by _matched_energy). At 1 px, as before, 1.25 times; at 0.8 px
# 1.21, and thick strokes on the held-out photos lost 0.1 dB; at 0.6 px 1.07, natural tuning
# photos 18.97 dB and bands 0.62/0.63/0.59, thick strokes 18.11 dB (none: 18.17).
_CRISP_SIGMA = 0.6
# Vote weights: exp(-cost / (_SIMILARITY * median cost)); patches that match worse count less.
# Sharper (0.1) gave b0 0.94 but 1.8 dB less: a vote that follows one patch is as sharp as that
# patch and as wrong.
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
    ys, xs = _box(region, _CONTEXT)
    inside = region[ys, xs]
    done = _complete_crop(fill[:, ys, xs], known[ys, xs], inside, seed)
    if done is None:
        return None
    out = fill.clone()
    out[:, ys, xs] = torch.where(inside, done, fill[:, ys, xs])
    return out


def _box(mask: torch.Tensor, margin: int) -> tuple[slice, slice]:
    """Rows and columns of ``mask``'s bounding box grown by ``margin`` px, within the image."""
    rows = torch.nonzero(mask.any(1)).squeeze(1)
    cols = torch.nonzero(mask.any(0)).squeeze(1)
    h, w = mask.shape
    return (
        slice(max(0, int(rows[0]) - margin), min(h, int(rows[-1]) + 1 + margin)),
        slice(max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + 1 + margin)),
    )


def _complete_crop(
    fill: torch.Tensor, known: torch.Tensor, region: torch.Tensor, seed: int
) -> torch.Tensor | None:
    """Coarse to fine over the pyramid: the coarsest level is laid out by the network (its first
    field and, after every vote, its low frequencies); every level matches against the network's
    low frequencies too, each starting from the field of the one below; at the end the network's
    low frequencies are put back."""
    if int(known.sum()) < 20:
        return None
    levels = _pyramid(fill, known, region, _levels(~region))
    generator = torch.Generator(device=fill.device).manual_seed(seed)
    basis = _basis(fill.device, fill.dtype)
    below: tuple[torch.Tensor, torch.Tensor, tuple[int, int]] | None = None  # field, targets, size
    estimate = fill
    for depth in reversed(range(len(levels))):
        image, guide, known_l, fixed = levels[depth]
        unknown = _unknown_cost(known_l)  # any patch is a source, at a cost for what it lacks
        targets = _targets(fixed)
        size = (int(known_l.shape[0]), int(known_l.shape[1]))
        coarsest = below is None
        vote = _Vote(targets, fixed, known_l)
        # the network's layout as a term of every match's distance: sources whose own low
        # frequencies differ from the network's there cost more. On the finest level the image is
        # the network's fill itself, blurred once.
        sigma = max(_GUIDE_SIGMA / 2**depth, 0.5)
        source_low = gaussian_blur(image[None], sigma)[0]
        guide_low = source_low if guide is image else gaussian_blur(guide[None], sigma)[0]
        source_features = torch.cat(
            [_features(image, basis), _LAYOUT_WEIGHT * source_low.flatten(1).t(), unknown[:, None]],
            1,
        )
        # the targets' layout and unknown-cost features (0: a target is never charged) per level
        target_layout = torch.cat(
            [
                _LAYOUT_WEIGHT * guide_low.flatten(1)[:, targets].t(),
                guide_low.new_zeros(len(targets), 1),
            ],
            1,
        )
        if coarsest:
            field = _layout_field(image, guide, fixed, targets, basis, generator)
            iters = _ITERS_COARSE
            guided = _Guide(guide, fixed, _GUIDE_SIGMA / 2**depth)
        else:
            field = _upsampled(*below, targets, size, generator)
            iters = _ITERS_MID if depth else _ITERS_FINE if targets.numel() <= _FINE_LIMIT else 0
            guided = None
        estimate = torch.where(fixed, image, vote(image, field, None))
        if guided is not None:
            estimate = guided(estimate)
        for _ in range(iters):
            target_features = torch.cat([_features(estimate, basis, targets), target_layout], 1)
            field = refine_field(
                field,
                targets,
                source_features,
                target_features,
                size,
                _SWEEPS if coarsest else _FINE_SWEEPS,
                _STEPS if coarsest else _FINE_STEPS,
                max(size) // 2 if coarsest else _FINE_RADIUS,
                generator,
            )
            cost = (source_features[field] - target_features).square().mean(1)
            estimate = torch.where(fixed, image, vote(image, field, cost))
            if guided is not None:
                estimate = guided(estimate)
        below = (field, targets, size)
    estimate = _Guide(fill, levels[0][3], _GUIDE_SIGMA)(estimate)
    estimate = _crisp(estimate, image, field, targets, ~fixed)
    # the finest level's image is ``fill`` and its layout width _GUIDE_SIGMA: its blur is reused
    return _matched_energy(estimate, fill, source_low, known, ~levels[0][3])


def _crisp(
    estimate: torch.Tensor,
    image: torch.Tensor,
    field: torch.Tensor,
    targets: torch.Tensor,
    region: torch.Tensor,
) -> torch.Tensor:
    """The estimate's finest band (below ``_CRISP_SIGMA`` px) taken from each pixel's own match
    instead of the vote: overlapping patches agree on structure but not on the grain, and their
    average wipes it out (the bundled photo's mottled backdrop came out at half its grain)."""
    c, h, w = image.shape
    own = estimate.reshape(c, -1).clone()
    own[:, targets] = image.reshape(c, -1)[:, field]
    own = own.view(c, h, w)
    bands = torch.stack([own, estimate])
    fine = bands - gaussian_blur(bands, _CRISP_SIGMA)
    return torch.where(region, (estimate - fine[1] + fine[0]).clamp(0, 1), estimate)


def _matched_energy(
    estimate: torch.Tensor,
    fill: torch.Tensor,
    fill_low: torch.Tensor,
    known: torch.Tensor,
    region: torch.Tensor,
) -> torch.Tensor:
    """The photo's bands in ``region`` scaled towards the local energy its surroundings show, by
    at most ``_MAX_GAIN``: where overlapping patches disagreed their vote is an average, flatter
    than any of them, and where a match came from next to an edge it is busier than its place.
    ``fill_low`` is ``fill`` blurred by ``_GUIDE_SIGMA``."""
    low = gaussian_blur(estimate[None], _GUIDE_SIGMA)[0]
    high = luma(estimate - low)
    photo = luma(fill - fill_low)
    weight = known.to(fill.dtype)[None, None]
    around = gaussian_blur((photo.square() * weight[0])[None], _ENERGY_SIGMA)
    cover = gaussian_blur(weight, _ENERGY_SIGMA)
    expected = membrane_fill(around / cover.clamp_min(1e-6), (cover > 0.5).to(fill.dtype))[0]
    energy = gaussian_blur(high.square()[None], _ENERGY_SIGMA)[0]
    gain = (expected / energy.clamp_min(1e-8)).sqrt().clamp(max=_MAX_GAIN)
    scaled = (low + (estimate - low) * gain).clamp(0, 1)
    return torch.where(region, scaled, estimate)


def _unknown_cost(known: torch.Tensor) -> torch.Tensor:
    """``[h * w]``: per pixel, the square root of what its patch's unknown and off-crop pixels add
    to a match's squared distance (``_UNKNOWN_COST`` each): a feature that is 0 for every target."""
    count = unknown_counts(known, _RADIUS, off_edge_unknown=True).flatten()
    return (_UNKNOWN_COST * count).sqrt()


def _layout_field(
    image: torch.Tensor,
    guide: torch.Tensor,
    fixed: torch.Tensor,
    targets: torch.Tensor,
    basis: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """The coarsest level's first field: sources whose low frequencies fit the network's layout.
    What a source patch does not know holds the network's fill here and costs nothing: charging
    for it (as later searches do) cost the natural tuning photos 0.11 dB (measured before the
    layout term)."""
    lows = gaussian_blur(torch.stack([image, torch.where(fixed, image, guide)]), 1.0)
    return refine_field(
        random_field(targets.numel(), torch.arange(fixed.numel(), device=fixed.device), generator),
        targets,
        _features(lows[0], basis),
        _features(lows[1], basis, targets),
        (int(fixed.shape[0]), int(fixed.shape[1])),
        _SWEEPS,
        _STEPS,
        max(fixed.shape) // 2,
        generator,
    )


@functools.cache
def _basis(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """The cosine basis patches are compared in, as convolution weights ``[40, 3, side, side]``,
    orthonormal: distances between features are distances between the patches' projections.
    Lowest frequencies first."""
    n = 2 * _RADIUS + 1
    k = torch.arange(n, dtype=torch.float64)
    cosines = torch.cos(math.pi * (k[None] + 0.5) * k[:, None] / n) * math.sqrt(2 / n)
    cosines[0] /= math.sqrt(2)  # DCT-II, orthonormal rows
    colours = torch.tensor([[1.0, 1, 1], [1, -1, 0], [1, 1, -2]], dtype=torch.float64)
    colours /= colours.norm(dim=1, keepdim=True)  # luminance, red-green, yellow-blue
    axes = [
        (fy + fx, channel, torch.einsum("c,y,x->cyx", colours[channel], cosines[fy], cosines[fx]))
        for channel, top in ((0, _LUMA_FREQUENCY), (1, _CHROMA_FREQUENCY), (2, _CHROMA_FREQUENCY))
        for fy in range(n)
        for fx in range(n)
        if fy + fx <= top
    ]
    axes.sort(key=lambda axis: axis[:2])
    return torch.stack([axis[2] for axis in axes]).to(device=device, dtype=dtype).contiguous()


def _features(
    image: torch.Tensor, basis: torch.Tensor, pixels: torch.Tensor | None = None
) -> torch.Tensor:
    """Each pixel's patch of ``image`` ``[3, h, w]`` as its coordinates along ``basis``:
    ``[h * w, 40]``, or for the flat indices ``pixels`` only, ``[len(pixels), 40]``. One
    convolution, not a stack of shifted copies."""
    padded = F.pad(image[None], (_RADIUS,) * 4, mode="replicate")
    if pixels is None:
        return F.conv2d(padded, basis)[0].flatten(1).t().contiguous()
    # only the box around ``pixels``: the search's targets are a small part of the crop
    w = image.shape[2]
    y, x = pixels // w, pixels % w
    y0, y1, x0, x1 = int(y.min()), int(y.max()) + 1, int(x.min()), int(x.max()) + 1
    box = padded[..., y0 : y1 + 2 * _RADIUS, x0 : x1 + 2 * _RADIUS]
    out = F.conv2d(box, basis)[0].flatten(1)
    return out[:, (y - y0) * (x1 - x0) + (x - x0)].t().contiguous()


def _levels(fixed: torch.Tensor) -> int:
    """How many pyramid levels: enough that the region is at most ``_COARSE_DEPTH`` px deep (to
    the nearest fixed pixel) at the top. Each depth is one box test by running sums."""
    levels = 1
    while levels < _MAX_LEVELS and bool(valid_sources(~fixed, _COARSE_DEPTH << (levels - 1)).any()):
        levels += 1
    while levels > 1 and min(fixed.shape) >> (levels - 1) < _MIN_SIDE:
        levels -= 1
    return levels


def _pyramid(
    fill: torch.Tensor, known: torch.Tensor, region: torch.Tensor, n: int
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(image, network guide, known, fixed) per level, halved each time, up to where nothing is
    left to complete. A coarse pixel is known if any of its pixels is, its photo value the mean of
    its known pixels; it is completed only if all its pixels are in ``region``, else fixed
    (context); where nothing under it is known the image holds the network's fill."""
    weight = known.to(fill.dtype)[None, None]
    photo = (fill * weight[0])[None]
    guide = fill[None]
    inside = region.to(fill.dtype)[None, None]
    levels = [(fill, fill, known, ~region)]
    for _ in range(n - 1):
        photo = F.avg_pool2d(photo, 2, ceil_mode=True)
        weight = F.avg_pool2d(weight, 2, ceil_mode=True)
        guide = F.avg_pool2d(guide, 2, ceil_mode=True)
        inside = -F.max_pool2d(-inside, 2, ceil_mode=True)  # all four in the region
        if not bool((inside > 0.5).any()):
            break
        known_l = weight[0, 0] > 0
        image = torch.where(known_l, photo[0] / weight[0].clamp_min(1e-6), guide[0])
        levels.append((image, guide[0], known_l, inside[0, 0] < 0.5))
    return levels


def _targets(fixed: torch.Tensor) -> torch.Tensor:
    """Flat indices of every pixel whose patch touches what is completed (grown by ``_RADIUS``)."""
    grown = F.max_pool2d((~fixed).to(torch.float32)[None, None], 2 * _RADIUS + 1, 1, _RADIUS)
    return torch.nonzero(grown.flatten() > 0.5).squeeze(1)


class _Vote:
    """Weighted voting on one level: each completed pixel becomes the weighted mean of what the
    patches over it copy there. The matches and weights are laid out as maps over the box the
    targets' patches cover; per patch offset one shifted slice of those maps, one gather and one
    add. A flat list of every (patch, offset) pair at once took 10 times the memory of the targets
    (2.1 GB at 50 MP); indexing the targets per offset took twice the time of these slices (the
    vote was a quarter of a 512 px object removal)."""

    def __init__(self, targets: torch.Tensor, fixed: torch.Tensor, known: torch.Tensor) -> None:
        h, w = int(fixed.shape[0]), int(fixed.shape[1])
        # what a copied pixel counts for: 0 where it is unknown (off the crop is skipped below)
        self.known = known.flatten().to(torch.float32)
        self.targets = targets
        self.size = (h, w)
        # the targets lie within _RADIUS of what is completed, their patches _RADIUS further
        rows, cols = _box(~fixed, 2 * _RADIUS)
        self.y0, self.y1, self.x0, self.x1 = rows.start, rows.stop, cols.start, cols.stop
        ty, tx = targets // w, targets % w
        wb = self.x1 - self.x0
        # where each target sits in the box's maps, padded by _RADIUS on every side
        self.slots = (ty - self.y0 + _RADIUS) * (wb + 2 * _RADIUS) + (tx - self.x0 + _RADIUS)
        self.free = ~fixed[self.y0 : self.y1, self.x0 : self.x1]  # fixed pixels are never written

    def __call__(
        self, image: torch.Tensor, field: torch.Tensor, cost: torch.Tensor | None
    ) -> torch.Tensor:
        """``image`` ``[3, h, w]`` with every pixel the targets' patches cover set to their vote,
        the field's matches weighted by ``exp(-cost / (_SIMILARITY * median cost))``."""
        c = image.shape[0]
        h, w = self.size
        if cost is None:
            weight = torch.ones_like(field, dtype=image.dtype)
        else:
            # floored: where every patch over a pixel matches badly their plain mean still counts
            scale = _SIMILARITY * cost.median().clamp_min(1e-8)
            weight = torch.exp(-cost / scale).clamp_min(1e-6)
        hb, wb = self.y1 - self.y0, self.x1 - self.x0
        side = 2 * _RADIUS
        matches = torch.zeros((hb + side) * (wb + side), dtype=field.dtype, device=field.device)
        weights = torch.zeros((hb + side) * (wb + side), dtype=image.dtype, device=image.device)
        matches[self.slots] = field
        weights[self.slots] = weight
        matches = matches.view(hb + side, wb + side)
        weights = weights.view(hb + side, wb + side)
        my, mx = matches // w, matches % w
        flat = image.reshape(c, -1)
        known = self.known.to(image.dtype)
        total = torch.zeros(c, hb, wb, dtype=image.dtype, device=image.device)
        count = torch.zeros(hb, wb, dtype=image.dtype, device=image.device)
        for dy in range(-_RADIUS, _RADIUS + 1):
            rows = slice(_RADIUS - dy, _RADIUS - dy + hb)  # the patch whose offset dy lands here
            for dx in range(-_RADIUS, _RADIUS + 1):
                cols = slice(_RADIUS - dx, _RADIUS - dx + wb)
                sy, sx = my[rows, cols] + dy, mx[rows, cols] + dx
                on = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
                src = sy.clamp(0, h - 1) * w + sx.clamp(0, w - 1)
                wt = weights[rows, cols] * known[src] * on
                total += flat[:, src] * wt
                count += wt
        voted = total / count.clamp_min(1e-12)
        out = image.clone()
        box = out[:, self.y0 : self.y1, self.x0 : self.x1]
        box.copy_(torch.where(self.free & (count > 0), voted, box))
        return out


class _Guide:
    """The network's low frequencies (a Gaussian of ``sigma`` level px) on one level, and what
    puts them back into an estimate. Only the box around what is completed is blurred: the rest
    of the crop is never changed, and at full resolution it is most of the pixels."""

    def __init__(self, guide: torch.Tensor, fixed: torch.Tensor, sigma: float) -> None:
        self.sigma = max(sigma, 0.5)
        self.box = _box(~fixed, math.ceil(3 * self.sigma) + 1)
        self.fixed = fixed[self.box]
        self.low = gaussian_blur(guide[:, self.box[0], self.box[1]][None], self.sigma)[0]

    def __call__(self, estimate: torch.Tensor) -> torch.Tensor:
        """``estimate`` with its low frequencies replaced by the network's where it is completed."""
        part = estimate[:, self.box[0], self.box[1]]
        low = gaussian_blur(part[None], self.sigma)[0]
        out = estimate.clone()
        out[:, self.box[0], self.box[1]] = torch.where(
            self.fixed, part, (part - low + self.low).clamp(0, 1)
        )
        return out


def _upsampled(
    coarse: torch.Tensor,
    coarse_targets: torch.Tensor,
    coarse_size: tuple[int, int],
    targets: torch.Tensor,
    size: tuple[int, int],
    generator: torch.Generator,
) -> torch.Tensor:
    """The coarse field carried to the finer level: each pixel takes its coarse cell's match,
    offset by its place in the cell; pixels without one draw a random one."""
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
    bad = match < 0
    if bool(bad.any()):
        field[bad] = random_field(
            int(bad.sum()), torch.arange(h * w, device=field.device), generator
        )
    return field
