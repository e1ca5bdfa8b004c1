"""Membrane fill: known pixels kept, holes solved harmonically, deep holes from a prior."""

import torch

from scnn_plugin.fill import membrane_fill


def test_known_pixels_unchanged_and_constant_region_filled_exactly():
    img = torch.full((1, 3, 40, 50), 0.3)
    known = torch.ones(1, 1, 40, 50)
    known[..., 10:30, 5:45] = 0
    holed = img * known
    out = membrane_fill(holed, known)
    assert torch.equal(out[known.expand_as(out) > 0], holed[known.expand_as(holed) > 0])
    assert torch.allclose(out, img, atol=1e-5)


def test_hole_across_a_ramp_is_filled_with_the_ramp():
    # A linear ramp is harmonic: the membrane through the hole's border is the ramp itself,
    # which an average-based fill (push-pull, mean colour) does not reproduce.
    ramp = torch.linspace(0.1, 0.9, 96).expand(1, 3, 96, 96).contiguous()
    known = torch.ones(1, 1, 96, 96)
    known[..., 20:76, 30:70] = 0
    out = membrane_fill(ramp * known, known)
    assert (out - ramp).abs().max() < 0.02


def test_hole_takes_colours_of_its_own_side():
    img = torch.zeros(1, 3, 64, 64)
    img[..., :, 32:] = 1.0  # black left half, white right half
    known = torch.ones(1, 1, 64, 64)
    known[..., 28:36, 4:12] = 0  # hole in the black half
    known[..., 28:36, 52:60] = 0  # hole in the white half
    out = membrane_fill(img * known, known)
    assert out[..., 28:36, 4:12].max() < 0.2
    assert out[..., 28:36, 52:60].min() > 0.8


def test_window_without_known_pixels_uses_the_prior():
    img = torch.zeros(1, 3, 32, 32)
    known = torch.zeros(1, 1, 32, 32)
    prior = torch.zeros(1, 3, 4, 4)
    prior[:, 0] = 1.0  # red
    out = membrane_fill(img, known, prior)
    assert torch.allclose(out[:, 0], torch.ones(1, 32, 32), atol=1e-5)
    assert torch.allclose(membrane_fill(img, known), torch.full_like(img, 0.5))


def test_batch_members_are_solved_independently():
    a, b = torch.rand(1, 3, 48, 48), torch.rand(1, 3, 48, 48)
    known = torch.ones(1, 1, 48, 48)
    known[..., 10:30, 12:40] = 0
    both = membrane_fill(torch.cat([a, b]) * known, known.expand(2, -1, -1, -1))
    assert torch.allclose(both[1:], membrane_fill(b * known, known), atol=1e-5)
