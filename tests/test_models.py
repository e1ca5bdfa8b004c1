"""The two configurations: shapes, parameter budgets, the untrained default equal to its base."""

import numpy as np
import pytest
import torch

from scnn_plugin.fill import membrane_fill
from scnn_plugin.models import MODELS, build_model
from scnn_plugin.weights import load_weights, shipped_dir


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_maps_image_and_mask_to_rgb_in_range(name, photo):
    model = build_model(name).eval()
    x = torch.from_numpy(np.asarray(photo)[:64, :64].copy()).permute(2, 0, 1)[None].float() / 255
    m = torch.zeros(1, 1, 64, 64)
    m[..., 20:40, 10:50] = 1
    with torch.no_grad():
        y = model(x, m)
    assert y.shape == (1, 3, 64, 64)
    assert float(y.min()) >= 0 and float(y.max()) <= 1


def test_paper_config_is_one_snnconv2d_and_five_convolutions():
    from scnn_plugin.snn import SNNConv2d

    model = build_model("paper")
    assert sum(isinstance(m, SNNConv2d) for m in model.modules()) == 1
    plain = [m for m in model.convs if isinstance(m, torch.nn.Conv2d)]
    assert len(plain) == 5


def test_default_fits_a_laptop_budget():
    from safetensors.torch import load_file

    from scnn_plugin.weights import resolve_weights

    model = build_model("default")
    params = sum(p.numel() for p in model.parameters())
    assert 150_000 < params < 250_000  # 210,563: about 0.8 MB of float32
    stored = sum(t.numel() for t in load_file(resolve_weights(None, "default")).values())
    assert stored == sum(v.numel() for v in model.state_dict().values())  # built = shipped


def test_untrained_default_equals_membrane_fill(photo):
    # The zero-initialised last layer makes training start at classical quality.
    model = build_model("default").eval()
    x = torch.from_numpy(np.asarray(photo)[:128, :128].copy()).permute(2, 0, 1)[None].float() / 255
    m = torch.zeros(1, 1, 128, 128)
    m[..., 30:90, 40:100] = 1
    with torch.no_grad():
        y = model(x, m)
    assert torch.allclose(y, membrane_fill(x, 1 - m).clamp(0, 1), atol=1e-6)


def test_ablation_has_no_spiking_layers():
    from scnn_plugin.snn import SNNConv2d

    model = build_model("default", spiking=False)
    assert not any(isinstance(m, SNNConv2d) for m in model.modules())


def test_every_model_declares_the_capabilities_the_pipeline_reads():
    from scnn_plugin.models import MODELS, InpaintNet

    for builder in MODELS.values():
        assert issubclass(builder, InpaintNet)
        assert isinstance(builder.multiple, int) and isinstance(builder.accepts_prior, bool)
        assert builder.adapt_modules and isinstance(builder().timesteps, int)
    with pytest.raises(TypeError, match="accepts_prior"):  # a misspelt capability fails loudly

        class Misspelt(InpaintNet):
            multiple = 1
            accept_prior = True
            adapt_modules = ("out",)


def test_unknown_config_lists_known_ones():
    with pytest.raises(ValueError, match="default"):
        build_model("unet")


def test_spiking_blocks_fire_from_the_first_training_step(photo):
    # Batch-normalised currents keep the LIF neurons near threshold: a silent layer learns nothing.
    from scnn_plugin.snn import SNNConv2d

    model = build_model("default").train()
    rates = []
    for layer in model.modules():
        if isinstance(layer, SNNConv2d):
            layer.register_forward_hook(
                lambda mod, args, out: rates.append(float(out.detach().mean()))
            )
    x = torch.from_numpy(np.asarray(photo)[:128, :128].copy()).permute(2, 0, 1)[None].float() / 255
    m = torch.zeros(1, 1, 128, 128)
    m[..., 40:80, 20:100] = 1
    model(x.expand(2, -1, -1, -1), m.expand(2, -1, -1, -1))
    assert len(rates) == 4 and all(0.05 < r < 0.6 for r in rates)


@pytest.mark.slow
def test_default_learns_beyond_its_base_fill_and_the_spikes_get_gradient(photo):
    # The zero-initialised output must not trap the network at its base: gradient has to reach the
    # spiking blocks and the residual has to fit detail the membrane fill cannot (overfitting
    # one photo).
    torch.manual_seed(0)
    model = build_model("default").train()
    x = torch.from_numpy(np.asarray(photo)[:64, :64].copy()).permute(2, 0, 1)[None].float() / 255
    m = torch.zeros(1, 1, 64, 64)
    m[..., 20:26, 4:60] = 1  # a thin stroke across the photo
    m[..., 40:54, 24:40] = 1
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    def hole_mse() -> torch.Tensor:
        return (((model(x, m) - x) ** 2) * m).sum() / (m.sum() * 3)

    base = hole_mse().item()
    for _ in range(60):
        opt.zero_grad()
        loss = hole_mse()
        loss.backward()
        opt.step()
    spiking = [p.grad for b in model.blocks for p in b.parameters() if p.grad is not None]
    assert spiking and all(float(g.abs().sum()) > 0 for g in spiking)
    assert hole_mse().item() < 0.7 * base


@pytest.mark.parametrize(
    ("name", "removed"),
    [
        ("default", {"lines": 1}),
        ("default", {"full_width": 32}),
        ("default", {"line_guide": True}),
        ("paper", {"surrogate": "arctan"}),
    ],
)
def test_arguments_of_unpublished_experiments_are_gone(name, removed):
    with pytest.raises(TypeError, match=next(iter(removed))):
        build_model(name, **removed)


def test_the_shipped_weights_still_load_strictly_with_their_recorded_arguments():
    for name in ("default", "paper"):
        model, info = load_weights(shipped_dir() / f"{name}.safetensors")  # strict=True inside
        assert info.model_kwargs == {} and isinstance(model, MODELS[name])
