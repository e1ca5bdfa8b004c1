"""scnn-eval end to end on one real photo, plus its table, grid and spike-rate helpers."""

from __future__ import annotations

import json
import math
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from scnn_plugin.models import build_model
from scnn_plugin.snn import SNNConv2d
from scnn_plugin.training.classical import FILLS
from scnn_plugin.training.evalset import EvalSample
from scnn_plugin.training.evaluate import (
    SpikeMeter,
    format_photo_margins,
    format_table,
    grid_rows,
    heldout_dir,
    main,
    photo_margins,
)
from scnn_plugin.weights import save_weights, shipped_dir

KINDS = ["thin", "medium", "thick"]


@pytest.fixture(scope="module")
def photos_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("heldout")
    shutil.copy(resources.files("scnn_plugin.samples") / "astronaut.jpg", folder / "astronaut.jpg")
    return folder


@pytest.fixture(scope="module")
def default_weights(tmp_path_factory) -> tuple[Path, bool]:
    """The shipped default weights, or an untrained but valid file while none ship; (path, trained)."""
    shipped = shipped_dir() / "default.safetensors"
    if shipped.is_file():
        return shipped, True
    path = tmp_path_factory.mktemp("weights") / "default.safetensors"
    save_weights(path, build_model("default"), "default", {}, "0.1.0")
    return path, False


def _run(photos_dir: Path, weights: Path, out: Path, *extra: str) -> dict:
    argv = ["--photos", str(photos_dir), "--limit", "1", "--size", "128", "--out", str(out)]
    argv += ["--weights-default", str(weights), "--weights-paper", str(out / "absent.safetensors")]
    assert main(argv + list(extra)) == 0
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_evaluation_of_two_fills_writes_results_table_and_grid(
    photos_dir, default_weights, tmp_path
):
    weights, trained = default_weights
    results = _run(photos_dir, weights, tmp_path, "--methods", "telea,membrane")

    assert results["n_photos"] == 1 and results["n_samples"] == 3 and results["kinds"] == KINDS
    assert list(results["methods"]) == ["SC-NN default", "SC-NN paper", "telea", "membrane"]
    assert results["methods"]["SC-NN paper"]["status"].startswith("skipped: no weights file")
    for name in ("SC-NN default", "telea", "membrane"):
        for kind in KINDS:
            r = results["methods"][name]["per_kind"][kind]
            assert r["n"] == 1
            assert 8 < r["psnr"] < 60 and 0 < r["ssim"] <= 1 and 0 < r["mse"] < 0.05
            assert r["seconds"] > 0
    for kind in KINDS:
        best = results["best_classical"][kind]
        assert best == "telea"  # membrane is our own base: shown, never the reference
        margin = results["margins"]["SC-NN default"][kind]
        mine = results["methods"]["SC-NN default"]["per_kind"][kind]["psnr"]
        theirs = results["methods"][best]["per_kind"][kind]["psnr"]
        assert margin["vs"] == best and margin["psnr"] == pytest.approx(mine - theirs)
        # one photo: its per-photo margin is the kind's margin
        assert results["photo_margins"]["astronaut"][kind] == pytest.approx(mine - theirs)
    assert results["methods"]["membrane"]["family"] == "reference"
    if not trained:  # an untrained default is its membrane base: zero-initialised output layer
        for kind in KINDS:
            scnn = results["methods"]["SC-NN default"]["per_kind"][kind]["psnr"]
            assert scnn == pytest.approx(
                results["methods"]["membrane"]["per_kind"][kind]["psnr"], abs=0.05
            )

    rates = results["spike_rates"]["SC-NN default"]
    assert list(rates) == [f"blocks.{i}.body" for i in range(4)]
    assert all(0 <= r <= 1 for r in rates.values())

    report = (tmp_path / "results.md").read_text()
    assert "| method | thin PSNR |" in report and "SC-NN default − best classical" in report
    assert "**" in report and "SC-NN paper: skipped" in report
    assert "Per photo: SC-NN default minus the best classical fill" in report
    assert "| photo | thin (vs telea) | medium (vs telea) | thick (vs telea) |" in report
    assert "\n| astronaut | " in report
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (4 * 256, 18 + 3 * 256)  # input, best classical, SC-NN, truth x 3 kinds


