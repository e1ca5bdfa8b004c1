"""Full-band completion: the photo's own structure at every scale, laid out by the network.

The network's fill gets what goes where right (colours, edges, gradients) but is smooth: grass
blades, ripples, veins and fur (2-16 px) are missing. This stage completes the hole from the
photo's own known pixels, coarse to fine over an image pyramid, in the scheme of Wexler, Shechtman
and Irani's space-time completion and Barnes et al.'s PatchMatch:

1. ``_pyramid``: halve the crop until the hole is a few px deep; going up the hole shrinks (as in
   PyPatchMatch), so the top level decides the layout.
2. ``_search``: per level, a nearest-neighbour field from every patch touching the hole to a patch
   of the photo (``patch_match``); what a source patch does not know counts against it and is
   never copied.
3. ``Vote``: each hole pixel becomes the weighted mean of the overlapping patches' copies; search
   and vote alternate a few times (expectation-maximisation).
4. ``_upsampled``: the field is carried to the next finer level.

The network decides the layout: its fill starts the top level, and its low frequencies (a
Gaussian of ``guide_sigma`` px) are a term of every match's distance. Where overlapping patches
agree, their vote keeps the photo's structure; where the photo has nothing alike, they disagree
and their average is smooth, so a smooth photo stays smooth. Pure tensor code; seeded, so a fill is
repeatable. Why each parameter has its value: ``docs/experiments/completion.md``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .filters import gaussian_blur, luma
from .membrane import membrane_fill
from .patch_match import refine_field, unknown_counts, valid_sources
from .vote import Vote, box


@dataclass(frozen=True)
class CompletionParams:
    """The completion's settings; the defaults are what ships."""

    radius: int = 3  # patch radius (px at every level): 7x7 patches
    coarse_depth: int = 1  # the top level is where the hole is at most this deep (px)
    max_levels: int = 7  # at most 1/64 resolution ...
    min_side: int = 8  # ... and no level under this many px across
    unknown_cost: float = 3.0  # per unknown or off-crop pixel of a source patch (3: the most)
    context: int = 128  # known pixels this far (px) around the hole's box are searched
    iters_coarse: int = 4  # search-and-vote rounds on the top level
    iters_mid: int = 2  # ... on the levels between
    iters_fine: int = 1  # ... on the finest level
    fine_limit: int = 60_000  # above this many targets the finest level keeps the field it gets
    sweeps: int = 2  # PatchMatch sweeps per round
    steps: tuple[int, ...] = (1, 2, 4)  # the steps (px) a match is propagated along
    fine_radius: int = 32  # widest random search (px) below the top level, which searches all
    guide_sigma: float = 8.0  # width (px at full resolution) of the network's layout
    layout_weight: float = 7.0  # a layout colour value's weight against the patch's 147 ...
    trust_depth: float = 8.0  # ... falling over this many px into the hole ...
    trust_floor: float = 0.2  # ... to this share of it, where the network only guesses
    final_depth: float = 24.0  # its low frequencies put back at the end, fading over this depth
    coherence: float = 0.3  # a candidate propagated from a neighbour is this much cheaper
    offsets: int = 8  # the photo's most frequent self-similar shifts, tried for every target ...
    offset_bonus: float = 0.5  # ... this much cheaper
    max_gain: float = 1.5  # the most the photo's bands are amplified towards the surroundings'
    energy_sigma: float = 4.0  # width (px) the surroundings' band energy is measured over
    luma_frequency: int = 6  # patches compared by luminance frequencies up to this index sum ...
    chroma_frequency: int = 2  # ... and each opponent chroma's up to this one
    crisp_sigma: float = 0.6  # grain below this width (px) is each pixel's own match's
    similarity: float = 0.5  # vote weights exp(-cost / (similarity * median cost))


DEFAULT = CompletionParams()


@dataclass(frozen=True)
class Level:
    """One level of the pyramid."""

    image: torch.Tensor  # [3, h, w]: the photo's mean where known, the network's fill elsewhere
    guide: torch.Tensor  # [3, h, w]: the network's fill
    known: torch.Tensor  # [h, w] bool: some photo pixel under it is known
    fixed: torch.Tensor  # [h, w] bool: context, never completed


