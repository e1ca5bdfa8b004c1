"""Full-band completion: the photo's own structure at every scale, laid out by the network.

The network's fill gets what goes where right (colours, edges, gradients) but is smooth: grass
blades, ripples, veins and fur (2-16 px) are missing. This stage completes the hole from the
photo's own known pixels, coarse to fine over an image pyramid, in the scheme of Wexler, Shechtman
and Irani's space-time completion and Barnes et al.'s PatchMatch:

1. ``_pyramid``: halve the crop until the hole is a few px deep; going up the hole shrinks (as in
   PyPatchMatch), so the top level decides the layout.
2. ``_search``: per level, a nearest-neighbour field from every patch touching the hole to a patch
   of the photo (``patch_match``) in the sampling area (``sampling``: near the hole, in colours
   its border shows); what a source patch does not know counts against it and is never copied.
   Neighbours' matches and the photo's most frequent self-similar shifts (``_dominant_offsets``)
   are favoured, so structure continues in coherent pieces.
3. ``Vote``: each hole pixel becomes the weighted mean of the overlapping patches' copies; search
   and vote alternate a few times (expectation-maximisation).
4. ``_upsampled``: the field is carried to the next finer level.
5. ``shift_map``: deep in the hole, from ``copy_start`` px in and where the caller allows it
   (``texture``: around a busy texture), each pixel copies the photo under one of its
   ``map_shifts`` dominant shifts, or keeps what the steps above made; graph cuts
   choose for whole regions at once, so a material comes in one piece where the vote's per-pixel
   matches make a patchwork (lime in the orange, a blend where two materials meet). A copy is
   made only where it fits the network's layout by ``keep_cost`` better than the completion,
   which refuses whole wrong pieces; the copies are blended in the gradient domain.

The network proposes the layout: its fill starts the top level, and its low frequencies (a
Gaussian of ``guide_sigma`` px) are a term of every match's distance and are put back at the end.
Near the hole's edge the network continues the photo and both hold; deeper in it only guesses a
mean (a blob, a blend of two materials, a flat grey where the photo is all stones), so both fade
and the photo decides. Where overlapping patches agree, their vote keeps the photo's structure;
where the photo has nothing alike, they disagree and their average is smooth, so a smooth photo
stays smooth. Tensor code, with scipy's maximum flow under the graph cuts; seeded, so a fill is
repeatable. Two threads share the work: the shift map's search, and the lower half of a large
level's, run beside the rest, each drawing from its own generator, so the fill is the same however
they are scheduled. Why each parameter has its value: ``docs/experiments/completion.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .beside import beside
from .depth import deepness
from .filters import gaussian_blur
from .finish import matched_energy, own_grain, surroundings_energy
from .offsets import dominant_offsets
from .patch_basis import cosine_basis, patch_features
from .patch_match import feature_distance, refine_field, unknown_counts, valid_sources
from .sampling import sampling_area
from .shift_map import ShiftMap, blended, sources
from .vote import Vote, box


@dataclass(frozen=True)
class CompletionParams:
    """The completion's settings; the defaults are what ships."""

    radius: int = 3  # patch radius (px at every level): 7x7 patches
    coarse_depth: int = 1  # the top level is where the hole is at most this deep (px)
    max_levels: int = 7  # at most 1/64 resolution ...
    min_side: int = 8  # ... and no level under this many px across
    unknown_cost: float = 3.0  # per unknown or off-crop pixel of a source patch (3: the most)
    context: int = 128  # sources lie within this many px of what is completed ...
    palette: int = 8  # ... in a colour (this many levels per channel, give or take one) ...
    palette_border: int = 8  # ... that the known pixels within this many px of the hole ...
    palette_share: float = 0.01  # ... show in at least this share of them
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
    final_start: float = 16.0  # its low frequencies are put back at the end up to this depth ...
    final_depth: float = 24.0  # ... and fade over this many px beyond it
    coherence: float = 0.3  # a candidate propagated from a neighbour is this much cheaper ...
    coherence_start: float = 4.0  # ... from this depth (px) into the hole on
    offsets: int = 8  # the photo's most frequent self-similar shifts, tried for every target ...
    offset_bonus: float = 0.5  # ... this much cheaper
    max_gain: float = 1.5  # the most the photo's bands are amplified towards the surroundings'
    energy_sigma: float = 4.0  # width (px) the surroundings' band energy is measured over
    luma_frequency: int = 6  # patches compared by luminance frequencies up to this index sum ...
    chroma_frequency: int = 2  # ... and each opponent chroma's up to this one
    crisp_sigma: float = 0.6  # grain below this width (px) is each pixel's own match's
    similarity: float = 0.5  # vote weights exp(-cost / (similarity * median cost))
    map_shifts: int = 32  # deep in the hole each pixel copies under one of this many shifts ...
    seam_weight: float = 2.0  # ... chosen by graph cuts, a seam weighed this much against layout
    cut_cycles: int = 1  # ... in this many rounds of expansion moves ...
    keep_cost: float = 0.06  # ... or keeps the completion: its layout cost plus this, per pixel
    copy_start: float = 8.0  # copies are made from this depth (px) into the hole on, where it is
    map_depth: int = 24  # ... this deep somewhere within this distance (px) ...
    blend_iterations: int = 200  # ... blended in the gradient domain by this many CG steps ...
    blend_limit: float = 0.2  # ... that change no pixel's colour by more than this
    map_nodes: int = 12_000  # labels are found on the finest level with at most this many pixels


