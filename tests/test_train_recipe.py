"""The lent-GPU recipe in ``scnn-train`` (issue 34), on the CPU with tiny budgets: loader workers,
object-like blob holes, a wall-clock schedule that survives a resume, bf16 autocast, the loss read
back every N steps, the fused EMA, and the CUDA-only capture refused elsewhere."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from scnn_plugin.models import build_model
from scnn_plugin.training import trainer as trainer_module
from scnn_plugin.training.blob_masks import COVERAGE, make_blob
from scnn_plugin.training.config import FINAL_LR, TrainConfig
from scnn_plugin.training.data import CropSampler, find_photos, load_photos
from scnn_plugin.training.evalset import build_eval_set
from scnn_plugin.training.hole_masks import make_mask
from scnn_plugin.training.train import main
from scnn_plugin.training.trainer import Trainer


@pytest.fixture(scope="module")
def photos(pool) -> list[np.ndarray]:
    return load_photos(find_photos(pool / "train")).photos


@pytest.fixture(scope="module")
def val(pool) -> list:
    return build_eval_set(load_photos(find_photos(pool / "val")).photos, ["v"], size=64)


def tiny(run_dir: Path, **fields) -> TrainConfig:
    base = {"config": "paper", "model_kwargs": {"width": 4}, "batch": 2, "crop": 32, "loss": "mse"}
    return TrainConfig(run_dir=run_dir, **{**base, **fields})


# -- blobs ------------------------------------------------------------------------------------------


def outline(hole: np.ndarray) -> float:
    """Share of hole pixels with a 4-neighbour outside the hole."""
    inner = hole.copy()
    inner[1:] &= hole[:-1]
    inner[:-1] &= hole[1:]
    inner[:, 1:] &= hole[:, :-1]
    inner[:, :-1] &= hole[:, 1:]
    return float((hole & ~inner).sum() / hole.sum())


def test_blob_holes_cover_4_to_15_percent_as_compact_blobs_and_repeat_for_a_seed():
    rng = np.random.default_rng(5)
    blobs = [make_blob(128, rng) for _ in range(40)]
    shares = [b.mean() for b in blobs]
    assert all(COVERAGE[0] - 0.005 <= s <= COVERAGE[1] + 0.005 for s in shares)
    assert np.std(shares) > 0.02  # the share itself is drawn, not fixed
    # Compact, unlike thin strokes of a like coverage: a small share of it is outline
    thin = [make_mask("thin", 128, 128, rng) for _ in range(40)]
    assert np.mean([outline(b) for b in blobs]) < 0.6 * np.mean([outline(t) for t in thin])
    assert np.array_equal(
        make_blob(64, np.random.default_rng(1)), make_blob(64, np.random.default_rng(1))
    )
    assert not np.array_equal(
        make_blob(64, np.random.default_rng(1)), make_blob(64, np.random.default_rng(2))
    )


def test_the_sampler_cuts_blobs_on_the_asked_share_and_keeps_old_streams_without_them(photos):
    rng = np.random.default_rng(0)
    calls = []
    sampler = CropSampler(photos, 32, objects=0.25)
    real = make_blob

    def recording(size, r):
        calls.append(size)
        return real(size, r)

    from scnn_plugin.training import data

    data.make_blob, saved = recording, data.make_blob
    try:
        for _ in range(120):
            sampler.sample(rng)
    finally:
        data.make_blob = saved
    assert 15 < len(calls) < 50 and set(calls) == {32}  # a quarter of 120 expected
    plain = [CropSampler(photos, 32).sample(np.random.default_rng(3))[1] for _ in range(2)]
    zero = [CropSampler(photos, 32, objects=0.0).sample(np.random.default_rng(3))[1]]
    assert torch.equal(plain[0], zero[0])


# -- workers ----------------------------------------------------------------------------------------


def test_two_loader_workers_never_draw_the_same_samples(photos, tmp_path):
    trainer = Trainer(tiny(tmp_path, workers=2, batch=3), photos, [object()])
    batches = iter(trainer.loader(step=0))
    images = torch.cat([next(batches)[0] for _ in range(8)])  # 24 crops, 12 from each worker
    flat = images.flatten(1)
    same = (flat[:, None] == flat[None]).all(-1)
    assert same.sum() == len(flat)  # each crop equals itself only
    # One worker draws exactly the stream the training process draws without workers.
    one = iter(Trainer(tiny(tmp_path, workers=1), photos, [object()]).loader(step=0))
    none = iter(Trainer(tiny(tmp_path, workers=0), photos, [object()]).loader(step=0))
    for _ in range(3):
        assert torch.equal(next(one)[0], next(none)[0])


@pytest.mark.slow
def test_workers_train_a_run_end_to_end(pool, tmp_path, capsys):
    run = ["--photos", str(pool), "--run-dir", str(tmp_path / "run"), "--config", "paper"]
    run += ["--model-kwargs", '{"width": 4}', "--batch", "2", "--crop", "32", "--threads", "1"]
    run += ["--val-every", "30", "--val-photos", "1", "--steps", "30", "--workers", "2"]
    assert main([*run, "--objects", "0.25", "--loss-every", "50"]) == 0
    out = capsys.readouterr().out
    # no loss read back before the validation at step 30: the step-25 line says so, then the read
    assert "step 25: loss ? lr" in out and "step 30: loss 0." in out
    assert "stopped by steps at step 30" in out


# -- the wall-clock schedule ------------------------------------------------------------------------


def test_the_decay_share_of_a_time_budget_follows_the_clock():
    cfg = TrainConfig(run_dir=Path("unused"), lr=1e-3, warmup=1, minutes=10, decay_share=0.4)
    assert cfg.learning_rate(50, seconds=0) == pytest.approx(1e-3)
    assert cfg.learning_rate(5000, seconds=359) == pytest.approx(1e-3)  # 60 % in: not yet
    assert cfg.learning_rate(5, seconds=480) == pytest.approx(1e-3 * (FINAL_LR + 1) / 2)
    assert cfg.learning_rate(5, seconds=600) == pytest.approx(1e-3 * FINAL_LR)
    both = TrainConfig(run_dir=Path("u"), warmup=1, steps=100, minutes=10, decay_share=0.5)
    assert both.learning_rate(99, seconds=1) == pytest.approx(both.lr * FINAL_LR)  # steps first


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"decay_share": 0.4}, "needs a budget"),
        ({"steps": 10, "decay": 4, "decay_share": 0.4}, "not both"),
        ({"minutes": 5, "decay_share": 1.0}, "not 1.0"),
        ({"steps": 5, "objects": 2.0}, "not 2.0"),
        ({"steps": 5, "workers": -1}, "workers must be >= 0"),
        ({"steps": 5, "loss_every": 0}, "loss_every >= 1"),
    ],
)
def test_recipe_values_out_of_range_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(run_dir=Path("unused"), **fields)


class StepClock:
    """A wall clock that moves 30 s per optimiser step and stands still otherwise."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_resumed_run_continues_its_wall_clock_schedule(photos, val, tmp_path, monkeypatch):
    clock = StepClock()
    monkeypatch.setattr(trainer_module, "monotonic", clock)
    cfg = tiny(tmp_path / "run", minutes=4, decay_share=0.75, warmup=1, val_every=100, lr=1e-2)
    rates: list[float] = []

    def tick(p) -> None:
        rates.append(p.lr)
        clock.now += 30

    first = Trainer(cfg, photos, val).run(progress=tick, cancel=lambda: len(rates) >= 3)
    assert first.stopped_by == "cancel" and first.steps == 3
    clock.now += 3600  # an hour between the sessions is no training time
    second = Trainer(cfg, photos, val).run(progress=tick)
    # 8 steps of 30 s fill the 4-minute budget: the second session trains the 5 left, not 8 more
    assert second.stopped_by == "minutes" and second.steps == 8
    assert rates == [pytest.approx(cfg.learning_rate(s, 30.0 * s)) for s in range(8)]
    assert rates[3] < cfg.lr  # the session resumed inside its decay, not at its start
    ckpt = torch.load(cfg.run_dir / "checkpoint.pt", weights_only=True)
    assert ckpt["train_seconds"] == pytest.approx(240)


