"""Fine-tuning core: it improves on held-back photos, publishes only improvements, cancels cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from scnn_plugin.errors import InputError
from scnn_plugin.training.data import find_photos
from scnn_plugin.training.evalset import build_eval_set
from scnn_plugin.training.finetune import (
    DEFAULT_STEPS,
    FinetuneConfig,
    FinetuneJob,
    finetuned_dir,
    has_unfinished_run,
    run_key,
    runs_dir,
    split_photos,
)
from scnn_plugin.training.finetune_cli import main
from scnn_plugin.training.validation import evaluate_psnr
from scnn_plugin.weights import load_weights

TINY = {"batch": 4, "crop": 64, "val_side": 96, "device": "cpu"}  # seconds per run
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch) -> Path:
    """platformdirs reads this on Linux: no test touches the real data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob("*")} if folder.is_dir() else {}


def test_config_needs_a_positive_budget(photo_folder, dark_weights):
    with pytest.raises(ValueError, match="budget"):
        FinetuneConfig(photo_folder, dark_weights)
    with pytest.raises(ValueError, match="steps"):
        FinetuneConfig(photo_folder, dark_weights, steps=0)
    with pytest.raises(ValueError, match="minutes"):
        FinetuneConfig(photo_folder, dark_weights, minutes=-1)


def test_corrupt_and_tiny_files_are_skipped_and_reported(photo_folder):
    paths = find_photos(photo_folder)
    assert len(paths) == 11 and not any(p.suffix == ".txt" for p in paths)  # recursive, photos only
    split = split_photos(paths)
    skipped = {Path(p).name: why for p, why in split.skipped}
    assert set(skipped) == {"broken.jpg", "tiny.png"} and "128" in skipped["tiny.png"]
    assert (len(split.train), len(split.val)) == (7, 2)
    assert not set(split.train_names) & set(split.val_names)
    assert split_photos(paths).val_names == split.val_names  # resumes validate on the same photos


def test_fewer_than_two_readable_photos_is_a_clear_error(photo_folder):
    with pytest.raises(InputError, match="at least 2"):
        split_photos([photo_folder / "broken.jpg", photo_folder / "trip" / "view0.jpg"])


def test_few_steps_on_real_photos_raise_held_back_psnr(photo_folder, dark_weights):
    cfg = FinetuneConfig(photo_folder, dark_weights, steps=6, lr=5e-2, val_every=6, **TINY)
    job = FinetuneJob(cfg)
    result = job.run()
    assert result.improved and result.stopped_by == "steps" and result.steps == 6
    assert result.weights.parent == finetuned_dir()
    # Measured again from the files, independently of the trainer's own bookkeeping.
    val = build_eval_set(job.split.val, job.split.val_names, size=cfg.val_side)
    before = evaluate_psnr(load_weights(dark_weights)[0], val, torch.device("cpu"))["mean"]
    tuned, info = load_weights(result.weights)
    after = evaluate_psnr(tuned, val, torch.device("cpu"))["mean"]
    assert after == pytest.approx(result.psnr, abs=1e-6)
    assert before == pytest.approx(result.base_psnr, abs=1e-6)
    assert after > before + 1.0
    meta = info.training["finetune"]
    assert meta["base_weights"] == str(dark_weights.resolve())
    assert meta["base_psnr"] == round(before, 3) and meta["psnr"] == round(after, 3)
    assert sorted(meta["skipped"]) == ["broken.jpg", "tiny.png"]
    assert len(meta["train_photos"]) == 7 and meta["date"]
    assert not job.run_dir.exists()  # a finished run leaves nothing to resume


def test_no_improvement_publishes_nothing(photo_folder, dark_weights):
    cfg = FinetuneConfig(photo_folder, dark_weights, steps=2, lr=1e-12, val_every=2, **TINY)
    result = FinetuneJob(cfg).run()
    assert not result.improved and result.psnr == result.base_psnr
    assert files_of(finetuned_dir()) == {}