DEFAULT = CompletionParams()

# A level with at least this many targets is searched in two halves at once, one on a second core:
# below it the second core is better left to the shift map (512² object: level 0 only).
_SPLIT_TARGETS = 16_384


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
    copies: torch.Tensor | None = None,
) -> torch.Tensor | None:
    """``fill`` ``[3, H, W]`` in [0, 1] (the photo where ``known`` ``[H, W]`` is True, the
    network's fill elsewhere) with ``region`` (``[H, W]`` bool, inside the hole; default the whole
    hole) completed from the photo's known pixels. Hole pixels outside ``region`` keep the
    network's fill and are context, never sources; everything outside ``region`` is returned
    unchanged. The shift map copies only where ``copies`` (``[H, W]`` bool; default everywhere)
    allows. ``None`` where too little is known to copy from."""
    region = ~known if region is None else region & ~known
    if not region.any():
        return fill.clone()
    ys, xs = box(region, params.context)
    inside = region[ys, xs]
    allowed = None if copies is None else copies[ys, xs]
    # only what borders the hole is copied into it: the bundled photo's table got the portrait's
    # hair and name badge, which fit the network's blend of backdrop and table best
    sampled = sampling_area(
        fill[:, ys, xs],
        known[ys, xs],
        inside,
        params.context,
        params.palette,
        params.palette_border,
        params.palette_share,
    )
    done = _complete_crop(fill[:, ys, xs], sampled, inside, seed, params, allowed)
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
    copies: torch.Tensor | None = None,
) -> torch.Tensor | None:
    """Coarse to fine over the pyramid, each level starting from the field of the one below; then
    the network's low frequencies put back, the grain and band energy restored, and the shift
    map's copies put in deep in the hole."""
    if int(known.sum()) < 20:
        return None
    levels = _pyramid(fill, known, region, _depth_levels(region, p), p)
    generator = torch.Generator(device=fill.device).manual_seed(seed)
    basis = cosine_basis(p.radius, p.luma_frequency, p.chroma_frequency, fill.device, fill.dtype)
    area = torch.zeros_like(region)
    if copies is None or bool((copies & region).any()):
        area = _copy_area(known, region, p, copies)
    with ThreadPoolExecutor(1) as pool:
        # neither the band energy the surroundings show nor the shift map's search needs the
        # estimate: they run on a second core meanwhile, the search drawing from its own
        # generator so that the fill is the same whichever finishes first
        energy = beside(pool, surroundings_energy, fill, known, p.guide_sigma, p.energy_sigma)
        mapped = None
        # most holes have no part deep enough, or no busy texture; a piece smaller than a patch
        # is no whole piece of a material (the bench's 512² object: 8 px, and no copy made)
        if int(area.sum()) >= (2 * p.radius + 1) ** 2:
            own = torch.Generator(device=fill.device).manual_seed(seed + 1)
            mapped = beside(pool, _shift_map, levels, basis, own, p)
        estimate = _coarse_to_fine(fill, levels, basis, generator, energy, p)
        shift_map = None if mapped is None else mapped.result()
    if shift_map is None:
        return estimate
    return _copied_deep(estimate, levels, shift_map, area, generator, p)