@pytest.mark.slow
def test_adapted_and_averaged_rows_are_scored_and_compared_beside_the_plain_one(
    photos_dir, default_weights, tmp_path
):
    results = _run(
        photos_dir, default_weights[0], tmp_path, "--methods", "telea", "--adapt", "2",
        "--views", "2",
    )
    rows = results["methods"]
    variants = [
        "SC-NN default + adapt 2", "SC-NN default + 2 views", "SC-NN default + adapt 2 + 2 views"
    ]
    assert list(rows) == ["SC-NN default", *variants, "SC-NN paper", "telea"]
    for name in variants:
        assert rows[name]["family"] == "sc-nn" and set(rows[name]["per_kind"]) == set(KINDS)
    assert rows[variants[1]]["info"]["views"] == 2 and rows[variants[2]]["info"]["adapt steps"] == 2
    assert set(results["margins"]) == {"SC-NN default", *variants}
    assert list(results["spike_rates"]) == ["SC-NN default"]  # the variants share its encoder
    plain = rows["SC-NN default"]["psnr_per_sample"]
    assert rows[variants[1]]["psnr_per_sample"] != plain  # the mirrored view changed the fills
    # Each sample trains a copy first: the adapted rows take longer than the plain one.
    for kind in KINDS:
        for name in (variants[0], variants[2]):
            assert rows[name]["per_kind"][kind]["seconds"] > rows["SC-NN default"]["per_kind"][
                kind]["seconds"]


