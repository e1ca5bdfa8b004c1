"""Commit to one material: each hole pixel copies the photo under one of a few dominant shifts,
chosen for the whole region at once (He and Sun, *Statistics of Patch Offsets for Image
Completion*, ECCV 2012), instead of the completion's per-pixel matches. The probe that led to
``fill/shift_map.py``; it labels at full resolution, with no label for the completion's own fill.

    python experiments/completion/offset_labels.py [--shifts 32] [--smooth 4] [--layout 1] \
        [--cycles 2] [--polish [--polish-depth D] | --mix START WIDTH] \
        -- --pool POOL --kind object --out OUT --name NAME [--sheet]

What users see lose to PatchMatch is composition: deep in a hole our fill is a patchwork of
several materials (lime in the orange, a leaf on the chameleon), where PatchMatch commits to one.
Here the completion is replaced by a labelling: the photo's ``--shifts`` most frequent
self-similar shifts (``fill/offsets.py``) are the labels; a pixel's data cost is how far the
network's layout (8 px Gaussian) lies from the shifted photo's there (``--layout`` its weight), or
unusable where the shifted pixel is unknown; neighbours with different labels pay for the seam
they make (``--smooth``: how much, against the data). Iterated conditional modes from the best
data label, or with ``--cycles`` alpha-expansion (``fill/graph_cut.py``; the seam then costs the
colour distance, not its square, a metric). Pixels no shift reaches keep the network's fill.
``--polish`` runs the completion after, laid out by the copies (deep in, from ``--polish-depth``
px, where given); ``--mix`` keeps the completion near the edge and the copies from START px deep,
fading in over WIDTH. The completion these use is the one before the shift map
(``map_shifts=0``). Everything else (which pixels are completed, the ramp at the edge) is the
texture step's, and the metrics are ``tune.py``'s.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import tune  # the tuning photos, holes, cache and metrics

from scnn_plugin.fill import completion, shift_map
from scnn_plugin.fill.depth import deepness, hole_depth
from scnn_plugin.fill.filters import gaussian_blur
from scnn_plugin.fill.graph_cut import expand
from scnn_plugin.fill.patch_basis import cosine_basis

_UNUSABLE = 1e4
_COMPLETE = completion.complete  # the shipped completion, before main stands in for it


def labelled(
    count: int,
    smooth: float,
    layout: float,
    min_length: int,
    start_block: int,
    rounds: int = 8,
    cycles: int = 0,
    polish: bool = False,
    polish_depth: float = 0.0,
    mix: tuple[float, float] | None = None,
):
    """A stand-in for ``completion.complete`` with its signature."""

    def complete(fill, known, region=None, seed=0, params=completion.DEFAULT):
        region = ~known if region is None else region & ~known
        h, w = known.shape
        p = params
        basis = cosine_basis(
            p.radius, p.luma_frequency, p.chroma_frequency, fill.device, fill.dtype
        )
        generator = torch.Generator().manual_seed(seed)
        # the completion's own search for the dominant shifts, asked for more of them
        level = completion.Level(fill, fill, known, ~region)
        shifts = completion._shifts(level, basis, generator, p, 4 * count)
        shifts = shifts[shifts.abs().amax(1) >= min_length][:count]  # long enough to reach in
        if not len(shifts):
            return fill.clone()
        low = gaussian_blur(fill[None], p.guide_sigma)[0]  # the network's layout in the hole
        ys, xs = torch.nonzero(region, as_tuple=True)
        stack, data = [], []
        for dy, dx in shifts.tolist():
            sy, sx = ys + dy, xs + dx
            inside = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
            sy, sx = sy.clamp(0, h - 1), sx.clamp(0, w - 1)
            usable = inside & known[sy, sx]
            copy = fill[:, sy, sx]
            stack.append(copy)
            gap = (low[:, ys, xs] - low[:, sy, sx]).square().sum(0)
            data.append(torch.where(usable, layout * gap, torch.full_like(gap, _UNUSABLE)))
        stack_t = torch.stack(stack)  # [K, 3, n]
        data_t = torch.stack(data)  # [K, n]
        # start from blocks: a per-pixel start leaves ICM in fragments a few px wide
        block = (ys // start_block) * ((w + start_block - 1) // start_block) + xs // start_block
        pooled = torch.zeros(len(shifts), int(block.max()) + 1).index_add_(1, block, data_t)
        labels = pooled.argmin(0)[block]
        before = labels
        # each region pixel's 4 neighbours: another region pixel (its index) or a fixed pixel
        index = torch.full((h, w), -1, dtype=torch.long)
        index[ys, xs] = torch.arange(len(ys))
        k = len(shifts)
        if cycles:
            edge, pairs = shift_map._neighbours(fill, shifts, ys, xs, index)
            first, second = pairs[:, 0], pairs[:, 1]

            def seam(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
                """|I_a(p) - I_b(p)| + |I_a(q) - I_b(q)|: a metric, so each move is a cut"""
                at_p = (stack_t[a, :, first] - stack_t[b, :, first]).norm(dim=1)
                at_q = (stack_t[a, :, second] - stack_t[b, :, second]).norm(dim=1)
                return smooth * (at_p + at_q)

            labels = expand(
                data_t + smooth * edge,
                pairs,
                seam,
                labels,
                cycles,
                torch.Generator().manual_seed(k),
            )
        parity = (ys + xs) % 2  # red-black order: neighbours never switch at once
        for step in range(0 if cycles else 2 * rounds):
            cost = data_t.clone()
            for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                ny, nx = (ys + dy).clamp(0, h - 1), (xs + dx).clamp(0, w - 1)
                other = index[ny, nx]
                mine = other >= 0
                # a region neighbour with label b: the seam between copy a and copy b, at both
                theirs = labels[other.clamp_min(0)]
                b_here = stack_t[theirs, :, torch.arange(len(ys))]  # [n, 3]: b's copy at p
                seam = (stack_t - b_here.t()[None]).square().sum(1)  # [K, n]
                # a fixed neighbour: copy a continued there against the photo there
                fy, fx = ny, nx
                cont = []
                for dy2, dx2 in shifts.tolist():
                    cy, cx = (fy + dy2).clamp(0, h - 1), (fx + dx2).clamp(0, w - 1)
                    cont.append((fill[:, cy, cx] - fill[:, fy, fx]).square().sum(0))
                edge = torch.stack(cont)
                cost += smooth * torch.where(
                    mine[None], seam * (torch.arange(k)[:, None] != theirs[None]), edge
                )
            new = torch.where(parity == step % 2, cost.argmin(0), labels)
            if step % 2 and torch.equal(new, labels) and torch.equal(new, before):
                break
            before, labels = labels, new
        out = fill.clone()
        best = stack_t[labels, :, torch.arange(len(ys))].t()
        reached = data_t[labels, torch.arange(len(ys))] < _UNUSABLE
        out[:, ys, xs] = torch.where(reached[None], best, fill[:, ys, xs])
        if mix is not None:  # the shipped completion near the edge, the copies deep in
            start, width = mix
            shipped = _COMPLETE(fill, known, region, seed, replace(params, map_shifts=0))
            if shipped is None:
                return out
            deep = ((hole_depth(~known, int(start + width) + 1) - start) / width).clamp(0, 1)
            return torch.where(region, deep * out + (1 - deep) * shipped, fill)
        if polish:  # the completion, laid out by the labelled copies instead of the network ...
            if polish_depth > 0:  # ... deep in the hole; near its edge by the network still
                deep = deepness(~region, 0, polish_depth)
                out = torch.where(region, deep * out + (1 - deep) * fill, fill)
            return _COMPLETE(out, known, region, seed, replace(params, map_shifts=0))
        return out

    return complete


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else 0
    ours, rest = argv[:split], argv[split + 1 :] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shifts", type=int, default=32)
    parser.add_argument("--smooth", type=float, default=4.0)
    parser.add_argument("--layout", type=float, default=1.0)
    parser.add_argument("--min-length", type=int, default=4, help="shortest shift kept (px)")
    parser.add_argument("--start-block", type=int, default=1, help="ICM starts per block (px)")
    parser.add_argument("--rounds", type=int, default=8, help="ICM rounds (each two half-steps)")
    parser.add_argument(
        "--cycles", type=int, default=0, help="alpha-expansion cycles in place of ICM (0: ICM)"
    )
    parser.add_argument(
        "--polish", action="store_true", help="then the completion, laid out by the copies"
    )
    parser.add_argument("--polish-depth", type=float, default=0.0, help="copies' say fades in (px)")
    parser.add_argument(
        "--mix", type=float, nargs=2, help="START WIDTH: the copies fade in from START px deep"
    )
    args = parser.parse_args(ours)
    probe = labelled(
        args.shifts,
        args.smooth,
        args.layout,
        args.min_length,
        args.start_block,
        args.rounds,
        args.cycles,
        args.polish,
        args.polish_depth,
        args.mix,
    )
    # tune.ours binds the completion with its params; this stands in for it
    completion.complete = (
        lambda fill, known, region=None, seed=0, params=completion.DEFAULT, copies=None: probe(
            fill, known, region, seed, params
        )
    )
    return tune.main(rest)


if __name__ == "__main__":
    sys.exit(main())
