"""How deep a pixel lies in the hole: completion trusts the network less the deeper it is."""

import math

import torch

from scnn_plugin.fill.depth import deepness


def _chessboard(fixed: torch.Tensor) -> torch.Tensor:
    """Every pixel's distance to the nearest fixed pixel, max(|dy|, |dx|), by brute force."""
    h, w = fixed.shape
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    fy, fx = ys[fixed], xs[fixed]
    gap = torch.maximum(
        (ys.flatten()[:, None] - fy[None]).abs(), (xs.flatten()[:, None] - fx[None]).abs()
    )
    return gap.min(1).values.view(h, w).to(torch.float32)


def test_deepness_follows_the_distance_to_the_nearest_fixed_pixel_up_to_its_reach():
    # two holes: one deep in the middle, one running off the right edge (beyond it is not fixed)
    fixed = torch.ones(60, 80, dtype=torch.bool)
    fixed[10:50, 15:45] = False
    fixed[20:30, 70:] = False
    fixed[30, 30] = True  # a fixed pixel inside the hole
    for depth, scale, start in ((0, 8.0, 0.0), (1, 1e-3, 4.0), (0, 2.0, 3.0)):
        reach = math.ceil((start + 3 * scale) / 2**depth) + 1
        steps = _chessboard(fixed).clamp(max=reach)
        expected = 1 - torch.exp(-(steps * 2**depth - start).clamp_min(0) / scale)
        assert torch.allclose(deepness(fixed, depth, scale, start), expected), (depth, scale)


def test_nothing_to_complete_is_nowhere_deep():
    fixed = torch.ones(8, 8, dtype=torch.bool)
    assert not deepness(fixed, 0, 8.0).any()
