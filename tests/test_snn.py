"""LIF dynamics, surrogate gradients and SNNConv2d, checked against numbers worked out by hand."""

import pytest
import torch

from scnn_plugin.snn import LIF, SNNConv2d, lif_step, spike_fn


def test_lif_golden_trajectory_leak_threshold_reset():
    # beta 0.9, threshold 1, constant input 0.6, reset by subtraction, worked out by hand:
    # v: 0.6 -> 1.14 (spike, 0.14) -> 0.726 -> 1.2534 (spike, 0.2534)
    spike = spike_fn("fast_sigmoid")
    v = torch.zeros(1)
    beta, thr = torch.tensor(0.9), torch.tensor(1.0)
    spikes, trace = [], []
    for _ in range(4):
        s, v = lif_step(torch.tensor([0.6]), v, beta, thr, spike)
        spikes.append(float(s))
        trace.append(float(v))
    assert spikes == [0.0, 1.0, 0.0, 1.0]
    assert trace == pytest.approx([0.6, 0.14, 0.726, 0.2534], abs=1e-6)


def test_lif_membrane_leaks_without_input():
    spike = spike_fn("arctan")
    s, v = lif_step(
        torch.zeros(1), torch.tensor([0.5]), torch.tensor(0.8), torch.tensor(1.0), spike
    )
    assert float(s) == 0.0 and float(v) == pytest.approx(0.4)


@pytest.mark.parametrize("name", ["fast_sigmoid", "arctan"])
def test_surrogate_forward_is_heaviside_backward_is_smooth_and_peaks_at_threshold(name):
    v = torch.tensor([-1.0, -0.1, 0.0, 0.1, 1.0], requires_grad=True)
    s = spike_fn(name)(v)
    assert s.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    s.sum().backward()
    g = v.grad
    assert torch.all(g > 0) and torch.isfinite(g).all()
    assert g[2] == g.max()  # steepest at the threshold
    assert g[0] == pytest.approx(g[4].item()) and g[1] == pytest.approx(g[3].item())  # symmetric


def test_unknown_surrogate_lists_valid_names():
    with pytest.raises(ValueError, match="arctan"):
        spike_fn("relu")


def test_lif_module_state_born_at_rest_each_forward():
    lif = LIF(2, beta=0.9, threshold=1.0)
    x = torch.full((4, 1, 2, 1, 1), 0.6)
    first, _ = lif(x)
    second, _ = lif(x)
    assert torch.equal(first, second)  # no state leaks between calls
    assert first[:, 0, 0, 0, 0].tolist() == [0.0, 1.0, 0.0, 1.0]


def test_lif_parameters_stay_in_range_and_learn():
    lif = LIF(3, beta=0.7, threshold=0.5)
    assert torch.allclose(lif.beta, torch.tensor(0.7)) and torch.allclose(
        lif.threshold, torch.tensor(0.5)
    )
    spikes, membrane = lif(torch.rand(5, 2, 3, 4, 4, requires_grad=True) * 2)
    (spikes.sum() + membrane.sum()).backward()
    assert lif.beta_logit.grad is not None and torch.isfinite(lif.beta_logit.grad).all()
    assert lif.threshold_raw.grad is not None and lif.threshold_raw.grad.abs().sum() > 0


def test_lif_rejects_bad_shapes_and_parameters():
    with pytest.raises(ValueError, match=r"\[T, N, C, H, W\]"):
        LIF(2)(torch.zeros(2, 2, 4, 4))
    with pytest.raises(ValueError, match="beta"):
        LIF(2, beta=1.5)
    with pytest.raises(ValueError, match="threshold"):
        LIF(2, threshold=0)


def test_snnconv2d_rate_readout_is_mean_spike_count():
    conv = SNNConv2d(1, 1, 1, timesteps=4, readout="rate")
    with torch.no_grad():
        conv.conv.weight.fill_(1.0)
        conv.conv.bias.zero_()
    rate = conv(torch.full((1, 1, 2, 2), 0.6))
    assert torch.allclose(rate, torch.full_like(rate, 0.5))  # spikes at t=2 and t=4 of 4
    assert conv(torch.full((1, 1, 2, 2), 0.6), timesteps=2).flatten()[0] == 0.5  # override T


def test_snnconv2d_gives_gradients_to_its_input_and_takes_images_only():
    conv = SNNConv2d(3, 8, 3, stride=2, timesteps=3)
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    out = conv(x)
    assert out.shape == (2, 8, 8, 8) and ((out >= 0) & (out <= 1)).all()
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r"\[N, C, H, W\]"):
        conv(torch.rand(3, 2, 3, 16, 16))  # spike trains were a read-out only tests used


def test_snnconv2d_validates_arguments():
    for removed in ("voltage", "membrane", "spikes"):
        with pytest.raises(ValueError, match="readout"):
            SNNConv2d(1, 1, readout=removed)
    with pytest.raises(ValueError, match="timesteps"):
        SNNConv2d(1, 1, timesteps=0)


# detach_reset, a golden gradient worked out by hand. beta 0.5, threshold 1, fast_sigmoid
# (alpha 10: d spike / dv = 1 / (1 + 10 |v - 1|)^2), inputs x0 = 1.2 then x1 = 0, loss = the
# membrane after the second step:
#   t0: v = 1.2, spike (v - 1 = 0.2), reset to 0.2       t1: v = 0.5 * 0.2 + 0 = 0.1, no spike
# With the reset detached, d loss / d x = [0.5, 1]: only the leak carries gradient. Were the reset
# left in the graph, each step would multiply by 1 - surrogate: x1 by 1 - 1/(1 + 10 * 0.9)^2 =
# 0.99, x0 by 0.5 * (1 - 1/(1 + 10 * 0.2)^2) * 0.99 = 0.44.
DETACHED_RESET_GRAD = [0.5, 1.0]


def test_lif_step_reset_is_detached_golden_gradient():
    spike = spike_fn("fast_sigmoid")
    x = torch.tensor([1.2, 0.0], requires_grad=True)
    beta, thr = torch.tensor(0.5), torch.tensor(1.0)
    v = torch.zeros(())
    spikes = []
    for t in range(2):
        s, v = lif_step(x[t], v, beta, thr, spike)
        spikes.append(float(s.detach()))  # a value, not part of the graph
    v.backward()
    assert spikes == [1.0, 0.0] and float(v.detach()) == pytest.approx(0.1)
    assert x.grad.tolist() == pytest.approx(DETACHED_RESET_GRAD, abs=1e-6)


def test_lif_module_reset_is_detached_golden_gradient():
    lif = LIF(1, beta=0.5, threshold=1.0, surrogate="fast_sigmoid")
    currents = torch.tensor([1.2, 0.0]).view(2, 1, 1, 1, 1).requires_grad_()
    spikes, membrane = lif(currents)
    membrane[-1].sum().backward()
    assert spikes.flatten().tolist() == [1.0, 0.0]
    assert currents.grad.flatten().tolist() == pytest.approx(DETACHED_RESET_GRAD, abs=1e-5)