def test_cancel_keeps_old_weights_bit_identical_and_resumes(photo_folder, dark_weights):
    out = finetuned_dir()
    out.mkdir(parents=True)
    (out / "earlier.safetensors").write_bytes(dark_weights.read_bytes())
    before = files_of(out), dark_weights.read_bytes()
    cfg = FinetuneConfig(photo_folder, dark_weights, steps=5, lr=5e-2, val_every=5, **TINY)
    seen: list[int] = []
    result = FinetuneJob(cfg).run(
        progress=lambda p: seen.append(p.step), cancel=lambda: len(seen) >= 3
    )
    assert result.stopped_by == "cancel" and not result.improved and result.steps == 3
    assert (files_of(out), dark_weights.read_bytes()) == before
    assert has_unfinished_run(cfg)

    seen.clear()
    job = FinetuneJob(cfg)
    assert job.resuming and job.run_dir.parent == runs_dir()
    result = job.run(progress=lambda p: seen.append(p.step))
    assert seen[0] == 4 and result.steps == 5 and result.improved
    assert not has_unfinished_run(cfg)


def test_a_crash_keeps_old_weights_and_leaves_a_resumable_run(photo_folder, dark_weights):
    cfg = FinetuneConfig(photo_folder, dark_weights, steps=4, lr=3e-2, val_every=2, **TINY)

    def crash(p) -> None:
        if p.step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        FinetuneJob(cfg).run(progress=crash)
    assert files_of(finetuned_dir()) == {}
    assert has_unfinished_run(cfg)  # the checkpoint from the step-2 validation
    assert not has_unfinished_run(replace(cfg, base=photo_folder / "missing.safetensors"))


