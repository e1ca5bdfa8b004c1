"""The training benchmark (``python -m scnn_plugin.training.train_bench``) on tiny budgets: it times
real steps and real loader batches and counts operator calls; no speed is asserted here."""

from __future__ import annotations

import numpy as np
import pytest

from scnn_plugin.training.evalset import build_eval_set
from scnn_plugin.training.train_bench import bench_feed, bench_step, main


@pytest.fixture(scope="module")
def photos(photo) -> list[np.ndarray]:
    return [np.asarray(photo.crop((x, 0, x + 200, 200))) for x in (0, 150, 300)]


def test_the_step_bench_times_steps_and_counts_operator_calls_per_step(photos):
    fields = {"config": "paper", "model_kwargs": {"width": 4}, "batch": 2, "crop": 32}
    fields |= {"loss": "mse", "device": "cpu"}
    val = build_eval_set(photos[:1], ["v"], size=64)
    row = bench_step(photos, val, fields, warmup=1, steps=2, profile_steps=2)
    assert row["samples_per_s"] > 0 and row["seconds_per_step"] > 0
    # a forward, a backward, Adam and the EMA: dozens of calls, the nested ones counted apart
    assert 20 < row["top_level_ops_per_step"] <= row["aten_calls_per_step"]
    assert sum(row["most_called"].values()) <= row["top_level_ops_per_step"]


def test_the_feed_bench_counts_crops_out_of_the_loader(photos):
    row = bench_feed(photos, workers=0, batch=2, crop=32, seconds=0.3)
    assert row["workers"] == 0 and row["crops"] >= 2 and row["crops"] % 2 == 0
    assert row["crops_per_s"] > 0


def test_the_bench_exits_2_without_photos(tmp_path, capsys):
    assert main(["feed", "--photos", str(tmp_path)]) == 2
    assert "no photos" in capsys.readouterr().err
