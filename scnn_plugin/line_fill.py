"""Line continuation across thin holes: each hole pixel joins the known pixels on both sides of it.

Why: the membrane fill (``fill.py``) is the smoothest surface through a hole's border, so a cable or
an edge that crosses a thin stroke comes out broken, and the network on top of it has to learn to
rejoin it. This fill rejoins it in closed form first. For each hole pixel and each of 16 directions
it walks both ways to the first known pixel (at most ``REACH`` px) and interpolates linearly between
the two. The directions are then averaged with weights that favour ends of the same colour that
continue the same way a step further, short spans, and, most strongly, ends that lie on an edge
running along the direction (from the structure tensor of the known pixels): without that last
term a pixel on a thin dark line has many directions that end in the sky on both sides, all just as
consistent, and the line would vanish again. Pixels with no known pixel within reach on both sides
(deep inside wide holes) keep the base fill.

~0.5 s for a 512 px image with a thin-stroke hole on one CPU thread; the cost grows with the number
of hole pixels near known ones, not with the image.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

# Farthest known pixel (px) a hole pixel is joined to on each side: the widest thin stroke (10 px)
# crossed at up to ~50 degrees from its normal.
REACH = 16
DIRECTIONS = 16
# Weighting of the directions: softmin temperature over the cost, cost per px of span, and the
# bonus per unit of edge energy along the direction (structure tensor of [0, 1] RGB, summed).
_TAU = 0.02
_SPAN_COST = 0.002
_EDGE_BONUS = 3.0
_TENSOR_SIGMA = 1.5
# Hole pixels gathered at once: bounds the index tensors to ~70 MB for any hole size.
_CHUNK = 16384


def line_fill(base: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Replace ``base`` on hole pixels (``known`` 0) that have known pixels within reach on both
    sides by the direction-weighted line interpolation; every other pixel is returned from ``base``.

    ``base`` ``[N, C, H, W]`` in [0, 1] is a fill whose known pixels are the image's (the membrane
    fill): every colour, the ends' and those a step beyond them, is read from it, so what lies under
    the mask (the ground truth in training, the object being removed in use) can never steer it.
    ``known`` ``[N, 1, H, W]``, 1 = known.
    """
    dtype = base.dtype
    base, known = base.float(), known.float()
    n, w = base.shape[0], base.shape[-1]
    pad = REACH + 3  # the continuation check looks 2 px beyond the farthest end
    tensor = _structure_tensor(base, known)
    offsets, cos, sin = _offsets(w + 2 * pad, base.device)
    img = F.pad(base, (pad,) * 4, mode="replicate").flatten(2)
    kn = F.pad(known, (pad,) * 4).flatten(2)
    st = F.pad(tensor, (pad,) * 4).flatten(2)
    # Hole pixels with no known pixel in the square of radius REACH can have no ends: skipped.
    # Separable (rows, then columns): ~20x faster than one square window on the CPU, same result.
    near = F.max_pool2d(known, (1, 2 * REACH + 1), stride=1, padding=(0, REACH))
    near = F.max_pool2d(near, (2 * REACH + 1, 1), stride=1, padding=(REACH, 0)) > 0
    out = base.clone()
    for b in range(n):
        ys, xs = torch.nonzero((known[b, 0] < 0.5) & near[b, 0], as_tuple=True)
        for start in range(0, ys.numel(), _CHUNK):
            y, x = ys[start : start + _CHUNK], xs[start : start + _CHUNK]
            flat = (y + pad) * (w + 2 * pad) + (x + pad)
            value, found = _join(flat, img[b], kn[b, 0], st[b], offsets, cos, sin)
            out[b][:, y, x] = torch.where(found, value, out[b][:, y, x])
    return out.to(dtype)


