"""Cables drawn across training crops: thin, anti-aliased, edge to edge, nothing else changed."""

from __future__ import annotations

import numpy as np
import torch

from scnn_plugin.training.cables import draw_cables
from scnn_plugin.training.data import CropSampler


def test_cables_are_thin_anti_aliased_and_run_from_edge_to_edge(photo):
    crop = torch.from_numpy(np.array(photo)[:128, 200:328]).permute(2, 0, 1).float() / 255
    for seed in range(20):
        out = draw_cables(crop, np.random.default_rng(seed))
        assert out.shape == crop.shape and 0 <= out.min() and out.max() <= 1
        changed = (out - crop).abs().amax(0) > 1e-6
        # At most 4 lines of 3 px (4 with their soft edges) along a 181 px diagonal: under a fifth.
        assert 0 < changed.float().mean() < 0.2
        edges = torch.cat([changed[0], changed[-1], changed[:, 0], changed[:, -1]])
        assert edges.any(), "a line that ends inside the crop is not a cable"
        # Anti-aliased: the lines' borders blend with the photo, so the change takes many values.
        assert len(torch.unique((out - crop)[:, changed].abs().round(decimals=3))) > 20


def test_a_sampler_with_cables_draws_them_over_the_same_crop_it_would_give_without(photo):
    photos = [np.asarray(photo)]
    plain = CropSampler(photos, 96, cables=0.0).sample(np.random.default_rng(3))[0]
    lined = CropSampler(photos, 96, cables=1.0).sample(np.random.default_rng(3))[0]
    changed = (lined - plain).abs().amax(0) > 1e-6
    assert 0 < changed.float().mean() < 0.15
