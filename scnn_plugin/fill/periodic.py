"""Regular patterns (tiles, blinds, brickwork, fences): the hole is filled by copying along the
photo's own lattice instead of by grain transfer.

On a periodic surface the network's fill and matched grain both drift off the pattern within a
period or two, and anyone sees the seam; PatchMatch, which copies whole patches, was 7 dB ahead
there. Yet such a surface says exactly what lies under the hole: the pixel one period away. This
module finds the period from the known pixels around the hole (the shift under which the high-pass
matches itself best, found for every shift at once by FFT cross-correlation) and, where the match
is close enough to be a lattice rather than a coincidence, copies each hole pixel from its nearest
known lattice neighbour. Anything not clearly periodic gets ``None`` and keeps the grain transfer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .filters import gaussian_blur, luma
from .patch_match import valid_sources

# Squared mismatch of the high-pass one period away, as a fraction of the energy of the pixels
# compared (1 for unrelated pixels, 0 for an exact repeat), below which the surroundings count as
# a lattice. On the training photos the tiled floors and studded metal plates measured 0.25-0.31
# (copying along them: tiles -7.9 -> -2.9 dB against the best classical fill on an object hole,
# a metal plate -1.5 -> +2.0 on medium strokes); a random Truchet tiling and a stained concrete
# wall, which only look regular, measured 0.36-0.45.
MAX_MISMATCH = 0.33
# Shorter shifts are not searched: every photo matches itself at a small shift (it is smooth), and
# a pattern this fine is grain, which the texture stage already copies.
MIN_SHIFT = 16
# A best shift within this many px of MIN_SHIFT is the smooth self-match running into the search's
# edge, not a period (a door's wood grain: 0.16 at exactly 16 px, and -2.4 dB when copied).
_EDGE = 2
# Known pixels within this distance (px) of the hole describe the pattern to be continued.
_RING = 48
# Width (px) of the Gaussian removed before matching: shading across a wall is not its pattern.
_HIGH_PASS_SIGMA = 6.0
# A shift is searched only where at least this share of the ring lands on known pixels, and only
# up to this fraction of the window's side (one period must repeat a few times to be one).
_MIN_OVERLAP, _MAX_SHIFT = 0.5, 0.34
# The second lattice vector must leave the first's line (|sin| of the angle between them) and
# match within this many times MAX_MISMATCH (blinds and planking have only the first).
_MIN_SINE, _SECOND_SLACK = 0.5, 2.0
# Multiples of a period match about as well as the period itself: the shortest shift within this
# factor (plus slack) of the best match is taken as the lattice vector.
_NEAR_BEST, _NEAR_SLACK = 1.5, 0.02
# Lattice steps searched for a known source along each vector.
_REACH = 2
# Too few ring pixels or too little texture: nothing to measure a period on.
_MIN_RING, _MIN_STD = 200, 0.01


@dataclass(frozen=True)
class Lattice:
    """The pattern's period as one or two shifts ``(dy, dx)`` in px, and how well it repeats."""

    first: tuple[int, int]
    second: tuple[int, int] | None
    mismatch: float


