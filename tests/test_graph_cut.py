"""The labelling under the shift map: a minimum cut is the cheapest of all 2^n choices, and
expansion moves settle whole regions where a per-pixel choice stays in fragments."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from scnn_plugin.fill.graph_cut import FlowNetwork, expand


def _cut_cost(side, source_cost, sink_cost, edges, capacity) -> float:
    cost = np.where(side, source_cost, sink_cost).sum()
    cut = ~side[edges[:, 0]] & side[edges[:, 1]]
    return float(cost + capacity[cut].sum())


def test_a_minimum_cut_is_the_cheapest_of_every_choice():
    rng = np.random.default_rng(3)
    n = 9
    pairs = np.array([(i, j) for i in range(n) for j in range(n) if i != j and rng.random() < 0.4])
    for _ in range(5):
        source_cost, sink_cost = rng.random(n), rng.random(n)
        capacity = rng.random(len(pairs)) * 0.6
        side = FlowNetwork(n, pairs).cut(source_cost, sink_cost, capacity)
        best = min(
            _cut_cost(np.array(choice), source_cost, sink_cost, pairs, capacity)
            for choice in itertools.product([False, True], repeat=n)
        )
        # costs are counted in whole 1/4096 units
        assert abs(_cut_cost(side, source_cost, sink_cost, pairs, capacity) - best) < 1e-2


def test_expansion_settles_regions_where_each_pixel_alone_stays_in_fragments():
    """Three labels over a 24 x 24 grid: the truth is three vertical bands, each pixel's own
    preference is that plus strong noise, and a neighbour with another label costs a constant
    (the Potts model, a metric)."""
    h = w = 24
    truth = torch.zeros(h, w, dtype=torch.long)
    truth[:, 8:16], truth[:, 16:] = 1, 2
    generator = torch.Generator().manual_seed(0)
    unary = torch.rand(3, h * w, generator=generator) * 1.6
    unary[truth.flatten(), torch.arange(h * w)] -= 0.5
    idx = torch.arange(h * w).view(h, w)
    pairs = torch.cat(
        [
            torch.stack([idx[:, :-1].flatten(), idx[:, 1:].flatten()], 1),
            torch.stack([idx[:-1].flatten(), idx[1:].flatten()], 1),
        ]
    )
    potts = lambda a, b: 0.6 * (a != b).to(torch.float32)
    start = unary.argmin(0)
    labels = expand(unary, pairs, potts, start, 3, torch.Generator().manual_seed(1))
    assert (start == truth.flatten()).float().mean() < 0.8  # alone: every fifth pixel wrong
    assert (labels == truth.flatten()).float().mean() > 0.97

    def energy(lab):
        return float(
            unary[lab, torch.arange(h * w)].sum() + potts(lab[pairs[:, 0]], lab[pairs[:, 1]]).sum()
        )

    assert energy(labels) < energy(start)
