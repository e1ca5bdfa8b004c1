"""How much would knowing where the network only guesses be worth? An upper bound for a variance head.

    python experiments/completion/oracle_trust.py --pool POOL --kind object --out OUT \
        [--tau 0.03] [--floor 0.2] [--photos 16]

The shipped completion trusts the network's layout by depth alone: full weight at the hole's edge,
falling over ``trust_depth`` px to ``trust_floor`` of it. Here the trust comes instead from the
truth: where the network's low frequencies (a Gaussian of ``guide_sigma`` px) lie far from the
photo's, its layout weighs little; where they are right, it holds. No head could know more, so if
this oracle does not move the fill on the PSNR-against-bands plane, a variance head (issue 42,
item 4) would not either. Training photos only (``tune.py``'s), never ``val/``; the network's fills
and PatchMatch's come from ``tune.py``'s cache in OUT. One line per run is appended to
``OUT/runs.jsonl`` in ``tune.py``'s format, so ``plane.py`` draws it beside the tuning runs.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
import tune  # the tuning photos, holes, cache and metrics

from scnn_plugin.fill import completion
from scnn_plugin.fill.filters import gaussian_blur
from scnn_plugin.fill.vote import box


class Oracle:
    """Stands in for ``completion.deepness`` where it sets the layout's trust (the call whose
    scale is ``trust_depth``); every other depth (coherence, the final put-back) is the real one."""

    def __init__(self, tau: float, floor: float) -> None:
        self.tau, self.floor = tau, floor
        self.error: torch.Tensor | None = None  # [H, W] on the completion's crop
        self.real = completion.deepness

    def __call__(self, fixed: torch.Tensor, depth: int, scale: float, start: float = 0.0):
        real = self.real(fixed, depth, scale, start)
        if scale != completion.DEFAULT.trust_depth or self.error is None:
            return real
        error = self.error[None, None]
        for _ in range(depth):  # the pyramid's own halving (ceil mode)
            error = F.avg_pool2d(error, 2, ceil_mode=True)
        error = error[0, 0, : fixed.shape[0], : fixed.shape[1]]
        # 0 where the network's layout is right, towards 1 where it is far off; the trust falls
        # from 1 to trust_floor along it, as it does with depth in the shipped fill
        guess = 1 - torch.exp(-error / self.tau)
        return torch.where(fixed, real, guess)


def run(
    pool: Path,
    kind: str,
    out: Path,
    photos: int,
    tau: float,
    floor: float,
    name: str,
    perfect: bool = False,
):
    params = tune.parse_params([f"trust_floor={floor}"])
    oracle = Oracle(tau, floor)
    rows = []
    real_complete = completion.complete
    for stem, view, hole in tune.samples(pool, kind, photos):
        key = f"{stem}-{kind}"
        net_path, pm_path = out / "cache" / f"{key}-net.png", out / "cache" / f"{key}-pm.png"
        if not (net_path.exists() and pm_path.exists()):
            raise SystemExit(f"{net_path.name} is not cached: run tune.py --kind {kind} first")
        net = tune.cached(net_path, None)
        pm = tune.cached(pm_path, None)
        truth = torch.from_numpy(view.copy()).permute(2, 0, 1).float() / 255
        sigma = params.guide_sigma
        if perfect:  # a network right at the layout's scale: the truth, blurred
            blurred = gaussian_blur(truth[None], sigma)[0].permute(1, 2, 0).numpy()
            net = (blurred * 255).round().clip(0, 255).astype(np.uint8)
        fill = torch.from_numpy(net.copy()).permute(2, 0, 1).float() / 255
        gap = gaussian_blur((fill - truth)[None], sigma)[0].square().sum(0).sqrt()

        def complete(fill, known, region=None, seed=0, params=params, gap=gap, copies=None):
            region_ = ~known if region is None else region & ~known
            if region_.any() and tau > 0:  # tau 0: trust by depth, as shipped (the control)
                ys, xs = box(region_, params.context)
                oracle.error = gap[ys, xs]
            return real_complete(fill, known, region, seed, params, copies)

        completion.deepness = oracle
        try:
            mine = tune.ours(view, hole, net, params, complete=complete)
        finally:
            completion.deepness = oracle.real
        rows.append(tune.score(stem, view, hole, net, pm, mine))
    labels = [f"oracle_tau={tau}", f"trust_floor={floor}"] + ["perfect"] * perfect
    tune.record(out, name, kind, labels, rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pool", type=Path, required=True)
    p.add_argument("--kind", default="object")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--photos", type=int, default=16)
    p.add_argument(
        "--tau", type=float, default=0.03, help="layout error (RGB rms) of 1 - 1/e; 0: by depth"
    )
    p.add_argument("--floor", type=float, default=completion.DEFAULT.trust_floor)
    p.add_argument("--name", default="")
    p.add_argument(
        "--perfect",
        action="store_true",
        help="the truth blurred by guide_sigma as the network's fill",
    )
    args = p.parse_args(argv)
    name = args.name or f"oracle{args.tau:g}f{args.floor:g}"
    assert math.isfinite(args.tau) and args.tau >= 0
    name += "-perfect" * args.perfect
    run(args.pool, args.kind, args.out, args.photos, args.tau, args.floor, name, args.perfect)
    return 0


if __name__ == "__main__":
    sys.exit(main())
