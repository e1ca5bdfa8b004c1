"""Commit to one material: deep in a hole, each pixel copies the photo under one of its few dominant
shifts, chosen for whole regions at once (He and Sun, *Statistics of Patch Offsets for Image
Completion*, ECCV 2012; Pritch, Kav-Venaki and Peleg, *Shift-Map Image Editing*, ICCV 2009).

Per-pixel matches voted together make a patchwork deep in a hole: lime in the orange, a leaf on
the chameleon, a blend where two materials meet. Here a graph cut (``graph_cut.expand``) gives
each pixel one shift: a shift costs where the shifted photo's low frequencies stray from the
network's layout, or where it would copy an unknown pixel; neighbours with different shifts pay
for the seam they make. So the photo decides what goes where, in whole pieces, and the network
only weighs in at the scale it knows (a Gaussian of ``guide_sigma`` px).

The labelling runs on a coarse pyramid level where the hole is large (``completion``'s
``map_nodes``), so a large selection costs no more than an object hole; its labels are carried to
full resolution, and every pixel is copied there.
"""

from __future__ import annotations

import torch

from .filters import gaussian_blur
from .graph_cut import expand

# A shift that would copy an unknown or off-crop pixel costs this much: never taken while any
# other shift reaches.
_UNREACHABLE = 1e4
# Of the gradient-domain blend's change to a copy, hue may be this share of brightness's limit.
_HUE_SHARE = 0.1
# A pixel's 4-neighbours.
_STEPS = ((0, 1), (0, -1), (1, 0), (-1, 0))


