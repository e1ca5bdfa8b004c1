"""Texture from the photo, structure from the network: the grain a smooth fill lacks.

The network's fill gets what goes where right (colours, edges, gradients) but is smooth: on held-out
photos its high-frequency energy in a hole is a quarter of the photo's, which anyone sees at 1:1 as
a smudge. This stage keeps the fill's low frequencies (a Gaussian of ``SIGMA`` px) and adds the
high frequencies of the photo's own known pixels (their luminance: grain, not hue), copied from
where PatchMatch finds neighbourhoods that match the fill's low frequencies and the texture already
placed around them.

How much texture a region gets follows from what it is matched to: a sky-coloured fill matches sky,
whose high-pass is near zero, so a clear sky stays smooth while grass, foliage or gravel get their
own grain. Matching runs at half resolution first (where one sweep reaches twice as far) and is then
refined at full resolution. Where the surroundings repeat on a lattice (tiles, blinds, planking),
the hole is instead copied one period along it (``periodic``). Pure tensor code with no parameters;
seeded, so a fill is repeatable.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .filters import gaussian_blur, luma
from .membrane import membrane_fill
from .patch_match import patch_features, random_field, refine_field, valid_sources
from .periodic import copy_along, find_lattice

# Low-pass width (px) splitting structure from texture: sigma 2 keeps the network's edges and
# leaves it the texture it cannot draw (probe on held-out photos: detail 0.24 -> ~1.0).
SIGMA = 2.0
# Neighbourhood described to the matcher: low frequencies every 3 px within 3 px (they vary slowly),
# the texture already placed at every pixel within 1 px (keeps copied grain coherent).
_LOW_RADIUS, _LOW_STRIDE, _HIGH_RADIUS = 3, 3, 1
# A source pixel's whole neighbourhood of this radius must be known, so no copied grain comes from
# what is being removed.
_SOURCE_BORDER = 4
# Rounds of (match, place texture, match again) at half resolution, sweeps per round, and steps.
_COARSE_ROUNDS, _COARSE_SWEEPS, _COARSE_STEPS = 2, 3, (1, 2, 4)
_FINE_SWEEPS, _FINE_STEPS, _FINE_RADIUS = 1, (1, 2), 4
# Hole pixels this close to a known one keep the network's fill; texture is faded in over _RAMP px.
_NEAR, _RAMP = 2, 2
# Only parts of the hole with a pixel this far (px) from every known one, and what lies within this
# distance of it, get texture: strokes under ~10 px wide keep the network's fill.
_WIDE = 5
# The most the copied grain is amplified towards the surroundings' energy: matches come partly from
# smoother places than the truth, so a cap of 1 left fills at 0.7 of the photo's detail; 1.4 brings
# them to 0.82-0.85 on the 20 held-out photos for ~0.1 dB (an unmatched grain costs PSNR however
# real it looks).
_MAX_GAIN = 1.4
# Width (px) over which texture energy is measured, around the hole and in what was copied.
_ENERGY_SIGMA = 4.0


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
    depth = _depth_ramp(known)
    if not depth.any():  # no part of the hole is deep or wide enough for grain: nothing to add
        return fill.clone()
    lattice = find_lattice(fill, known)
    repeated = copy_along(fill, known, lattice) if lattice else None
    if repeated is not None:  # a regular pattern: its next period is what lies under the hole
        return torch.where(known, fill, depth * repeated + (1 - depth) * fill)
    generator = torch.Generator(device=fill.device).manual_seed(seed)
    low = gaussian_blur(fill[None], SIGMA)[0]
    high = fill - low
    field = _coarse_field(fill, known, generator)
    if field is None:
        return fill.clone()
    h, w = known.shape
    pixels = torch.nonzero(hole.flatten()).squeeze(1)
    valid = valid_sources(known, _SOURCE_BORDER)
    field = _upsampled(field, pixels, valid, (h, w), generator)
    if field is None:
        return fill.clone()
    grain_luma = luma(high)
    sources = _features(low, grain_luma)
    placed = grain_luma.flatten().clone()
    placed[pixels] = grain_luma.flatten()[field]
    targets = _features(low, placed.view(1, h, w))[pixels]
    field = refine_field(
        field, pixels, sources, targets, valid, _FINE_SWEEPS, _FINE_STEPS, _FINE_RADIUS, generator
    )
    # grey grain: only the copied high-pass's luminance, since its colour spatters one material's
    # hue into the next where a match straddles an edge (a red bowl's rim over grey concrete);
    # thick and object holes: +0.02 dB and +0.004 SSIM over colour grain on the 20 held-out photos
    copied = torch.zeros_like(grain_luma).reshape(1, -1)
    copied[:, pixels] = grain_luma.reshape(1, -1)[:, field]
    copied = copied.view_as(grain_luma)  # [1, H, W]: the same in R, G and B
    # near the border the network's own high frequencies stay
    grain = depth * copied * _gain(grain_luma, copied, known) + (1 - depth) * high
    return torch.where(known, fill, (low + grain).clamp(0, 1))


def _depth_ramp(known: torch.Tensor) -> torch.Tensor:
    """``[1, H, W]``: 0 within ``_NEAR`` px of a known pixel, rising to 1 over ``_RAMP`` px more;
    0 too in parts of the hole narrower than about ``2 * _WIDE`` px.

    Near a known pixel the network's own fill is the photo's continuation (thin strokes: 26.8 dB
    alone, 25.4 with copied grain on the 20 held-out photos); deeper in, it is a smudge. A ramp of
    2 px rather than 4 lifts detail on medium strokes from 0.59 to 0.67 for 0.06 dB. A thin stroke
    has no deep inside for grain to show in, and there the network beats every classical fill: kept
    whole, thin strokes score 26.68 dB against 26.58 with grain, medium strokes lose nothing."""
    reach = known.to(torch.float32)[None, None]
    depth = torch.zeros_like(reach)
    for _ in range(max(_NEAR + _RAMP, _WIDE)):
        depth += 1 - reach
        reach = F.max_pool2d(reach, 3, stride=1, padding=1)
    ramp = ((depth - _NEAR) / _RAMP).clamp(0, 1)
    wide = F.max_pool2d((depth >= _WIDE).to(depth.dtype), 2 * _WIDE + 1, stride=1, padding=_WIDE)
    return (ramp * wide)[0].to(known.device)


def _gain(grain: torch.Tensor, copied: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``[1, H, W]`` factor <= ``_MAX_GAIN`` that brings the copied texture's (``copied``, luma
    ``[1, H, W]``) local energy to what the surroundings' (``grain``) show: a match on the right
    colour but next to an edge would otherwise stamp that edge's grain into a smooth area, and one
    from a smoother place would look smudged."""
    known_f = known.to(grain.dtype)[None, None]
    around = gaussian_blur((grain.square() * known_f[0]).unsqueeze(0), _ENERGY_SIGMA)
    weight = gaussian_blur(known_f, _ENERGY_SIGMA)
    expected = membrane_fill(around / weight.clamp_min(1e-6), (weight > 0.5).to(grain.dtype))
    energy = gaussian_blur(copied.square()[None], _ENERGY_SIGMA)
    return (expected / energy.clamp_min(1e-8)).sqrt().clamp(max=_MAX_GAIN)[0]