def _copy_area(
    known: torch.Tensor, region: torch.Tensor, p: CompletionParams, copies: torch.Tensor | None
) -> torch.Tensor:
    """``[h, w]`` bool: where the shift map may copy. From ``copy_start`` px into the hole on, in
    object-sized parts of it only (``map_depth`` px deep somewhere within ``map_depth``): in a
    stroke the completion's continuation of the edges is worth more than any copy (medium strokes
    lost 0.2 dB to them). Each "at least d px deep" is a box of hole around the pixel, tested by
    running sums."""
    hole = ~known
    deep = valid_sources(hole, p.map_depth - 1)
    wide = ~valid_sources(~deep, p.map_depth)
    started = valid_sources(hole, math.ceil(p.copy_start) - 1)
    inside = started & wide & region
    return inside if copies is None else inside & copies


def _coarse_to_fine(
    fill: torch.Tensor,
    levels: list[Level],
    basis: torch.Tensor,
    generator: torch.Generator,
    energy: Future,
    p: CompletionParams,
) -> torch.Tensor:
    """The completion's estimate: search and vote level by level, each starting from the field
    of the one below; then the network's low frequencies put back near the edge, each pixel's
    own grain and the surroundings' band energy."""
    below: tuple[torch.Tensor, torch.Tensor, tuple[int, int]] | None = None  # field, targets, size
    one = min(1, len(levels) - 1)  # the shifts are found one level up from the finest
    shifts = _shifts(levels[one], basis, generator, p, p.offsets)
    for depth in reversed(range(len(levels))):
        level = levels[depth]
        level_shifts = None
        if shifts is not None:
            level_shifts = torch.round(shifts * 2.0 ** (one - depth))
            level_shifts = level_shifts.long().unique(dim=0)
        field, targets, estimate = _complete_level(
            level, depth, below, basis, generator, p, level_shifts
        )
        below = (field, targets, (int(level.fixed.shape[0]), int(level.fixed.shape[1])))
    finest = levels[0]
    # near the edge the network's low frequencies are the photo's continuation; deep in, the
    # completion's own stand (a blend or a blob put back there is what users saw)
    share = 1 - deepness(finest.fixed, 0, p.final_depth, p.final_start)
    estimate = _Guide(fill, finest.fixed, p.guide_sigma, share)(estimate)
    estimate = own_grain(estimate, finest.image, field, targets, ~finest.fixed, p.crisp_sigma)
    return matched_energy(
        estimate, energy.result(), ~finest.fixed, p.guide_sigma, p.energy_sigma, p.max_gain
    )


@dataclass(frozen=True)
class _Map:
    """The shift map's part that needs no estimate."""

    shifts: torch.Tensor  # [K, 2]: the photo's dominant shifts, full-resolution px
    depth: int  # the pyramid level labelled: the finest with at most ``map_nodes`` to label
    terms: ShiftMap  # the labelling's terms there


def _shift_map(
    levels: list[Level], basis: torch.Tensor, generator: torch.Generator, p: CompletionParams
) -> _Map | None:
    """The shift map's own shifts, at full resolution (the level above's are twice as coarse and
    counted over a ring twice as wide, and copied measurably worse), and its terms on the finest
    level with at most ``map_nodes`` pixels to label; None where no shift is found."""
    found = _shifts(levels[0], basis, generator, p, p.map_shifts)
    if found is None:
        return None
    depth = next(
        (d for d, level in enumerate(levels) if int((~level.fixed).sum()) <= p.map_nodes),
        len(levels) - 1,
    )
    level, scale = levels[depth], 2**depth
    terms = ShiftMap(
        level.image,
        level.guide,
        level.known,
        ~level.fixed,
        torch.round(found / scale).long(),
        p.guide_sigma / scale,
    )
    return _Map(found, depth, terms)