class ShiftMap:
    """The labelling's terms for ``region`` (``[h, w]`` bool) under each of ``shifts`` (``[K, 2]``,
    dy, dx, px on this level): what the copies cost against the network's layout and against the
    pixels around the region. None of it depends on the completion's estimate, so it is built
    while the completion runs (``completion``).

    ``image`` ``[3, h, w]`` is the photo where ``known`` and the network's fill elsewhere,
    ``guide`` the network's fill; ``sigma`` (px on this level) the width of the layout."""

    def __init__(
        self,
        image: torch.Tensor,
        guide: torch.Tensor,
        known: torch.Tensor,
        region: torch.Tensor,
        shifts: torch.Tensor,
        sigma: float,
    ) -> None:
        h, w = known.shape
        self.shifts, self.sigma = shifts, sigma
        self.ys, self.xs = torch.nonzero(region, as_tuple=True)
        self.index = torch.full((h, w), -1, dtype=torch.long, device=known.device)
        self.index[self.ys, self.xs] = torch.arange(len(self.ys), device=known.device)
        if not len(self.ys) or not len(shifts):
            return
        ys, xs = self.ys, self.xs
        photo_low = gaussian_blur(image[None], sigma)[0]
        self.layout = gaussian_blur(guide[None], sigma)[0][:, ys, xs]
        copies, data = [], []
        for dy, dx in shifts.tolist():
            sy, sx, inside = _shifted(ys, xs, dy, dx, h, w)
            copies.append(image[:, sy, sx].t())
            gap = (self.layout - photo_low[:, sy, sx]).square().sum(0)
            data.append(
                torch.where(inside & known[sy, sx], gap, torch.full_like(gap, _UNREACHABLE))
            )
        self.rows = torch.stack(copies)  # [K, n, 3]: each shift's colour at each region pixel
        self.unary = torch.stack(data)
        self.border, self.pairs, self.around = _neighbours(image, shifts, ys, xs, self.index)

    def labels(
        self,
        smooth: float,
        cycles: int,
        generator: torch.Generator,
        keep: torch.Tensor | None = None,
        keep_cost: float = 0.0,
    ) -> torch.Tensor:
        """``[h, w]`` long: per region pixel the index of its shift, -1 where none reaches a known
        pixel, where ``keep`` is kept and outside the region. Neighbours with different labels pay
        ``smooth`` times their seam; ``cycles`` rounds of expansion moves.

        ``keep`` (``[3, h, w]``, the completion's own estimate) is one more label, at
        ``keep_cost`` more per pixel than its layout cost: where no copy fits the layout, no copy
        is made."""
        ys, xs = self.ys, self.xs
        labels = torch.full_like(self.index, -1)
        if not len(ys) or not len(self.shifts):
            return labels
        rows, unary, border = self.rows, self.unary, self.border
        if keep is not None:
            low = gaussian_blur(keep[None], self.sigma)[0][:, ys, xs]
            cost = (self.layout - low).square().sum(0) + keep_cost
            # its own value beside the unlabelled pixels around, against the pixel there
            kept = sum(
                torch.where(outside, (keep[:, ny, nx] - here).norm(dim=0), 0.0)
                for ny, nx, outside, here in self.around
            )
            rows = torch.cat([rows, keep[:, ys, xs].t()[None]])
            unary = torch.cat([unary, cost[None]])
            border = torch.cat([border, kept[None]])
        first, second = self.pairs[:, 0], self.pairs[:, 1]

        def seam(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            """Copies a and b side by side: how far they differ at both pixels of the pair (a
            metric in the labels, so each expansion move is a cut)."""
            at_first = (rows[a, first] - rows[b, first]).norm(dim=1)
            at_second = (rows[a, second] - rows[b, second]).norm(dim=1)
            return smooth * (at_first + at_second)

        start = unary.argmin(0)
        found = expand(unary + smooth * border, self.pairs, seam, start, cycles, generator)
        reached = unary[found, torch.arange(len(ys), device=found.device)] < _UNREACHABLE
        labels[ys, xs] = torch.where(reached & (found < len(self.shifts)), found, -1)
        return labels


def sources(
    known: torch.Tensor, labels: torch.Tensor, shifts: torch.Tensor, scale: int
) -> torch.Tensor:
    """``[H * W]`` long: per full-resolution pixel the flat index of the pixel it copies, -1 where
    none. ``labels`` (on a level ``scale`` times coarser) are carried to every pixel, each
    copying under its shift (``shifts`` ``[K, 2]``, full-resolution px) where that pixel is
    known."""
    h, w = known.shape
    cells = labels.repeat_interleave(scale, 0).repeat_interleave(scale, 1)[:h, :w]
    source = torch.full((h * w,), -1, dtype=torch.long, device=known.device)
    ys, xs = torch.nonzero(cells >= 0, as_tuple=True)
    if not len(ys):
        return source
    shift = shifts[cells[ys, xs]]
    sy, sx, inside = _shifted(ys, xs, shift[:, 0], shift[:, 1], h, w)
    ok = inside & known[sy, sx]
    source[(ys * w + xs)[ok]] = (sy * w + sx)[ok]
    return source


def blended(
    image: torch.Tensor,
    source: torch.Tensor,
    inside: torch.Tensor,
    around: torch.Tensor,
    iterations: int,
    limit: float,
) -> torch.Tensor:
    """``around`` ``[3, H, W]`` with the copies (``source``, from ``sources``) put in where
    ``inside``, blended in the gradient domain (Perez, Gangnet and Blake, *Poisson Image
    Editing*, 2003): each copy keeps its own gradients, a seam between two copies gets the mean
    of theirs, and the values meet ``around`` at the edge. Two copies of a backdrop lit
    differently would otherwise show their seam as a step. Conjugate gradients from the plain
    copy, ``iterations`` of them; no pixel's brightness changes by more than ``limit``, nor its
    hue by more than a tenth of that."""
    c, h, w = image.shape
    flat = image.reshape(c, -1)
    put = inside.flatten() & (source >= 0)
    pixels = torch.nonzero(put).squeeze(1)
    if not len(pixels):
        return around.clone()
    index = torch.full((h * w,), -1, dtype=torch.long, device=image.device)
    index[pixels] = torch.arange(len(pixels), device=image.device)
    py, px = pixels // w, pixels % w
    mine = source[pixels]
    x = flat[:, mine].clone()  # the plain copy
    rhs = torch.zeros_like(x)
    degree = torch.zeros(len(pixels), dtype=image.dtype, device=image.device)
    neighbours = []
    rest = around.reshape(c, -1)
    for dy, dx in _STEPS:
        ny, nx, on = _shifted(py, px, dy, dx, h, w)
        q = ny * w + nx
        other = torch.where(on, index[q], -1)
        # p's copy continued one step: its own gradient towards q
        sy, sx, _ = _shifted(mine // w, mine % w, dy, dx, h, w)
        own = x - flat[:, sy * w + sx]
        theirs_source = source[q]
        ty, tx, _ = _shifted(theirs_source // w, theirs_source % w, -dy, -dx, h, w)
        theirs = flat[:, ty * w + tx] - flat[:, theirs_source.clamp_min(0)]
        both = other >= 0
        rhs += torch.where(on, torch.where(both, (own + theirs) / 2, own), 0)
        rhs += torch.where(on & ~both, rest[:, q], 0)
        degree += on.to(image.dtype)
        neighbours.append(other)
    links = torch.stack(neighbours)  # [4, n]: -1 where not a pixel put in

    def apply(v: torch.Tensor) -> torch.Tensor:
        linked = torch.where(links[:, None] >= 0, v[:, links.clamp_min(0)].transpose(0, 1), 0)
        return degree * v - linked.sum(0)

    r = rhs - apply(x)
    d = r.clone()
    rr = (r * r).sum(1, keepdim=True)
    for _ in range(iterations):
        ad = apply(d)
        alpha = rr / (d * ad).sum(1, keepdim=True).clamp_min(1e-12)
        x = x + alpha * d
        r = r - alpha * ad
        following = (r * r).sum(1, keepdim=True)
        d = r + following / rr.clamp_min(1e-20) * d
        rr = following
    # a large correction is a copy that does not belong beside its edge (a piece of suit against
    # the backdrop, stones against grass): spread over the copy, it would tint it the edge's
    # complement. Limited, the copy stays as it is and only steps of brightness (a backdrop lit
    # differently) are blended away; hue barely moves at all.
    plain = flat[:, mine]
    change = x - plain
    brightness = change.mean(0, keepdim=True)
    hue = change - brightness
    x = plain + brightness.clamp(-limit, limit) + _limited(hue, limit * _HUE_SHARE)
    out = rest.clone()
    out[:, pixels] = x.clamp(0, 1)
    return out.view(c, h, w)


def _shifted(
    ys: torch.Tensor, xs: torch.Tensor, dy, dx, h: int, w: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The shifted coordinates, clamped to the image, and whether they fell inside it."""
    sy, sx = ys + dy, xs + dx
    inside = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
    return sy.clamp(0, h - 1), sx.clamp(0, w - 1), inside


def _neighbours(
    image: torch.Tensor,
    shifts: torch.Tensor,
    ys: torch.Tensor,
    xs: torch.Tensor,
    index: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, list[tuple[torch.Tensor, ...]]]:
    """The seam each shift makes with the pixels around the region that are not labelled
    (``[K, n]``: each shift's copy continued onto each such 4-neighbour, against the pixel there),
    the 4-neighbouring pairs of region pixels (``[m, 2]``, each once), and per direction each
    pixel's neighbour (y, x), whether it is such an unlabelled pixel, and its colour."""
    h, w = index.shape
    border = image.new_zeros(len(shifts), len(ys))
    pairs, around = [], []
    for dy, dx in _STEPS:
        ny, nx, on = _shifted(ys, xs, dy, dx, h, w)
        other = index[ny, nx]
        outside = on & (other < 0)
        here = image[:, ny, nx]
        cy, cx, _ = _shifted(ny, nx, shifts[:, :1], shifts[:, 1:], h, w)  # [K, n] each
        gap = (image[:, cy, cx] - here[:, None]).norm(dim=0)
        border += torch.where(outside, gap, 0.0)
        around.append((ny, nx, outside, here))
        if dy + dx > 0:
            mine = on & (other >= 0)
            pairs.append(torch.stack([torch.nonzero(mine).squeeze(1), other[mine]], 1))
    return border, torch.cat(pairs), around


def _limited(change: torch.Tensor, limit: float) -> torch.Tensor:
    """``change`` ``[3, n]`` scaled so that no column is longer than ``limit``."""
    size = change.norm(dim=0, keepdim=True)
    return change * (limit / size.clamp_min(1e-8)).clamp(max=1)