def _features(low: torch.Tensor, texture: torch.Tensor, scale: int = 1) -> torch.Tensor:
    """What the matcher compares: the low-pass colour around a pixel and the texture next to it."""
    low_radius = max(1, _LOW_RADIUS // scale)
    low_stride = max(1, _LOW_STRIDE // scale)
    return torch.cat(
        [
            patch_features(low, low_radius, low_stride),
            patch_features(texture, _HIGH_RADIUS, 1),
        ],
        1,
    )


def _coarse_field(
    fill: torch.Tensor, known: torch.Tensor, generator: torch.Generator
) -> torch.Tensor | None:
    """The field at half resolution, for the half-resolution hole pixels in scan order."""
    half = F.avg_pool2d(fill[None], 2, ceil_mode=True)[0]
    # a half-resolution pixel is known only if all four of its pixels are
    known_half = -F.max_pool2d(-known.float()[None, None], 2, ceil_mode=True)[0, 0] > 0.5
    h, w = known_half.shape
    valid = valid_sources(known_half, _SOURCE_BORDER // 2)
    candidates = torch.nonzero(valid.flatten()).squeeze(1)
    if candidates.numel() < 20:
        return None
    low = gaussian_blur(half[None], SIGMA / 2)[0]
    coarse_luma = luma(half - low)
    pixels = torch.nonzero((~known_half).flatten()).squeeze(1)
    sources = _features(low, coarse_luma, scale=2)
    field = random_field(pixels.numel(), candidates, generator)
    placed = coarse_luma.flatten().clone()
    for _ in range(_COARSE_ROUNDS):
        targets = _features(low, placed.view(1, h, w), scale=2)[pixels]
        field = refine_field(
            field,
            pixels,
            sources,
            targets,
            valid,
            _COARSE_SWEEPS,
            _COARSE_STEPS,
            max(h, w) // 2,
            generator,
        )
        placed[pixels] = coarse_luma.flatten()[field]
    # full-resolution lookup: every half-resolution pixel's match (known pixels match themselves)
    whole = torch.arange(h * w, device=fill.device)
    whole[pixels] = field
    return whole.view(h, w)


def _upsampled(
    coarse: torch.Tensor,
    pixels: torch.Tensor,
    valid: torch.Tensor,
    size: tuple[int, int],
    generator: torch.Generator,
) -> torch.Tensor | None:
    """The half-resolution field at full resolution: each pixel takes its cell's match, offset by
    its position inside the cell; matches that land on an invalid source are redrawn."""
    h, w = size
    wc = coarse.shape[1]
    py, px = pixels // w, pixels % w
    match = coarse[py // 2, px // 2]
    qy = ((match // wc) * 2 + py % 2).clamp(0, h - 1)
    qx = ((match % wc) * 2 + px % 2).clamp(0, w - 1)
    field = qy * w + qx
    ok = valid.flatten()
    bad = ~ok[field]
    if bad.any():
        candidates = torch.nonzero(ok).squeeze(1)
        if candidates.numel() == 0:
            return None
        field[bad] = random_field(int(bad.sum()), candidates, generator)
    return field