def _copied_deep(
    estimate: torch.Tensor,
    levels: list[Level],
    shift_map: _Map,
    area: torch.Tensor,
    generator: torch.Generator,
    p: CompletionParams,
) -> torch.Tensor:
    """``estimate`` with the shift map's copy (``shift_map``) in its place in ``area``
    (``_copy_area``): one shift per pixel, so the photo's materials come in whole pieces, not the
    vote's patchwork. Near the edge the completion stays: there it follows the network's layout
    closely, and the copies' seams would cost it."""
    scale = 2**shift_map.depth
    keep = estimate if scale == 1 else F.avg_pool2d(estimate[None], scale, ceil_mode=True)[0]
    labels = shift_map.terms.labels(p.seam_weight, p.cut_cycles, generator, keep, p.keep_cost)
    source = sources(levels[0].known, labels, shift_map.shifts, scale)
    return blended(levels[0].image, source, area, estimate, p.blend_iterations, p.blend_limit)


def _complete_level(
    level: Level,
    depth: int,
    below: tuple[torch.Tensor, torch.Tensor, tuple[int, int]] | None,
    basis: torch.Tensor,
    generator: torch.Generator,
    p: CompletionParams,
    shifts: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Search and vote on one level. Returns its field, targets and estimate."""
    image, fixed = level.image, level.fixed
    size = (int(fixed.shape[0]), int(fixed.shape[1]))
    targets = _targets(fixed, p.radius)
    vote = Vote(targets, fixed, level.known, p.radius)
    top = below is None
    fine_ok = targets.numel() <= p.fine_limit
    rounds = p.iters_coarse if top else p.iters_mid if depth else p.iters_fine if fine_ok else 0
    if below is not None:
        field = _upsampled(*below, targets, size, generator)
        if not rounds:  # a large finest level: the field carried up, voted once, no search
            return field, targets, torch.where(fixed, image, vote(image, field, None))
    # the layout term: sources whose own low frequencies differ from the network's there cost
    # more. On the finest level the image is the network's fill itself, blurred once.
    sigma = max(p.guide_sigma / 2**depth, 0.5)
    source_low = gaussian_blur(image[None], sigma)[0]
    guide_low = source_low if level.guide is image else gaussian_blur(level.guide[None], sigma)[0]
    unknown = _unknown_cost(level.known, p)  # any patch is a source, at a cost for what it lacks
    # one row per source: its patch, what it lacks, its layout colour (gathered at once)
    layout_sources = source_low.flatten(1).t()
    sources = torch.cat([patch_features(image, basis, p.radius), unknown, layout_sources], 1)
    layout_targets = guide_low.flatten(1)[:, targets].t()
    deep = deepness(fixed, depth, p.trust_depth).flatten()[targets]
    weight = p.layout_weight**2 * (1 - (1 - p.trust_floor) * deep)
    coherence: float | torch.Tensor = p.coherence
    if p.coherence_start > 0:
        far = deepness(fixed, depth, 1e-3, p.coherence_start).flatten()[targets]
        coherence = p.coherence * far
    columns = sources.shape[1]
    guided = None
    if top:
        field = _layout_field(image, level.guide, fixed, targets, basis, generator, p)
        guided = _Guide(level.guide, fixed, p.guide_sigma / 2**depth)
    estimate = torch.where(fixed, image, vote(image, field, None))
    if guided is not None:
        estimate = guided(estimate)
    for _ in range(rounds):
        wanted = torch.cat(
            [
                patch_features(estimate, basis, p.radius, targets),
                unknown.new_zeros(len(targets), 1),
                layout_targets,
            ],
            1,
        )
        distance = _Distance(sources, wanted, weight, layout_targets.shape[1])
        field = _search(field, targets, distance, size, top, generator, p, shifts, coherence)
        cost = distance(field) / columns
        estimate = torch.where(fixed, image, vote(image, field, _vote_weights(cost, p)))
        if guided is not None:
            estimate = guided(estimate)
    return field, targets, estimate


class _Distance:
    """A match's cost: the patches' squared feature distance (what a source lacks included) plus
    the layout's, weighed per target by how far the network is trusted there. ``sources``
    ``[N, d]`` and ``wanted`` ``[n, d]`` hold both, the layout in the last ``layout`` columns:
    one gather per candidate, not two."""

    def __init__(
        self, sources: torch.Tensor, wanted: torch.Tensor, weight: torch.Tensor, layout: int
    ) -> None:
        self.sources, self.wanted, self.weight, self.layout = sources, wanted, weight, layout
        self.column = weight[:, None]

    def __call__(self, candidates: torch.Tensor) -> torch.Tensor:
        gap = self.sources.index_select(0, candidates).sub_(self.wanted).square_()
        gap[:, -self.layout :].mul_(self.column)
        return gap.sum(1)

    def rows(self, part: slice) -> _Distance:
        """The cost for the targets ``part`` only."""
        return _Distance(self.sources, self.wanted[part], self.weight[part], self.layout)


def _search(
    field: torch.Tensor,
    targets: torch.Tensor,
    distance: Callable[[torch.Tensor], torch.Tensor],
    size: tuple[int, int],
    top: bool,
    generator: torch.Generator,
    p: CompletionParams,
    shifts: torch.Tensor | None = None,
    coherence: float | torch.Tensor | None = None,
) -> torch.Tensor:
    """One PatchMatch refinement of ``field``: the top level searches the whole crop, finer ones
    refine what the level above found. A large level is searched in two halves at once, the
    upper rows here and the lower on a second core, each with its own generator; a match is
    propagated within its half only."""
    radius = max(size) // 2 if top else p.fine_radius
    coherence = p.coherence if coherence is None else coherence

    def refine(part: slice, own: torch.Generator) -> torch.Tensor:
        cost = distance if part == slice(None) else distance.rows(part)
        bonus = coherence[part] if isinstance(coherence, torch.Tensor) else coherence
        return refine_field(
            field[part],
            targets[part],
            cost,
            size,
            p.sweeps,
            p.steps,
            radius,
            own,
            bonus,
            shifts,
            p.offset_bonus,
        )

    if top or len(targets) < _SPLIT_TARGETS:
        return refine(slice(None), generator)
    half = len(targets) // 2  # targets are in row order: the upper and the lower rows
    seeds = torch.randint(2**62, (2,), generator=generator, device=generator.device).tolist()
    own = [torch.Generator(device=generator.device).manual_seed(s) for s in seeds]
    with ThreadPoolExecutor(1) as pool:
        lower = beside(pool, refine, slice(half, None), own[1])
        return torch.cat([refine(slice(0, half), own[0]), lower.result()])


def _vote_weights(cost: torch.Tensor, p: CompletionParams) -> torch.Tensor:
    """Patches that match worse count less; floored, so that where every patch over a pixel
    matches badly their plain mean still counts."""
    scale = p.similarity * cost.median().clamp_min(1e-8)
    return torch.exp(-cost / scale).clamp_min(1e-6)


def _shifts(
    level: Level, basis: torch.Tensor, generator: torch.Generator, p: CompletionParams, count: int
) -> torch.Tensor | None:
    """The photo's ``count`` most frequent self-similar shifts on ``level``, counted over the
    wholly known pixels within 16 px of what is completed; None where none are asked for."""
    if not count:
        return None
    near = ~valid_sources(level.fixed, 16)  # what is completed lies within 16 px
    ring = near & level.known & (unknown_counts(level.known, p.radius) < 0.5)
    sources = torch.cat(
        [patch_features(level.image, basis, p.radius), _unknown_cost(level.known, p)], 1
    )
    return dominant_offsets(sources, ring, generator, p.steps, count)


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
    sources = patch_features(lows[0], basis, p.radius)
    wanted = patch_features(lows[1], basis, p.radius, targets)
    distance = lambda candidates: feature_distance(sources, candidates, wanted)
    return _search(start, targets, distance, size, True, generator, p)


def _random_field(n: int, pixels: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` matches drawn uniformly from a level's ``pixels`` (all are sources, at a cost)."""
    return torch.randint(pixels, (n,), generator=generator, device=generator.device)


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
    # by running sums: a max-pool costs its width per pixel
    return torch.nonzero(~valid_sources(fixed, radius).flatten()).squeeze(1)


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