# -- bf16, the loss read-back, the fused EMA, compile -----------------------------------------------


@pytest.mark.parametrize("bf16", [False, True])
def test_bf16_runs_the_training_forward_under_autocast_and_validation_in_float32(
    photos, val, tmp_path, bf16
):
    seen: dict[bool, set] = {True: set(), False: set()}

    def record(module, _inputs, output) -> None:
        if isinstance(module, nn.Conv2d):
            seen[torch.is_grad_enabled()].add(output.dtype)

    handle = nn.modules.module.register_module_forward_hook(record)
    try:
        Trainer(tiny(tmp_path, steps=2, val_every=2, bf16=bf16), photos, val).run()
    finally:
        handle.remove()
    assert seen[True] == ({torch.bfloat16} if bf16 else {torch.float32})  # training steps
    assert seen[False] == {torch.float32}  # validation


def test_a_non_finite_loss_read_back_late_still_never_reaches_a_checkpoint(
    photos, val, tmp_path, monkeypatch
):
    calls = []

    def nan_on_third(pred, x, m):
        calls.append(1)
        loss = ((pred - x) ** 2).mean()
        return loss * float("nan") if len(calls) == 3 else loss

    monkeypatch.setattr(trainer_module, "get_loss", lambda name: nan_on_third)
    cfg = tiny(tmp_path / "run", steps=8, val_every=2, loss_every=4)
    with pytest.raises(FloatingPointError, match="loss became nan at step 2"):
        Trainer(cfg, photos, val).run()
    ckpt = torch.load(cfg.run_dir / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 2  # the validation at step 2 saved; the NaN step 2 never applied
    assert all(torch.isfinite(t).all() for t in ckpt["model"].values())


def test_the_fused_ema_matches_the_tensor_by_tensor_average():
    torch.manual_seed(0)
    model = build_model("default", width=4)
    ema = copy.deepcopy(model)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
        for b in model.buffers():
            b.add_(1)
    expected = copy.deepcopy(ema)
    with torch.no_grad():
        for e, p in zip(expected.parameters(), model.parameters()):
            e.lerp_(p, 1 - 0.9)
    run = SimpleNamespace(ema=ema, model=model, ema_params=None, ema_buffers=None)
    Trainer._update_ema(run, 0.9)
    for (name, got), want in zip(ema.state_dict().items(), expected.state_dict().values()):
        if "running" in name or "num_batches" in name:
            assert torch.equal(got, model.state_dict()[name])  # buffers are copied
        else:
            assert torch.allclose(got, want, atol=1e-7), name


def test_compile_is_refused_without_a_cuda_device(pool, tmp_path, capsys):
    args = ["--photos", str(pool), "--run-dir", str(tmp_path / "run"), "--steps", "2"]
    assert main([*args, "--device", "cpu", "--compile"]) == 2
    assert "needs a CUDA device" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_math_of_the_decay_share_matches_a_step_decay_of_the_same_length():
    by_share = TrainConfig(run_dir=Path("u"), warmup=1, steps=100, decay_share=0.4)
    by_steps = TrainConfig(run_dir=Path("u"), warmup=1, steps=100, decay=40)
    assert [by_share.learning_rate(s) for s in range(100)] == [
        pytest.approx(by_steps.learning_rate(s)) for s in range(100)
    ]
    assert not math.isnan(by_share.learning_rate(1000))


def test_a_cycle_from_the_gpu_trained_default_counts_on_from_its_cpu_hours(default_weights):
    from scnn_plugin.training.checkpoints import cpu_hours_in
    from scnn_plugin.weights import load_weights

    _, info = load_weights(default_weights)
    assert "cpu_hours" not in info.training  # the GPU cycle recorded steps, not CPU-hours
    assert cpu_hours_in(info.training) == pytest.approx(12.2979)  # those of its start
    assert cpu_hours_in({"cpu_hours": 2.5, "init": {"cpu_hours": 1.0}}) == 2.5
    assert cpu_hours_in({}) == 0.0


def test_batches_travel_as_8_bit_and_arrive_as_the_samples_to_half_a_level(photos):
    from scnn_plugin.training.feed import pack_batch, unpack_batch

    rng = np.random.default_rng(0)
    samples = [CropSampler(photos, 32, objects=0.5).sample(rng) for _ in range(4)]
    x8, m8 = pack_batch(samples)
    assert x8.dtype == m8.dtype == torch.uint8  # a quarter of float32's bytes between processes
    x, m = unpack_batch(x8, m8, torch.device("cpu"))
    images, holes = (torch.stack(t) for t in zip(*samples))
    assert x.dtype == m.dtype == torch.float32
    assert (x - images).abs().max() <= 0.5 / 255 + 1e-6
    assert torch.equal(m, holes)