def test_cli_reports_skipped_files_and_before_after(photo_folder, dark_weights, capsys):
    code = main(
        [
            str(photo_folder),
            "--weights",
            str(dark_weights),
            "--steps",
            "4",
            "--lr",
            "3e-2",
            "--val-every",
            "4",
            "--batch",
            "4",
            "--crop",
            "64",
            "--val-side",
            "96",
            "--device",
            "cpu",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "skipped" in out and "broken.jpg" in out and "tiny.png" in out
    assert "base" in out and "fine-tuned" in out and "dB" in out


def test_cli_refuses_an_empty_folder(tmp_path, dark_weights, capsys):
    assert main([str(tmp_path), "--weights", str(dark_weights), "--steps", "1"]) == 2
    assert "no photos" in capsys.readouterr().err


def test_runs_published_in_the_same_minute_keep_every_file(photo_folder, dark_weights):
    """Issue 25: a second run named <folder>-<YYYYmmdd-HHMM> replaced the first run's weights."""
    cfg = FinetuneConfig(photo_folder, dark_weights, steps=1, **TINY)
    job = FinetuneJob(cfg)
    out = finetuned_dir()
    out.mkdir(parents=True)
    paths = [job._publish(dark_weights, 10.0, 11.0 + i) for i in range(3)]  # well within a second
    assert len(set(paths)) == 3 and {p.parent for p in paths} == {out}
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp files
    scores = sorted(load_weights(p)[1].training["finetune"]["psnr"] for p in paths)
    assert scores == [11.0, 12.0, 13.0]  # each file is still the run that wrote it


# -- the real scnn-finetune process --------------------------------------------------------------


def finetune_command(photos: Path, weights: Path, *args: str | Path) -> list[str]:
    """``python -m scnn_plugin.training.finetune`` on ``TINY`` sizes, as a user would start it."""
    tiny = ["--batch", "4", "--crop", "64", "--val-side", "96", "--device", "cpu"]
    module = [sys.executable, "-m", "scnn_plugin.training.finetune"]
    return [*module, str(photos), "--weights", str(weights), *tiny, *map(str, args)]


def finetune_env() -> dict[str, str]:
    # XDG_DATA_HOME comes from the user_dirs fixture: the child's run folder is this test's
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def run_finetune(*command: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        finetune_command(*command),
        env=finetune_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # a real process: importing torch alone takes ~2 s
def test_ctrl_c_mid_run_is_one_line_exit_130_and_loses_nothing(photo_folder, dark_weights):
    """Issue 25: SIGINT mid-run ended in a 20-line KeyboardInterrupt traceback."""
    out = finetuned_dir()
    out.mkdir(parents=True)
    (out / "earlier.safetensors").write_bytes(dark_weights.read_bytes())
    before = files_of(out), dark_weights.read_bytes()
    command = finetune_command(photo_folder, dark_weights, "--steps", "1000", "--val-every", "1")
    # A shell ignores SIGINT in its background jobs and children inherit that; a signal with a
    # handler is reset to the default at exec, so the child gets Ctrl+C as from a terminal.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            command, env=finetune_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("step 2:"):  # validated and checkpointed at steps 1 and 2
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert seen[-1].startswith("step 2:"), "".join(seen) + err
    assert process.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err and "resume" in err, err
    assert (files_of(out), dark_weights.read_bytes()) == before
    assert has_unfinished_run(FinetuneConfig(photo_folder, dark_weights, steps=1))


@pytest.mark.slow  # a real process: importing torch alone takes ~2 s
def test_a_damaged_checkpoint_is_one_line_exit_1_and_stays_for_the_user(
    photo_folder, dark_weights, tmp_path
):
    """Issue 25: resuming from a corrupt checkpoint ended in a 24-line traceback."""
    run_dir = runs_dir() / run_key(photo_folder, find_photos(photo_folder), dark_weights)
    run_dir.mkdir(parents=True)
    torch.save({"step": 1, "model": {"w": torch.zeros(1000)}}, run_dir / "checkpoint.pt")
    damaged = (run_dir / "checkpoint.pt").read_bytes()[:700]  # cut short, as by a full disk
    (run_dir / "checkpoint.pt").write_bytes(damaged)
    done = run_finetune(photo_folder, dark_weights, "--steps", "2", "--out-dir", tmp_path / "out")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "checkpoint.pt" in lines[0] and "delete it" in lines[0], lines
    assert (run_dir / "checkpoint.pt").read_bytes() == damaged  # the user decides, not us
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # a real process: importing torch alone takes ~2 s
def test_an_unwritable_output_folder_is_one_line_exit_1_and_the_run_is_kept(
    photo_folder, dark_weights, tmp_path
):
    """Issue 25: an output folder that cannot be written ended in a 16-line traceback. The trained
    run is kept, so starting again with a writable folder publishes it without training again."""
    blocker = tmp_path / "a file"  # a folder below a file: unwritable even for root
    blocker.write_text("")
    budget = ["--steps", "3", "--val-every", "3", "--lr", "5e-2"]
    done = run_finetune(photo_folder, dark_weights, *budget, "--out-dir", blocker / "weights")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(blocker / "weights") in lines[0], lines
    assert has_unfinished_run(FinetuneConfig(photo_folder, dark_weights, steps=3))

    again = run_finetune(photo_folder, dark_weights, *budget, "--out-dir", tmp_path / "out")
    assert again.returncode == 0, again.stderr
    assert "resuming" in again.stdout and "step 1:" not in again.stdout  # nothing trained again
    [published] = (tmp_path / "out").iterdir()
    assert str(published) in again.stdout


@pytest.mark.slow  # a real process: importing torch alone takes ~2 s
def test_cli_default_budget_is_the_windows_default_steps(photo_folder, dark_weights):
    """Issue 25: without --steps or --minutes the CLI ran 300 steps; the window runs 30."""
    fast = ["--batch", "1", "--crop", "32", "--val-every", "1000", "--lr", "1e-9"]
    done = run_finetune(photo_folder, dark_weights, *fast)
    assert done.returncode == 0, done.stderr
    assert f"stopped by steps at step {DEFAULT_STEPS};" in done.stdout
