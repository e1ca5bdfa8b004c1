"""Synaptic operations and an energy estimate per layer, measured on real photos (model card table).

Every convolution is counted on the photos it fills. A convolution whose input is dense (pixels,
leaky-ReLU activations, the membrane current) costs multiply-accumulates: output elements x fan-in.
A convolution that reads a spiking layer's output costs accumulates only: each spike adds its weight
to every output it reaches, so its synaptic operations are the spikes (over all timesteps) times
their fan-out, counted exactly at the borders as a convolution of the spike counts with a kernel of
ones. The leaky-ReLU twin is the same network with every layer dense, each run once.

Energy follows the usual convention for 45 nm CMOS (Horowitz, ISSCC 2014, as used across the SNN
literature): 4.6 pJ per 32-bit float multiply-accumulate, 0.9 pJ per accumulate. It leaves out memory
traffic (reading weights and activations, often the larger cost), the LIF neurons' own state updates
(listed as a count), the membrane fill, resampling and the element-wise sums, so it compares
arithmetic only, not what a chip would draw.

``python -m scnn_plugin.evaluation.synops --limit 8`` prints the tables for the shipped ``paper`` and
``default`` weights on the first 8 validation photos (512 px, one hole of each kind).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..imaging import to_tensor
from ..snn import SNNConv2d
from ..training.data import default_pool_dir, find_photos, load_photos
from ..training.evalset import OBJECT_KIND, EvalSample, build_eval_set
from ..training.hole_masks import MASK_KINDS
from ..training.object_masks import load_silhouettes, silhouettes_dir
from ..weights import load_weights, resolve_weights

PJ_PER_MAC = 4.6  # 32-bit float multiply-accumulate, 45 nm
PJ_PER_AC = 0.9  # 32-bit float add, 45 nm


@dataclass
class LayerOps:
    """One convolution's arithmetic per image, averaged over the photos seen."""

    name: str
    reads_spikes: bool  # its input is a spiking layer's output: accumulates, not MACs
    twin_macs: float  # the leaky-ReLU twin: every layer dense, run once
    macs: float  # this network's multiply-accumulates (0 where it reads spikes)
    synops: float  # this network's accumulates: spikes x fan-out
    spike_rate: float | None = None  # of the spiking layer it reads: spikes per neuron per step

    @property
    def twin_mj(self) -> float:
        return self.twin_macs * PJ_PER_MAC * 1e-9

    @property
    def mj(self) -> float:
        return (self.macs * PJ_PER_MAC + self.synops * PJ_PER_AC) * 1e-9