def complete(
    fill: torch.Tensor,
    known: torch.Tensor,
    region: torch.Tensor | None = None,
    seed: int = 0,
    params: CompletionParams = DEFAULT,
) -> torch.Tensor | None:
    """``fill`` ``[3, H, W]`` in [0, 1] (the photo where ``known`` ``[H, W]`` is True, the
    network's fill elsewhere) with ``region`` (``[H, W]`` bool, inside the hole; default the whole
    hole) completed from the photo's known pixels. Hole pixels outside ``region`` keep the
    network's fill and are context, never sources; everything outside ``region`` is returned
    unchanged. ``None`` where too little is known to copy from."""
    region = ~known if region is None else region & ~known
    if not region.any():
        return fill.clone()
    ys, xs = box(region, params.context)
    inside = region[ys, xs]
    done = _complete_crop(fill[:, ys, xs], known[ys, xs], inside, seed, params)
    if done is None:
        return None
    out = fill.clone()
    out[:, ys, xs] = torch.where(inside, done, fill[:, ys, xs])
    return out


def _complete_crop(
    fill: torch.Tensor,
    known: torch.Tensor,
    region: torch.Tensor,
    seed: int,
    p: CompletionParams,
) -> torch.Tensor | None:
    """Coarse to fine over the pyramid, each level starting from the field of the one below; then
    the network's low frequencies put back and the grain and band energy restored."""
    if int(known.sum()) < 20:
        return None
    levels = _pyramid(fill, known, region, _depth_levels(region, p), p)
    generator = torch.Generator(device=fill.device).manual_seed(seed)
    basis = _basis(p.radius, p.luma_frequency, p.chroma_frequency, fill.device, fill.dtype)
    below: tuple[torch.Tensor, torch.Tensor, tuple[int, int]] | None = None  # field, targets, size
    shifts = None
    if p.offsets:
        shifts = _dominant_offsets(levels[min(1, len(levels) - 1)], basis, generator, p)
        shifts = (shifts, min(1, len(levels) - 1))
    for depth in reversed(range(len(levels))):
        level = levels[depth]
        level_shifts = None
        if shifts is not None:
            level_shifts = torch.round(shifts[0] * 2.0 ** (shifts[1] - depth)).long().unique(dim=0)
        field, targets, estimate, source_low = _complete_level(
            level, depth, below, basis, generator, p, level_shifts
        )
        below = (field, targets, (int(level.fixed.shape[0]), int(level.fixed.shape[1])))
    finest = levels[0]
    # near the edge the network's low frequencies are the photo's continuation; deep in, the
    # completion's own stand (a blend or a blob put back there is what users saw)
    share = 1 - _deepness(finest.fixed, 0, p.final_depth)
    estimate = _Guide(fill, finest.fixed, p.guide_sigma, share)(estimate)
    estimate = _crisp(estimate, finest.image, field, targets, ~finest.fixed, p.crisp_sigma)
    # the finest level's image is ``fill`` and its layout width guide_sigma: its blur is reused
    return _matched_energy(estimate, fill, source_low, known, ~finest.fixed, p)


