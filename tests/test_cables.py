"""Cables drawn across training crops: thin, anti-aliased, edge to edge, nothing else changed; and
hole strokes laid along them."""

from __future__ import annotations

import numpy as np
import torch

from scnn_plugin.training.cables import draw_cables, stroke_along
from scnn_plugin.training.data import CropSampler


def test_cables_are_thin_anti_aliased_and_run_from_edge_to_edge(photo):
    crop = torch.from_numpy(np.array(photo)[:128, 200:328]).permute(2, 0, 1).float() / 255
    for seed in range(20):
        out, _ = draw_cables(crop, np.random.default_rng(seed))
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


def test_a_stroke_along_a_cable_covers_a_stretch_of_it_and_little_else():
    grey = torch.full((3, 128, 128), 0.8)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        lined, lines = draw_cables(grey, rng)
        stroke = torch.from_numpy(stroke_along(lines, 128, 128, rng))
        cable = (grey - lined).abs().amax(0) > 1e-4
        # 24-96 px of a 3-10 px stroke: at most ~1,100 px, round ends included.
        assert 0 < stroke.sum() < 1100
        # The stroke hides a run of cable (its ends may leave the crop, so at least a few px), and
        # most of it lies along the cables, not across the background.
        assert (stroke & cable).sum() >= 4
        near = torch.nn.functional.max_pool2d(cable[None, None].float(), 11, 1, 5)[0, 0] > 0
        assert (stroke & near).sum() > 0.9 * stroke.sum()


def test_cable_strokes_add_to_the_hole_the_sampler_cuts_without_them(photo):
    photos = [np.asarray(photo)]
    plain = CropSampler(photos, 96, cables=1.0).sample(np.random.default_rng(3))
    laid = CropSampler(photos, 96, cables=1.0, cable_strokes=1.0).sample(np.random.default_rng(3))
    assert torch.equal(plain[0], laid[0])
    assert torch.all(laid[1] >= plain[1]) and laid[1].sum() > plain[1].sum()
