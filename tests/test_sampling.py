"""The sampling area on the bundled photo: the shuttle model's hole is filled from the backdrop
and the table that border it, and hardly from the astronaut's hair across the picture (only its
lightest strands share the backdrop's colours)."""

from __future__ import annotations

import numpy as np
import torch

from scnn_plugin.fill.sampling import sampling_area


def _area(photo, hole: torch.Tensor, bins: int, share: float) -> torch.Tensor:
    image = torch.from_numpy(np.asarray(photo, np.float32) / 255).permute(2, 0, 1)
    return sampling_area(image, ~hole, hole, 128, bins, 8, share)


def test_sources_are_near_the_hole_in_the_colours_its_border_shows(photo, object_mask):
    """At 16 colour levels, finer than the shipped 8 (at which 22 % of the hair box shares a
    backdrop colour give or take a level); the shipped fill is held by the demo test in
    test_texture.py."""
    hole = torch.from_numpy(np.asarray(object_mask) > 127)
    area = _area(photo, hole, 16, 0.002)
    anywhere = _area(photo, hole, 1, 0.0)  # one colour level: every colour is shown
    hair, backdrop, table = np.s_[30:110, 170:280], np.s_[50:200, 485:510], np.s_[300:330, 485:510]
    share = lambda mask, part: float(mask[part].float().mean())
    assert share(anywhere, hair) > 0.4  # within reach of the hole ...
    assert share(area, hair) < 0.15  # ... but not a colour of its border
    assert share(area, backdrop) == 1.0 and share(area, table) == 1.0
    assert not bool((area & hole).any())
    far = torch.ones_like(hole)
    far[:, 150:] = False  # the left edge lies more than 128 px from the hole
    assert not bool((anywhere & far).any())
