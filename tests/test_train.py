"""``scnn-train``: the learning-rate schedule, a real run that is stopped and resumed, and its curve."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from scnn_plugin.models import build_model
from scnn_plugin.training import data
from scnn_plugin.training.curve import main as curve_main
from scnn_plugin.training.train import main
from scnn_plugin.training.trainer import FINAL_LR, TrainConfig, grow_model
from scnn_plugin.weights import load_weights, save_weights, shipped_dir

SAMPLES = Path(__file__).resolve().parents[1] / "scnn_plugin" / "samples"
TINY = ["--config", "paper", "--model-kwargs", '{"width": 8}', "--batch", "2", "--crop", "64",
        "--val-every", "2", "--val-photos", "1", "--threads", "1"]


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    """train/ holds four 200 px views of the astronaut, val/ a fifth one the run never trains on."""
    root = tmp_path_factory.mktemp("pool")
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        source = im.convert("RGB")
    for i, (y, x) in enumerate([(0, 0), (0, 300), (300, 0), (300, 300), (150, 150)]):
        folder = root / ("val" if i == 4 else "train")
        folder.mkdir(exist_ok=True)
        source.crop((x, y, x + 200, y + 200)).save(folder / f"view{i}.png")
    return root


def test_learning_rate_warms_up_holds_then_decays_to_its_floor():
    cfg = TrainConfig(run_dir=Path("unused"), lr=1e-3, warmup=10, steps=100, decay=40)
    rates = [cfg.learning_rate(s) for s in range(100)]
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert rates[10:60] == [pytest.approx(1e-3)] * 50
    assert all(a > b for a, b in itertools.pairwise(rates[60:]))
    assert rates[-1] == pytest.approx(1e-3 * FINAL_LR)
    flat = TrainConfig(run_dir=Path("unused"), lr=1e-3, warmup=10, steps=100)
    assert [flat.learning_rate(s) for s in range(10, 100)] == [1e-3] * 90


@pytest.mark.parametrize(("budget", "decay", "reason"), [
    (["--minutes", "5"], "100", "step budget"),  # a decay needs steps to end at
    (["--steps", "100"], "-5", "not -5"),
    (["--steps", "100"], "101", "not 101"),
])
def test_a_decay_without_room_in_a_step_budget_is_refused_before_loading_photos(
        tmp_path, capsys, budget, decay, reason):
    code = main(["--photos", str(tmp_path / "missing"), "--run-dir", str(tmp_path / "run"),
                 *budget, "--decay", decay])
    assert code == 2 and reason in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("mix", "reason"), [
    ("thin=2,huge=1", "huge"),
    ("thin=0,thick=1", "at least 1"),
    ("thin=1000000", "at most 100"),
    ("thin2", "kind=count"),
])
def test_a_mask_mix_of_unknown_kinds_or_bad_counts_is_refused_before_loading_photos(
        tmp_path, capsys, mix, reason):
    args = ["--photos", str(tmp_path / "missing"), "--run-dir", str(tmp_path / "run"),
            "--steps", "4", "--mask-mix", mix]
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse refuses what does not parse at all
        code = exit_.code
    assert code == 2 and reason in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_mask_mix_sets_how_often_each_kind_of_hole_is_drawn(pool, tmp_path, monkeypatch):
    drawn: list[str] = []
    real = data.make_mask

    def recording(kind, *args):
        drawn.append(kind)
        return real(kind, *args)

    monkeypatch.setattr(data, "make_mask", recording)
    run = tmp_path / "run"
    args = ["--photos", str(pool), "--run-dir", str(run), "--steps", "40", "--mask-mix",
            "thin=3,thick=1", *TINY, "--val-every", "40"]
    assert main(args) == 0
    assert len(drawn) == 80 and set(drawn) == {"thin", "thick"}  # 40 steps of batch 2
    assert 0.6 < drawn.count("thin") / len(drawn) < 0.9
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    assert json.loads(ckpt["train_config"])["mask_mix"] == {"thin": 3, "thick": 1}


@pytest.mark.parametrize("chance", ["1.5", "-0.1"])
def test_a_cable_chance_outside_0_to_1_is_refused_before_loading_photos(tmp_path, capsys, chance):
    code = main(["--photos", str(tmp_path / "missing"), "--run-dir", str(tmp_path / "run"),
                 "--steps", "4", "--cables", chance])
    assert code == 2 and f"not {float(chance)}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("cables", "strokes", "why"), [
    ("0.5", "1.5", "not 1.5"), ("0", "0.5", "give cables a chance too")])
def test_bad_cable_strokes_are_refused_before_loading_photos(tmp_path, capsys, cables, strokes, why):
    code = main(["--photos", str(tmp_path / "missing"), "--run-dir", str(tmp_path / "run"),
                 "--steps", "4", "--cables", cables, "--cable-strokes", strokes])
    assert code == 2 and why in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_cables_are_drawn_on_about_the_asked_share_of_training_crops(pool, tmp_path, monkeypatch):
    lined: list[tuple[int, ...]] = []
    real = data.draw_cables

    def recording(image, rng):
        lined.append(tuple(image.shape))
        return real(image, rng)

    monkeypatch.setattr(data, "draw_cables", recording)
    run = tmp_path / "run"
    args = ["--photos", str(pool), "--run-dir", str(run), "--steps", "40", "--cables", "0.25",
            *TINY, "--val-every", "40"]
    assert main(args) == 0
    assert 8 < len(lined) < 35 and set(lined) == {(3, 64, 64)}  # of 80 crops, a quarter expected
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    assert json.loads(ckpt["train_config"])["cables"] == 0.25


def test_a_run_stops_resumes_and_finishes_on_the_decayed_rate(pool, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["--photos", str(pool), "--run-dir", str(run), "--steps", "4", *TINY]) == 0
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 4

    args = ["--photos", str(pool), "--run-dir", str(run), "--steps", "6", "--decay", "2", *TINY]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "stopped by steps at step 6" in out
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 6
    # the last step, still in the 100-step warm-up (6/100 of 1e-3), at the end of the decay
    assert ckpt["optim"]["param_groups"][0]["lr"] == pytest.approx(1e-3 * 0.06 * FINAL_LR)
    with open(run / "curve.csv", newline="") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [2, 4, 6]
    _, info = load_weights(run / "best.safetensors")
    assert info.config == "paper" and info.model_kwargs == {"width": 8}


@pytest.mark.slow
def test_a_cycle_from_init_weights_counts_steps_and_cpu_hours_from_their_totals(pool, tmp_path):
    init = tmp_path / "init.safetensors"
    torch.manual_seed(0)  # the same start the trainer would build, so the run is the one above
    model = build_model("paper", width=8)
    save_weights(init, model, "paper", {"width": 8}, "test", {"steps": 1000, "cpu_hours": 2.5})
    run = tmp_path / "run"
    cycle = ["--photos", str(pool), "--run-dir", str(run), "--init", str(init), *TINY]
    assert main([*cycle, "--steps", "4"]) == 0
    # Published over before the cycle resumes: the lineage is the one the cycle started from.
    save_weights(init, model, "paper", {"width": 8}, "test", {"steps": 7, "cpu_hours": 0.1})
    assert main([*cycle, "--steps", "6"]) == 0

    with open(run / "curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [1002, 1004, 1006]
    hours = [float(r["cpu_hours"]) for r in rows]
    assert 2.5 < hours[0] < hours[1] < hours[2] < 2.6
    _, info = load_weights(run / "best.safetensors")
    assert info.training["init"] == {"steps": 1000, "cpu_hours": 2.5}
    assert 1000 < info.training["steps"] <= 1006 and 2.5 < info.training["cpu_hours"] < 2.6


@pytest.mark.slow
def test_the_curve_of_a_real_run_becomes_table_rows_and_a_picture(pool, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["--photos", str(pool), "--run-dir", str(run), "--steps", "6", *TINY]) == 0
    with open(run / "curve.csv", newline="") as f:
        written = list(csv.DictReader(f))
    capsys.readouterr()
    png = tmp_path / "curve.png"
    assert curve_main([f"tiny={run / 'curve.csv'}", "--every", "4", "--out", str(png)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| tiny |")]
    # step 4 is on the grid; step 6 is not, but the newest weights always get a row
    assert [int(line.split("|")[3]) for line in rows] == [4, 6]
    last = written[-1]
    assert rows[-1].endswith(f"| {float(last['thick']):.2f} | {float(last['mean']):.3f} |")
    with Image.open(png) as im:
        assert im.width > 2 * im.height  # four panels side by side


def test_a_file_that_is_not_a_training_curve_is_refused_by_name(tmp_path, capsys):
    bogus = tmp_path / "losses.csv"
    bogus.write_text("step,loss\n1,0.5\n")
    assert curve_main([f"x={bogus}"]) == 2
    assert "losses.csv is not a training curve (no cpu_hours" in capsys.readouterr().err


@pytest.mark.slow
def test_a_cycle_can_grow_trained_weights_by_a_zero_initialised_block(pool, tmp_path):
    shipped = shipped_dir() / "default.safetensors"
    run = tmp_path / "run"
    argv = ["--photos", str(pool), "--run-dir", str(run), "--init", str(shipped),
            "--model-kwargs", '{"lines": 1}', "--steps", "2", "--val-every", "2", "--batch", "2",
            "--crop", "64", "--val-photos", "1", "--threads", "1"]
    assert main(argv) == 0
    state = torch.load(run / "checkpoint.pt", weights_only=True)["model"]
    trained, _ = load_weights(shipped)
    layers, params = ("select", "spatial", "project"), ("weight", "bias")
    assert {k for k in state if k.startswith("lines.0.")} == {
        f"lines.0.{layer}.{p}" for layer in layers for p in params
    }
    assert all(k in state for k in trained.state_dict())


@pytest.mark.parametrize(("extra", "reason"), [
    ({"width": 8}, "size mismatch for stem.weight"),  # shrinks trained tensors
    ({"spiking": False}, "the new model has no blocks.0.body"),  # drops trained tensors
    ({"refine": (1, 2, 4, 8)}, "change its output"),  # a new layer that is not zero-initialised
])
def test_growing_trained_weights_is_refused_when_it_would_lose_or_change_what_they_learnt(
        extra, reason):
    trained, info = load_weights(shipped_dir() / "default.safetensors")
    with pytest.raises(ValueError, match=reason):
        grow_model(trained, "default", info.model_kwargs, extra)
    grown, kwargs = grow_model(trained, "default", info.model_kwargs, {"lines": 2})
    assert kwargs == {"lines": 2} and len(grown.lines) == 2


def test_widening_trained_weights_keeps_their_output_and_trains_the_new_channels(photo):
    # Wider full-resolution layers must start as the trained model (nothing learnt is lost) and
    # then learn: gradient has to reach the new channels through the output layer's new inputs.
    trained, info = load_weights(shipped_dir() / "default.safetensors")
    wide, kwargs = grow_model(trained, "default", info.model_kwargs, {"full_width": 24})
    assert kwargs == {"full_width": 24} and wide.out.weight.shape == (3, 24, 3, 3)
    assert torch.equal(wide.up1.weight[:16, :16], trained.up1.weight)
    x = torch.from_numpy(np.asarray(photo)[:64, :64].copy()).permute(2, 0, 1)[None].float() / 255
    m = torch.zeros(1, 1, 64, 64)
    m[..., 20:44, 30:34] = 1
    with torch.no_grad():
        assert torch.allclose(wide.eval()(x, m), trained.eval()(x, m), atol=1e-6)
    wide.train()
    (((wide(x, m) - x) ** 2) * m).sum().backward()
    assert float(wide.out.weight.grad[:, 16:].abs().sum()) > 0


def test_the_line_guide_grows_trained_weights_without_changing_them_and_then_learns(photo):
    # The guide is three new stem inputs: zero weights at first (the trained fill exactly), then a
    # gradient wherever the line fill differs from the membrane, so training can start using it.
    trained, info = load_weights(shipped_dir() / "default.safetensors")
    guided, kwargs = grow_model(trained, "default", info.model_kwargs, {"line_guide": True})
    assert kwargs == {"line_guide": True} and guided.stem.weight.shape == (16, 8, 3, 3)
    assert not guided.stem.weight[:, 5:].any()
    x = torch.from_numpy(np.asarray(photo)[100:228, 100:228].copy()).permute(2, 0, 1)[None].float()
    x = x / 255
    m = torch.zeros(1, 1, 128, 128)
    m[..., 60:66, :] = 1  # a 6 px stroke across the whole crop
    with torch.no_grad():
        assert torch.allclose(guided.eval()(x, m), trained.eval()(x, m), atol=1e-6)
    guided.train()
    (((guided(x, m) - x) ** 2) * m).sum().backward()
    assert float(guided.stem.weight.grad[:, 5:].abs().sum()) > 0