def _complete_level(
    level: Level,
    depth: int,
    below: tuple[torch.Tensor, torch.Tensor, tuple[int, int]] | None,
    basis: torch.Tensor,
    generator: torch.Generator,
    p: CompletionParams,
    shifts: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Search and vote on one level. Returns its field, targets, estimate and the photo's low
    frequencies at the layout's width."""
    image, fixed = level.image, level.fixed
    size = (int(fixed.shape[0]), int(fixed.shape[1]))
    targets = _targets(fixed, p.radius)
    vote = Vote(targets, fixed, level.known, p.radius)
    top = below is None
    # the layout term: sources whose own low frequencies differ from the network's there cost
    # more. On the finest level the image is the network's fill itself, blurred once.
    sigma = max(p.guide_sigma / 2**depth, 0.5)
    source_low = gaussian_blur(image[None], sigma)[0]
    guide_low = source_low if level.guide is image else gaussian_blur(level.guide[None], sigma)[0]
    unknown = _unknown_cost(level.known, p)  # any patch is a source, at a cost for what it lacks
    patch_sources = torch.cat([_features(image, basis, p.radius), unknown], 1)
    layout_sources = source_low.flatten(1).t().contiguous()
    layout_targets = guide_low.flatten(1)[:, targets].t().contiguous()
    deep = _deepness(fixed, depth, p.trust_depth).flatten()[targets]
    weight = p.layout_weight**2 * (1 - (1 - p.trust_floor) * deep)
    columns = patch_sources.shape[1] + layout_sources.shape[1]
    if top:
        field = _layout_field(image, level.guide, fixed, targets, basis, generator, p)
        rounds = p.iters_coarse
        guided = _Guide(level.guide, fixed, p.guide_sigma / 2**depth)
    else:
        field = _upsampled(*below, targets, size, generator)
        fine_ok = targets.numel() <= p.fine_limit
        rounds = p.iters_mid if depth else p.iters_fine if fine_ok else 0
        guided = None
    estimate = torch.where(fixed, image, vote(image, field, None))
    if guided is not None:
        estimate = guided(estimate)
    for _ in range(rounds):
        patch_targets = torch.cat(
            [_features(estimate, basis, p.radius, targets), unknown.new_zeros(len(targets), 1)], 1
        )
        distance = _Distance(patch_sources, patch_targets, layout_sources, layout_targets, weight)
        field = _search(field, targets, distance, size, top, generator, p, shifts)
        cost = distance(field) / columns
        estimate = torch.where(fixed, image, vote(image, field, _vote_weights(cost, p)))
        if guided is not None:
            estimate = guided(estimate)
    return field, targets, estimate, source_low


class _Distance:
    """A match's cost: the patches' squared feature distance (what a source lacks included) plus
    the layout's, weighed per target by how far the network is trusted there."""

    def __init__(
        self,
        patch_sources: torch.Tensor,
        patch_targets: torch.Tensor,
        layout_sources: torch.Tensor,
        layout_targets: torch.Tensor,
        weight: torch.Tensor,
    ) -> None:
        self.patch_sources, self.patch_targets = patch_sources, patch_targets
        self.layout_sources, self.layout_targets = layout_sources, layout_targets
        self.weight = weight

    def __call__(self, candidates: torch.Tensor) -> torch.Tensor:
        patch = (self.patch_sources[candidates] - self.patch_targets).square_().sum(1)
        layout = (self.layout_sources[candidates] - self.layout_targets).square_().sum(1)
        return patch + self.weight * layout


def _deepness(fixed: torch.Tensor, depth: int, scale: float) -> torch.Tensor:
    """``[h, w]`` in [0, 1): ``1 - exp(-d / scale)``, d the distance (px at full resolution) from
    each pixel of a level to the nearest fixed one: 0 at the hole's edge, near 1 deep inside,
    where the network only guesses and a real fill strays far from its mean."""
    reach = math.ceil(3 * scale / 2**depth) + 1
    inside = (~fixed).to(torch.float32)[None, None]
    steps = torch.zeros_like(inside)
    for _ in range(reach):  # chessboard distance to the nearest fixed pixel, in level px
        steps += inside
        inside = -F.max_pool2d(-inside, 3, 1, 1)
        if not bool(inside.any()):
            break
    return 1 - torch.exp(-steps[0, 0] * 2**depth / scale)


def _search(
    field: torch.Tensor,
    targets: torch.Tensor,
    distance: Callable[[torch.Tensor], torch.Tensor],
    size: tuple[int, int],
    top: bool,
    generator: torch.Generator,
    p: CompletionParams,
    shifts: torch.Tensor | None = None,
) -> torch.Tensor:
    """One PatchMatch refinement of ``field``: the top level searches the whole crop, finer ones
    refine what the level above found."""
    radius = max(size) // 2 if top else p.fine_radius
    return refine_field(
        field,
        targets,
        distance,
        size,
        p.sweeps,
        p.steps,
        radius,
        generator,
        p.coherence,
        shifts,
        p.offset_bonus,
    )


def _dominant_offsets(
    level: Level, basis: torch.Tensor, generator: torch.Generator, p: CompletionParams
) -> torch.Tensor:
    """``[k, 2]`` (dy, dx) in this level's px: the shifts under which the known pixels around
    the hole most often find their best match (He and Sun, *Statistics of Patch Offsets for
    Image Completion*, ECCV 2012). A brick wall's shifts are its courses, a railing's its posts:
    copying the hole along them continues the structure."""
    h, w = int(level.known.shape[0]), int(level.known.shape[1])
    near = F.max_pool2d((~level.fixed).to(torch.float32)[None, None], 33, 1, 16)[0, 0] > 0.5
    ring = near & level.known & (unknown_counts(level.known, p.radius) < 0.5)
    pixels = torch.nonzero(ring.flatten()).squeeze(1)
    if len(pixels) < 16:
        return torch.zeros(0, 2, dtype=torch.long, device=pixels.device)
    unknown = _unknown_cost(level.known, p)
    sources = torch.cat([_features(level.image, basis, p.radius), unknown], 1)
    wanted = torch.cat([sources[pixels, :-1], unknown.new_zeros(len(pixels), 1)], 1)
    py, px = pixels // w, pixels % w
    big = float(sources.shape[1]) * 100.0

    def distance(candidates: torch.Tensor) -> torch.Tensor:
        cost = (sources[candidates] - wanted).square_().sum(1)
        near_self = ((candidates // w - py).abs() < 4) & ((candidates % w - px).abs() < 4)
        return cost + big * near_self  # a patch matches itself: only other places count

    start = torch.randint(h * w, (len(pixels),), generator=generator, device=pixels.device)
    field = refine_field(start, pixels, distance, (h, w), 3, p.steps, max(h, w) // 2, generator)
    shift = torch.stack([field // w - py, field % w - px], 1)
    shift = shift[(shift.abs() >= 4).any(1)]
    if not len(shift):
        return shift
    values, counts = shift.unique(dim=0, return_counts=True)
    return values[counts.argsort(descending=True)[: p.offsets]]


def _vote_weights(cost: torch.Tensor, p: CompletionParams) -> torch.Tensor:
    """Patches that match worse count less; floored, so that where every patch over a pixel
    matches badly their plain mean still counts."""
    scale = p.similarity * cost.median().clamp_min(1e-8)
    return torch.exp(-cost / scale).clamp_min(1e-6)


def _crisp(
    estimate: torch.Tensor,
    image: torch.Tensor,
    field: torch.Tensor,
    targets: torch.Tensor,
    region: torch.Tensor,
    sigma: float,
) -> torch.Tensor:
    """The estimate's finest band (below ``sigma`` px) taken from each pixel's own match instead
    of the vote: overlapping patches agree on structure but not on the grain, and their average
    wipes it out."""
    c, h, w = image.shape
    own = estimate.reshape(c, -1).clone()
    own[:, targets] = image.reshape(c, -1)[:, field]
    own = own.view(c, h, w)
    bands = torch.stack([own, estimate])
    fine = bands - gaussian_blur(bands, sigma)
    return torch.where(region, (estimate - fine[1] + fine[0]).clamp(0, 1), estimate)


def _matched_energy(
    estimate: torch.Tensor,
    fill: torch.Tensor,
    fill_low: torch.Tensor,
    known: torch.Tensor,
    region: torch.Tensor,
    p: CompletionParams,
) -> torch.Tensor:
    """The photo's bands in ``region`` scaled towards the local energy its surroundings show, by
    at most ``max_gain``: where overlapping patches disagreed their vote is an average, flatter
    than any of them, and where a match came from next to an edge it is busier than its place.
    ``fill_low`` is ``fill`` blurred by ``guide_sigma``."""
    low = gaussian_blur(estimate[None], p.guide_sigma)[0]
    high = luma(estimate - low)
    photo = luma(fill - fill_low)
    weight = known.to(fill.dtype)[None, None]
    around = gaussian_blur((photo.square() * weight[0])[None], p.energy_sigma)
    cover = gaussian_blur(weight, p.energy_sigma)
    expected = membrane_fill(around / cover.clamp_min(1e-6), (cover > 0.5).to(fill.dtype))[0]
    energy = gaussian_blur(high.square()[None], p.energy_sigma)[0]
    gain = (expected / energy.clamp_min(1e-8)).sqrt().clamp(max=p.max_gain)
    scaled = (low + (estimate - low) * gain).clamp(0, 1)
    return torch.where(region, scaled, estimate)


def _unknown_cost(known: torch.Tensor, p: CompletionParams) -> torch.Tensor:
    """``[h * w, 1]``: per pixel, the square root of what its patch's unknown and off-crop pixels
    add to a match's squared distance: a feature that is 0 for every target."""
    count = unknown_counts(known, p.radius, off_edge_unknown=True).flatten()
    return (p.unknown_cost * count).sqrt()[:, None]


def _layout_field(
    image: torch.Tensor,
    guide: torch.Tensor,
    fixed: torch.Tensor,
    targets: torch.Tensor,
    basis: torch.Tensor,
    generator: torch.Generator,
    p: CompletionParams,
) -> torch.Tensor:
    """The top level's first field: sources whose low frequencies fit the network's layout.
    What a source patch does not know holds the network's fill here and costs nothing."""
    lows = gaussian_blur(torch.stack([image, torch.where(fixed, image, guide)]), 1.0)
    size = (int(fixed.shape[0]), int(fixed.shape[1]))
    start = _random_field(targets.numel(), fixed.numel(), generator)
    sources = _features(lows[0], basis, p.radius)
    wanted = _features(lows[1], basis, p.radius, targets)
    distance = lambda candidates: (sources[candidates] - wanted).square_().sum(1)
    return _search(start, targets, distance, size, True, generator, p)


def _random_field(n: int, pixels: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` matches drawn uniformly from a level's ``pixels`` (all are sources, at a cost)."""
    return torch.randint(pixels, (n,), generator=generator, device=generator.device)


@functools.cache
def _basis(
    radius: int, luma_top: int, chroma_top: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """The cosine basis patches are compared in, as convolution weights ``[k, 3, side, side]``
    (k = 40 by default), orthonormal: distances between features are distances between the
    patches' projections. In an opponent colour space, the luminance's frequencies up to index
    sum ``luma_top``, each chroma's up to ``chroma_top``; lowest frequencies first."""
    n = 2 * radius + 1
    k = torch.arange(n, dtype=torch.float64)
    cosines = torch.cos(math.pi * (k[None] + 0.5) * k[:, None] / n) * math.sqrt(2 / n)
    cosines[0] /= math.sqrt(2)  # DCT-II, orthonormal rows
    colours = torch.tensor([[1.0, 1, 1], [1, -1, 0], [1, 1, -2]], dtype=torch.float64)
    colours /= colours.norm(dim=1, keepdim=True)  # luminance, red-green, yellow-blue
    axes = [
        (fy + fx, channel, torch.einsum("c,y,x->cyx", colours[channel], cosines[fy], cosines[fx]))
        for channel, top in ((0, luma_top), (1, chroma_top), (2, chroma_top))
        for fy in range(n)
        for fx in range(n)
        if fy + fx <= top
    ]
    axes.sort(key=lambda axis: axis[:2])
    return torch.stack([axis[2] for axis in axes]).to(device=device, dtype=dtype).contiguous()


def _features(
    image: torch.Tensor, basis: torch.Tensor, radius: int, pixels: torch.Tensor | None = None
) -> torch.Tensor:
    """Each pixel's patch of ``image`` ``[3, h, w]`` as its coordinates along ``basis``:
    ``[h * w, k]``, or for the flat indices ``pixels`` only, ``[len(pixels), k]``. One
    convolution, not a stack of shifted copies."""
    padded = F.pad(image[None], (radius,) * 4, mode="replicate")
    if pixels is None:
        return F.conv2d(padded, basis)[0].flatten(1).t().contiguous()
    # only the box around ``pixels``: the search's targets are a small part of the crop
    w = image.shape[2]
    y, x = pixels // w, pixels % w
    y0, y1, x0, x1 = int(y.min()), int(y.max()) + 1, int(x.min()), int(x.max()) + 1
    part = padded[..., y0 : y1 + 2 * radius, x0 : x1 + 2 * radius]
    out = F.conv2d(part, basis)[0].flatten(1)
    return out[:, (y - y0) * (x1 - x0) + (x - x0)].t().contiguous()


def _depth_levels(region: torch.Tensor, p: CompletionParams) -> int:
    """How many pyramid levels: enough that the region is at most ``coarse_depth`` px deep (to
    the nearest pixel outside it) at the top. Each depth is one box test by running sums."""
    levels = 1
    while levels < p.max_levels and bool(
        valid_sources(region, p.coarse_depth << (levels - 1)).any()
    ):
        levels += 1
    while levels > 1 and min(region.shape) >> (levels - 1) < p.min_side:
        levels -= 1
    return levels


def _pyramid(
    fill: torch.Tensor, known: torch.Tensor, region: torch.Tensor, n: int, p: CompletionParams
) -> list[Level]:
    """Up to ``n`` levels, halved each time, up to where nothing is left to complete. A coarse
    pixel is known if any of its pixels is, its photo value the mean of its known pixels; it is
    completed only if all its pixels are in ``region``, else fixed (context); where nothing under
    it is known the image holds the network's fill."""
    weight = known.to(fill.dtype)[None, None]
    photo = (fill * weight[0])[None]
    guide = fill[None]
    inside = region.to(fill.dtype)[None, None]
    levels = [Level(fill, fill, known, ~region)]
    for _ in range(n - 1):
        photo = F.avg_pool2d(photo, 2, ceil_mode=True)
        weight = F.avg_pool2d(weight, 2, ceil_mode=True)
        guide = F.avg_pool2d(guide, 2, ceil_mode=True)
        inside = -F.max_pool2d(-inside, 2, ceil_mode=True)  # all four in the region
        if not bool((inside > 0.5).any()):
            break
        known_l = weight[0, 0] > 0
        image = torch.where(known_l, photo[0] / weight[0].clamp_min(1e-6), guide[0])
        levels.append(Level(image, guide[0], known_l, inside[0, 0] < 0.5))
    return levels


def _targets(fixed: torch.Tensor, radius: int) -> torch.Tensor:
    """Flat indices of every pixel whose patch touches what is completed (grown by ``radius``)."""
    grown = F.max_pool2d((~fixed).to(torch.float32)[None, None], 2 * radius + 1, 1, radius)
    return torch.nonzero(grown.flatten() > 0.5).squeeze(1)


class _Guide:
    """The network's low frequencies (a Gaussian of ``sigma`` level px) on one level, and what
    puts them back into an estimate. Only the box around what is completed is blurred: the rest
    of the crop is never changed, and at full resolution it is most of the pixels."""

    def __init__(
        self,
        guide: torch.Tensor,
        fixed: torch.Tensor,
        sigma: float,
        share: torch.Tensor | None = None,
    ) -> None:
        self.sigma = max(sigma, 0.5)
        self.box = box(~fixed, math.ceil(3 * self.sigma) + 1)
        self.fixed = fixed[self.box]
        self.low = gaussian_blur(guide[:, self.box[0], self.box[1]][None], self.sigma)[0]
        self.share = None if share is None else share[self.box]

    def __call__(self, estimate: torch.Tensor) -> torch.Tensor:
        """``estimate`` with its low frequencies replaced by the network's where it is completed."""
        part = estimate[:, self.box[0], self.box[1]]
        low = gaussian_blur(part[None], self.sigma)[0]
        gap = self.low - low
        put = part + gap if self.share is None else part + self.share * gap
        out = estimate.clone()
        out[:, self.box[0], self.box[1]] = torch.where(self.fixed, part, put.clamp(0, 1))
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
        field[bad] = _random_field(int(bad.sum()), h * w, generator)
    return field