def _join(
    flat: torch.Tensor,
    img: torch.Tensor,
    known: torch.Tensor,
    tensor: torch.Tensor,
    offsets: torch.Tensor,
    cos: torch.Tensor,
    sin: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Line-interpolated values ``[C, M]`` of the padded-flat pixels ``flat`` and whether any
    direction reached known pixels on both sides."""
    steps = offsets[None].expand(flat.numel(), -1, -1, -1)  # [M, K, 2 sides, REACH + 2]
    hits = known[flat[:, None, None, None] + steps[..., :REACH]] > 0.5
    first = hits.to(torch.uint8).argmax(-1, keepdim=True)  # first known pixel on each side
    end = flat[:, None, None] + steps.gather(-1, first).squeeze(-1)  # [M, K, 2]
    beyond = flat[:, None, None] + steps.gather(-1, first + 2).squeeze(-1)
    span = (first.squeeze(-1) + 1).float()
    colour, further = img[:, end], img[:, beyond]  # [C, M, K, 2]
    jxx, jxy, jyy = tensor[:, end]
    across = sin[:, None] ** 2 * jxx - 2 * (cos * sin)[:, None] * jxy + cos[:, None] ** 2 * jyy
    along = cos[:, None] ** 2 * jxx + 2 * (cos * sin)[:, None] * jxy + sin[:, None] ** 2 * jyy
    edge = (across - along).clamp_min(0).amin(-1)  # [M, K]: an edge along the line at both ends
    s1, s2 = span[..., 0], span[..., 1]
    value = (colour[..., 0] * s2 + colour[..., 1] * s1) / (s1 + s2)
    cost = (
        ((colour[..., 0] - colour[..., 1]) ** 2).mean(0)
        + 0.5 * ((colour - further) ** 2).mean(0).sum(-1)
        + _SPAN_COST * (s1 + s2)
        - _EDGE_BONUS * edge
    )
    weight = torch.exp(-cost.clamp(-20 * _TAU, 20 * _TAU) / _TAU) * hits.any(-1).all(-1)
    total = weight.sum(-1)
    return (value * weight).sum(-1) / total.clamp_min(1e-8), total > 1e-8


@lru_cache(maxsize=8)
def _offsets(
    row: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat offsets ``[K, 2, REACH + 2]`` of the pixels 1..REACH+2 px away along each direction,
    both ways, in an image ``row`` px wide; and each direction's cosine and sine."""
    angle = torch.arange(DIRECTIONS, dtype=torch.float64) * math.pi / DIRECTIONS
    dist = torch.arange(1, REACH + 3, dtype=torch.float64)
    side = torch.tensor([1.0, -1.0], dtype=torch.float64)
    along = side[None, :, None] * dist[None, None, :]
    dy = torch.round(along * torch.sin(angle)[:, None, None])
    dx = torch.round(along * torch.cos(angle)[:, None, None])
    offsets = (dy * row + dx).long().to(device)
    return offsets, torch.cos(angle).float().to(device), torch.sin(angle).float().to(device)


def _structure_tensor(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``[N, 3, H, W]`` (Jxx, Jxy, Jyy) of the known pixels, Gaussian-averaged over known ones only,
    so the hole's own (unknown) content never shapes an edge."""
    pi = F.pad(image, (1, 1, 1, 1), mode="replicate")
    pk = F.pad(known, (1, 1, 1, 1))
    gx = (pi[..., 1:-1, 2:] - pi[..., 1:-1, :-2]) / 2
    gy = (pi[..., 2:, 1:-1] - pi[..., :-2, 1:-1]) / 2
    valid = pk[..., 1:-1, 2:] * pk[..., 1:-1, :-2] * pk[..., 2:, 1:-1] * pk[..., :-2, 1:-1] * known
    products = torch.cat(
        [(gx * gx).sum(1, True), (gx * gy).sum(1, True), (gy * gy).sum(1, True)], 1
    )
    return _blur(products * valid) / _blur(valid).clamp_min(1e-3) * known


def _blur(x: torch.Tensor) -> torch.Tensor:
    radius = int(3 * _TENSOR_SIGMA)
    taps = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(taps**2) / (2 * _TENSOR_SIGMA**2))
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, 0, 0), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    x = F.pad(x, (0, 0, radius, radius), mode="replicate")
    return F.conv2d(x, kernel.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
