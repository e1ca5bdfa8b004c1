"""Function-preserving widening (``scnn-train --widen-from``): the wide network starts as the narrow."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from scnn_plugin.imaging import to_tensor
from scnn_plugin.models import build_model
from scnn_plugin.training.config import TrainConfig
from scnn_plugin.training.data import find_photos, load_photos
from scnn_plugin.training.evalset import build_eval_set
from scnn_plugin.training.hole_masks import make_mask
from scnn_plugin.training.train import main
from scnn_plugin.training.trainer import Trainer
from scnn_plugin.training.validation import evaluate_psnr
from scnn_plugin.training.widen import widen
from scnn_plugin.weights import load_weights, save_weights


def batch(photo: Image.Image, side: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Two real crops, one mirrored, with seeded medium holes."""
    im = np.asarray(photo.resize((side, side)))
    x = to_tensor(np.stack([im, im[:, ::-1].copy()]))
    holes = [make_mask("medium", side, side, np.random.default_rng(i)) for i in range(2)]
    return x, torch.from_numpy(np.stack(holes))[:, None].float()


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_the_shipped_default_widened_to_32_fills_as_it_did_before_any_step(
    default_weights, photo, mode
):
    """Equal up to float rounding: a convolution over twice the channels sums in another order
    on some CPUs (1 pixel in 70 differed by 6e-8 on an AMD EPYC; none on the machine before)."""
    narrow, _ = load_weights(default_weights)
    torch.manual_seed(0)
    wide = widen(narrow, build_model("default", width=32))
    assert sum(p.numel() for p in wide.parameters()) > 3.9 * sum(
        p.numel() for p in narrow.parameters()
    )
    x, m = batch(photo)
    getattr(narrow, mode)()
    getattr(wide, mode)()  # train mode: BatchNorm on batch statistics, per channel
    with torch.no_grad():
        assert float((wide(x, m) - narrow(x, m)).abs().max()) < 1e-6


def test_new_channels_start_fresh_and_old_outputs_never_read_them(default_weights):
    narrow, _ = load_weights(default_weights)
    torch.manual_seed(0)
    wide = widen(narrow, build_model("default", width=32))
    w_old, w_new = narrow.up2.weight, wide.up2.weight  # [32, 32, 3, 3] -> [64, 64, 3, 3]
    assert torch.equal(w_new[:32, :32], w_old)
    assert not w_new[:32, 32:].any()  # old outputs from new inputs: zero
    assert w_new[32:].abs().sum() > 0  # new outputs: fresh initialisation, reading everything
    lif_old, lif_new = narrow.blocks[0].body.lif, wide.blocks[0].body.lif
    assert torch.equal(lif_new.threshold_raw[:64], lif_old.threshold_raw)
    bn_old, bn_new = narrow.blocks[0].body.conv[1], wide.blocks[0].body.conv[1]
    assert torch.equal(bn_new.running_var[:64], bn_old.running_var)


def test_the_paper_network_widens_too(photo):
    torch.manual_seed(1)
    narrow = build_model("paper", width=8).eval()
    wide = widen(narrow, build_model("paper", width=16)).eval()
    x, m = batch(photo)
    with torch.no_grad():
        assert float((wide(x, m) - narrow(x, m)).abs().max()) < 1e-6


def test_a_narrower_or_different_network_is_refused_by_tensor_name():
    with pytest.raises(ValueError, match="stem.weight is .* cannot be widened into"):
        widen(build_model("default", width=16), build_model("default", width=8))
    with pytest.raises(ValueError, match="differ in more than width"):
        widen(build_model("default"), build_model("default", refine=(1, 2)))


@pytest.fixture
def pool(tmp_path, photo) -> tuple:
    for i, (y, x) in enumerate([(0, 0), (0, 300), (300, 0), (150, 150)]):
        folder = tmp_path / "pool" / ("val" if i == 3 else "train")
        folder.mkdir(parents=True, exist_ok=True)
        photo.crop((x, y, x + 200, y + 200)).save(folder / f"view{i}.png")
    return tmp_path / "pool"


def test_a_widened_run_starts_at_the_narrow_weights_score_and_saves_the_wide_network(
    pool, tmp_path
):
    torch.manual_seed(3)
    narrow = build_model("paper", width=4)
    init = tmp_path / "narrow.safetensors"
    save_weights(init, narrow, "paper", {"width": 4}, "test", {"steps": 500, "cpu_hours": 1.0})
    val_photos = load_photos(find_photos(pool / "val")).photos
    val = build_eval_set(val_photos, ["v"], size=64)
    cfg = TrainConfig(
        run_dir=tmp_path / "run",
        config="paper",
        widen_from=init,
        model_kwargs={"width": 8},
        steps=2,
        batch=2,
        crop=64,
        loss="mse",
        val_every=2,
    )
    photos = load_photos(find_photos(pool / "train")).photos
    result = Trainer(cfg, photos, val).run()
    assert result.base_psnr == evaluate_psnr(narrow, val, torch.device("cpu"))["mean"]
    ckpt = torch.load(cfg.run_dir / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 2 and ckpt["lineage"] == {"steps": 500, "cpu_hours": 1.0}
    wide = build_model("paper", width=8)
    wide.load_state_dict(ckpt["ema"])  # the wide network is what trains and is kept


def test_widening_without_a_wider_network_is_refused(pool, tmp_path, capsys, default_weights):
    run = ["--photos", str(pool), "--run-dir", str(tmp_path / "run"), "--steps", "1"]
    assert main([*run, "--widen-from", str(default_weights), "--crop", "64"]) == 2
    assert "--widen-from needs --model-kwargs" in capsys.readouterr().err
    both = ["--init", str(default_weights), "--widen-from", str(default_weights)]
    assert main([*run, *both]) == 2
    assert "not both" in capsys.readouterr().err