def find_lattice(fill: torch.Tensor, known: torch.Tensor) -> Lattice | None:
    """The lattice the known pixels around the hole repeat on, or ``None`` if they do not clearly
    repeat. ``fill`` ``[3, H, W]`` (only its known pixels are read), ``known`` ``[H, W]`` bool."""
    h, w = known.shape
    k = known.to(fill.dtype)
    ring = k * (~valid_sources(known, _RING)).to(fill.dtype)  # known, within _RING px of the hole
    count = float(ring.sum())
    if count < _MIN_RING:
        return None
    y = luma(fill)[None]
    high = (y - gaussian_blur(y, _HIGH_PASS_SIGMA))[0, 0]
    if float(high[ring > 0].std()) < _MIN_STD:
        return None
    # mismatch(d) = sum_p ring(p) known(p+d) (I(p) - I(p+d))^2, expanded into correlations; zero
    # padding by the longest shift searched keeps every searched shift from wrapping around
    size = (_padded(h), _padded(w))
    ring_f = torch.fft.rfft2(torch.stack([ring * high.square(), ring * high, ring]), s=size)
    known_f = torch.fft.rfft2(torch.stack([k, k * high, k * high.square()]), s=size)
    corr = torch.fft.irfft2(ring_f.conj() * known_f, s=size)  # corr(f, g)(d) = sum f(p) g(p+d)
    overlap = torch.fft.irfft2(ring_f[2].conj() * known_f[0], s=size)
    # against the energy of the very pixels compared: a shift that pushes the ring's one strong
    # feature off the picture compares flat sky with flat sky, which is no lattice (a rocket's
    # dusk sky measured 0.14 against the ring's whole variance)
    energy = corr[0] + corr[2]
    ratio = (energy - 2 * corr[1]) / energy.clamp_min(1e-12)
    dy = _signed(size[0], fill.device).view(-1, 1).expand(size)
    dx = _signed(size[1], fill.device).view(1, -1).expand(size)
    length = torch.hypot(dy.to(fill.dtype), dx.to(fill.dtype))
    allowed = (
        (overlap >= _MIN_OVERLAP * count)
        & (length >= MIN_SHIFT)
        & (dy.abs() <= _MAX_SHIFT * h)
        & (dx.abs() <= _MAX_SHIFT * w)
    )
    ratio = torch.where(allowed, ratio, torch.full_like(ratio, math.inf))
    best = _shortest(ratio, length)
    first_ratio = float(ratio.flatten()[best])
    if first_ratio > MAX_MISMATCH or float(length.flatten()[best]) < MIN_SHIFT + _EDGE:
        return None
    first = (int(dy.flatten()[best]), int(dx.flatten()[best]))
    sine = (first[0] * dx - first[1] * dy).abs() / (length * math.hypot(*first)).clamp_min(1e-6)
    ratio = torch.where(sine > _MIN_SINE, ratio, torch.full_like(ratio, math.inf))
    best = _shortest(ratio, length)
    second = None
    if float(ratio.flatten()[best]) <= _SECOND_SLACK * MAX_MISMATCH:
        second = (int(dy.flatten()[best]), int(dx.flatten()[best]))
    return Lattice(first, second, first_ratio)


def copy_along(fill: torch.Tensor, known: torch.Tensor, lattice: Lattice) -> torch.Tensor | None:
    """``fill`` with each hole pixel copied from its nearest known pixel on ``lattice``, or
    ``None`` if some hole pixel has no known pixel within ``_REACH`` steps of the lattice."""
    h, w = known.shape
    steps = range(-_REACH, _REACH + 1)
    second = lattice.second or (0, 0)  # a 1-D lattice: every b gives the same offsets, kept once
    offsets = {
        (a * lattice.first[0] + b * second[0], a * lattice.first[1] + b * second[1])
        for a in steps
        for b in steps
    } - {(0, 0)}
    pixels = torch.nonzero((~known).flatten()).squeeze(1)
    y, x = pixels // w, pixels % w
    source = torch.full_like(pixels, -1)
    flat_known = known.flatten()
    for oy, ox in sorted(offsets, key=lambda o: (math.hypot(*o), o)):  # the nearest repeat first
        sy, sx = y + oy, x + ox
        inside = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
        at = (sy * w + sx).clamp(0, h * w - 1)
        take = (source < 0) & inside & flat_known[at]
        source = torch.where(take, at, source)
        if bool((source >= 0).all()):
            break
    if bool((source < 0).any()):
        return None
    out = fill.reshape(3, -1).clone()
    out[:, pixels] = out[:, source]
    return out.view_as(fill)


def _shortest(ratio: torch.Tensor, length: torch.Tensor) -> int:
    """The flat index of the shortest shift that matches about as well as the best one: every
    multiple of a period matches too, and copying from two periods away reaches less far."""
    least = float(ratio.min())
    close = ratio <= _NEAR_BEST * max(least, 0.0) + _NEAR_SLACK
    return int(torch.where(close, length, torch.full_like(length, math.inf)).argmin())


def _padded(n: int) -> int:
    """FFT length for a side of ``n``: room for the longest shift, rounded up to a fast size, a
    product of 2, 3 and 5 only (a 512 px window needs 688 = 16 * 43: 720 transforms 1.6 times
    as fast)."""
    size = n + math.ceil(_MAX_SHIFT * n) + 1
    while True:
        rest = size
        for factor in (2, 3, 5):
            while rest % factor == 0:
                rest //= factor
        if rest == 1:
            return size
        size += 1


def _signed(n: int, device: torch.device) -> torch.Tensor:
    """The shift each FFT index stands for: 0, 1, ..., n/2 - 1, -n/2, ..., -1."""
    i = torch.arange(n, device=device)
    return torch.where(i < n // 2, i, i - n)
