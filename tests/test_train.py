"""``scnn-train``: the learning-rate schedule, a real run that is stopped and resumed, and its curve."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from scnn_plugin.evaluation.curve import main as curve_main
from scnn_plugin.models import build_model
from scnn_plugin.training import data
from scnn_plugin.training.config import FINAL_LR, TrainConfig
from scnn_plugin.training.train import main
from scnn_plugin.weights import load_weights, save_weights, shipped_dir

SAMPLES = Path(__file__).resolve().parents[1] / "scnn_plugin" / "samples"
TINY = [
    "--config",
    "paper",
    "--model-kwargs",
    '{"width": 8}',
    "--batch",
    "2",
    "--crop",
    "64",
    "--val-every",
    "2",
    "--val-photos",
    "1",
    "--threads",
    "1",
]


def test_learning_rate_warms_up_holds_then_decays_to_its_floor():
    cfg = TrainConfig(run_dir=Path("unused"), lr=1e-3, warmup=10, steps=100, decay=40)
    rates = [cfg.learning_rate(s) for s in range(100)]
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert rates[10:60] == [pytest.approx(1e-3)] * 50
    assert all(a > b for a, b in itertools.pairwise(rates[60:]))
    assert rates[-1] == pytest.approx(1e-3 * FINAL_LR)
    flat = TrainConfig(run_dir=Path("unused"), lr=1e-3, warmup=10, steps=100)
    assert [flat.learning_rate(s) for s in range(10, 100)] == [1e-3] * 90


def refused_before_loading_photos(tmp_path, capsys, *args: str) -> str:
    """Run ``scnn-train`` on a photo folder that does not exist with ``args``: it must exit 2 and
    create no run folder (the arguments are checked first); returns what it printed on stderr."""
    code = main(["--photos", str(tmp_path / "missing"), "--run-dir", str(tmp_path / "run"), *args])
    assert code == 2
    assert not (tmp_path / "run").exists()
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("budget", "decay", "reason"),
    [
        (["--minutes", "5"], "100", "step budget"),  # a decay needs steps to end at
        (["--steps", "100"], "-5", "not -5"),
        (["--steps", "100"], "101", "not 101"),
    ],
)
def test_a_decay_without_room_in_a_step_budget_is_refused_before_loading_photos(
    tmp_path, capsys, budget, decay, reason
):
    assert reason in refused_before_loading_photos(tmp_path, capsys, *budget, "--decay", decay)


@pytest.mark.parametrize("chance", ["1.5", "-0.1"])
def test_a_cable_chance_outside_0_to_1_is_refused_before_loading_photos(tmp_path, capsys, chance):
    err = refused_before_loading_photos(tmp_path, capsys, "--steps", "4", "--cables", chance)
    assert f"not {float(chance)}" in err


@pytest.mark.slow
def test_cables_are_drawn_on_about_the_asked_share_of_training_crops(pool, tmp_path, monkeypatch):
    lined: list[tuple[int, ...]] = []
    real = data.draw_cables

    def recording(image, rng):
        lined.append(tuple(image.shape))
        return real(image, rng)

    monkeypatch.setattr(data, "draw_cables", recording)
    run = tmp_path / "run"
    args = [
        "--photos",
        str(pool),
        "--run-dir",
        str(run),
        "--steps",
        "40",
        "--cables",
        "0.25",
        *TINY,
        "--val-every",
        "40",
    ]
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
    pytest.importorskip("matplotlib", reason="the curve picture needs the eval extra")
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


@pytest.mark.parametrize(
    "removed",
    [["--mask-mix", "thin=2,medium=1,thick=1"], ["--cables", "0.5", "--cable-strokes", "0.5"]],
)
def test_options_of_unpublished_experiments_are_gone(tmp_path, capsys, removed):
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "--photos",
                str(tmp_path),
                "--run-dir",
                str(tmp_path / "run"),
                "--steps",
                "4",
                *removed,
            ]
        )
    assert exit_.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


def test_the_hole_log_loss_is_refused_before_loading_photos(tmp_path, capsys):
    err = refused_before_loading_photos(tmp_path, capsys, "--steps", "4", "--loss", "hole-log")
    assert "unknown loss 'hole-log'" in err


def test_init_weights_are_continued_as_built_never_regrown(pool, tmp_path):
    from scnn_plugin.training.data import find_photos, load_photos
    from scnn_plugin.training.evalset import build_eval_set
    from scnn_plugin.training.trainer import Trainer

    photos = load_photos(find_photos(pool / "val")).photos
    cfg = TrainConfig(
        run_dir=tmp_path / "run",
        init=shipped_dir() / "default.safetensors",
        model_kwargs={"width": 8},
        steps=2,
        batch=2,
        crop=64,
    )
    with pytest.raises(ValueError, match="leave --model-kwargs out"):
        Trainer(cfg, photos, build_eval_set(photos, ["v"], size=64)).run()


def test_one_builder_makes_the_training_config_from_any_command_line():
    import argparse

    from scnn_plugin.training.finetune import FinetuneConfig

    args = argparse.Namespace(
        run_dir=Path("r"), config="paper", steps=9, lr=0.5, cables=0.25, threads=1, photos=Path("p")
    )  # the last two are no config fields
    cfg = TrainConfig.from_args(args, loss="mse", steps=7)
    assert (cfg.run_dir, cfg.config, cfg.steps, cfg.lr, cfg.cables, cfg.loss) == (
        Path("r"),
        "paper",
        7,
        0.5,
        0.25,
        "mse",
    )
    assert cfg.batch == TrainConfig.batch  # what args leave out keeps its default
    request = FinetuneConfig(photos_dir=Path("p"), base=Path("b"), steps=30, batch=3, patience=2)
    tuned = TrainConfig.from_args(request, run_dir=Path("r"))
    assert (tuned.steps, tuned.batch, tuned.patience, tuned.lr) == (30, 3, 2, request.lr)


def test_progress_lines_are_one_format_for_training_and_fine_tuning():
    """scnn-train and scnn-finetune print progress through one function: a line at every
    validation and every N steps between, the schedule only where asked, '?' for a loss not yet
    read back."""
    from scnn_plugin.training.progress import TrainProgress, progress_line

    scored = TrainProgress(50, 100, 0.01234, 60.0, 90.0, val_psnr=24.5, best_psnr=24.6, lr=3e-4)
    assert progress_line(scored, "val", 25, True) == (
        "step 50: loss 0.0123 val PSNR 24.50 dB (best 24.60) eta 1:30"
    )
    assert progress_line(scored, "held-back", 10, False).startswith(
        "step 50: loss 0.0123 held-back"
    )
    between = TrainProgress(26, 100, None, 120.0, None, lr=3e-4)
    assert progress_line(between, "val", 25, True) is None
    on_beat = TrainProgress(75, 100, None, 120.0, None, lr=3e-4)
    assert progress_line(on_beat, "val", 25, True) == "step 75: loss ? lr 3.00e-04 2.0 min eta ?"
    assert progress_line(on_beat, "held-back", 25, False) == "step 75: loss ? eta ?"