@pytest.mark.parametrize(
    "extra, message",
    [(["--adapt", "900"], "adapt must be an integer in [0, 500]"),
     (["--views", "5"], "views must be an integer in [1, 4]")],
)
def test_variant_values_out_of_range_are_refused(
    photos_dir, default_weights, tmp_path, capsys, extra, message
):
    argv = ["--photos", str(photos_dir), "--out", str(tmp_path), *extra]
    assert main(argv + ["--weights-default", str(default_weights[0])]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_evaluation_covers_every_classical_fill_and_kind(photos_dir, default_weights, tmp_path):
    results = _run(photos_dir, default_weights[0], tmp_path)
    assert set(results["methods"]) == {"SC-NN default", "SC-NN paper", *FILLS}
    for name, m in results["methods"].items():
        if m["status"] != "ok":
            assert name == "SC-NN paper" or m["status"].startswith("unavailable: ")
            continue
        assert set(m["per_kind"]) == set(KINDS)
        assert all(math.isfinite(m["per_kind"][k]["psnr"]) for k in KINDS)
    assert set(results["best_classical"]) == set(KINDS)


def test_unknown_method_name_fails_with_the_known_ones(
    photos_dir, default_weights, tmp_path, capsys
):
    argv = ["--photos", str(photos_dir), "--out", str(tmp_path), "--methods", "telea,lama"]
    assert main(argv + ["--weights-default", str(default_weights[0])]) == 2
    assert "unknown classical fill(s) ['lama']" in capsys.readouterr().err


def test_empty_photo_folder_exits_2_with_a_hint(tmp_path, capsys):
    assert main(["--photos", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "no photos in" in capsys.readouterr().err


def test_a_pool_is_read_from_its_val_folder_never_train(tmp_path):
    assert heldout_dir(tmp_path) == tmp_path
    (tmp_path / "val").mkdir()
    assert heldout_dir(tmp_path) == tmp_path / "val"


@pytest.mark.parametrize(
    ("rows", "photos", "expected"),
    [
        (3, 5, [0, 4, 8]),  # thin of photo 0, medium of photo 1, thick of photo 2
        (3, 1, [0, 1, 2]),  # one photo: its three kinds
        (5, 1, [0, 1, 2]),  # never more rows than samples
        (4, 2, [0, 4, 2, 3]),
    ],
)
def test_grid_rows_cycle_kinds_across_photos(rows, photos, expected):
    assert grid_rows(rows, photos, KINDS) == expected


def test_spike_meter_reads_rate_layers_and_removes_its_hooks():
    """Golden rates: one channel driven far above threshold fires every step, one never fires."""
    layer = SNNConv2d(1, 2, kernel_size=1, timesteps=4, readout="rate")
    with torch.no_grad():
        layer.conv.weight.zero_()
        layer.conv.bias.copy_(torch.tensor([10.0, 0.0]))
    model = nn.ModuleDict({"spiking": layer})
    with SpikeMeter(model) as meter:
        layer(torch.zeros(2, 1, 8, 8))
        layer(torch.zeros(1, 1, 4, 4))
    assert meter.rates() == {"spiking": pytest.approx(0.5)}
    layer(torch.zeros(1, 1, 4, 4))  # hooks are gone: nothing more is counted
    assert meter.counts == {"spiking": 2}


def test_table_bolds_the_best_classical_and_signs_the_margin():
    def row(family: str, psnr: float) -> dict:
        per = {"psnr": psnr, "ssim": 0.5, "mse": 0.001, "seconds": 0.25, "n": 1}
        return {"family": family, "status": "ok", "info": {}, "per_kind": {"thin": per}}

    results = {
        "kinds": ["thin"],
        "methods": {"SC-NN default": row("sc-nn", 30.0), "telea": row("classical", 28.5)},
        "best_classical": {"thin": "telea"},
        "margins": {
            "SC-NN default": {"thin": {"vs": "telea", "psnr": 1.5, "ssim": 0.0, "mse": -0.0002}}
        },
    }
    lines = format_table(results).splitlines()
    assert lines[2] == "| SC-NN default | 30.00 | 0.500 | 1.000 | 0.250 |"
    assert lines[3] == "| telea | **28.50** | **0.500** | **1.000** | **0.250** |"
    assert lines[4] == "| SC-NN default − best classical | +1.50 dB | +0.000 | -0.200 | vs telea |"


def test_photo_margins_compare_each_sample_with_its_kinds_best_fill_and_list_the_worst_first():
    blank, hole = np.zeros((4, 4, 3), np.uint8), np.ones((4, 4), bool)
    samples = [
        EvalSample(f"/pool/val/{photo}.jpg", kind, blank, hole)
        for photo in ("bridge", "wine")
        for kind in ("thin", "thick")
    ]
    methods = {  # per sample: bridge thin, bridge thick, wine thin, wine thick
        "SC-NN default": {"psnr_per_sample": [29.0, 21.0, 31.0, 20.0]},
        "fsr-fast": {"psnr_per_sample": [33.0, 18.0, 30.5, 17.0]},
        "telea": {"psnr_per_sample": [30.0, 19.5, 30.0, 18.5]},
    }
    best = {"thin": "fsr-fast", "thick": "telea"}
    margins = photo_margins(methods, best, samples, "SC-NN default")
    assert margins == {
        "bridge": {"thin": pytest.approx(-4.0), "thick": pytest.approx(1.5)},
        "wine": {"thin": pytest.approx(0.5), "thick": pytest.approx(1.5)},
    }
    table = format_photo_margins(
        {"kinds": ["thin", "medium", "thick"], "best_classical": best, "photo_margins": margins}
    ).splitlines()
    assert table == [  # a kind no classical fill ran for has no column
        "| photo | thin (vs fsr-fast) | thick (vs telea) |",
        "|---|---:|---:|",
        "| bridge | -4.00 | +1.50 |",
        "| wine | +0.50 | +1.50 |",
    ]
