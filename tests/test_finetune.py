"""Fine-tuning core: it improves on held-back photos, publishes only improvements, cancels cleanly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from scnn_plugin.errors import InputError
from scnn_plugin.training.data import find_photos
from scnn_plugin.training.evalset import build_eval_set
from scnn_plugin.training.finetune import (
    FinetuneConfig,
    FinetuneJob,
    finetuned_dir,
    has_unfinished_run,
    main,
    runs_dir,
    split_photos,
)
from scnn_plugin.training.trainer import evaluate_psnr
from scnn_plugin.weights import load_weights

TINY = {"batch": 4, "crop": 64, "val_side": 96, "device": "cpu"}  # seconds per run


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