class OpCounter:
    """Forward hooks that count every ``Conv2d``'s MACs or synaptic operations, and LIF updates."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.layers: dict[str, LayerOps] = {}
        self.neuron_updates = 0.0
        self.images = 0
        # A spiking layer's output of this forward (held, so it is that very tensor that a
        # convolution's input is compared with) -> (layer name, timesteps).
        self._spikes: list[tuple[torch.Tensor, str, int]] = []
        self._rates: dict[str, list[float]] = {}
        self._reads: dict[str, str] = {}  # convolution -> the spiking layer it reads
        self._handles: list = []

    def __enter__(self) -> Self:
        self._handles.append(self.model.register_forward_pre_hook(self._forget))
        for name, module in self.model.named_modules():
            if isinstance(module, SNNConv2d):
                self._handles.append(module.register_forward_hook(self._spiking(name)))
            elif isinstance(module, nn.Conv2d):
                self._handles.append(module.register_forward_hook(self._conv(name)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _forget(self, *_args) -> None:
        self._spikes.clear()  # a new forward: the last one's spike tensors are gone

    def _spiking(self, name: str):
        def record(module: SNNConv2d, inputs, output: torch.Tensor) -> None:
            steps = inputs[1] if len(inputs) > 1 and inputs[1] else module.timesteps
            self._spikes.append((output, name, steps))
            self.neuron_updates += output.numel() * steps
            self._rates.setdefault(name, []).append(float(output.float().mean()))

        return record

    def _conv(self, name: str):
        def record(module: nn.Conv2d, inputs, output: torch.Tensor) -> None:
            x = inputs[0]
            kh, kw = module.kernel_size
            fan_in = module.in_channels // module.groups * kh * kw
            dense = float(output.numel() * fan_in)
            row = self.layers.setdefault(name, LayerOps(name, False, 0.0, 0.0, 0.0))
            row.twin_macs += dense
            source = next(((n, t) for s, n, t in self._spikes if s is x), None)
            if source is None:
                row.macs += dense
                return
            self._reads[name], steps = source
            row.reads_spikes = True
            # Spikes per input pixel over all timesteps, spread over every output they reach.
            counts = (x.float() * steps).round().sum(1, keepdim=True)
            ones = torch.ones(1, 1, kh, kw, dtype=counts.dtype, device=counts.device)
            reach = F.conv2d(counts, ones, None, module.stride, module.padding, module.dilation)
            row.synops += float(reach.sum()) * (module.out_channels // module.groups)

        return record

    def result(self) -> list[LayerOps]:
        """Per-image means; a spike-reading layer carries the mean rate of the layer it reads."""
        n = max(1, self.images)
        rates = {name: float(np.mean(r)) for name, r in self._rates.items()}
        return [
            LayerOps(
                row.name,
                row.reads_spikes,
                row.twin_macs / n,
                row.macs / n,
                row.synops / n,
                rates[self._reads[row.name]] if row.name in self._reads else None,
            )
            for row in self.layers.values()
        ]


def count_ops(model: nn.Module, samples: list[EvalSample]) -> tuple[list[LayerOps], float]:
    """Per-layer operations per image over ``samples``, and the LIF state updates per image."""
    counter = OpCounter(model.eval())
    with counter, torch.inference_mode():
        for s in samples:
            x = to_tensor(s.image[None])
            m = torch.from_numpy(s.hole)[None, None].float()
            model(x, m)
            counter.images += 1
    return counter.result(), counter.neuron_updates / max(1, counter.images)


def format_table(title: str, rows: list[LayerOps], neuron_updates: float, side: int) -> str:
    """A markdown table: per layer, the twin's MACs against this network's MACs and synops."""
    out = [
        f"**{title}**, per {side}² image:",
        "",
        "| layer | input | twin MACs (M) | MACs (M) | synops (M) | spike rate | twin mJ | mJ |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rate = f"{r.spike_rate:.4f}" if r.spike_rate is not None else ""
        out.append(
            f"| {r.name} | {'spikes' if r.reads_spikes else 'dense'} | {r.twin_macs / 1e6:.1f} | "
            f"{r.macs / 1e6:.1f} | {r.synops / 1e6:.2f} | {rate} | {r.twin_mj:.3f} | {r.mj:.3f} |"
        )
    twin = sum(r.twin_macs for r in rows)
    macs, syn = sum(r.macs for r in rows), sum(r.synops for r in rows)
    twin_mj, mj = sum(r.twin_mj for r in rows), sum(r.mj for r in rows)
    out.append(
        f"| **all** | | **{twin / 1e6:.1f}** | **{macs / 1e6:.1f}** | **{syn / 1e6:.2f}** | | "
        f"**{twin_mj:.3f}** | **{mj:.3f}** |"
    )
    spiking = [r for r in rows if r.reads_spikes]
    if spiking:
        saved = sum(r.twin_mj - r.mj for r in spiking)
        out += [
            "",
            (
                f"Layers that read spikes: {sum(r.twin_macs for r in spiking) / 1e6:.1f} M MACs in "
                f"the twin against {sum(r.synops for r in spiking) / 1e6:.2f} M synaptic operations "
                f"({saved:.3f} mJ less); the whole network {mj:.3f} mJ against the twin's "
                f"{twin_mj:.3f} mJ ({100 * (twin_mj - mj) / twin_mj:.1f} % less). LIF state updates "
                f"(not counted above): {neuron_updates / 1e6:.1f} M."
            ),
        ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m scnn_plugin.evaluation.synops", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--photos", type=Path, default=None, help="pool (default: the cached pool)")
    p.add_argument("--limit", type=int, default=8, help="first N validation photos")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--configs", default="paper,default", help="shipped configs to count")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    pool = args.photos or default_pool_dir()
    found = load_photos(find_photos(pool / "val")[: args.limit])
    shapes = load_silhouettes(silhouettes_dir(pool))
    if not found.photos:
        print(f"synops: no photos in {pool}/val", file=sys.stderr)
        return 2
    kinds = (*MASK_KINDS, OBJECT_KIND) if shapes else tuple(MASK_KINDS)
    samples = build_eval_set(found.photos, found.names, args.size, kinds, shapes=shapes)
    print(f"{len(samples)} samples: {len(found.photos)} photos x {', '.join(kinds)} holes\n")
    for config in args.configs.split(","):
        model, info = load_weights(resolve_weights(None, config))
        rows, updates = count_ops(model, samples)
        print(format_table(f"`{config}` (T = {info.timesteps})", rows, updates, args.size))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
