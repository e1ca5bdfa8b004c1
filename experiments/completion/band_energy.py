"""The photo's band energy restored band by band instead of as one: a ``tune.py`` run with the
completion's last step (``finish.matched_energy``) replaced.

    python experiments/completion/band_energy.py [--splits 2,4] [--cap 1.5] [--deep-cap 2.5] \
        [--gain-floor 0] -- --pool POOL --kind object --out OUT --name NAME

The shipped step scales everything below ``guide_sigma`` (8 px) by one local gain towards the
energy the hole's surroundings show, at most ``max_gain``. Voting averages overlapping patches,
and where they disagree it flattens the 4-8 px band most (a 7 px patch's own scale): an oracle
layout still left b2 at 0.60 (``oracle_trust.py --perfect``). Here each band between the splits
(px: below 2, 2-4, 4-8) gets its own gain, at most ``--cap`` at the hole's edge rising to
``--deep-cap`` deep inside (over 16 px from 8 px in), at least ``--gain-floor``. With no splits and
equal caps this is the shipped step, equal to the bit (the control).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import tune  # the tuning photos, holes, cache and metrics

from scnn_plugin.fill import completion
from scnn_plugin.fill.depth import deepness
from scnn_plugin.fill.filters import gaussian_blur, luma
from scnn_plugin.fill.membrane import membrane_fill


def per_band(splits: list[float], cap: float, deep_cap: float, gain_floor: float):
    """A stand-in for ``matched_energy`` with its signature; its ``expected`` is the photo and
    what is known of it (``main`` has ``surroundings_energy`` hand them on), since each band is
    measured on its own."""

    def matched(estimate, expected, region, guide_sigma, energy_sigma, max_gain):
        fill, known = expected
        sigmas = [*splits, guide_sigma]
        mine = [estimate] + [gaussian_blur(estimate[None], s)[0] for s in sigmas]
        photo = [fill] + [gaussian_blur(fill[None], s)[0] for s in sigmas]
        weight = known.to(fill.dtype)[None, None]
        cover = gaussian_blur(weight, energy_sigma)
        depth = deepness(~region, 0, 16.0, 8.0)
        most = cap + (deep_cap - cap) * depth
        out = mine[-1].clone()
        for k in range(len(sigmas)):
            band = mine[k] - mine[k + 1]
            around = luma(photo[k] - photo[k + 1]).square() * weight[0]
            around = gaussian_blur(around[None], energy_sigma) / cover.clamp_min(1e-6)
            expected = membrane_fill(around, (cover > 0.5).to(fill.dtype))[0]
            energy = gaussian_blur(luma(band).square()[None], energy_sigma)[0]
            gain = (expected / energy.clamp_min(1e-8)).sqrt().clamp(min=gain_floor)
            out = out + band * torch.minimum(gain, most)
        return torch.where(region, out.clamp(0, 1), estimate)

    return matched


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ours, rest = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else ([], argv)
    )
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splits", default="2,4", help="band edges below guide_sigma (px)")
    p.add_argument("--cap", type=float, default=completion.DEFAULT.max_gain)
    p.add_argument("--deep-cap", type=float, default=None, help="default: --cap")
    p.add_argument("--gain-floor", type=float, default=0.0)
    args = p.parse_args(ours)
    splits = [float(s) for s in args.splits.split(",") if s]
    deep_cap = args.cap if args.deep_cap is None else args.deep_cap
    completion.surroundings_energy = lambda fill, known, *sigmas: (fill, known)
    completion.matched_energy = per_band(splits, args.cap, deep_cap, args.gain_floor)
    return tune.main(rest)


if __name__ == "__main__":
    sys.exit(main())
